using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// The PyTorch arguments of CrossEntropyLoss (weight, label_smoothing, probability targets, extra dimensions),
/// BCEWithLogitsLoss (weight, pos_weight), Upsample (rank, size, non-integer scale) and MaxUnpool2d (duplicate
/// indices), each checked against values computed here from PyTorch's documented formulas, by hand for small cases,
/// with the same argument errors, and with numerical gradients in double. (No values produced by PyTorch itself are
/// stored here: the checks are against its documentation.)
/// </summary>
public class PyTorchArgumentTests
{
    private const double GradientTolerance = 1e-6;

    // ---------------------------------------------------------------- references written from the documented formulas

    private static double[] LogSoftmax(double[] row)
    {
        double max = row.Max();
        double logSum = Math.Log(row.Sum(v => Math.Exp(v - max))) + max;
        return row.Select(v => v - logSum).ToArray();
    }

    /// <summary>
    /// torch.nn.CrossEntropyLoss for class-index targets, written as its documentation and its label-smoothing code
    /// path give it: (1 − ε) · nll(weight) + ε / C · smooth, mean dividing both by Σ w_y over non-ignored targets.
    /// Rows are (position, class) pairs already gathered: logits[position][class].
    /// </summary>
    private static (double[] PerPosition, double Mean) ReferenceCrossEntropy(double[][] logits, int[] targets, double[]? weight, double smoothing, int ignore = -100)
    {
        int c = logits[0].Length;
        var w = weight ?? Enumerable.Repeat(1.0, c).ToArray();
        var losses = new double[logits.Length];
        double weightSum = 0;
        for (int n = 0; n < logits.Length; n++)
        {
            if (targets[n] == ignore) continue;
            var logp = LogSoftmax(logits[n]);
            double nll = -w[targets[n]] * logp[targets[n]];
            double smooth = 0;
            for (int k = 0; k < c; k++) smooth -= w[k] * logp[k];
            losses[n] = (1 - smoothing) * nll + smoothing / c * smooth;
            weightSum += w[targets[n]];
        }
        return (losses, losses.Sum() / weightSum);
    }

    /// <summary>PyTorch's probability-target formula: l_n = −Σ_c w_c q'_c log p_c, q' = (1 − ε) q + ε / C; mean over N.</summary>
    private static double[] ReferenceSoftCrossEntropy(double[][] logits, double[][] q, double[]? weight, double smoothing)
    {
        int c = logits[0].Length;
        var w = weight ?? Enumerable.Repeat(1.0, c).ToArray();
        return logits.Select((row, n) =>
        {
            var logp = LogSoftmax(row);
            double l = 0;
            for (int k = 0; k < c; k++) l -= w[k] * ((1 - smoothing) * q[n][k] + smoothing / c) * logp[k];
            return l;
        }).ToArray();
    }

    private static double[][] Rows(Tensor<double> logits2d)
    {
        int n = logits2d.Shape[0], c = logits2d.Shape[1];
        return Enumerable.Range(0, n).Select(i => logits2d.Data.AsSpan(i * c, c).ToArray()).ToArray();
    }

    private static void AssertGradient(Func<Tensor<double>, double> value, Func<Tensor<double>> backward, Tensor<double> prediction, string what)
    {
        value(prediction);
        var analytic = backward();
        double error = GradientCheck.Compare(prediction.Data, analytic.Data, () => value(prediction));
        Assert.True(error < GradientTolerance, $"{what}: gradient error {error:E3}");
    }

    // ---------------------------------------------------------------- CrossEntropyLoss

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void CrossEntropy_ByHand_WeightsSmoothingAndSoftTargets(Implementation implementation)
    {
        // Two classes with equal logits: log p = −ln 2 for both, whatever the target.
        var logits = Tensor.FromArray(new double[,] { { 0, 0 } });
        double ln2 = Math.Log(2);
        // Weight 3 on class 1: the sum is 3 ln 2, the weighted mean divides by w_y = 3 and gives ln 2 back.
        var weight = Tensor.FromArray(new double[] { 1, 3 });
        var sum = new CrossEntropyLoss<double>(Reduction.Sum, weight: weight) { Implementation = implementation };
        Assert.Equal(3 * ln2, sum.Forward(logits, [1]), 12);
        var mean = new CrossEntropyLoss<double>(weight: weight) { Implementation = implementation };
        Assert.Equal(ln2, mean.Forward(logits, [1]), 12);
        // Label smoothing 0.2 without weights: (0.8 + 0.2/2 + 0.2/2) ln 2 = ln 2.
        Assert.Equal(ln2, new CrossEntropyLoss<double>(labelSmoothing: 0.2) { Implementation = implementation }.Forward(logits, [0]), 12);
        // Soft target (0.25, 0.75) with weights (1, 3): (0.25 + 2.25) ln 2 = 2.5 ln 2, and Mean does NOT divide by weights.
        var soft = Tensor.FromArray(new double[,] { { 0.25, 0.75 } });
        Assert.Equal(2.5 * ln2, mean.Forward(logits, soft), 12);
        // Its gradient p_j Σa − a_j = 0.5 · 2.5 − (0.25, 2.25) = (1, −1).
        AssertClose([1.0, -1.0], mean.Backward().Data, 1e-12);
        // Every target ignored: the mean is 0 / 0 = NaN, as PyTorch.
        Assert.True(double.IsNaN(new CrossEntropyLoss<double>(weight: weight) { Implementation = implementation }.Forward(logits, [-100])));
    }

    [Theory]
    [InlineData(Implementation.Fast, 0.0, false)]
    [InlineData(Implementation.Fast, 0.1, true)]
    [InlineData(Implementation.Naive, 0.1, true)]
    [InlineData(Implementation.Fast, 1.0, true)]
    [InlineData(Implementation.Naive, 0.35, false)]
    public void CrossEntropy_ClassIndices_MatchTheDocumentedFormula_WithIgnoredTargets(Implementation implementation, double smoothing, bool weighted)
    {
        var random = new Random(3);
        var logits = Tensor.Randn<double>(random, 6, 5);
        int[] targets = [4, 0, -1, 2, 2, 1];   // −1 is the ignore index here
        double[]? w = weighted ? [0.5, 2, 1, 0.25, 3] : null;
        var weight = w is null ? null : Tensor.FromArray(w);
        var reference = ReferenceCrossEntropy(Rows(logits), targets, w, smoothing, ignore: -1);
        var none = new CrossEntropyLoss<double>(Reduction.None, ignoreIndex: -1, weight: weight, labelSmoothing: smoothing) { Implementation = implementation };
        none.Forward(logits, targets);
        AssertClose(reference.PerPosition, none.Losses.Data, 1e-12);
        Assert.Equal(0, none.Losses.Data[2]);
        var mean = new CrossEntropyLoss<double>(ignoreIndex: -1, weight: weight, labelSmoothing: smoothing) { Implementation = implementation };
        Assert.Equal(reference.Mean, mean.Forward(logits, targets), 12);
        AssertGradient(x => mean.Forward(x, targets), mean.Backward, logits, "mean");
        Assert.All(mean.Backward().Data[10..15], v => Assert.Equal(0, v));   // the ignored row gets no gradient
        AssertGradient(x => none.Forward(x, targets), none.Backward, logits, "none");
    }

    [Theory]
    [InlineData(Implementation.Fast, 0.0, false)]
    [InlineData(Implementation.Fast, 0.3, true)]
    [InlineData(Implementation.Naive, 0.3, true)]
    public void CrossEntropy_ProbabilityTargets_MatchTheDocumentedFormula(Implementation implementation, double smoothing, bool weighted)
    {
        var random = new Random(5);
        var logits = Tensor.Randn<double>(random, 4, 3);
        var q = Softmax.Of(Tensor.Randn<double>(random, 4, 3));
        double[]? w = weighted ? [1.5, 0.5, 2] : null;
        var weight = w is null ? null : Tensor.FromArray(w);
        var reference = ReferenceSoftCrossEntropy(Rows(logits), Rows(q), w, smoothing);
        var mean = new CrossEntropyLoss<double>(weight: weight, labelSmoothing: smoothing) { Implementation = implementation };
        Assert.Equal(reference.Sum() / 4, mean.Forward(logits, q), 12);
        AssertClose(reference, mean.Losses.Data, 1e-12);
        AssertGradient(x => mean.Forward(x, q), mean.Backward, logits, "soft mean");
        // One-hot probabilities give the class-index loss (no weights: both means divide by N).
        if (!weighted)
        {
            int[] classes = [2, 0, 1, 1];
            var oneHot = new Tensor<double>(4, 3);
            for (int i = 0; i < 4; i++) oneHot[i, classes[i]] = 1;
            Assert.Equal(new CrossEntropyLoss<double>(labelSmoothing: smoothing).Forward(logits, classes), mean.Forward(logits, oneHot), 12);
        }
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void CrossEntropy_ExtraDimensions_EqualTheLossOfEveryPixelAsARow(Implementation implementation)
    {
        // (N, C, H, W) = (2, 3, 2, 3): moving C last and flattening gives 12 rows of 3 logits.
        var random = new Random(8);
        var logits = Tensor.Randn<double>(random, 2, 3, 2, 3);
        var targets = Enumerable.Range(0, 12).Select(_ => random.Next(3)).ToArray();
        targets[5] = -100;
        var rows = new double[12][];
        for (int n = 0; n < 2; n++)
            for (int s = 0; s < 6; s++)
                rows[n * 6 + s] = Enumerable.Range(0, 3).Select(c => logits.Data[(n * 3 + c) * 6 + s]).ToArray();
        double[] w = [0.7, 1.3, 2.1];
        var reference = ReferenceCrossEntropy(rows, targets, w, 0.15);
        var loss = new CrossEntropyLoss<double>(Reduction.None, weight: Tensor.FromArray(w), labelSmoothing: 0.15) { Implementation = implementation };
        loss.Forward(logits, new IndexTensor(targets, 2, 2, 3));
        Assert.Equal("[2, 2, 3]", loss.Losses.ShapeString);
        AssertClose(reference.PerPosition, loss.Losses.Data, 1e-12);
        var mean = new CrossEntropyLoss<double>(weight: Tensor.FromArray(w), labelSmoothing: 0.15) { Implementation = implementation };
        Assert.Equal(reference.Mean, mean.Forward(logits, targets), 12);
        AssertGradient(x => mean.Forward(x, targets), mean.Backward, logits, "4-D mean");
        // Probability targets of shape (N, C, d1): the mean divides by N·d1.
        var logits3 = Tensor.Randn<double>(random, 2, 4, 5);
        var q = Tensor.Uniform<double>(random, 0, 1, 2, 4, 5);
        var soft = new CrossEntropyLoss<double> { Implementation = implementation };
        double value = soft.Forward(logits3, q);
        Assert.Equal("[2, 5]", soft.Losses.ShapeString);
        Assert.Equal(soft.Losses.Data.Sum() / 10, value, 12);
        AssertGradient(x => soft.Forward(x, q), soft.Backward, logits3, "3-D soft mean");
        // An unbatched (C) input has one target and a loss of shape [].
        var single = new CrossEntropyLoss<double>(Reduction.None) { Implementation = implementation };
        single.Forward(Tensor.FromArray(new double[] { 1, 2, 3 }), [2]);
        Assert.Equal("[]", single.Losses.ShapeString);
        Assert.Equal(Math.Log(1 + Math.Exp(-1) + Math.Exp(-2)), single.Losses.Data[0], 12);
    }

    [Fact]
    public void CrossEntropy_FastMatchesNaive_OnRandomConfigurations()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = random.Next(1, 5), c = random.Next(1, 7), d = random.Next(1, 4);
            var logits = Tensor.Randn<float>(random, n, c, d);
            var targets = Enumerable.Range(0, n * d).Select(_ => random.Next(5) == 0 ? -100 : random.Next(c)).ToArray();
            var weight = random.Next(2) == 0 ? null : Tensor.Uniform<float>(random, 0.1, 2, c);
            double smoothing = random.Next(3) * 0.1;
            var fast = new CrossEntropyLoss<float>(Reduction.Sum, weight: weight, labelSmoothing: smoothing);
            var naive = new CrossEntropyLoss<float>(Reduction.Sum, weight: weight, labelSmoothing: smoothing) { Implementation = Implementation.Naive };
            Assert.Equal(naive.Forward(logits, targets), fast.Forward(logits, targets), 4);
            AssertClose(naive.Backward(), fast.Backward(), 1e-5);
        }
    }

    [Fact]
    public void CrossEntropy_BadArguments_AreRejectedAsPyTorchRejectsThem()
    {
        var logits = new Tensor<float>(4, 3);
        var length = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss<float>(weight: Tensor.FromArray(new float[] { 1, 2 })).Forward(logits, [0, 1, 2, 0]));
        Assert.Contains("one weight per class (C = 3", length.Message);
        Assert.Contains("got 2", length.Message);
        Assert.Contains("got shape [3, 1]", Assert.Throws<ArgumentException>(() => new CrossEntropyLoss<float>(weight: new Tensor<float>(3, 1))).Message);
        foreach (var bad in new[] { -0.1, 1.5, double.NaN })
            Assert.Contains("expected a value in [0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss<float>(labelSmoothing: bad)).Message);
        var softShape = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss<float>().Forward(logits, new Tensor<float>(4, 2)));
        Assert.Contains("expected [4, 3], got [4, 2]", softShape.Message);
        var count = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss<float>().Forward(new Tensor<float>(2, 3, 5), [0, 1]));
        Assert.Contains("expected 10 class indices", count.Message);
        Assert.Contains("[2, 5]", count.Message);
        var shape = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss<float>().Forward(new Tensor<float>(2, 3, 5), new IndexTensor(new int[10], 5, 2)));
        Assert.Contains("expected [2, 5]", shape.Message);
        Assert.Contains("got [5, 2]", shape.Message);
        var range = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss<float>().Forward(logits, [0, 3, 1, 1]));
        Assert.Contains("expected a class in [0, 2]", range.Message);
        Assert.Contains("got 3", range.Message);
    }

    // ---------------------------------------------------------------- BCEWithLogitsLoss

    /// <summary>PyTorch's documented formula, written directly: −w [p y log σ(x) + (1 − y) log(1 − σ(x))].</summary>
    private static double ReferenceBce(double x, double y, double w, double p)
    {
        double sigma = 1 / (1 + Math.Exp(-x));
        return -w * (p * y * Math.Log(sigma) + (1 - y) * Math.Log(1 - sigma));
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void Bce_PosWeightAndWeight_MatchTheDocumentedFormula(Implementation implementation)
    {
        // By hand: x = 0 gives σ = 1/2, so a positive costs p ln 2 and a negative ln 2.
        var zero = new Tensor<double>(1, 2);
        var posWeight = Tensor.FromArray(new double[] { 3, 0.5 });
        var byHand = new BCEWithLogitsLoss<double>(Reduction.None, posWeight: posWeight) { Implementation = implementation };
        byHand.Forward(zero, Tensor.FromArray(new double[,] { { 1, 0 } }));
        AssertClose([3 * Math.Log(2), Math.Log(2)], byHand.Losses.Data, 1e-12);

        // (N, C) = (4, 3) multi-label with pos_weight per class (C) and weight per sample (N, 1).
        var random = new Random(2);
        var x = Tensor.Randn<double>(random, 4, 3);
        var y = Tensor.Uniform<double>(random, 0, 1, 4, 3);
        double[] p = [2, 0.5, 1.25], w = [1, 0.2, 3, 0.7];
        var loss = new BCEWithLogitsLoss<double>(weight: Tensor.FromArray(w).Reshape(4, 1), posWeight: Tensor.FromArray(p)) { Implementation = implementation };
        double expected = 0;
        for (int n = 0; n < 4; n++)
            for (int c = 0; c < 3; c++)
                expected += ReferenceBce(x[n, c], y[n, c], w[n], p[c]);
        Assert.Equal(expected / 12, loss.Forward(x, y), 12);
        AssertGradient(t => loss.Forward(t, y), loss.Backward, x, "bce weighted");
        // A (C) weight broadcasts along the rows as well.
        var perClass = new BCEWithLogitsLoss<double>(Reduction.Sum, weight: Tensor.FromArray(p)) { Implementation = implementation };
        double perClassExpected = 0;
        for (int n = 0; n < 4; n++)
            for (int c = 0; c < 3; c++)
                perClassExpected += ReferenceBce(x[n, c], y[n, c], p[c], 1);
        Assert.Equal(perClassExpected, perClass.Forward(x, y), 12);
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void Bce_IsStable_AndKeepsTinyLossesToFullRelativePrecision(Implementation implementation)
    {
        var x = Tensor.FromArray(new double[] { -100, 100, 40, -1000, 1000, -40 });
        var y = Tensor.FromArray(new double[] { 0, 1, 1, 0, 0, 1 });
        foreach (var posWeight in new[] { null, Tensor.FromArray(new double[] { 2 }) })
        {
            var loss = new BCEWithLogitsLoss<double>(Reduction.None, posWeight: posWeight) { Implementation = implementation };
            loss.Forward(x, y);
            double p = posWeight is null ? 1 : 2;
            // softplus(−100) = log(1 + e^−100) = e^−100 to the last bit (3.72e-44): relative, not absolute, precision.
            Assert.Equal(1, loss.Losses.Data[0] / Math.Exp(-100), 12);
            Assert.Equal(1, loss.Losses.Data[1] / (p * Math.Exp(-100)), 12);
            Assert.Equal(1, loss.Losses.Data[2] / (p * Math.Exp(-40)), 12);
            Assert.Equal(0, loss.Losses.Data[3]);
            Assert.Equal(1000, loss.Losses.Data[4], 9);
            Assert.Equal(p * 40, loss.Losses.Data[5], 9);
            var dX = loss.Backward(Tensor.Full(1.0, 6));
            Assert.All(dX.Data, v => Assert.True(double.IsFinite(v)));
            Assert.Equal(1, dX.Data[4], 12);          // (1 − y) σ(1000) = 1
            Assert.Equal(-p, dX.Data[5], 12);         // −p y σ(40) = −p
        }
    }

    [Fact]
    public void Bce_BroadcastErrors_NameBothShapes()
    {
        var loss = new BCEWithLogitsLoss<float>(posWeight: new Tensor<float>(4));
        var e = Assert.Throws<ArgumentException>(() => loss.Forward(new Tensor<float>(2, 3), new Tensor<float>(2, 3)));
        Assert.Contains("pos_weight shape", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("got [4]", e.Message);
        var w = Assert.Throws<ArgumentException>(() => new BCEWithLogitsLoss<float>(weight: new Tensor<float>(3, 2, 3)).Forward(new Tensor<float>(2, 3), new Tensor<float>(2, 3)));
        Assert.Contains("weight shape", w.Message);
    }

    // ---------------------------------------------------------------- Upsample

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void Upsample_ReadsTheSpatialRankFromTheInput_AsPyTorch(Implementation implementation)
    {
        // (N, C, L) = (2, 3, 4) with scale 2 is (2, 3, 8), each value twice (before, it was read as an unbatched image).
        var x = Tensor.Arange<double>(2, 3, 4);
        var y = new Upsample<double>(2) { Implementation = implementation }.Forward(x);
        Assert.Equal("[2, 3, 8]", y.ShapeString);
        for (int i = 0; i < y.Length; i++) Assert.Equal(x.Data[i / 8 * 4 + i % 8 / 2], y.Data[i]);
        // 5-D (N, C, D, H, W) to an explicit size.
        var v = Tensor.Arange<double>(1, 1, 2, 2, 2);
        var up = new Upsample<double>(size: [4, 3, 2]) { Implementation = implementation }.Forward(v);
        Assert.Equal("[1, 1, 4, 3, 2]", up.ShapeString);
        // D: 2 → 4 doubles (i >> 1); H: 2 → 3 reads floor(i · 2/3) = 0, 0, 1; W: 2 → 2 copies.
        Assert.Equal(v[0, 0, 1, 1, 0], up[0, 0, 3, 2, 0]);
        Assert.Equal(v[0, 0, 0, 0, 1], up[0, 0, 1, 1, 1]);
    }

    [Theory]
    [InlineData(4, 1.5, null, new[] { 0, 0, 1, 2, 2, 3 })]            // 1/1.5 in float: floor(3 · 0.6666667) = 2
    [InlineData(4, null, 7, new[] { 0, 0, 1, 1, 2, 2, 3 })]            // s = 4/7
    [InlineData(4, 1.2, null, new[] { 0, 1, 2, 3 })]                   // floor(4.8) = 4 = n: PyTorch copies
    [InlineData(4, 2.1, null, new[] { 0, 0, 1, 1, 2, 2, 3, 3 })]       // floor(8.4) = 8 = 2n: PyTorch halves
    [InlineData(5, 0.5, null, new[] { 0, 2 })]                         // downsampling: floor(2.5) = 2, s = 2
    [InlineData(3, 2.5, null, new[] { 0, 0, 0, 1, 1, 2, 2 })]          // floor(7.5) = 7, s = 0.4
    public void Upsample_NearestIndexRule_IsPyTorchs(int n, double? scale, int? size, int[] expected)
    {
        var x = Tensor.Arange<double>(1, 1, n);
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            var up = size is int s
                ? new Upsample<double>(size: [s]) { Implementation = implementation }
                : new Upsample<double>(scale!.Value) { Implementation = implementation };
            Assert.Equal(expected.Select(i => (double)i), up.Forward(x).Data);
            Assert.Equal(expected, up.SourceIndices(0, 1, n, expected.Length));
            // Backward adds each output's gradient into the input it read.
            var dX = up.Backward(Tensor.Full(1.0, 1, 1, expected.Length));
            for (int i = 0; i < n; i++) Assert.Equal(expected.Count(e => e == i), dX.Data[i]);
        }
    }

    [Fact]
    public void Upsample_GradientsAndFastPath_ForNonIntegerScalesAndSizes()
    {
        AssertGradients(new Upsample<double>(1.5), Tensor.Randn<double>(new Random(1), 2, 2, 5));
        AssertGradients(new Upsample<double>((2.5, 0.7)), Tensor.Randn<double>(new Random(2), 1, 2, 3, 6));
        AssertGradients(new Upsample<double>(size: [3, 5, 2]), Tensor.Randn<double>(new Random(3), 1, 1, 2, 3, 3));
        var random = new Random(4);
        for (int trial = 0; trial < 12; trial++)
        {
            var (scale, size) = ((0.5 + random.NextDouble() * 2.5, 0.5 + random.NextDouble() * 2.5), new[] { random.Next(2, 9), random.Next(2, 9) });
            Func<Module<float>> up = trial % 2 == 0 ? () => new Upsample<float>(scale) : () => new Upsample<float>(size: size);
            AssertFastMatchesReference(up, Tensor.Randn<float>(random, random.Next(1, 3), random.Next(1, 3), random.Next(2, 6), random.Next(2, 6)), trial, 0);
        }
    }

    [Fact]
    public void Upsample_BadArguments_NameWhatIsWrong()
    {
        Assert.Contains("only one of size and scaleFactor", Assert.Throws<ArgumentException>(() => new Upsample<float>(size: [4], scaleFactor: [2])).Message);
        Assert.Contains("either size or scaleFactor", Assert.Throws<ArgumentException>(() => new Upsample<float>()).Message);
        Assert.Contains("got 0", Assert.Throws<ArgumentOutOfRangeException>(() => new Upsample<float>(0)).Message);
        Assert.Contains("got -2", Assert.Throws<ArgumentOutOfRangeException>(() => new Upsample<float>(size: [-2])).Message);
        var perAxis = Assert.Throws<ArgumentException>(() => new Upsample<float>(scaleFactor: [2, 2]).Forward(new Tensor<float>(1, 1, 2, 2, 2)));
        Assert.Contains("one per spatial dimension (3 for this input), got 2", perAxis.Message);
        var rank = Assert.Throws<ArgumentException>(() => new Upsample<float>(2).Forward(new Tensor<float>(3, 3)));
        Assert.Contains("got 2", rank.Message);
        var empty = Assert.Throws<ArgumentException>(() => new Upsample<float>(0.1).Forward(new Tensor<float>(1, 1, 4)));
        Assert.Contains("expected at least 1, got 0", empty.Message);
    }

    // ---------------------------------------------------------------- MaxUnpool2d

    [Fact]
    public void MaxUnpool_DuplicateIndices_EachReceiveTheGradient_AsPyTorch()
    {
        // Two pooled values that name the same position 1 of a 1x3 plane (overlapping 1x2 windows, stride 1).
        var unpool = new MaxUnpool2d<double>((1, 2), (1, 1));
        var pooled = Tensor.FromArray(new double[] { 5, 7 }).Reshape(1, 1, 1, 2);
        var output = unpool.Forward(pooled, [1, 1]);
        Assert.Equal([0.0, 7, 0], output.Data);   // the later one is written
        var upstream = Tensor.FromArray(new double[] { 10, 20, 30 }).Reshape(1, 1, 1, 3);
        Assert.Equal([20.0, 20], unpool.Backward(upstream).Data);
        var trueDerivative = new MaxUnpool2d<double>((1, 2), (1, 1)) { GradientRule = MaxUnpoolGradient.WrittenValueOnly };
        trueDerivative.Forward(pooled, [1, 1]);
        Assert.Equal([0.0, 20], trueDerivative.Backward(upstream).Data);

        // A real overlapping pool (3x3, stride 1) on a plane with one large value: it wins nine windows.
        var pool = new MaxPool2d<double>(3, stride: 1);
        var image = new Tensor<double>(1, 1, 5, 5);
        image[0, 0, 2, 2] = 9;
        var maxima = pool.Forward(image);
        var indices = pool.LastIndices!;
        Assert.All(indices.Data, i => Assert.Equal(12, i));
        var paired = new MaxUnpool2d<double>(pool);
        paired.Forward(maxima);
        var dY = Tensor.Arange<double>(1, 1, 5, 5);
        Assert.All(paired.Backward(dY).Data, g => Assert.Equal(12, g));   // every duplicate reads dY at 12
        // Without duplicates both rules agree, and the gradient check holds.
        var distinct = new MaxPool2d<double>(2);
        var map = DistinctValues(new Random(3), 0.1, 1, 2, 4, 4);
        var half = distinct.Forward(map);
        foreach (var rule in new[] { MaxUnpoolGradient.EveryIndex, MaxUnpoolGradient.WrittenValueOnly })
        {
            var u = new MaxUnpool2d<double>(distinct) { GradientRule = rule };
            AssertGradients(u, half);
        }
    }

    // ---------------------------------------------------------------- precision near zero

    /// <summary>Magnitudes from 2 down to the smallest subnormal, both signs, in the given precision.</summary>
    private static IEnumerable<double> Sweep(bool single)
    {
        double smallest = single ? float.Epsilon : double.Epsilon;
        for (double m = 2; m > smallest; m /= single ? 3.7 : 11.3)
        {
            double v = single ? (float)m : m;
            if (v == 0) break;
            yield return v;
            yield return -v;
        }
        yield return smallest;
        yield return -smallest;
    }

    // tanh in double to full precision: the series below 1e-3, Math.Tanh (within 1 ulp) above.
    private static double ExactTanh(double x) => Math.Abs(x) < 1e-3 ? x - x * x * x / 3 + 2 * Math.Pow(x, 5) / 15 : Math.Tanh(x);

    [Fact]
    public void Tanh_KeepsRelativePrecisionDownToSubnormals_InFloatAndDouble()
    {
        var xf = Sweep(single: true).Select(v => (float)v).ToArray();
        var yf = new Tanh<float>().Forward(Tensor.FromArray(xf));
        for (int i = 0; i < xf.Length; i++)
        {
            double want = ExactTanh(xf[i]);
            double tolerance = Math.Max(3e-7 * Math.Abs(want), Math.Abs(want) < 1.2e-38 ? 1.5e-45 : 0);
            Assert.True(Math.Abs(yf.Data[i] - want) <= tolerance, $"float tanh({xf[i]:R}) = {yf.Data[i]:R}, want {want:R}");
            Assert.Equal(Math.Sign(xf[i]), Math.Sign(yf.Data[i]));
        }
        var xd = Sweep(single: false).ToArray();
        var yd = new Tanh<double>().Forward(Tensor.FromArray(xd));
        for (int i = 0; i < xd.Length; i++)
        {
            double want = ExactTanh(xd[i]);
            double tolerance = Math.Max(1e-15 * Math.Abs(want), Math.Abs(want) < 2.3e-308 ? 5e-324 : 0);
            Assert.True(Math.Abs(yd.Data[i] - want) <= tolerance, $"double tanh({xd[i]:R}) = {yd.Data[i]:R}, want {want:R}");
        }
    }

    [Fact]
    public void Sigmoid_KeepsItsSubnormalTail_AndRelativePrecision()
    {
        // σ(x) for x from −103 (float) or −744 (double) to 40, against e^x / (1 + e^x) and 1 / (1 + e^−x) in double.
        static double Exact(double x) => x < 0 ? Math.Exp(x) / (1 + Math.Exp(x)) : 1 / (1 + Math.Exp(-x));
        var xf = Enumerable.Range(0, 144).Select(i => -103f + i).ToArray();
        var yf = new Sigmoid<float>().Forward(Tensor.FromArray(xf));
        for (int i = 0; i < xf.Length; i++)
        {
            double want = Exact(xf[i]);
            double tolerance = Math.Max(3e-7 * want, want < 1.2e-38 ? 1.5e-45 : 0);
            Assert.True(Math.Abs(yf.Data[i] - want) <= tolerance, $"float σ({xf[i]}) = {yf.Data[i]:R}, want {want:R}");
        }
        var xd = Enumerable.Range(0, 785).Select(i => -744.0 + i).ToArray();
        var yd = new Sigmoid<double>().Forward(Tensor.FromArray(xd));
        for (int i = 0; i < xd.Length; i++)
        {
            double want = Exact(xd[i]);
            double tolerance = Math.Max(2e-15 * want, want < 2.3e-308 ? 5e-324 : 0);
            Assert.True(Math.Abs(yd.Data[i] - want) <= tolerance, $"double σ({xd[i]}) = {yd.Data[i]:R}, want {want:R}");
        }
    }

    [Fact]
    public void Softmax_IsExactForTinyAndHugeGaps()
    {
        // softmax([0, −d]) = (1 / (1 + e^−d), e^−d / (1 + e^−d)): relative precision of the small share down to the
        // subnormals (its Exp is TensorPrimitives.Exp, within 1 ulp).
        foreach (double d in new[] { 1e-12, 1e-3, 1, 30, 300, 740 })
        {
            var p = Softmax.Of(Tensor.FromArray(new double[] { 0, -d }));
            double small = Math.Exp(-d) / (1 + Math.Exp(-d));
            Assert.True(Math.Abs(p.Data[1] - small) <= Math.Max(2e-15 * small, 5e-324), $"d = {d}: {p.Data[1]:R} against {small:R}");
            Assert.Equal(1 / (1 + Math.Exp(-d)), p.Data[0], 15);
        }
    }
}

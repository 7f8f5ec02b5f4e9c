using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

/// <summary>The layers of notebook 09-cnn-for-text: Embedding, MaxPool1d, AdaptiveMaxPool1d, ParallelConcat, Transpose.</summary>
public class TextLayerTests
{
    // Pooling is piecewise linear and the inputs are 0.1 apart: a step of 1e-4 never changes an argmax.
    private const double LinearStep = 1e-4;

    private static Tensor<double> Ids(int[,] ids)
    {
        var t = new Tensor<double>(ids.GetLength(0), ids.GetLength(1));
        int k = 0;
        foreach (int id in ids) t.Data[k++] = id;
        return t;
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void Embedding_Forward_LooksUpTheRowOfEveryId(Implementation implementation)
    {
        var embedding = new Embedding<double>(6, 3, seed: 1) { Implementation = implementation };
        var y = embedding.Forward(Ids(new[,] { { 2, 5, 2 }, { 0, 1, 4 } }));
        Assert.Equal("[2, 3, 3]", y.ShapeString);
        int[] flat = [2, 5, 2, 0, 1, 4];
        for (int i = 0; i < flat.Length; i++)
            for (int e = 0; e < 3; e++) Assert.Equal(embedding.Weight.Value[flat[i], e], y.Data[i * 3 + e]);
    }

    [Fact]
    public void Embedding_PaddingRow_StartsAtZero_AndGetsNoGradient()
    {
        var embedding = new Embedding<double>(5, 4, paddingIndex: 0, seed: 2);
        Assert.All(Enumerable.Range(0, 4), e => Assert.Equal(0.0, embedding.Weight.Value[0, e]));
        Assert.Contains(embedding.Weight.Value.Data, v => v != 0);
        var ids = Ids(new[,] { { 1, 0, 0, 3 } });
        embedding.Forward(ids);
        var dY = Tensor.Full(1.0, 1, 4, 4);
        var dX = embedding.Backward(dY);
        Assert.All(Enumerable.Range(0, 4), e => Assert.Equal(0.0, embedding.Weight.Grad[0, e]));
        Assert.All(Enumerable.Range(0, 4), e => Assert.Equal(1.0, embedding.Weight.Grad[3, e]));
        Assert.All(dX.Data, v => Assert.Equal(0.0, v));       // ids have no gradient
        // A negative padding index counts from the end, as PyTorch's padding_idx.
        Assert.Equal(4, new Embedding<float>(5, 2, paddingIndex: -1).PaddingIndex);
    }

    [Fact]
    public void Embedding_WeightGradient_MatchesNumericalGradient_AndSumsRepeatedIds()
    {
        var embedding = new Embedding<double>(7, 3, paddingIndex: 6, seed: 3);
        // No padding id here: the output does depend on the padding row, which by design gets no gradient (tested above).
        var ids = Ids(new[,] { { 1, 4, 1, 5 }, { 2, 2, 2, 0 } });
        var g = Tensor.Randn<double>(new Random(4), 2, 4, 3);
        double Loss()
        {
            var y = embedding.Forward(ids);
            return y.Data.Select((v, i) => v * g.Data[i]).Sum();
        }
        embedding.ZeroGrad();
        embedding.Forward(ids);
        embedding.Backward(g);
        double[] analytic = (double[])embedding.Weight.Grad.Data.Clone();
        double error = GradientCheck.Compare(embedding.Weight.Value.Data, analytic, Loss);
        Assert.True(error < GradientTolerance, $"embedding weight gradient error {error:E3}");
        // Row 2 appears three times: its gradient is the sum of the three upstream rows.
        for (int e = 0; e < 3; e++) Assert.Equal(g[1, 0, e] + g[1, 1, e] + g[1, 2, e], analytic[2 * 3 + e], 12);
    }

    [Fact]
    public void Embedding_FastMatchesNaive_AndBackwardToParametersGivesTheSameGradient()
    {
        var ids = new Tensor<float>([3, 1, 0, 4, 4, 2], 2, 3);
        AssertFastMatchesReference(() => new Embedding<float>(5, 6, paddingIndex: 0, seed: 5), ids, seed: 6, tolerance: 0);
        var a = new Embedding<float>(5, 6, seed: 7);
        var b = new Embedding<float>(5, 6, seed: 7);
        var dY = Tensor.Randn<float>(new Random(8), 2, 3, 6);
        a.Forward(ids); a.Backward(dY);
        b.Forward(ids); b.BackwardToParameters(dY);
        Assert.Equal(a.Weight.Grad.Data, b.Weight.Grad.Data);
    }

    [Theory]
    [InlineData(2.5f, "2.5")]
    [InlineData(5f, "5")]
    [InlineData(-1f, "-1")]
    public void Embedding_RejectsIdsThatAreNotWholeNumbersInRange(float id, string shown)
    {
        var embedding = new Embedding<float>(5, 2);
        var e = Assert.Throws<ArgumentException>(() => embedding.Forward(new Tensor<float>([0, id], 1, 2)));
        Assert.Contains("token id at flat position 1", e.Message);
        Assert.Contains($"got {shown}", e.Message);
        Assert.Contains("[0, 5)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding<float>(5, 2, paddingIndex: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding<float>(0, 2));
    }

    // MaxPool1d is MaxPool2d over a 1 x L plane: the 2-D layer, tested against the slides, is the reference.
    [Theory]
    [InlineData(2, null, 0, 1, false, 9)]
    [InlineData(3, 1, 1, 1, false, 7)]
    [InlineData(3, 2, 1, 2, false, 10)]
    [InlineData(2, 2, 0, 1, true, 7)]
    [InlineData(4, 3, 2, 1, true, 11)]
    public void MaxPool1d_AgreesWithMaxPool2dOverAOneRowPlane(int kernel, int? stride, int padding, int dilation, bool ceil, int length)
    {
        var x = DistinctValues(new Random(kernel * 31 + length), 0.1, 2, 3, length).To<float>();
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            var pool = new MaxPool1d<float>(kernel, stride, padding, dilation, ceil) { Implementation = implementation };
            var reference = new MaxPool2d<float>((1, kernel), (1, stride ?? kernel), (0, padding), (1, dilation), ceil);
            var y = pool.Forward(x);
            var yRef = reference.Forward(x.Reshape(2, 3, 1, length));
            Assert.Equal(yRef.Data, y.Data);
            Assert.Equal(pool.OutputShape(x.Shape), y.Shape.ToArray());
            Assert.Equal(reference.LastIndices!.Data, pool.LastIndices!.Data);
            var dY = Tensor.Randn<float>(new Random(3), y.Shape.ToArray());
            Assert.Equal(reference.Backward(dY.Reshape(yRef.Shape.ToArray())).Data, pool.Backward(dY).Data);
        }
    }

    [Theory]
    [InlineData(3, 1, 1)]
    [InlineData(2, 2, 0)]
    public void MaxPool1d_Backward_MatchesNumericalGradient(int kernel, int stride, int padding)
        => AssertGradients(new MaxPool1d<double>(kernel, stride, padding), DistinctValues(new Random(2), 0.1, 2, 3, 8), step: LinearStep);

    [Fact]
    public void MaxPool1d_ChecksItsArguments_AndNamesTheShape()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPool1d<float>(2, padding: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPool1d<float>(0));
        var pool = new MaxPool1d<float>(5);
        var e = Assert.Throws<ArgumentException>(() => pool.Forward(new Tensor<float>(1, 2, 3)));
        Assert.Contains("[1, 2, 3]", e.Message);
        var rank = Assert.Throws<ArgumentException>(() => pool.Forward(new Tensor<float>(1, 2, 3, 9)));
        Assert.Contains("expected 3 (N, C, L) or 2 (C, L), got 4", rank.Message);
        Assert.Throws<InvalidOperationException>(() => new MaxPool1d<float>(2).Backward(new Tensor<float>(1, 1, 1)));
    }

    [Fact]
    public void AdaptiveMaxPool1d_OutputOne_IsTheMaximumOverTime()
    {
        var x = DistinctValues(new Random(5), 0.1, 4, 3, 11).To<float>();
        var y = new AdaptiveMaxPool1d<float>(1).Forward(x);
        Assert.Equal("[4, 3, 1]", y.ShapeString);
        for (int p = 0; p < 12; p++) Assert.Equal(x.Data.AsSpan(p * 11, 11).ToArray().Max(), y.Data[p]);
    }

    [Fact]
    public void AdaptiveMaxPool1d_Windows_ArePyTorchs()
    {
        // PyTorch: start = floor(i L / O), end = ceil((i + 1) L / O); L = 10, O = 4 gives [0,3) [2,5) [5,8) [7,10).
        var pool = new AdaptiveMaxPool1d<float>(4);
        Assert.Equal([(0, 3), (2, 5), (5, 8), (7, 10)], Enumerable.Range(0, 4).Select(i => pool.Window(i, 10)));
        var x = new Tensor<float>([1, 9, 2, 3, 8, 4, 5, 6, 7, 0], 1, 10);
        Assert.Equal([9f, 8f, 6f, 7f], pool.Forward(x).Data);
        Assert.Equal([1, 4, 7, 8], pool.LastIndices!.Data);
        // More outputs than inputs: windows repeat inputs.
        Assert.Equal([1f, 1f, 9f, 9f, 2f, 2f], new AdaptiveMaxPool1d<float>(6).Forward(new Tensor<float>([1, 9, 2], 1, 3)).Data);
    }

    [Fact]
    public void AdaptiveMaxPool1d_SignedZeroTie_KeepsTheFirstZero_AsPyTorch()
    {
        // PyTorch's CPU loop, (val > maxval) || isnan(val), keeps the first of -0.0 and +0.0 (they compare equal):
        // its output is that zero, sign included, and the gradient goes to it. TensorPrimitives.IndexOfMax would pick +0.0.
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
            foreach (int length in new[] { 3, 5, 8, 9, 16, 17, 33, 64, 65 })
            {
                var x = new Tensor<float>(1, 2, length);
                x.Data.AsSpan().Fill(-1f);
                x.Data[1] = -0f;                     // plane 0: -0.0 first, +0.0 last
                x.Data[length - 1] = 0f;
                x.Data[length] = 0f;                 // plane 1: +0.0 first, -0.0 later
                x.Data[2 * length - 1] = -0f;
                var pool = new AdaptiveMaxPool1d<float>(1) { Implementation = implementation };
                var y = pool.Forward(x);
                Assert.True(float.IsNegative(y.Data[0]) && y.Data[0] == 0, $"{implementation}, L = {length}: plane 0 gave {y.Data[0]}, expected -0");
                Assert.True(!float.IsNegative(y.Data[1]) && y.Data[1] == 0, $"{implementation}, L = {length}: plane 1 gave {y.Data[1]}, expected +0");
                Assert.Equal([1, 0], pool.LastIndices!.Data);
                var dX = pool.Backward(new Tensor<float>([3f, 4f], 1, 2, 1));
                Assert.Equal(3f, dX.Data[1]);
                Assert.Equal(0f, dX.Data[length - 1]);
                Assert.Equal(4f, dX.Data[length]);
            }
    }

    [Fact]
    public void AdaptiveMaxPool1d_NaN_TheLastNaNOfAWindowWins_AsPyTorch()
    {
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            var pool = new AdaptiveMaxPool1d<double>(1) { Implementation = implementation };
            var y = pool.Forward(new Tensor<double>([1, double.NaN, 5, double.NaN, 2], 1, 5));
            Assert.True(double.IsNaN(y.Data[0]));
            Assert.Equal(3, pool.LastIndices!.Data[0]);
        }
    }

    /// <summary>
    /// Windows of every length up to 40 over values with ties, both zeros and NaNs: the fast path (vectorised maximum,
    /// then the first equal input) picks what the naive loop picks, bit for bit, in float and double.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void AdaptiveMaxPool1d_FastMatchesNaiveBitForBit_WithSignedZeroTiesAndNaN(int outputSize)
    {
        static Tensor<double> Ties(Random random, int length, bool withNaN)
        {
            var x = new Tensor<double>(2, 3, length);
            for (int i = 0; i < x.Length; i++)
            {
                int r = random.Next(withNaN ? 10 : 9);
                x.Data[i] = r switch { 0 or 1 or 2 => -0.0, 3 or 4 or 5 => 0.0, 6 => -1, 7 => double.NegativeInfinity, 8 => 1, _ => double.NaN };
            }
            return x;
        }
        for (int length = 1; length <= 40; length++)
        {
            int l = length;
            int step = 0;
            AssertFastMatchesReference(() => new AdaptiveMaxPool1d<float>(outputSize), random => Ties(random, l, withNaN: step++ % 2 == 1).To<float>(),
                seed: 100 * outputSize + l, tolerance: 0, steps: 4, what: $"AdaptiveMaxPool1d<float>({outputSize}), L = {l}");
            AssertFastMatchesReference(() => new AdaptiveMaxPool1d<double>(outputSize), random => Ties(random, l, withNaN: step++ % 2 == 1),
                seed: 100 * outputSize + l, tolerance: 0, steps: 4, what: $"AdaptiveMaxPool1d<double>({outputSize}), L = {l}");
            var x = Ties(new Random(l), l, withNaN: true);
            var fast = new AdaptiveMaxPool1d<double>(outputSize);
            var naive = new AdaptiveMaxPool1d<double>(outputSize) { Implementation = Implementation.Naive };
            fast.Forward(x);
            naive.Forward(x);
            Assert.Equal(naive.LastIndices!.Data, fast.LastIndices!.Data);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void AdaptiveMaxPool1d_FastMatchesNaive_AndBackwardMatchesNumericalGradient(int outputSize)
    {
        AssertFastMatchesReference(() => new AdaptiveMaxPool1d<float>(outputSize), DistinctValues(new Random(7), 0.1, 3, 2, 10).To<float>(), seed: 8, tolerance: 0);
        AssertGradients(new AdaptiveMaxPool1d<double>(outputSize), DistinctValues(new Random(9), 0.1, 2, 3, 7), step: LinearStep);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdaptiveMaxPool1d<float>(0));
    }

    private static ParallelConcat<double> ThreeWidths(int seed) => new(
        new Sequential<double>(new Conv1d<double>(4, 2, 3, seed: seed), new ReLU<double>(), new AdaptiveMaxPool1d<double>(1)),
        new Sequential<double>(new Conv1d<double>(4, 3, 4, seed: seed + 1), new ReLU<double>(), new AdaptiveMaxPool1d<double>(1)),
        new Sequential<double>(new Conv1d<double>(4, 1, 5, seed: seed + 2), new Tanh<double>(), new AdaptiveMaxPool1d<double>(1)));

    [Fact]
    public void ParallelConcat_Forward_StacksTheBranchOutputsAlongChannels()
    {
        var concat = ThreeWidths(1);
        var x = Tensor.Randn<double>(new Random(2), 2, 4, 9);
        var y = concat.Forward(x);
        Assert.Equal("[2, 6, 1]", y.ShapeString);
        Assert.Equal([2, 6, 1], concat.OutputShape(x.Shape));
        var parts = concat.Branches.Select(b => b.Forward(x)).ToArray();
        int[] channels = [2, 3, 1];
        for (int n = 0; n < 2; n++)
        {
            int c = 0;
            for (int b = 0; b < 3; b++)
                for (int k = 0; k < channels[b]; k++, c++) Assert.Equal(parts[b][n, k, 0], y[n, c, 0]);
        }
        Assert.Equal(concat.Branches.Sum(b => b.ParameterCount()), concat.ParameterCount());
    }

    [Fact]
    public void ParallelConcat_Backward_MatchesNumericalGradient_InputAndEveryBranch()
        => AssertGradients(ThreeWidths(3), Tensor.Randn<double>(new Random(4), 2, 4, 9));

    [Fact]
    public void ParallelConcat_InsideSequential_BackwardToParameters_GivesBackwardsGradients()
    {
        Sequential<double> Model() => new(ThreeWidths(5), new Flatten<double>(), new Linear<double>(6, 2, seed: 9));
        var a = Model();
        var b = Model();
        var x = Tensor.Randn<double>(new Random(6), 3, 4, 8);
        var dY = Tensor.Randn<double>(new Random(7), 3, 2);
        a.Forward(x); a.Backward(dY);
        b.Forward(x); b.BackwardToParameters(dY);
        var pa = a.Parameters().ToArray();
        var pb = b.Parameters().ToArray();
        Assert.Equal(8, pa.Length);
        for (int i = 0; i < pa.Length; i++) Assert.Equal(pa[i].Grad.Data, pb[i].Grad.Data);
        Assert.Equal(["0.0.0.weight", "0.0.0.bias"], a.NamedParameters().Take(2).Select(p => p.Name));
    }

    [Fact]
    public void ParallelConcat_FastMatchesNaive_AndRejectsBranchesThatDisagree()
    {
        AssertFastMatchesReference(() => new ParallelConcat<float>(new MaxPool1d<float>(2), new AdaptiveMaxPool1d<float>(3), new Conv1d<float>(4, 5, 4, seed: 1)),
            DistinctValues(new Random(8), 0.1, 2, 4, 6).To<float>(), seed: 9);
        var bad = new ParallelConcat<float>(new MaxPool1d<float>(2), new AdaptiveMaxPool1d<float>(1));
        var e = Assert.Throws<ArgumentException>(() => bad.Forward(new Tensor<float>(2, 4, 6)));
        Assert.Contains("branch 1 output shape: expected [2, 4, 3] in every dimension but 1", e.Message);
        Assert.Contains("got [2, 4, 1]", e.Message);
        Assert.Throws<ArgumentException>(() => new ParallelConcat<float>());
    }

    [Fact]
    public void Transpose_SwapsTwoDimensions_AndItsBackwardSwapsThemBack()
    {
        var x = Tensor.Arange<double>(2, 3, 4, 5);
        var t = new Transpose<double>(1, -1);
        var y = t.Forward(x);
        Assert.Equal("[2, 5, 4, 3]", y.ShapeString);
        for (int a = 0; a < 2; a++) for (int i = 0; i < 3; i++) for (int b = 0; b < 4; b++) for (int j = 0; j < 5; j++)
            Assert.Equal(x[a, i, b, j], y[a, j, b, i]);
        AssertGradients(new Transpose<double>(1, 2), Tensor.Randn<double>(new Random(1), 2, 3, 4));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Transpose<float>(1, 3).Forward(new Tensor<float>(2, 3, 4)));
        Assert.Contains("[2, 3, 4]", e.Message);
    }
}

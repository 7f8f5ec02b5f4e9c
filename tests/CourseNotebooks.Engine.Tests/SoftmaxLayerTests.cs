using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// Softmax(dim) and LogSoftmax(dim) as layers, and NLLLoss: values, PyTorch's negative dimensions, the double-precision
/// gradient check, the fast paths against their naive references, and LogSoftmax then NLLLoss equal to CrossEntropyLoss.
/// </summary>
public class SoftmaxLayerTests
{
    /// <summary>Shapes and dimensions: last, first, middle, negative, a dimension of size 1, and inner slices wider than a vector.</summary>
    public static TheoryData<int[], int> ShapesAndDims => new()
    {
        { [7], 0 }, { [7], -1 }, { [3, 5], 1 }, { [3, 5], 0 }, { [3, 5], -2 }, { [2, 3, 4], 1 }, { [2, 3, 4], -1 }, { [2, 3, 4], 0 },
        { [2, 1, 4], 1 }, { [2, 4, 19], 1 }, { [3, 2, 2, 5], -3 }, { [2, 3, 37], -1 },
    };

    private static Module<T> Make<T>(bool log, int dim) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => log ? new LogSoftmax<T>(dim) : new Softmax<T>(dim);

    [Theory]
    [MemberData(nameof(ShapesAndDims))]
    public void SoftmaxAndLogSoftmax_BackwardMatchesNumericalGradient_InDouble(int[] shape, int dim)
    {
        foreach (bool log in new[] { false, true })
            foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
            {
                var layer = Make<double>(log, dim);
                layer.Implementation = implementation;
                // h = 1e-5: with 37 classes the gradients are ~1/37 of the upstream, and h = 1e-6 leaves rounding noise near 1e-6.
                AssertGradients(layer, Tensor.Randn<double>(new Random(shape.Length * 10 + dim + 3), shape), seed: 2, step: 1e-5);
            }
    }

    [Theory]
    [MemberData(nameof(ShapesAndDims))]
    public void SoftmaxAndLogSoftmax_FastMatchesNaive_FloatAndDouble(int[] shape, int dim)
    {
        foreach (bool log in new[] { false, true })
        {
            AssertFastMatchesReference(() => Make<float>(log, dim), random => Tensor.Randn<float>(random, shape), seed: 5, tolerance: 1e-5, steps: 3);
            AssertFastMatchesReference(() => Make<double>(log, dim), random => Tensor.Randn<double>(random, shape), seed: 6, tolerance: 1e-12, steps: 3);
        }
    }

    [Fact]
    public void Softmax_SlicesAlongTheDimensionSumToOne_AndLogSoftmaxIsItsLog()
    {
        var x = Tensor.Randn<double>(new Random(3), 2, 3, 4);
        foreach (int dim in new[] { 0, 1, 2 })
        {
            var p = new Softmax<double>(dim).Forward(x);
            var logP = new LogSoftmax<double>(dim).Forward(x);
            int outer = x.Shape[..dim].ToArray().Aggregate(1, (a, b) => a * b), size = x.Shape[dim];
            int inner = x.Shape[(dim + 1)..].ToArray().Aggregate(1, (a, b) => a * b);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    double sum = 0;
                    for (int k = 0; k < size; k++) sum += p.Data[(o * size + k) * inner + i];
                    Assert.Equal(1, sum, 12);
                }
            AssertClose(p.Data.Select(v => Math.Log(v)).ToArray(), logP.Data, 1e-12);
            // A negative dimension counts from the end, as PyTorch.
            Assert.Equal(p.Data, new Softmax<double>(dim - 3).Forward(x).Data);
        }
        // Along the last dimension: the losses' row functions.
        AssertClose(Softmax.Of(x), new Softmax<double>(-1).Forward(x), 1e-15);
        AssertClose(Softmax.LogOf(x), new LogSoftmax<double>(-1).Forward(x), 1e-15);
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void SoftmaxAndLogSoftmax_AreStableForLogitsOfTenThousand_AndPropagateNaN(Implementation implementation)
    {
        var x = new Tensor<double>([1e4, 0, -1e4, 1e4 - 1, 2, 3], 2, 3);
        var p = new Softmax<double>(0) { Implementation = implementation }.Forward(x);
        var logP = new LogSoftmax<double>(0) { Implementation = implementation }.Forward(x);
        Assert.All(p.Data, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(1 / (1 + Math.Exp(-1)), p.Data[0], 12);
        // log softmax keeps the log-probability of -1e4 - 3 exactly where log(softmax) would be -infinity.
        Assert.Equal(-1e4 - 3, logP.Data[2], 9);
        Assert.Equal(double.NegativeInfinity, Math.Log(p.Data[2]));
        var withNaN = new Softmax<double>(-1) { Implementation = implementation }.Forward(new Tensor<double>([1, double.NaN, 2, 1, 2, 3], 2, 3));
        Assert.All(withNaN.Data.Take(3), v => Assert.True(double.IsNaN(v)));
        Assert.All(withNaN.Data.Skip(3), v => Assert.True(double.IsFinite(v)));
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void SoftmaxAndLogSoftmax_OfOneValue_AndAlongAnEmptyDimension(Implementation implementation)
    {
        // Rank 0 is one value (dim 0 or -1, as PyTorch): softmax 1, log-softmax 0, gradient 0.
        foreach (int dim in new[] { 0, -1 })
        {
            var softmax = new Softmax<double>(dim) { Implementation = implementation };
            Assert.Equal([1.0], softmax.Forward(new Tensor<double>([2.5], [])).Data);
            Assert.Equal([0.0], softmax.Backward(new Tensor<double>([3.0], [])).Data);
            var logSoftmax = new LogSoftmax<double>(dim) { Implementation = implementation };
            Assert.Equal([0.0], logSoftmax.Forward(new Tensor<double>([2.5], [])).Data);
            Assert.Equal([0.0], logSoftmax.Backward(new Tensor<double>([3.0], [])).Data);
        }
        // A dimension of size 0: an empty output of the input's shape.
        var empty = new LogSoftmax<float>(1) { Implementation = implementation };
        Assert.Equal("[2, 0, 3]", empty.Forward(new Tensor<float>(2, 0, 3)).ShapeString);
        Assert.Equal("[2, 0, 3]", empty.Backward(new Tensor<float>(2, 0, 3)).ShapeString);
    }

    [Fact]
    public void SoftmaxAndLogSoftmax_RejectADimensionThatDoesNotExist_NamingTheRank()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Softmax<float>(2).Forward(new Tensor<float>(3, 4)));
        Assert.Contains("expected one in [-2, 1] for an input of rank 2, got 2", e.Message);
        Assert.Contains("Softmax(dim=2)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogSoftmax<float>(-3).Forward(new Tensor<float>(3, 4)));
        Assert.Throws<InvalidOperationException>(() => new LogSoftmax<float>(1).Backward(new Tensor<float>(3, 4)));
        var layer = new Softmax<float>(1);
        layer.Forward(new Tensor<float>(3, 4));
        Assert.Throws<ArgumentException>(() => layer.Backward(new Tensor<float>(4, 3)));
        Assert.Equal([3, 4], new LogSoftmax<float>(-1).OutputShape([3, 4]));
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void NLLLoss_MatchesHandComputedValues_ForEveryReduction(Implementation implementation)
    {
        var logP = new Tensor<double>([-0.5, -1.5, -2.5, -3.0, -0.1, -4.0], 2, 3);
        var mean = new NLLLoss<double> { Implementation = implementation };
        Assert.Equal((0.5 + 0.1) / 2, mean.Forward(logP, [0, 1]), 15);
        AssertClose([-0.5, 0, 0, 0, -0.5, 0], mean.Backward().Data, 0);
        var sum = new NLLLoss<double>(Reduction.Sum) { Implementation = implementation };
        Assert.Equal(2.5 + 4.0, sum.Forward(logP, [2, 2]), 15);
        var none = new NLLLoss<double>(Reduction.None) { Implementation = implementation };
        none.Forward(logP, [1, 0]);
        AssertClose([1.5, 3.0], none.Losses.Data, 0);
        // An ignored position has no loss, no gradient, and is left out of the mean; all ignored gives NaN, as PyTorch.
        var ignoring = new NLLLoss<double>(ignoreIndex: 7) { Implementation = implementation };
        Assert.Equal(0.5, ignoring.Forward(logP, [0, 7]), 15);
        AssertClose([-1, 0, 0, 0, 0, 0], ignoring.Backward().Data, 0);
        Assert.True(double.IsNaN(new NLLLoss<double>().Forward(logP, [-100, -100])));
        // Unbatched (C): one position, Losses of shape [].
        var single = new NLLLoss<double>(Reduction.None);
        Assert.Equal(2.5, single.Forward(Tensor.FromArray([-0.5, -1.5, -2.5]), [2]), 15);
        Assert.Equal("[]", single.Losses.ShapeString);
    }

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void NLLLoss_Backward_MatchesNumericalGradient(Reduction reduction)
    {
        var logits = Tensor.Randn<double>(new Random(2), 5, 7);
        var pixels = Tensor.Randn<double>(new Random(3), 2, 4, 3, 2);
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            LossTests.AssertLossGradient(new NLLLoss<double>(reduction) { Implementation = implementation }, logits, [0, 6, 3, 3, 1]);
            LossTests.AssertLossGradient(new NLLLoss<double>(reduction) { Implementation = implementation }, logits, [0, -100, 3, 3, 1]);
            LossTests.AssertLossGradient(new NLLLoss<double>(reduction) { Implementation = implementation }, pixels, [0, 1, 2, 3, 3, 2, 1, 0, 0, 0, -100, 1]);
        }
    }

    [Fact]
    public void NLLLoss_FastMatchesNaive()
    {
        var random = new Random(4);
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            AssertLossMatchesReference(() => new NLLLoss<float>(reduction), Tensor.Randn<float>(random, 37, 10), Enumerable.Range(0, 37).Select(i => i * 7 % 10).ToArray());
            AssertLossMatchesReference(() => new NLLLoss<float>(reduction), Tensor.Randn<float>(random, 3, 4, 5), Enumerable.Range(0, 15).Select(i => i % 4).ToArray());
        }
    }

    /// <summary>
    /// LogSoftmax over the class dimension, then NLLLoss, is CrossEntropyLoss on the same logits: the same loss for
    /// every reduction, the same Losses, and the same gradient (NLLLoss's through LogSoftmax's backward), with ignored
    /// targets, on (N, C), (N, C, d1, d2) and unbatched (C) inputs, fast and naive.
    /// </summary>
    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void LogSoftmaxThenNLLLoss_EqualsCrossEntropyLoss(Reduction reduction)
    {
        var cases = new (Tensor<double> Logits, int[] Targets)[]
        {
            (Tensor.Randn<double>(new Random(11), 6, 5), [0, 4, 2, -100, 1, 1]),
            (Tensor.Randn<double>(new Random(12), 2, 3, 2, 4), [0, 1, 2, 2, 1, 0, 0, 0, -100, 1, 2, 1, 0, 2, 2, 1]),
            (Tensor.FromArray([0.3, -1.2, 2.5, 0.0]), [2]),
        };
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
            foreach (var (logits, targets) in cases)
            {
                int classDim = logits.Rank == 1 ? 0 : 1;
                var logSoftmax = new LogSoftmax<double>(classDim) { Implementation = implementation };
                var nll = new NLLLoss<double>(reduction) { Implementation = implementation };
                var ce = new CrossEntropyLoss<double>(reduction) { Implementation = implementation };
                double split = nll.Forward(logSoftmax.Forward(logits), targets);
                double whole = ce.Forward(logits, targets);
                Assert.Equal(whole, split, 12);
                AssertClose(ce.Losses, nll.Losses, 1e-12);
                AssertClose(ce.Backward(), logSoftmax.Backward(nll.Backward()), 1e-12);
            }
    }

    [Fact]
    public void NLLLoss_BadTargets_ThrowNamingTheShapesAndTheClassCount()
    {
        var loss = new NLLLoss<float>();
        var logP = new Tensor<float>(2, 3);
        var count = Assert.Throws<ArgumentException>(() => loss.Forward(logP, [0]));
        Assert.Contains("expected 2 class indices", count.Message);
        var range = Assert.Throws<ArgumentException>(() => loss.Forward(logP, [0, 3]));
        Assert.Contains("target at batch index 1: expected a class in [0, 2] (C = 3) or the ignore index -100, got 3", range.Message);
        var shape = Assert.Throws<ArgumentException>(() => loss.Forward(new Tensor<float>(2, 3, 4), new IndexTensor(new int[8], [4, 2])));
        Assert.Contains("target shape: expected [2, 4]", shape.Message);
        var rank = Assert.Throws<ArgumentException>(() => loss.Forward(new Tensor<float>([1f], []), [0]));
        Assert.Contains("prediction rank: expected (C), (N, C) or (N, C, d1, ..., dk) log-probabilities, got shape []", rank.Message);
        Assert.Throws<InvalidOperationException>(() => new NLLLoss<float>().Backward());
    }
}

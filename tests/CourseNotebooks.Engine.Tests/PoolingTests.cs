using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

public class PoolingTests
{
    // The slide "Backprop in pooling layer": activations, their 2x2 max-pool, upstream gradients, routed gradients.
    private static readonly double[,] SlideActivations =
    {
        { 0.1, 0.5, 1.2, -0.7 },
        { 0.8, -0.2, -0.5, 0.3 },
        { 0.4, 0.9, -0.1, -0.2 },
        { -0.6, 0.1, 0.5, 0.3 },
    };

    private static readonly double[,] SlidePooled = { { 0.8, 1.2 }, { 0.9, 0.5 } };
    private static readonly double[,] SlideUpstream = { { 1.3, 0.5 }, { 0.4, 0.1 } };

    private static readonly double[,] SlideRouted =
    {
        { 0, 0, 0.5, 0 },
        { 1.3, 0, 0, 0 },
        { 0, 0.4, 0, 0 },
        { 0, 0, 0.1, 0 },
    };

    // Pooling is (piecewise) linear, so the centred difference has no truncation error and a larger step only
    // shrinks the rounding noise (at 1e-6 it reaches ~1e-6 relative on small components). The inputs are 0.1
    // apart, so +-1e-4 never changes an argmax.
    private const double LinearStep = 1e-4;

    private static Tensor<double> Plane(double[,] values) => Tensor.FromArray(values).Reshape(1, 1, values.GetLength(0), values.GetLength(1));

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void MaxPool2d_SlideExample_PoolsAndRoutesGradientToTheMaxima(Implementation implementation)
    {
        var pool = new MaxPool2d<double>(2) { Implementation = implementation };
        var y = pool.Forward(Plane(SlideActivations));
        AssertClose(Plane(SlidePooled), y, 0);
        // 0.8 at (1,0), 1.2 at (0,2), 0.9 at (2,1), 0.5 at (3,2): flat offsets h*4 + w.
        Assert.Equal([4, 2, 9, 14], pool.LastIndices!.Data);
        Assert.Equal("[1, 1, 2, 2]", pool.LastIndices.ShapeString);
        var dX = pool.Backward(Plane(SlideUpstream));
        AssertClose(Plane(SlideRouted), dX, 0);
    }

    [Fact]
    public void MaxUnpool2d_SlideExample_ReproducesTheUnpoolingPicture()
    {
        var pool = new MaxPool2d<double>(2);
        var pooled = pool.Forward(Plane(SlideActivations));
        var unpool = new MaxUnpool2d<double>(2);
        // Unpooling the upstream gradients with the max locations is the slide's "unpooling" grid.
        AssertClose(Plane(SlideRouted), unpool.Forward(Plane(SlideUpstream), pool.LastIndices!), 0);
        // Unpooling the pooled values puts each maximum back in its place, zeros elsewhere.
        double[,] restored = { { 0, 0, 1.2, 0 }, { 0.8, 0, 0, 0 }, { 0, 0.9, 0, 0 }, { 0, 0, 0.5, 0 } };
        AssertClose(Plane(restored), unpool.Forward(pooled, pool.LastIndices!.Data), 0);
    }

    // Expected sizes worked by hand from floor((in + 2p - d(k-1) - 1 + (ceil ? s-1 : 0)) / s) + 1, then in ceil
    // mode minus one when (out-1)*s >= in + p (the last window would start in the right padding).
    [Theory]
    [InlineData(5, 2, 2, 0, 1, false, 2)]   // floor(3/2)+1
    [InlineData(5, 2, 2, 0, 1, true, 3)]    // floor(4/2)+1; last window starts at 4 < 5: kept
    [InlineData(5, 2, 2, 1, 1, true, 3)]    // floor(6/2)+1 = 4, but window 3 starts at 3*2-1 = 5 = in: dropped
    [InlineData(5, 2, 2, 1, 1, false, 3)]   // floor(5/2)+1
    [InlineData(4, 2, 3, 1, 1, true, 2)]    // floor(6/3)+1 = 3, (3-1)*3 = 6 >= 4+1: dropped
    [InlineData(7, 3, 1, 0, 2, false, 3)]   // dilation 2: effective kernel 5, floor(2/1)+1
    [InlineData(10, 3, 2, 1, 2, true, 5)]   // floor(8/2)+1 = 5, 4*2 = 8 < 11: kept
    [InlineData(10, 3, 2, 1, 2, false, 4)]  // floor(7/2)+1
    [InlineData(1, 1, 1, 0, 1, false, 1)]
    [InlineData(28, 2, 2, 0, 1, false, 14)] // the slide's 28x28 -> 14x14
    public void MaxPool2d_OutputShape_FollowsPyTorchFormulaWithCeilModeRule(int size, int kernel, int stride, int padding, int dilation, bool ceil, int expected)
    {
        var pool = new MaxPool2d<float>(kernel, stride, padding, dilation, ceil);
        Assert.Equal([2, 3, expected, expected], pool.OutputShape([2, 3, size, size]));
        var y = pool.Forward(new Tensor<float>(2, 3, size, size));
        Assert.Equal($"[2, 3, {expected}, {expected}]", y.ShapeString);
    }

    [Fact]
    public void MaxPool2d_RectangularArguments_ComputeEachAxisSeparately()
    {
        var pool = new MaxPool2d<float>((2, 3), stride: (1, 2), padding: (1, 0), dilation: (1, 2), ceilMode: false);
        // H: floor((6 + 2 - 1 - 1) / 1) + 1 = 7; W: floor((9 - 2*2 - 1) / 2) + 1 = 3.
        Assert.Equal([1, 7, 3], pool.OutputShape([1, 6, 9]));
    }

    public static TheoryData<int, int, int, int, bool, int[]> PoolConfigurations => new()
    {
        { 2, 2, 0, 1, false, new[] { 2, 3, 6, 6 } },  // the usual 2x2, batch 2
        { 3, 1, 1, 1, false, new[] { 1, 2, 5, 5 } },  // overlapping windows with padding
        { 3, 2, 1, 1, true, new[] { 2, 1, 6, 7 } },   // overlap, padding, ceil mode
        { 2, 2, 0, 1, true, new[] { 1, 2, 5, 5 } },   // ceil mode: partial last window
        { 3, 1, 1, 2, false, new[] { 2, 2, 7, 6 } },  // dilation with padding
        { 3, 2, 0, 2, true, new[] { 1, 1, 8, 9 } },   // dilation, ceil
        { 1, 1, 0, 1, false, new[] { 3, 1, 3, 2 } },  // identity pool
        { 5, 3, 2, 1, true, new[] { 1, 1, 7, 7 } },   // big window, padding = k/2
    };

    [Theory]
    [MemberData(nameof(PoolConfigurations))]
    public void MaxPool2d_Backward_MatchesNumericalGradient(int kernel, int stride, int padding, int dilation, bool ceil, int[] shape)
    {
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            var pool = new MaxPool2d<double>(kernel, stride, padding, dilation, ceil) { Implementation = implementation };
            AssertGradients(pool, DistinctValues(new Random(3), 0.1, shape), step: LinearStep);
        }
    }

    [Theory]
    [MemberData(nameof(PoolConfigurations))]
    public void AvgPool2d_Backward_MatchesNumericalGradient(int kernel, int stride, int padding, int dilation, bool ceil, int[] shape)
    {
        _ = dilation; // AvgPool2d has no dilation (neither has PyTorch's).
        foreach (var include in new[] { true, false })
            foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
            {
                var pool = new AvgPool2d<double>(kernel, stride, padding, ceil, countIncludePad: include) { Implementation = implementation };
                AssertGradients(pool, Tensor.Randn<double>(new Random(4), shape), step: LinearStep);
            }
    }

    [Fact]
    public void AvgPool2d_DivisorOverride_BackwardMatchesNumericalGradient()
    {
        var pool = new AvgPool2d<double>(3, 2, 1, ceilMode: true, divisorOverride: 5);
        AssertGradients(pool, Tensor.Randn<double>(new Random(5), 2, 2, 6, 5), step: LinearStep);
    }

    [Fact]
    public void Pooling_FastPath_MatchesNaiveOnRandomShapes()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 40; trial++)
        {
            int kh = random.Next(1, 5), kw = random.Next(1, 5);
            int sh = random.Next(1, 4), sw = random.Next(1, 4);
            int ph = random.Next(0, kh / 2 + 1), pw = random.Next(0, kw / 2 + 1);
            int dh = random.Next(1, 3), dw = random.Next(1, 3);
            bool ceil = random.Next(2) == 0;
            int h = random.Next((kh - 1) * dh + 1, 14), w = random.Next((kw - 1) * dw + 1, 14);
            int[] shape = [random.Next(1, 4), random.Next(1, 4), h, w];
            var input = Tensor.Randn<float>(random, shape);
            AssertFastMatchesReference(() => new MaxPool2d<float>((kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil), input, trial);
            var max = new MaxPool2d<float>((kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil);
            max.Implementation = Implementation.Naive;
            max.Forward(input);
            var naiveIndices = max.LastIndices!.Data;
            max.Implementation = Implementation.Fast;
            max.Forward(input);
            Assert.Equal(naiveIndices, max.LastIndices!.Data);
            AssertFastMatchesReference(() => new AvgPool2d<float>((kh, kw), (sh, sw), (ph, pw), ceil, countIncludePad: trial % 3 != 0,
                divisorOverride: trial % 5 == 0 ? 3 : null), input, trial);
        }
        // Large enough to take the parallel path over planes.
        var big = Tensor.Randn<float>(random, 4, 16, 32, 32);
        AssertFastMatchesReference(() => new MaxPool2d<float>(3, 2, 1), big, 1);
        AssertFastMatchesReference(() => new AvgPool2d<float>(3, 2, 1), big, 2);
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void MaxPool2d_Ties_FirstMaximumInWindowOrderWins(Implementation implementation)
    {
        var pool = new MaxPool2d<double>(2) { Implementation = implementation };
        pool.Forward(Tensor.Full(1.0, 1, 1, 4, 4));
        Assert.Equal([0, 2, 8, 10], pool.LastIndices!.Data);
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void MaxPool2d_NaNInWindow_PropagatesAndIsTheArgmax(Implementation implementation)
    {
        var x = Tensor.FromArray(new double[,] { { 1, 5 }, { double.NaN, 2 } }).Reshape(1, 1, 2, 2);
        var pool = new MaxPool2d<double>(2) { Implementation = implementation };
        var y = pool.Forward(x);
        Assert.True(double.IsNaN(y.Data[0]));
        Assert.Equal(2, pool.LastIndices!.Data[0]);
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void MaxPool2d_OverlappingWindows_AddGradientsAtASharedMaximum(Implementation implementation)
    {
        // The centre of a 3x3 input is the maximum of all four 2x2 windows at stride 1.
        var x = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 4, 9, 5 }, { 6, 7, 8 } }).Reshape(1, 1, 3, 3);
        var pool = new MaxPool2d<double>(2, stride: 1) { Implementation = implementation };
        pool.Forward(x);
        var dX = pool.Backward(Tensor.FromArray(new double[,] { { 1, 10 }, { 100, 1000 } }).Reshape(1, 1, 2, 2));
        Assert.Equal(1111, dX[0, 0, 1, 1]);
        Assert.Equal(1111, dX.Data.Sum());
    }

    [Fact]
    public void MaxPool2d_UnbatchedInput_KeepsRankThree()
    {
        var pool = new MaxPool2d<double>(2);
        var y = pool.Forward(Plane(SlideActivations).Reshape(1, 4, 4));
        Assert.Equal("[1, 2, 2]", y.ShapeString);
        Assert.Equal("[1, 4, 4]", pool.Backward(y).ShapeString);
    }

    [Fact]
    public void AvgPool2d_PaddingCounts_AsPyTorchCountIncludePad()
    {
        var x = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } }).Reshape(1, 1, 2, 2);
        // kernel 2, stride 2, padding 1: the first window holds padding and x[0,0] = 1 only.
        Assert.Equal(0.25, new AvgPool2d<double>(2, 2, 1).Forward(x)[0, 0, 0, 0]);
        Assert.Equal(1.0, new AvgPool2d<double>(2, 2, 1, countIncludePad: false).Forward(x)[0, 0, 0, 0]);
        Assert.Equal(0.5, new AvgPool2d<double>(2, 2, 1, divisorOverride: 2).Forward(x)[0, 0, 0, 0]);
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void AvgPool2d_CeilModeWindowPastThePaddedEdge_DividesByItsClippedSize(Implementation implementation)
    {
        // Row [1..6], kernel 3, stride 2, padding 1, ceil: 4 windows starting at -1, 1, 3, 5. The last covers
        // 5..7, but the padded input ends at 6, so PyTorch's divisor is 2 (x5 and one padding cell), not 3.
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }).Reshape(1, 1, 1, 6);
        var include = new AvgPool2d<double>((1, 3), (1, 2), (0, 1), ceilMode: true) { Implementation = implementation };
        AssertClose([3.0 / 3, 9.0 / 3, 15.0 / 3, 6.0 / 2], include.Forward(x).Data, 1e-15);
        var exclude = new AvgPool2d<double>((1, 3), (1, 2), (0, 1), ceilMode: true, countIncludePad: false) { Implementation = implementation };
        AssertClose([3.0 / 2, 9.0 / 3, 15.0 / 3, 6.0 / 1], exclude.Forward(x).Data, 1e-15);
        // Without padding, 5 wide, kernel 2, ceil: the last window holds x4 alone and divides by 1.
        var noPad = new AvgPool2d<double>((1, 2), ceilMode: true) { Implementation = implementation };
        AssertClose([1.5, 3.5, 5.0], noPad.Forward(Tensor.FromArray(new double[] { 1, 2, 3, 4, 5 }).Reshape(1, 1, 1, 5)).Data, 1e-15);
    }

    [Fact]
    public void Pooling_BadArguments_ThrowNamingExpectedAndActual()
    {
        var padding = Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPool2d<float>(2, padding: 2));
        Assert.Contains("expected padding <= (1, 1)", padding.Message);
        Assert.Contains("got (2, 2)", padding.Message);
        Assert.Contains("kernelSize must be positive, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPool2d<float>(0)).Message);
        Assert.Contains("stride must be positive, got -1", Assert.Throws<ArgumentOutOfRangeException>(() => new AvgPool2d<float>(2, -1)).Message);
        Assert.Contains("divisorOverride must not be zero", Assert.Throws<ArgumentOutOfRangeException>(() => new AvgPool2d<float>(2, divisorOverride: 0)).Message);

        var rank = Assert.Throws<ArgumentException>(() => new MaxPool2d<float>(2).Forward(new Tensor<float>(4, 4)));
        Assert.Contains("expected 4 (N, C, H, W)", rank.Message);
        Assert.Contains("got 2", rank.Message);
        Assert.Contains("[4, 4]", rank.Message);

        var small = Assert.Throws<ArgumentException>(() => new MaxPool2d<float>(3).Forward(new Tensor<float>(1, 1, 2, 5)));
        Assert.Contains("expected at least 1x1, got 0x1", small.Message);

        var pool = new MaxPool2d<float>(2);
        Assert.Throws<InvalidOperationException>(() => pool.Backward(new Tensor<float>(1, 1, 1, 1)));
        pool.Forward(new Tensor<float>(1, 1, 4, 4));
        var grad = Assert.Throws<ArgumentException>(() => pool.Backward(new Tensor<float>(1, 1, 3, 3)));
        Assert.Contains("expected [1, 1, 2, 2], got [1, 1, 3, 3]", grad.Message);
    }

    [Theory]
    [InlineData(2, 2, 0, 2, 4)]   // (2-1)*2 - 0 + 2
    [InlineData(3, 2, 1, 3, 5)]   // (3-1)*2 - 2 + 3
    [InlineData(3, 3, 0, 4, 12)]  // (4-1)*3 + 3
    [InlineData(14, 14, 0, 1, 14)]
    public void MaxUnpool2d_DefaultOutputSize_IsPyTorchFormula(int kernel, int stride, int padding, int input, int expected)
    {
        var unpool = new MaxUnpool2d<float>(kernel, stride, padding);
        Assert.Equal([1, 2, expected, expected], unpool.OutputShape([1, 2, input, input]));
        var y = unpool.Forward(new Tensor<float>(1, 2, input, input), new int[2 * input * input]);
        Assert.Equal($"[1, 2, {expected}, {expected}]", y.ShapeString);
    }

    [Fact]
    public void MaxUnpool2d_ExplicitOutputSize_AcceptsPyTorchRangeOnly()
    {
        // 5x5 pooled by 2x2 stride 2 gives 2x2; the default unpool size is 4 and 3..5 are allowed.
        var x = Tensor.Randn<double>(new Random(2), 1, 1, 5, 5);
        var pool = new MaxPool2d<double>(2);
        var y = pool.Forward(x);
        var unpool = new MaxUnpool2d<double>(2);
        var restored = unpool.Forward(y, pool.LastIndices!, (5, 5));
        Assert.Equal("[1, 1, 5, 5]", restored.ShapeString);
        for (int i = 0; i < 4; i++)
            Assert.Equal(x.Data[pool.LastIndices!.Data[i]], restored.Data[pool.LastIndices.Data[i]]);
        var tooBig = Assert.Throws<ArgumentException>(() => unpool.Forward(y, pool.LastIndices!, (6, 4)));
        Assert.Contains("expected between 3 and 5, got 6", tooBig.Message);
        var badIndex = Assert.Throws<ArgumentException>(() => unpool.Forward(y, [0, 1, 2, 16]));
        Assert.Contains("index 16", badIndex.Message);
        Assert.Contains("expected 0..15", badIndex.Message);
        var count = Assert.Throws<ArgumentException>(() => unpool.Forward(y, [0, 1, 2]));
        Assert.Contains("expected 4", count.Message);
        Assert.Contains("got 3", count.Message);
        var unpaired = Assert.Throws<InvalidOperationException>(() => unpool.Forward(y));
        Assert.Contains("Forward(input, indices)", unpaired.Message);
    }

    [Fact]
    public void MaxUnpool2d_Backward_MatchesNumericalGradient()
    {
        var pool = new MaxPool2d<double>(3, 2, 1, ceilMode: true);
        pool.Forward(DistinctValues(new Random(8), 0.1, 2, 3, 7, 6));
        // Overlapping 3x3 windows with stride 2 share maxima, so indices repeat: the numerical check holds for the
        // true derivative (WrittenValueOnly), not for PyTorch's rule, which PyTorchArgumentTests checks.
        var unpool = new MaxUnpool2d<double>(pool) { GradientRule = MaxUnpoolGradient.WrittenValueOnly };
        AssertGradients(unpool, Tensor.Randn<double>(new Random(9), pool.LastIndices!.Shape.ToArray()));
        // The paired unpool restores the pool's input size (7x6), not the default (4-1)*2 - 2 + 3 = 7 per axis.
        Assert.Equal("[2, 3, 4, 4]", pool.LastIndices.ShapeString);
        Assert.Equal("[2, 3, 7, 6]", unpool.Forward(Tensor.Randn<double>(new Random(9), 2, 3, 4, 4)).ShapeString);
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void Upsample_Nearest_RepeatsEachValueInABlock(Implementation implementation)
    {
        var x = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } }).Reshape(1, 1, 2, 2);
        var up = new Upsample<double>(2) { Implementation = implementation };
        double[,] expected = { { 1, 1, 2, 2 }, { 1, 1, 2, 2 }, { 3, 3, 4, 4 }, { 3, 3, 4, 4 } };
        AssertClose(Plane(expected), up.Forward(x), 0);
        // Backward sums each 2x2 block of the upstream gradient.
        var dX = up.Backward(Tensor.Arange<double>(1, 1, 4, 4));
        AssertClose([0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15], dX.Data, 0);
        var rect = new Upsample<double>((1, 3)) { Implementation = implementation };
        AssertClose([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4], rect.Forward(x).Data, 0);
    }

    [Fact]
    public void Upsample_BackwardMatchesNumericalGradient_AndFastMatchesNaive()
    {
        AssertGradients(new Upsample<double>((2, 3)), Tensor.Randn<double>(new Random(6), 2, 3, 3, 2));
        var random = new Random(7);
        for (int trial = 0; trial < 10; trial++)
        {
            var scale = (random.Next(1, 4), random.Next(1, 4));
            AssertFastMatchesReference(() => new Upsample<float>(scale), Tensor.Randn<float>(random, random.Next(1, 3), random.Next(1, 4), random.Next(1, 6), random.Next(1, 6)), trial);
        }
        Assert.Contains("scaleFactor must be positive and finite, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => new Upsample<float>(0)).Message);
        var rank = Assert.Throws<ArgumentException>(() => new Upsample<float>(2).Forward(new Tensor<float>(3, 3)));
        Assert.Contains("got 2", rank.Message);
    }
}

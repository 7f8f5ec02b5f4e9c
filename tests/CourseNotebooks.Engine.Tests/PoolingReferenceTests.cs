using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// The pooling layers, fast and naive, against PoolingReference: the formulas written out on their own, sharing no
/// code with the layers (no geometry helper, no stored argmax).
/// </summary>
public class PoolingReferenceTests
{
    [Fact]
    public void Reference_HandWorkedExample()
    {
        // One 3x3 plane, 2x2 windows, stride 1: maxima and means worked by hand.
        var x = Tensor.FromArray(new double[,] { { 1, 5, 2 }, { 4, 3, 9 }, { 0, 8, 6 } }).Reshape(1, 3, 3);
        var max = PoolingReference.MaxPool2dForward(x, (2, 2), (1, 1), (0, 0), (1, 1));
        Assert.Equal([5.0, 9, 8, 9], max.Data);
        var avg = PoolingReference.AvgPool2dForward(x, (2, 2), (1, 1), (0, 0));
        Assert.Equal([13 / 4.0, 19 / 4.0, 15 / 4.0, 26 / 4.0], avg.Data);
        // 9 is the maximum of two windows: its input gets both gradients (2 + 4); 5 and 8 one each.
        var dy = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } }).Reshape(1, 2, 2);
        Assert.Equal([0.0, 1, 0, 0, 0, 6, 0, 3, 0], PoolingReference.MaxPool2dBackward(x, dy, (2, 2), (1, 1), (0, 0), (1, 1)).Data);
        // The centre belongs to all four windows: (1 + 2 + 3 + 4) / 4.
        Assert.Equal(2.5, PoolingReference.AvgPool2dBackward([1, 3, 3], dy, (2, 2), (1, 1), (0, 0)).Data[4]);
    }

    [Theory]
    [InlineData(7, 7, 3, 3, 2, 2, 1, 1, 1, 1, false)]   // overlapping windows, padding
    [InlineData(8, 5, 2, 3, 1, 2, 0, 1, 2, 1, false)]   // rectangular, dilated rows
    [InlineData(9, 11, 3, 2, 2, 3, 1, 1, 1, 2, true)]   // ceil mode, dilated columns
    [InlineData(5, 5, 2, 2, 2, 2, 0, 0, 1, 1, true)]    // ceil mode with a last window hanging over the edge
    [InlineData(1, 13, 1, 3, 1, 3, 0, 1, 1, 1, false)]  // a single row
    [InlineData(12, 12, 2, 2, 2, 2, 0, 0, 1, 1, false)] // the plain 2x2 case the vector kernel takes
    public void MaxPool2d_FastAndNaive_MatchTheReference(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, bool ceil)
    {
        var random = new Random(h * 131 + w * 17 + kh);
        // Distinct values (no ties) plus two exact ties in the first plane, so the first-maximum rule is exercised.
        var x = DistinctValues(random, 0.01, 2, 3, h, w);
        x.Data[1] = x.Data[0];
        x.Data[w] = x.Data[0];
        var expected = PoolingReference.MaxPool2dForward(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil);
        var dy = DistinctValues(random, 0.1, expected.Shape.ToArray());
        var expectedGrad = PoolingReference.MaxPool2dBackward(x, dy, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil);
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            var pool = new MaxPool2d<double>((kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil) { Implementation = implementation };
            AssertClose(expected, pool.Forward(x), 0);
            AssertClose(expectedGrad, pool.Backward(dy), 1e-14);
            // float: same windows, the same argmax (the values are 0.01 apart), sums rounded in float.
            var poolF = new MaxPool2d<float>((kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil) { Implementation = implementation };
            var yF = poolF.Forward(x.To<float>());
            AssertClose(expected.To<float>(), yF, 0);
            AssertClose(expectedGrad.To<float>(), poolF.Backward(dy.To<float>()), 1e-5f);
        }
    }

    [Fact]
    public void MaxPool2d_NaNWindows_RouteTheGradientToTheLastNaN()
    {
        var x = Tensor.FromArray(new double[,] { { 1, double.NaN }, { double.NaN, 2 } }).Reshape(1, 1, 2, 2);
        var dy = Tensor.FromArray(new double[,] { { 7 } }).Reshape(1, 1, 1, 1);
        var expected = PoolingReference.MaxPool2dBackward(x, dy, (2, 2), (2, 2), (0, 0), (1, 1));
        Assert.Equal([0.0, 0, 7, 0], expected.Data);
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            var pool = new MaxPool2d<double>(2) { Implementation = implementation };
            Assert.True(double.IsNaN(pool.Forward(x).Data[0]));
            AssertClose(expected, pool.Backward(dy), 0);
        }
    }

    [Theory]
    [InlineData(7, 7, 3, 3, 2, 2, 1, 1, false, true, null)]
    [InlineData(7, 7, 3, 3, 2, 2, 1, 1, false, false, null)]
    [InlineData(9, 6, 3, 2, 2, 2, 1, 1, true, true, null)]   // ceil: a window past the padding, clipped divisor
    [InlineData(9, 6, 3, 2, 2, 2, 1, 1, true, false, null)]
    [InlineData(8, 8, 2, 2, 2, 2, 0, 0, false, true, null)]  // the plain 2x2 case the vector kernel takes
    [InlineData(5, 11, 2, 3, 1, 2, 1, 0, false, true, 5)]    // divisor override
    [InlineData(1, 1, 1, 1, 1, 1, 0, 0, false, true, null)]
    public void AvgPool2d_FastAndNaive_MatchTheReference(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
        bool ceil, bool countIncludePad, int? divisorOverride)
    {
        var random = new Random(h * 31 + w + kw);
        var x = DistinctValues(random, 0.01, 2, 3, h, w);
        var expected = PoolingReference.AvgPool2dForward(x, (kh, kw), (sh, sw), (ph, pw), ceil, countIncludePad, divisorOverride);
        var dy = DistinctValues(random, 0.1, expected.Shape.ToArray());
        var expectedGrad = PoolingReference.AvgPool2dBackward(x.Shape.ToArray(), dy, (kh, kw), (sh, sw), (ph, pw), ceil, countIncludePad, divisorOverride);
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            var pool = new AvgPool2d<double>((kh, kw), (sh, sw), (ph, pw), ceil, countIncludePad, divisorOverride) { Implementation = implementation };
            AssertClose(expected, pool.Forward(x), 1e-14);
            AssertClose(expectedGrad, pool.Backward(dy), 1e-14);
            var poolF = new AvgPool2d<float>((kh, kw), (sh, sw), (ph, pw), ceil, countIncludePad, divisorOverride) { Implementation = implementation };
            AssertClose(expected.To<float>(), poolF.Forward(x.To<float>()), 1e-5f);
            AssertClose(expectedGrad.To<float>(), poolF.Backward(dy.To<float>()), 1e-5f);
        }
    }

    [Theory]
    [InlineData(28, 2, 2, 0, 1, false)]
    [InlineData(7, 3, 2, 1, 1, true)]
    [InlineData(6, 2, 2, 0, 1, true)]
    [InlineData(10, 3, 3, 1, 2, false)]
    [InlineData(4, 3, 1, 1, 1, false)]
    public void OutputLength_AgreesWithTheLayers(int input, int kernel, int stride, int padding, int dilation, bool ceil)
    {
        var pool = new MaxPool2d<double>(kernel, stride, padding, dilation, ceil);
        int length = PoolingReference.OutputLength(input, kernel, stride, padding, dilation, ceil);
        Assert.Equal([1, 1, length, length], pool.OutputShape([1, 1, input, input]));
    }
}

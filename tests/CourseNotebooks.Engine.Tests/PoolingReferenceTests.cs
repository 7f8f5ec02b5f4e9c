using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// The pooling references (Reference/MaxPool2dReference.cs and AvgPool2dReference.cs, what the layers run with
/// Implementation.Naive) on hand-worked numbers, and the fast paths held to them on awkward shapes.
/// </summary>
public class PoolingReferenceTests
{
    [Fact]
    public void Reference_HandWorkedExample()
    {
        // One 3x3 plane, 2x2 windows, stride 1: maxima and means worked by hand.
        var x = Tensor.FromArray(new double[,] { { 1, 5, 2 }, { 4, 3, 9 }, { 0, 8, 6 } }).Reshape(1, 3, 3);
        var maxPool = new MaxPool2d<double>(2, stride: 1) { Implementation = Implementation.Naive };
        Assert.Equal([5.0, 9, 8, 9], maxPool.Forward(x).Data);
        var avgPool = new AvgPool2d<double>(2, stride: 1) { Implementation = Implementation.Naive };
        Assert.Equal([13 / 4.0, 19 / 4.0, 15 / 4.0, 26 / 4.0], avgPool.Forward(x).Data);
        // 9 is the maximum of two windows: its input gets both gradients (2 + 4); 5 and 8 one each.
        var dy = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } }).Reshape(1, 2, 2);
        Assert.Equal([0.0, 1, 0, 0, 0, 6, 0, 3, 0], maxPool.Backward(dy).Data);
        // The centre belongs to all four windows: (1 + 2 + 3 + 4) / 4.
        Assert.Equal(2.5, avgPool.Backward(dy).Data[4]);
    }

    [Theory]
    [InlineData(7, 7, 3, 3, 2, 2, 1, 1, 1, 1, false)]   // overlapping windows, padding
    [InlineData(8, 5, 2, 3, 1, 2, 0, 1, 2, 1, false)]   // rectangular, dilated rows
    [InlineData(9, 11, 3, 2, 2, 3, 1, 1, 1, 2, true)]   // ceil mode, dilated columns
    [InlineData(5, 5, 2, 2, 2, 2, 0, 0, 1, 1, true)]    // ceil mode with a last window hanging over the edge
    [InlineData(1, 13, 1, 3, 1, 3, 0, 1, 1, 1, false)]  // a single row
    [InlineData(12, 12, 2, 2, 2, 2, 0, 0, 1, 1, false)] // the plain 2x2 case the vector kernel takes
    public void MaxPool2d_Fast_MatchesTheReference(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, bool ceil)
    {
        var random = new Random(h * 131 + w * 17 + kh);
        // Distinct values (no ties) plus two exact ties in the first plane, so the first-maximum rule is exercised.
        var x = DistinctValues(random, 0.01, 2, 3, h, w);
        x.Data[1] = x.Data[0];
        x.Data[w] = x.Data[0];
        var reference = new MaxPool2d<double>((kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil) { Implementation = Implementation.Naive };
        var expected = reference.Forward(x);
        var dy = DistinctValues(random, 0.1, expected.Shape.ToArray());
        var expectedGrad = reference.Backward(dy);
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
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            var pool = new MaxPool2d<double>(2) { Implementation = implementation };
            Assert.True(double.IsNaN(pool.Forward(x).Data[0]));
            Assert.Equal([0.0, 0, 7, 0], pool.Backward(dy).Data);
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
    public void AvgPool2d_Fast_MatchesTheReference(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
        bool ceil, bool countIncludePad, int? divisorOverride)
    {
        var random = new Random(h * 31 + w + kw);
        var x = DistinctValues(random, 0.01, 2, 3, h, w);
        var reference = new AvgPool2d<double>((kh, kw), (sh, sw), (ph, pw), ceil, countIncludePad, divisorOverride) { Implementation = Implementation.Naive };
        var expected = reference.Forward(x);
        var dy = DistinctValues(random, 0.1, expected.Shape.ToArray());
        var expectedGrad = reference.Backward(dy);
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
        // PyTorch's pooling_output_shape, written out here independently of the layers.
        int span = input + 2 * padding - dilation * (kernel - 1) - 1;
        int length = (int)(ceil ? Math.Ceiling(span / (double)stride) : Math.Floor(span / (double)stride)) + 1;
        if (ceil && (length - 1) * stride >= input + padding) length--;
        Assert.Equal([1, 1, length, length], pool.OutputShape([1, 1, input, input]));
    }
}

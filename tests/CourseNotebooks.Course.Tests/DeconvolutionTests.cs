using CourseNotebooks.Course.Convolution;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Engine.Tests;

namespace CourseNotebooks.Course.Tests;

/// <summary>The "deconvolution is convolution" helpers of notebook 13-convolutional-autoencoder.</summary>
public class DeconvolutionTests
{
    [Fact]
    public void ZeroStuff_PutsStrideMinusOneZerosBetweenPixels()
    {
        var x = new Tensor<double>([1, 2, 3, 4, 5, 6], 1, 1, 2, 3);
        var y = Deconvolution.ZeroStuff(x, 2);
        Assert.Equal("[1, 1, 3, 5]", y.ShapeString);
        Assert.Equal(new double[] { 1, 0, 2, 0, 3, 0, 0, 0, 0, 0, 4, 0, 5, 0, 6 }, y.Data);
        Assert.Equal(x.Data, Deconvolution.ZeroStuff(x, 1).Data);
        Assert.Contains("stride", Assert.ThrowsAny<ArgumentException>(() => Deconvolution.ZeroStuff(x, 0)).Message);
        Assert.Contains("expected 4", Assert.Throws<ArgumentException>(() => Deconvolution.ZeroStuff(new Tensor<double>(2, 3), 2)).Message);
    }

    [Fact]
    public void Pad_AddsZerosBeforeAndAfter()
    {
        var x = new Tensor<double>([1, 2, 3, 4], 1, 1, 2, 2);
        var y = Deconvolution.Pad(x, 1, 2);
        Assert.Equal("[1, 1, 5, 5]", y.ShapeString);
        Assert.Equal(1, y[0, 0, 1, 1]);
        Assert.Equal(4, y[0, 0, 2, 2]);
        Assert.Equal(10, y.Data.Sum());
        Assert.Equal(0, y[0, 0, 4, 4]);
    }

    [Fact]
    public void Rotate180_TurnsEachKernelAndSwapsTheChannelRoles()
    {
        var k = new Tensor<double>([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3);
        Assert.Equal(new double[] { 9, 8, 7, 6, 5, 4, 3, 2, 1 }, Deconvolution.Rotate180(k).Data);
        var w = Tensor.Randn<double>(new Random(3), 2, 3, 2, 4);
        var r = Deconvolution.Rotate180(w);
        Assert.Equal("[3, 2, 2, 4]", r.ShapeString);
        for (int c = 0; c < 2; c++)
            for (int oc = 0; oc < 3; oc++)
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 4; j++)
                        Assert.Equal(w[c, oc, 1 - i, 3 - j], r[oc, c, i, j]);
    }

    [Theory]
    [InlineData(3, 1, 0, 0)]
    [InlineData(3, 1, 2, 0)]
    [InlineData(3, 2, 1, 1)]
    [InlineData(4, 2, 1, 0)]
    [InlineData(5, 3, 2, 2)]
    [InlineData(2, 2, 0, 1)]
    public void AsConvolution_EqualsConvTranspose2d_BothPaths(int kernel, int stride, int padding, int outputPadding)
    {
        var random = new Random(kernel * 100 + stride * 10 + padding);
        var layer = new ConvTranspose2d<double>(3, 2, kernel, stride, padding, outputPadding, bias: false, seed: 5);
        var x = Tensor.Randn<double>(random, 2, 3, 4, 5);
        var asConvolution = Deconvolution.AsConvolution(x, layer.Weight.Value, stride, padding, outputPadding);
        foreach (var implementation in new[] { Implementation.Naive, Implementation.Fast })
        {
            layer.Implementation = implementation;
            LayerTestKit.AssertClose(layer.Forward(x).Clone(), asConvolution, 1e-12);
        }
    }

    [Fact]
    public void ConvTranspose2d_IsTheAdjointOfConv2d_WithTheSameWeights()
    {
        var random = new Random(11);
        var convT = new ConvTranspose2d<double>(3, 4, 3, stride: 2, padding: 1, outputPadding: 1, bias: false, seed: 2);
        var conv = new Conv2d<double>(4, 3, 3, stride: 2, padding: 1, bias: false, seed: 9);
        convT.Weight.Value.Data.CopyTo(conv.Weight.Value.Data, 0);
        var x = Tensor.Randn<double>(random, 2, 4, 10, 10);
        var y = Tensor.Randn<double>(random, 2, 3, 5, 5);
        double left = conv.Forward(x).Data.Zip(y.Data).Sum(p => p.First * p.Second);
        double right = x.Data.Zip(convT.Forward(y).Data).Sum(p => p.First * p.Second);
        Assert.True(Math.Abs(left - right) <= 1e-10 * Math.Abs(left), $"{left} against {right}");
    }

    [Fact]
    public void AsConvolution_RejectsSettingsOutsideItsRange()
    {
        var x = new Tensor<double>(1, 2, 3, 3);
        var w = new Tensor<double>(2, 1, 3, 3);
        Assert.Contains("padding", Assert.Throws<ArgumentOutOfRangeException>(() => Deconvolution.AsConvolution(x, w, 2, padding: 3)).Message);
        Assert.Contains("output padding", Assert.Throws<ArgumentOutOfRangeException>(() => Deconvolution.AsConvolution(x, w, 2, outputPadding: 2)).Message);
        Assert.Contains("input channels", Assert.Throws<ArgumentException>(() => Deconvolution.AsConvolution(new Tensor<double>(1, 3, 3, 3), w, 1)).Message);
    }
}

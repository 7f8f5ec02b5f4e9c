using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.ConvTestSupport;

using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

public class Conv2dTests
{
    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void Conv2d_SlideExample_GivesTheSlideOutput(Implementation implementation)
    {
        var conv = new Conv2d<double>(1, 1, 3, bias: false) { Implementation = implementation };
        Tensor.FromArray(SlideKernel).Data.CopyTo(conv.Weight.Value.Data, 0);
        var y = conv.Forward(Tensor.FromArray(SlideInput).Reshape(1, 1, 5, 5));
        Assert.Equal(new[] { 1, 1, 3, 3 }, y.Shape.ToArray());
        Assert.Equal(Tensor.FromArray(SlideOutput).Data, y.Data);
    }

    /// <summary>
    /// Awkward configurations, written "N C OutC H W KH KW SH SW PH PW DH DW groups bias" so each shows in the test name:
    /// stride, padding, dilation, groups 2/3, depthwise (groups = C), non-square kernels and inputs, H = 1, batch > 1.
    /// </summary>
    public static TheoryData<string> Configurations => new()
    {
        "1 1 1 5 5 3 3 1 1 0 0 1 1 1 nobias",
        "2 3 4 7 6 3 3 1 1 1 1 1 1 1 bias",
        "3 2 5 9 8 3 2 2 3 1 0 1 1 1 bias",
        "2 4 6 8 7 3 3 2 1 2 1 2 1 2 bias",
        "2 3 3 6 7 3 3 1 2 1 1 1 2 3 nobias",
        "1 4 8 5 11 2 5 1 2 0 2 2 1 4 bias",
        "3 1 2 1 9 1 4 1 3 0 1 1 2 1 bias",
        "2 6 4 7 7 5 3 3 2 2 1 1 1 2 nobias",
    };

    /// <summary>Parses a configuration into the layer (seeded) and an input shape.</summary>
    internal static (Conv2d<T> Conv, int[] InputShape) Build<T>(string spec, int seed)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var parts = spec.Split(' ');
        var v = parts[..14].Select(int.Parse).ToArray();
        var conv = new Conv2d<T>(v[1], v[2], (v[5], v[6]), (v[7], v[8]), (v[9], v[10]), (v[11], v[12]), v[13], parts[14] == "bias", seed);
        return (conv, [v[0], v[1], v[3], v[4]]);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Conv2d_Backward_MatchesNumericalGradient(string spec)
    {
        var random = new Random(7);
        var (conv, shape) = Build<double>(spec, seed: 3);
        var x = Tensor.Randn<double>(random, shape);
        var result = GradientCheck.Check(conv, x, random, GradientStep);
        Assert.True(result.MaxError < 1e-6, $"max relative error {result.MaxError:E2}");
        Assert.Equal(conv.Bias is null ? 1 : 2, result.ParameterErrors.Count);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Conv2d_FastPath_MatchesItsReference(string spec)
    {
        var shape = Build<float>(spec, seed: 5).InputShape;
        AssertFastMatchesReference(() => Build<float>(spec, seed: 5).Conv, Tensor.Randn<float>(new Random(11), shape), seed: 12, tolerance: 1e-4);
    }

    [Fact]
    public void Conv2d_FastPath_MatchesItsReference_OnALargerParallelBatch()
        => AssertFastMatchesReference(() => new Conv2d<float>(5, 7, 3, stride: 2, padding: 1, seed: 1), Tensor.Randn<float>(new Random(2), 8, 5, 23, 19), seed: 3, tolerance: 1e-4);

    [Fact]
    public void Conv2d_Backward_AccumulatesIntoGradients()
    {
        var random = new Random(4);
        var conv = new Conv2d<double>(2, 3, 3, seed: 2);
        var x = Tensor.Randn<double>(random, 2, 2, 5, 5);
        var dOut = Tensor.Randn<double>(random, 2, 3, 3, 3);
        conv.Forward(x);
        conv.Backward(dOut);
        var once = conv.Weight.Grad.Clone();
        conv.Backward(dOut);
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once.Data[i], conv.Weight.Grad.Data[i], 12);
    }

    [Fact]
    public void Conv2d_WeightGradient_IsCrossCorrelationOfInputWithUpstreamGradient()
    {
        // Slide: dL/dF = Convolution(input X, loss gradient dL/dO), single channel, stride 1.
        var random = new Random(5);
        var conv = new Conv2d<double>(1, 1, 3, bias: false, seed: 1);
        var x = Tensor.Randn<double>(random, 1, 1, 6, 7);
        var dOut = Tensor.Randn<double>(random, 1, 1, 4, 5);
        conv.Forward(x);
        conv.Backward(dOut);

        var correlate = new Conv2d<double>(1, 1, (4, 5), bias: false);
        dOut.Data.CopyTo(correlate.Weight.Value.Data, 0);
        var expected = correlate.Forward(x);
        Assert.True(MaxRelativeDifference(conv.Weight.Grad, expected.Reshape(1, 1, 3, 3)) < 1e-12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Conv2d_InputGradient_IsFullConvolutionOfRotatedFilterWithUpstreamGradient(int stride)
    {
        // Slide: dL/dX = Full Convolution(180-degree rotated filter F, dL/dO). With stride s the upstream gradient is
        // first spread out with s-1 zeros between entries (the 5x5 / 3x3 / stride 2 geometry of the backprop slides).
        var random = new Random(6);
        var conv = new Conv2d<double>(1, 1, 3, stride: stride, bias: false, seed: 1);
        var x = Tensor.Randn<double>(random, 1, 1, 5, 5);
        var y = conv.Forward(x);
        int o = y.Size(2);
        var dOut = Tensor.Randn<double>(random, 1, 1, o, o);
        var dX = conv.Backward(dOut);

        int spread = (o - 1) * stride + 1;
        var dilated = new Tensor<double>(1, 1, spread, spread);
        for (int i = 0; i < o; i++)
            for (int j = 0; j < o; j++)
                dilated[0, 0, i * stride, j * stride] = dOut[0, 0, i, j];
        var full = new Conv2d<double>(1, 1, 3, padding: 2, bias: false);
        for (int kh = 0; kh < 3; kh++)
            for (int kw = 0; kw < 3; kw++)
                full.Weight.Value[0, 0, kh, kw] = conv.Weight.Value[0, 0, 2 - kh, 2 - kw];
        var expected = full.Forward(dilated);
        Assert.True(MaxRelativeDifference(dX, expected) < 1e-12);
    }

    [Fact]
    public void Conv2d_UnbatchedInput_GivesUnbatchedOutputAndGradient()
    {
        var random = new Random(8);
        var conv = new Conv2d<double>(2, 3, 3, padding: 1, seed: 4);
        var x = Tensor.Randn<double>(random, 2, 6, 5);
        var y = conv.Forward(x);
        Assert.Equal(new[] { 3, 6, 5 }, y.Shape.ToArray());
        var batched = conv.Forward(x.Reshape(1, 2, 6, 5));
        Assert.Equal(batched.Data, y.Data);
        conv.Forward(x);
        Assert.Equal(new[] { 2, 6, 5 }, conv.Backward(Tensor.Randn<double>(random, 3, 6, 5)).Shape.ToArray());
    }

    [Fact]
    public void Conv2d_Shapes_FollowPyTorch()
    {
        var conv = new Conv2d<float>(6, 4, (3, 5), stride: (2, 1), padding: (1, 2), dilation: (1, 2), groups: 2, bias: false, seed: 0);
        Assert.Equal(new[] { 4, 3, 3, 5 }, conv.Weight.Value.Shape.ToArray());
        Assert.Null(conv.Bias);
        Assert.Equal(new[] { 8, 4, 5, 12 }, conv.OutputShape([8, 6, 10, 16]));
        Assert.Equal(8L * 4 * 5 * 12 * 3 * 3 * 5, conv.MultiplyAdds([8, 6, 10, 16]));
        Assert.Equal("Conv2d(6, 4, kernel 3x5, stride (2, 1), padding (1, 2), dilation (1, 2), groups 2, no bias)", conv.Name);
        Assert.Equal(4L * 3 * 3 * 5, conv.ParameterCount());
    }

    [Fact]
    public void Conv2d_DefaultInitialisation_IsUniformWithinOneOverSqrtFanIn()
    {
        var conv = new Conv2d<double>(8, 16, 3, seed: 1);
        double bound = 1 / Math.Sqrt(8 * 9);
        Assert.All(conv.Weight.Value.Data, v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.All(conv.Bias!.Value.Data, v => Assert.InRange(Math.Abs(v), 0, bound));
        // A uniform sample fills most of its range: the largest of 1152 draws is close to the bound.
        Assert.True(conv.Weight.Value.Data.Max(Math.Abs) > 0.95 * bound);
        Assert.Equal(conv.Weight.Value.Data, new Conv2d<double>(8, 16, 3, seed: 1).Weight.Value.Data);
    }

    [Fact]
    public void Conv2d_WrongChannelCount_NamesExpectedAndActual()
    {
        var conv = new Conv2d<float>(3, 8, 5);
        var ex = Assert.Throws<ArgumentException>(() => conv.Forward(new Tensor<float>(2, 1, 28, 28)));
        Assert.Contains("input channels: expected 3, got 1", ex.Message);
        Assert.Contains("[2, 1, 28, 28]", ex.Message);
        Assert.Contains("Conv2d(3, 8, kernel 5x5)", ex.Message);
    }

    [Fact]
    public void Conv2d_WrongRank_NamesExpectedAndActual()
    {
        var conv = new Conv2d<float>(3, 8, 5);
        var ex = Assert.Throws<ArgumentException>(() => conv.Forward(new Tensor<float>(3, 28)));
        Assert.Contains("expected 4 (N, C, H, W) or 3 (C, H, W), got 2", ex.Message);
    }

    [Fact]
    public void Conv2d_InputTooSmall_NamesLayerAndSizes()
    {
        var conv = new Conv2d<float>(1, 1, 5, dilation: 2);
        var ex = Assert.Throws<ArgumentException>(() => conv.Forward(new Tensor<float>(1, 1, 8, 20)));
        Assert.Contains("Conv2d(1, 1, kernel 5x5, dilation 2)", ex.Message);
        Assert.Contains("input height 8 is too small for the kernel", ex.Message);
        Assert.Contains("effective kernel size 9", ex.Message);
    }

    [Fact]
    public void Conv2d_ZeroStride_IsRejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d<float>(1, 1, 3, stride: 0));
        Assert.Contains("stride height must be positive, got 0", ex.Message);
    }

    [Fact]
    public void Conv2d_NegativePaddingAndZeroKernel_AreRejected()
    {
        Assert.Contains("padding width must be non-negative, got -1",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d<float>(1, 1, (3, 3), padding: (0, -1))).Message);
        Assert.Contains("kernel height must be positive, got 0",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d<float>(1, 1, 0)).Message);
        Assert.Contains("dilation width must be positive, got 0",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d<float>(1, 1, (3, 3), dilation: (1, 0))).Message);
    }

    [Theory]
    [InlineData(4, 6, 3, "in_channels must be divisible by groups, got in_channels 4, groups 3")]
    [InlineData(6, 4, 3, "out_channels must be divisible by groups, got out_channels 4, groups 3")]
    public void Conv2d_GroupsNotDividingChannels_IsRejected(int c, int oc, int groups, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Conv2d<float>(c, oc, 3, groups: groups));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Conv2d_BackwardBeforeForward_Throws()
    {
        var conv = new Conv2d<float>(1, 1, 3);
        Assert.Throws<InvalidOperationException>(() => conv.Backward(new Tensor<float>(1, 1, 3, 3)));
    }

    [Fact]
    public void Conv2d_GradientOfWrongShape_NamesExpectedAndActual()
    {
        var conv = new Conv2d<float>(1, 2, 3);
        conv.Forward(new Tensor<float>(1, 1, 5, 5));
        var ex = Assert.Throws<ArgumentException>(() => conv.Backward(new Tensor<float>(1, 2, 3, 4)));
        Assert.Contains("expected [1, 2, 3, 3], got [1, 2, 3, 4]", ex.Message);
    }
}

using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.ConvTestSupport;

using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

public class ConvTranspose2dTests
{
    /// <summary>
    /// "N C OutC H W KH KW SH SW PH PW OPH OPW DH DW groups bias": strides with output padding, padding, dilation
    /// (including output padding that is allowed only because it is below the dilation), groups, depthwise, non-square.
    /// </summary>
    public static TheoryData<string> Configurations => new()
    {
        "1 1 1 2 2 3 3 2 2 0 0 0 0 1 1 1 nobias",
        "2 3 2 4 3 3 3 2 2 1 1 1 0 1 1 1 bias",
        "3 2 5 3 5 3 2 1 2 0 1 0 1 1 1 1 bias",
        "2 4 6 3 4 3 3 2 3 1 1 1 2 1 1 2 bias",
        "2 3 3 4 4 2 3 1 1 0 1 1 0 2 1 3 nobias",
        "1 4 2 2 5 4 1 3 1 2 0 2 0 1 1 2 bias",
        "2 2 4 5 1 3 2 2 1 1 0 1 0 2 2 2 bias",
    };

    internal static (ConvTranspose2d<T> Layer, int[] InputShape) Build<T>(string spec, int seed)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var parts = spec.Split(' ');
        var v = parts[..16].Select(int.Parse).ToArray();
        var layer = new ConvTranspose2d<T>(v[1], v[2], (v[5], v[6]), (v[7], v[8]), (v[9], v[10]), (v[11], v[12]), v[15],
            parts[16] == "bias", (v[13], v[14]), seed);
        return (layer, [v[0], v[1], v[3], v[4]]);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void ConvTranspose2d_Backward_MatchesNumericalGradient(string spec)
    {
        var random = new Random(17);
        var (layer, shape) = Build<double>(spec, seed: 2);
        var result = GradientCheck.Check(layer, Tensor.Randn<double>(random, shape), random, GradientStep);
        Assert.True(result.MaxError < 1e-6, $"max relative error {result.MaxError:E2}");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void ConvTranspose2d_FastPath_MatchesItsReference(string spec)
    {
        var shape = Build<float>(spec, seed: 4).InputShape;
        AssertFastMatchesReference(() => Build<float>(spec, seed: 4).Layer, Tensor.Randn<float>(new Random(19), shape), seed: 20, tolerance: 1e-4);
    }

    [Theory]
    [InlineData(Implementation.Fast, 1)]
    [InlineData(Implementation.Naive, 1)]
    [InlineData(Implementation.Fast, 2)]
    [InlineData(Implementation.Naive, 2)]
    public void ConvTranspose2d_IsTheInputGradientOfConv2d(Implementation implementation, int groups)
    {
        // "Deconvolution is convolution": with the same weight tensor, ConvTranspose2d(OutC -> C).Forward equals
        // Conv2d(C -> OutC).Backward's dL/dx, and its Backward's dL/dx equals the Conv2d's Forward without bias.
        var random = new Random(23);
        var conv = new Conv2d<double>(4, 6, (3, 2), stride: (2, 3), padding: (1, 0), dilation: (1, 2), groups: groups, bias: false, seed: 1);
        var x = Tensor.Randn<double>(random, 2, 4, 9, 11);
        var y = conv.Forward(x);
        int oh = y.Size(2), ow = y.Size(3);
        // output_padding recovers the sizes that the strided convolution rounded away.
        int opH = 9 - ConvArithmetic.TransposedOutputSize(oh, 3, 2, 1, 0, 1);
        int opW = 11 - ConvArithmetic.TransposedOutputSize(ow, 2, 3, 0, 0, 2);
        var deconv = new ConvTranspose2d<double>(6, 4, (3, 2), stride: (2, 3), padding: (1, 0), outputPadding: (opH, opW),
            groups: groups, bias: false, dilation: (1, 2)) { Implementation = implementation };
        conv.Weight.Value.Data.CopyTo(deconv.Weight.Value.Data, 0);

        var dY = Tensor.Randn<double>(random, y.Shape.ToArray());
        Assert.True(MaxRelativeDifference(deconv.Forward(dY), conv.Backward(dY)) < 1e-12);

        var g = Tensor.Randn<double>(random, 2, 4, 9, 11);
        Assert.True(MaxRelativeDifference(deconv.Backward(g), conv.Forward(g)) < 1e-12);
    }

    [Fact]
    public void ConvTranspose2d_SingleInputPixel_StampsTheKernel()
    {
        var deconv = new ConvTranspose2d<double>(1, 1, 3, stride: 2, bias: false);
        Tensor.FromArray(SlideKernel).Data.CopyTo(deconv.Weight.Value.Data, 0);
        var x = new Tensor<double>(1, 1, 2, 2);
        x[0, 0, 1, 0] = 2;
        var y = deconv.Forward(x);
        Assert.Equal(new[] { 1, 1, 5, 5 }, y.Shape.ToArray());
        for (int kh = 0; kh < 3; kh++)
            for (int kw = 0; kw < 3; kw++)
                Assert.Equal(2 * SlideKernel[kh, kw], y[0, 0, 2 + kh, kw]);
        Assert.Equal(2 * SlideKernel.Cast<double>().Sum(), y.Data.Sum(), 12);
    }

    [Fact]
    public void ConvTranspose2d_Shapes_FollowPyTorch()
    {
        var deconv = new ConvTranspose2d<float>(4, 6, (3, 5), stride: (2, 3), padding: (1, 2), outputPadding: (1, 2), groups: 2, seed: 0);
        Assert.Equal(new[] { 4, 3, 3, 5 }, deconv.Weight.Value.Shape.ToArray());
        // (H-1)*2 - 2 + 2 + 1 + 1 = 2H, (W-1)*3 - 4 + 4 + 2 + 1 = 3W.
        Assert.Equal(new[] { 2, 6, 14, 30 }, deconv.OutputShape([2, 4, 7, 10]));
        Assert.Equal("ConvTranspose2d(4, 6, kernel 3x5, stride (2, 3), padding (1, 2), output padding (1, 2), groups 2)", deconv.Name);
        Assert.Equal(2L * 4 * 7 * 10 * 3 * 3 * 5, deconv.MultiplyAdds([2, 4, 7, 10]));
        double bound = 1 / Math.Sqrt(3 * 3 * 5);
        Assert.All(deconv.Weight.Value.Data, v => Assert.InRange(Math.Abs(v), 0, bound));
    }

    [Fact]
    public void ConvTranspose2d_OutputPaddingNotBelowStrideOrDilation_IsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ConvTranspose2d<float>(1, 1, 3, stride: 2, outputPadding: 2));
        Assert.Contains("output padding height must be smaller than the stride or the dilation, got output padding 2, stride 2, dilation 1", ex.Message);
        // Below the dilation is enough, as in PyTorch.
        Assert.Equal(new[] { 1, 1, 8, 8 }, new ConvTranspose2d<float>(1, 1, 3, outputPadding: 1, dilation: 2).OutputShape([1, 1, 3, 3]));
    }

    [Fact]
    public void ConvTranspose2d_WrongChannels_NamesExpectedAndActual()
    {
        var deconv = new ConvTranspose2d<float>(8, 3, 4, stride: 2);
        var ex = Assert.Throws<ArgumentException>(() => deconv.Forward(new Tensor<float>(1, 3, 7, 7)));
        Assert.Contains("input channels: expected 8, got 3", ex.Message);
        Assert.Contains("ConvTranspose2d(8, 3, kernel 4x4, stride 2)", ex.Message);
    }

    [Fact]
    public void ConvTranspose2d_OutputBelowOne_NamesTheFormula()
    {
        var deconv = new ConvTranspose2d<float>(1, 1, 3, padding: 2);
        var ex = Assert.Throws<ArgumentException>(() => deconv.Forward(new Tensor<float>(1, 1, 1, 5)));
        Assert.Contains("input height 1 is too small", ex.Message);
        Assert.Contains("= -1, expected at least 1", ex.Message);
    }

    [Fact]
    public void ConvTranspose2d_GroupsNotDividing_NamesItsOwnChannels()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ConvTranspose2d<float>(3, 4, 3, groups: 2));
        Assert.Contains("ConvTranspose2d: in_channels must be divisible by groups, got in_channels 3, groups 2", ex.Message);
    }
}

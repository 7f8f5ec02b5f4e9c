using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.ConvTestSupport;

using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

public class Conv1dTests
{
    /// <summary>"N C OutC L K S P D groups bias".</summary>
    public static TheoryData<string> Configurations => new()
    {
        "1 1 1 5 3 1 0 1 1 nobias",
        "2 3 4 11 3 2 1 1 1 bias",
        "3 4 6 13 5 3 2 2 2 bias",
        "2 3 3 7 2 1 1 3 3 nobias",
        "1 2 4 1 1 1 0 1 2 bias",
    };

    private static (Conv1d<T> Conv, int[] InputShape) Build<T>(string spec, int seed)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var parts = spec.Split(' ');
        var v = parts[..9].Select(int.Parse).ToArray();
        return (new Conv1d<T>(v[1], v[2], v[4], v[5], v[6], v[7], v[8], parts[9] == "bias", seed), [v[0], v[1], v[3]]);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Conv1d_Backward_MatchesNumericalGradient(string spec)
    {
        var random = new Random(31);
        var (conv, shape) = Build<double>(spec, seed: 1);
        var result = GradientCheck.Check(conv, Tensor.Randn<double>(random, shape), random, GradientStep);
        Assert.True(result.MaxError < 1e-6, $"max relative error {result.MaxError:E2}");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Conv1d_FastPath_MatchesItsReference(string spec)
    {
        var shape = Build<float>(spec, seed: 2).InputShape;
        AssertFastMatchesReference(() => Build<float>(spec, seed: 2).Conv, Tensor.Randn<float>(new Random(37), shape), seed: 38, tolerance: 1e-4);
    }

    [Fact]
    public void Conv1d_EqualsConv2dWithHeightOne()
    {
        var random = new Random(41);
        var conv1 = new Conv1d<double>(4, 6, 3, stride: 2, padding: 1, dilation: 2, groups: 2, seed: 3);
        var conv2 = new Conv2d<double>(4, 6, (1, 3), stride: (1, 2), padding: (0, 1), dilation: (1, 2), groups: 2, seed: 3);
        Assert.Equal(new[] { 6, 2, 3 }, conv1.Weight.Value.Shape.ToArray());
        CopyParameters(conv1, conv2);
        var x = Tensor.Randn<double>(random, 2, 4, 10);
        var y1 = conv1.Forward(x);
        var y2 = conv2.Forward(x.Reshape(2, 4, 1, 10));
        Assert.Equal(y2.Data, y1.Data);
        Assert.Equal(new[] { 2, 6, 4 }, y1.Shape.ToArray());
    }

    [Fact]
    public void Conv1d_UnbatchedInput_GivesUnbatchedOutput()
    {
        var conv = new Conv1d<float>(2, 3, 3, padding: 1, seed: 0);
        Assert.Equal(new[] { 3, 9 }, conv.Forward(new Tensor<float>(2, 9)).Shape.ToArray());
        Assert.Equal(new[] { 2, 9 }, conv.Backward(new Tensor<float>(3, 9)).Shape.ToArray());
        Assert.Equal("Conv1d(2, 3, kernel 3, padding 1)", conv.Name);
        Assert.Equal(5L * 3 * 9 * 2 * 3, conv.MultiplyAdds([5, 2, 9]));
    }

    [Fact]
    public void Conv1d_WrongRank_NamesExpectedAndActual()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Conv1d<float>(2, 3, 3).Forward(new Tensor<float>(1, 2, 5, 5)));
        Assert.Contains("input rank: expected 3 (N, C, L) or 2 (C, L), got 4", ex.Message);
        Assert.Contains("[1, 2, 5, 5]", ex.Message);
    }

    [Fact]
    public void Conv1d_WrongChannels_NamesExpectedAndActual()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Conv1d<float>(2, 3, 3).Forward(new Tensor<float>(4, 5, 20)));
        Assert.Contains("Conv1d(2, 3, kernel 3): input channels: expected 2, got 5", ex.Message);
    }

    [Fact]
    public void Conv1d_SignalShorterThanKernel_NamesLengthAndKernel()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Conv1d<float>(1, 1, 7).Forward(new Tensor<float>(1, 1, 4)));
        Assert.Contains("input length 4 is too small for the kernel", ex.Message);
        Assert.Contains("effective kernel size 7", ex.Message);
    }

    [Fact]
    public void Conv1d_BadArguments_AreRejectedWithTheirValues()
    {
        Assert.Contains("Conv1d: stride must be positive, got 0",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Conv1d<float>(1, 1, 3, stride: 0)).Message);
        Assert.Contains("Conv1d: kernel size must be positive, got 0",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Conv1d<float>(1, 1, 0)).Message);
        Assert.Contains("Conv1d: out_channels must be divisible by groups, got out_channels 3, groups 2",
            Assert.Throws<ArgumentException>(() => new Conv1d<float>(2, 3, 3, groups: 2)).Message);
    }
}

using CourseNotebooks.Engine.Layers;

namespace CourseNotebooks.Engine.Tests;

public class ConvArithmeticTests
{
    [Theory]
    // (in, k, s, p, d, out): the guide's examples and PyTorch's formula.
    [InlineData(4, 3, 1, 0, 1, 2)]   // no padding, unit stride: 4 - 3 + 1
    [InlineData(5, 4, 1, 2, 1, 6)]   // arbitrary padding: 5 + 4 - 4 + 1
    [InlineData(5, 3, 1, 1, 1, 5)]   // half padding keeps the size
    [InlineData(5, 3, 1, 2, 1, 7)]   // full padding grows by k - 1
    [InlineData(5, 3, 2, 0, 1, 2)]   // the backprop slides: 5x5, 3x3, stride 2
    [InlineData(5, 3, 2, 1, 1, 3)]
    [InlineData(6, 3, 2, 1, 1, 3)]   // floor: 6 and 5 give the same output
    [InlineData(7, 3, 1, 0, 2, 3)]   // dilation 2: effective kernel 5
    [InlineData(227, 11, 4, 0, 1, 55)] // AlexNet's first layer
    [InlineData(3, 3, 1, 0, 1, 1)]
    public void OutputSize_FollowsThePyTorchFormula(int input, int kernel, int stride, int padding, int dilation, int expected)
        => Assert.Equal(expected, ConvArithmetic.OutputSize(input, kernel, stride, padding, dilation));

    [Theory]
    [InlineData(ConvPadding.None, 3, 1, 0)]
    [InlineData(ConvPadding.Half, 3, 1, 1)]
    [InlineData(ConvPadding.Half, 5, 1, 2)]
    [InlineData(ConvPadding.Half, 3, 2, 2)]
    [InlineData(ConvPadding.Full, 3, 1, 2)]
    [InlineData(ConvPadding.Full, 4, 2, 6)]
    public void Padding_OfEachRegime_IsAsInTheGuide(ConvPadding mode, int kernel, int dilation, int expected)
        => Assert.Equal(expected, ConvArithmetic.Padding(mode, kernel, dilation));

    [Theory]
    [InlineData(7, 3, 1)]
    [InlineData(10, 5, 2)]
    public void OutputSize_WithPaddingRegimes_GivesValidSameAndFullSizes(int input, int kernel, int dilation)
    {
        int span = dilation * (kernel - 1);
        Assert.Equal(input - span, ConvArithmetic.OutputSize(input, kernel, ConvPadding.None, dilation));
        Assert.Equal(input, ConvArithmetic.OutputSize(input, kernel, ConvPadding.Half, dilation));
        Assert.Equal(input + span, ConvArithmetic.OutputSize(input, kernel, ConvPadding.Full, dilation));
    }

    [Fact]
    public void Padding_HalfWithEvenKernel_IsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => ConvArithmetic.Padding(ConvPadding.Half, 4));
        Assert.Contains("odd effective kernel size", ex.Message);
        Assert.Contains("got 4", ex.Message);
    }

    [Theory]
    // (in, k, s, p, output_padding, d, out)
    [InlineData(2, 3, 1, 0, 0, 1, 4)]   // the guide: transposed of 4 -> 2 is 2 -> 4
    [InlineData(2, 3, 2, 0, 0, 1, 5)]   // of the slides' 5 -> 2 at stride 2
    [InlineData(3, 3, 2, 1, 1, 1, 6)]   // output_padding picks 6 over 5
    [InlineData(4, 4, 2, 1, 0, 1, 8)]   // the usual "double the size" layer
    [InlineData(3, 3, 1, 0, 1, 2, 8)]   // output_padding below the dilation
    public void TransposedOutputSize_FollowsThePyTorchFormula(int input, int kernel, int stride, int padding, int outputPadding, int dilation, int expected)
        => Assert.Equal(expected, ConvArithmetic.TransposedOutputSize(input, kernel, stride, padding, outputPadding, dilation));

    [Theory]
    [InlineData(5, 3, 2, 0, 1)]
    [InlineData(6, 3, 2, 1, 1)]
    [InlineData(9, 4, 3, 2, 2)]
    public void TransposedOutputSize_InvertsOutputSize(int input, int kernel, int stride, int padding, int dilation)
    {
        int output = ConvArithmetic.OutputSize(input, kernel, stride, padding, dilation);
        int back = ConvArithmetic.TransposedOutputSize(output, kernel, stride, padding, 0, dilation);
        int outputPadding = input - back;
        Assert.InRange(outputPadding, 0, stride - 1);
        Assert.Equal(input, ConvArithmetic.TransposedOutputSize(output, kernel, stride, padding, outputPadding, dilation));
    }

    [Fact]
    public void OutputSize_InputSmallerThanKernel_SaysTooSmallForTheKernel()
    {
        var ex = Assert.Throws<ArgumentException>(() => ConvArithmetic.OutputSize(2, 3));
        Assert.Contains("input size 2 is too small for the kernel", ex.Message);
        Assert.Contains("padded size 2", ex.Message);
        Assert.Contains("effective kernel size 3", ex.Message);
        Assert.Equal(1, ConvArithmetic.OutputSize(2, 3, padding: 1, stride: 5));
    }

    [Fact]
    public void TransposedOutputSize_BelowOne_IsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => ConvArithmetic.TransposedOutputSize(1, 1, 1, 1));
        Assert.Contains("= -1, expected at least 1", ex.Message);
    }

    [Fact]
    public void TransposedOutputSize_OutputPaddingTooLarge_IsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => ConvArithmetic.TransposedOutputSize(3, 3, 2, 0, 2, 2));
        Assert.Contains("must be smaller than the stride or the dilation, got output padding 2, stride 2, dilation 2", ex.Message);
    }

    [Theory]
    [InlineData(0, 1, 0, 1, "stride must be positive, got 0")]
    [InlineData(1, 0, 0, 1, "kernel size must be positive, got 0")]
    [InlineData(1, 1, -1, 1, "padding must be non-negative, got -1")]
    [InlineData(1, 1, 0, 0, "dilation must be positive, got 0")]
    public void OutputSize_BadArguments_AreRejected(int stride, int kernel, int padding, int dilation, string expected)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ConvArithmetic.OutputSize(5, kernel, stride, padding, dilation));
        Assert.Contains(expected, ex.Message);
    }
}

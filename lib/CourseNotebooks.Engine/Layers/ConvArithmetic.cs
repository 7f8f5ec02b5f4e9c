using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// The three padding regimes of the convolution-arithmetic guide (Dumoulin and Visin, "A guide to convolution
/// arithmetic for deep learning", 2016), for a kernel of size k and dilation d (effective size d(k-1)+1).
/// Introduced in notebook 01-convolution.
/// </summary>
public enum ConvPadding
{
    /// <summary>No padding ("valid"): p = 0, so o = i - d(k-1) at stride 1.</summary>
    None,

    /// <summary>Half ("same"): p = d(k-1)/2, needs an odd effective kernel; o = i at stride 1.</summary>
    Half,

    /// <summary>Full: p = d(k-1), every partial overlap counts; o = i + d(k-1) at stride 1.</summary>
    Full,
}

/// <summary>
/// Output-size formulas of convolution and transposed convolution along one spatial dimension, exactly as the
/// PyTorch documentation states them, with errors that say why a size does not work. Introduced in notebook
/// 01-convolution (the transposed formula in notebook 13-convolutional-autoencoder).
/// </summary>
/// <remarks>
/// Convolution (PyTorch: torch.nn.Conv2d, "Shape"):
/// <c>out = floor((in + 2p - d(k-1) - 1) / s) + 1</c>.
/// Transposed convolution (PyTorch: torch.nn.ConvTranspose2d, "Shape"):
/// <c>out = (in - 1) s - 2p + d(k-1) + output_padding + 1</c>.
/// </remarks>
public static class ConvArithmetic
{
    /// <summary>
    /// Convolution output size <c>floor((in + 2p - d(k-1) - 1) / s) + 1</c>.
    /// </summary>
    /// <param name="inputSize">in: input extent (height, width or length), at least 0.</param>
    /// <param name="kernelSize">k, positive.</param>
    /// <param name="stride">s, positive.</param>
    /// <param name="padding">p zeros on each side, non-negative.</param>
    /// <param name="dilation">d, positive: the kernel taps are d apart, so it spans d(k-1)+1 positions.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    /// <exception cref="ArgumentException">The padded input is smaller than the effective kernel (output &lt; 1).</exception>
    public static int OutputSize(int inputSize, int kernelSize, int stride = 1, int padding = 0, int dilation = 1)
    {
        const string who = "ConvArithmetic.OutputSize";
        ShapeCheck.NonNegative(who, "input size", inputSize);
        ShapeCheck.Positive(who, "kernel size", kernelSize);
        ShapeCheck.Positive(who, "stride", stride);
        ShapeCheck.NonNegative(who, "padding", padding);
        ShapeCheck.Positive(who, "dilation", dilation);
        return OutputSize(who, "input size", inputSize, kernelSize, stride, padding, dilation);
    }

    /// <summary>Convolution output size at stride 1 with the padding of <paramref name="mode"/>.</summary>
    /// <exception cref="ArgumentException">Half padding with an even effective kernel, or the input is too small.</exception>
    public static int OutputSize(int inputSize, int kernelSize, ConvPadding mode, int dilation = 1)
        => OutputSize(inputSize, kernelSize, 1, Padding(mode, kernelSize, dilation), dilation);

    /// <summary>
    /// Transposed-convolution output size <c>(in - 1) s - 2p + d(k-1) + output_padding + 1</c>: the input size of
    /// the convolution whose gradient it is (output_padding picks one of the s sizes that all map to <c>in</c>).
    /// </summary>
    /// <param name="inputSize">in, at least 1.</param>
    /// <param name="kernelSize">k, positive.</param>
    /// <param name="stride">s, positive.</param>
    /// <param name="padding">p, non-negative: removes p rows/columns from each side of the full output.</param>
    /// <param name="outputPadding">Added to one side only; PyTorch requires it smaller than the stride or the dilation.</param>
    /// <param name="dilation">d, positive.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    /// <exception cref="ArgumentException">output_padding is not smaller than stride or dilation, or the output would be &lt; 1.</exception>
    public static int TransposedOutputSize(int inputSize, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0, int dilation = 1)
    {
        const string who = "ConvArithmetic.TransposedOutputSize";
        ShapeCheck.Positive(who, "input size", inputSize);
        ShapeCheck.Positive(who, "kernel size", kernelSize);
        ShapeCheck.Positive(who, "stride", stride);
        ShapeCheck.NonNegative(who, "padding", padding);
        ShapeCheck.NonNegative(who, "output padding", outputPadding);
        ShapeCheck.Positive(who, "dilation", dilation);
        CheckOutputPadding(who, "", outputPadding, stride, dilation);
        return TransposedOutputSize(who, "input size", inputSize, kernelSize, stride, padding, outputPadding, dilation);
    }

    /// <summary>
    /// The padding p of a regime for kernel size k and dilation d: None 0, Half d(k-1)/2, Full d(k-1).
    /// </summary>
    /// <exception cref="ArgumentException">Half padding with an even effective kernel d(k-1)+1 (no symmetric p keeps the size).</exception>
    public static int Padding(ConvPadding mode, int kernelSize, int dilation = 1)
    {
        const string who = "ConvArithmetic.Padding";
        ShapeCheck.Positive(who, "kernel size", kernelSize);
        ShapeCheck.Positive(who, "dilation", dilation);
        int span = dilation * (kernelSize - 1);
        return mode switch
        {
            ConvPadding.None => 0,
            ConvPadding.Half when span % 2 == 0 => span / 2,
            ConvPadding.Half => throw new ArgumentException(
                $"{who}: half (same) padding needs an odd effective kernel size d(k-1)+1, got {span + 1} (kernel {kernelSize}, dilation {dilation})."),
            ConvPadding.Full => span,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, $"{who}: unknown padding mode {mode}."),
        };
    }

    /// <summary>The checked formula with a message naming the layer and the dimension (arguments already validated).</summary>
    internal static int OutputSize(string layer, string dimension, int inputSize, int kernelSize, int stride, int padding, int dilation)
    {
        long padded = (long)inputSize + 2L * padding;
        long effective = (long)dilation * (kernelSize - 1) + 1;
        if (padded < effective)
            throw new ArgumentException(
                $"{layer}: {dimension} {inputSize} is too small for the kernel: padded size {padded} (padding {padding} each side) " +
                $"is less than the effective kernel size {effective} (kernel {kernelSize}, dilation {dilation}), so the output would be empty.");
        return (int)((padded - effective) / stride + 1);
    }

    /// <summary>The checked transposed formula with a message naming the layer and the dimension.</summary>
    internal static int TransposedOutputSize(string layer, string dimension, int inputSize, int kernelSize, int stride, int padding, int outputPadding, int dilation)
    {
        long size = (long)(inputSize - 1) * stride - 2L * padding + (long)dilation * (kernelSize - 1) + outputPadding + 1;
        if (size < 1)
            throw new ArgumentException(
                $"{layer}: {dimension} {inputSize} is too small for the kernel and padding: (in-1)*s - 2p + d(k-1) + output_padding + 1 = " +
                $"({inputSize}-1)*{stride} - 2*{padding} + {dilation}*({kernelSize}-1) + {outputPadding} + 1 = {size}, expected at least 1.");
        return (int)size;
    }

    /// <summary>PyTorch's rule: output_padding must be smaller than the stride or the dilation of its dimension.</summary>
    internal static void CheckOutputPadding(string layer, string dimension, int outputPadding, int stride, int dilation)
    {
        if (outputPadding >= stride && outputPadding >= dilation)
            throw new ArgumentException(
                $"{layer}: output padding{dimension} must be smaller than the stride or the dilation, got output padding {outputPadding}, stride {stride}, dilation {dilation}.");
    }
}

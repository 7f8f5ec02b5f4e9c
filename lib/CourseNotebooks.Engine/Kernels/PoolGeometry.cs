using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// The window arithmetic shared by the 2-D pooling layers, written once so MaxPool2d, AvgPool2d and the
/// output-size tests agree. PyTorch: aten/src/ATen/native/Pool.h (pooling_output_shape, pool2d_shape_check).
/// </summary>
internal static class PoolGeometry
{
    /// <summary>
    /// Output length along one axis:
    /// floor((in + 2p - d(k-1) - 1 + (ceil ? s-1 : 0)) / s) + 1, and in ceil mode one less when the last
    /// window would start at or after in + p, i.e. entirely inside the right padding (PyTorch drops it).
    /// </summary>
    public static int OutputSize(int input, int kernel, int stride, int padding, int dilation, bool ceilMode)
    {
        int numerator = input + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
        // Floor division: the numerator is negative when the kernel does not fit, and C# '/' rounds to zero.
        int output = (int)Math.Floor(numerator / (double)stride) + 1;
        if (ceilMode && (output - 1) * stride >= input + padding) output--;
        return output;
    }

    /// <summary>
    /// Validates the hyper-parameters as PyTorch does (all positive, padding at most half the kernel) and
    /// returns the (OH, OW) for an input plane of size H x W, failing when either is below 1.
    /// </summary>
    public static (int OH, int OW) Check(string layer, ReadOnlySpan<int> inputShape,
        (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, bool ceilMode)
    {
        if (inputShape.Length is not (3 or 4))
            throw new ArgumentException(
                $"{layer}: input rank: expected 4 (N, C, H, W) or 3 (C, H, W), got {inputShape.Length} (input shape {Tensor<float>.ShapeText(inputShape)}).");
        int h = inputShape[^2], w = inputShape[^1];
        int oh = OutputSize(h, kernel.H, stride.H, padding.H, dilation.H, ceilMode);
        int ow = OutputSize(w, kernel.W, stride.W, padding.W, dilation.W, ceilMode);
        if (oh < 1 || ow < 1)
            throw new ArgumentException(
                $"{layer}: output size: expected at least 1x1, got {oh}x{ow} for an input plane of {h}x{w} (input shape {Tensor<float>.ShapeText(inputShape)}); the window does not fit.");
        return (oh, ow);
    }

    /// <summary>The constructor checks PyTorch makes: sizes positive, padding non-negative and at most kernel/2.</summary>
    public static void CheckArguments(string layer, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation)
    {
        ShapeCheck.Positive(layer, "kernelSize", Math.Min(kernel.H, kernel.W));
        ShapeCheck.Positive(layer, "stride", Math.Min(stride.H, stride.W));
        ShapeCheck.Positive(layer, "dilation", Math.Min(dilation.H, dilation.W));
        ShapeCheck.NonNegative(layer, "padding", Math.Min(padding.H, padding.W));
        // Larger padding would allow windows that see only padding (their max would be -inf).
        if (padding.H > kernel.H / 2 || padding.W > kernel.W / 2)
            throw new ArgumentOutOfRangeException(nameof(padding),
                $"{layer}: padding must be at most half the kernel size: expected padding <= ({kernel.H / 2}, {kernel.W / 2}) for kernel ({kernel.H}, {kernel.W}), got ({padding.H}, {padding.W}).");
    }

    /// <summary>Number of independent H x W planes (N*C, or C for an unbatched input).</summary>
    public static int Planes(ReadOnlySpan<int> shape)
    {
        int planes = 1;
        for (int d = 0; d < shape.Length - 2; d++) planes *= shape[d];
        return planes;
    }

    /// <summary>The input shape with its last two dimensions replaced.</summary>
    public static int[] WithPlane(ReadOnlySpan<int> shape, int h, int w)
    {
        var result = shape.ToArray();
        result[^2] = h;
        result[^1] = w;
        return result;
    }
}

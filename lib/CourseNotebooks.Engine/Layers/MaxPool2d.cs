using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// 2-D max pooling: each output is the largest input in its KH x KW window, so the layer keeps whether a
/// feature is present and forgets exactly where. Introduced in notebook 02-pooling; its backward in
/// 04-backprop-pooling. PyTorch: torch.nn.MaxPool2d.
/// </summary>
/// <remarks>
/// Input (N, C, H, W) or (C, H, W); output (N, C, OH, OW) with
/// OH = floor((H + 2*padding - dilation*(KH - 1) - 1 + (ceilMode ? stride - 1 : 0)) / stride) + 1 (OW alike),
/// and in ceil mode a last window that would start inside the right padding is dropped.
/// Padding counts as -infinity (it never wins). Ties: the first maximum in row-major window order wins, as in
/// PyTorch's CPU kernel. A NaN in a window wins (the output is NaN), as in PyTorch. A dilated window whose
/// taps all fall in the padding (possible only for tiny inputs) gives -infinity, index -1 and no gradient.
/// Backward sends each output gradient to its argmax and adds where overlapping windows chose the same input.
/// The naive path (<see cref="Implementation.Naive"/>) runs Reference/MaxPool2dReference.cs; the fast path
/// (Kernels/PoolCore.cs, the same methods and parameters: a vector kernel for the plain 2x2 window, tap ranges
/// otherwise, planes in parallel) is tested against it.
/// </remarks>
public sealed class MaxPool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private sealed record Cache(int[] InputShape, IndexTensor Indices);

    private Cache? _cache;

    private readonly StepBuffers<T> _buffers = new();

    private readonly PoolCore<T> _fast = new();

    private Tensor<T>? _lastOutput;

    /// <summary>A square pool: kernel k x k, stride (default = kernelSize), padding, dilation.</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode) { }

    /// <summary>A rectangular pool: (KH, KW), stride (SH, SW) (default = kernel), padding (PH, PW), dilation (DH, DW).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or padding exceeds half the kernel.</exception>
    public MaxPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default,
        (int H, int W)? dilation = null, bool ceilMode = false)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        Dilation = dilation ?? (1, 1);
        CeilMode = ceilMode;
        PoolWindow.CheckArguments(Name, KernelSize, Stride, Padding, Dilation);
        Window = new PoolWindow(KernelSize, Stride, Padding, Dilation);
    }

    /// <summary>(KH, KW).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Step between windows (SH, SW).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Implicit -infinity border (PH, PW).</summary>
    public (int H, int W) Padding { get; }

    /// <summary>Spacing between the window's taps (DH, DW); 1 is a dense window.</summary>
    public (int H, int W) Dilation { get; }

    /// <summary>Round the output size up instead of down (PyTorch's ceil_mode).</summary>
    public bool CeilMode { get; }

    /// <summary>
    /// The argmax of every output of the last Forward: shape of the output, each value the flat offset
    /// h * W + w within its input plane. PyTorch keeps them only with return_indices=True; here they are always
    /// kept because Backward needs them. Null before the first Forward; refilled by the next Forward after a Backward
    /// when <see cref="Module{T}.ReuseBuffers"/> is on, as the output is.
    /// </summary>
    public IndexTensor? LastIndices => _cache?.Indices;

    /// <summary>The input shape of the last Forward (MaxUnpool2d uses its H, W as the default output size).</summary>
    public int[]? LastInputShape => _cache?.InputShape;

    /// <inheritdoc />
    protected override string Describe() => $"MaxPool2d(kernel {KernelSize.H}x{KernelSize.W}, stride {Stride.H}x{Stride.W})";

    private PoolWindow Window { get; }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var (oh, ow) = Window.Check(Name, inputShape, CeilMode);
        return PoolWindow.WithPlane(inputShape, oh, ow);
    }

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (oh, ow) = Window.Check(Name, input.Shape, CeilMode);
        // The output shape on the stack: a warmed-up training step allocates nothing here.
        Span<int> outShape = stackalloc int[input.Rank];
        input.Shape.CopyTo(outShape);
        (outShape[^2], outShape[^1]) = (oh, ow);
        bool fast = Implementation == Implementation.Fast;
        var output = fast ? _buffers.Output(outShape, ReuseBuffers) : new Tensor<T>(outShape.ToArray());
        // The indices go with the output: reused exactly when the output tensor is.
        bool reused = fast && ReferenceEquals(output, _lastOutput) && _cache is not null;
        var indices = reused ? _cache!.Indices : new IndexTensor(new int[output.Length], outShape.ToArray());
        _lastOutput = fast ? output : null;
        int planes = PoolWindow.Planes(input.Shape), h = input.Shape[^2], w = input.Shape[^1];
        if (fast) _fast.MaxForward(Window, planes, h, w, oh, ow, input.Data, output.Data, indices.Data);
        else MaxPool2dReference.Forward(Window, planes, h, w, oh, ow, input.Data, output.Data, indices.Data);
        if (!reused || !_cache!.InputShape.AsSpan().SequenceEqual(input.Shape))
            _cache = new Cache(input.Shape.ToArray(), indices);
        return output;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var cache = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", cache.Indices.Shape, outputGradient.Shape);
        bool fast = Implementation == Implementation.Fast;
        var dX = fast ? _buffers.InputGradient(cache.InputShape, ReuseBuffers) : new Tensor<T>(cache.InputShape);
        int planes = PoolWindow.Planes(cache.InputShape), h = cache.InputShape[^2], w = cache.InputShape[^1];
        int oh = outputGradient.Shape[^2], ow = outputGradient.Shape[^1];
        if (fast) _fast.MaxBackward(Window, planes, h, w, oh, ow, outputGradient.Data, cache.Indices.Data, dX.Data);
        else MaxPool2dReference.Backward(Window, planes, h, w, oh, ow, outputGradient.Data, cache.Indices.Data, dX.Data);
        return dX;
    }
}

/// <summary>
/// The window of a pooling layer (kernel, stride, padding and dilation per dimension) and the window arithmetic the
/// pooling layers share, written once so MaxPool2d, AvgPool2d, MaxPool1d (1 x K windows on 1 x L planes), MaxUnpool2d
/// and the output-size tests agree. PyTorch: aten/src/ATen/native/Pool.h (pooling_output_shape, pool2d_shape_check).
/// </summary>
internal readonly record struct PoolWindow(int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW)
{
    /// <summary>The window from (height, width) pairs.</summary>
    public PoolWindow((int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation)
        : this(kernel.H, kernel.W, stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W) { }

    /// <summary>2x2 windows, stride 2, no padding, no dilation: the lecture's pooling, with a kernel of its own.</summary>
    public bool IsPlain2x2 => KH == 2 && KW == 2 && SH == 2 && SW == 2 && PH == 0 && PW == 0 && DH == 1 && DW == 1;

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
    /// The (OH, OW) for an input (N, C, H, W) or (C, H, W), failing when the rank is wrong or either size is below 1.
    /// </summary>
    public (int OH, int OW) Check(string layer, ReadOnlySpan<int> inputShape, bool ceilMode)
    {
        if (inputShape.Length is not (3 or 4))
            throw new ArgumentException(
                $"{layer}: input rank: expected 4 (N, C, H, W) or 3 (C, H, W), got {inputShape.Length} (input shape {Tensor<float>.ShapeText(inputShape)}).");
        int h = inputShape[^2], w = inputShape[^1];
        int oh = OutputSize(h, KH, SH, PH, DH, ceilMode);
        int ow = OutputSize(w, KW, SW, PW, DW, ceilMode);
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

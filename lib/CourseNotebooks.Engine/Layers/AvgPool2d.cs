using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// 2-D average pooling: each output is the mean of its KH x KW window. Introduced in notebook 02-pooling.
/// PyTorch: torch.nn.AvgPool2d.
/// </summary>
/// <remarks>
/// Input (N, C, H, W) or (C, H, W); output (N, C, OH, OW) with
/// OH = floor((H + 2*padding - KH + (ceilMode ? stride - 1 : 0)) / stride) + 1 (OW alike), and in ceil mode a
/// last window that would start inside the right padding is dropped.
/// The divisor, as in PyTorch: <see cref="DivisorOverride"/> when set; otherwise with
/// <see cref="CountIncludePad"/> the window's size after clipping it to the PADDED input (so a ceil-mode window
/// that runs past the padding counts only the part inside input + padding); without it, the number of real
/// input elements in the window. Padding contributes zeros to the sum.
/// Backward spreads each output gradient evenly (divided by the same divisor) over the window's inputs.
/// The naive path (<see cref="Implementation.Naive"/>) runs Reference/AvgPool2dReference.cs; the fast path
/// (Kernels/PoolCore.cs, the same methods and parameters) is tested against it.
/// </remarks>
public sealed class AvgPool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private sealed record Cache(int[] InputShape, int OH, int OW);

    private Cache? _cache;

    private readonly StepBuffers<T> _buffers = new();

    private readonly PoolCore<T> _fast = new();

    /// <summary>A square pool: kernel k x k, stride (default = kernelSize), zero padding.</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), ceilMode, countIncludePad, divisorOverride) { }

    /// <summary>A rectangular pool: (KH, KW), stride (SH, SW) (default = kernel), padding (PH, PW).</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A size is not positive, padding exceeds half the kernel, or <paramref name="divisorOverride"/> is 0.
    /// </exception>
    public AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default,
        bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
        DivisorOverride = divisorOverride;
        PoolWindow.CheckArguments(Name, KernelSize, Stride, Padding, (1, 1));
        Window = new PoolWindow(KernelSize, Stride, Padding, (1, 1));
        if (divisorOverride == 0)
            throw new ArgumentOutOfRangeException(nameof(divisorOverride), 0, $"{Name}: divisorOverride must not be zero, got 0.");
    }

    /// <summary>(KH, KW).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Step between windows (SH, SW).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Implicit zero border (PH, PW).</summary>
    public (int H, int W) Padding { get; }

    /// <summary>Round the output size up instead of down (PyTorch's ceil_mode).</summary>
    public bool CeilMode { get; }

    /// <summary>Whether padded zeros count in the divisor (PyTorch's count_include_pad, default true).</summary>
    public bool CountIncludePad { get; }

    /// <summary>A fixed divisor for every window instead of the window size (PyTorch's divisor_override).</summary>
    public int? DivisorOverride { get; }

    private PoolWindow Window { get; }

    /// <inheritdoc />
    protected override string Describe() => $"AvgPool2d(kernel {KernelSize.H}x{KernelSize.W}, stride {Stride.H}x{Stride.W})";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var (oh, ow) = Window.Check(Name, inputShape, CeilMode);
        return PoolWindow.WithPlane(inputShape, oh, ow);
    }

    /// <inheritdoc />
    public override long MultiplyAdds(ReadOnlySpan<int> inputShape)
    {
        var shape = OutputShape(inputShape);
        return (long)PoolWindow.Planes(shape) * shape[^2] * shape[^1] * KernelSize.H * KernelSize.W;
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
        int planes = PoolWindow.Planes(input.Shape), h = input.Shape[^2], w = input.Shape[^1];
        if (fast) _fast.AvgForward(Window, CountIncludePad, DivisorOverride, planes, h, w, oh, ow, input.Data, output.Data);
        else AvgPool2dReference.Forward(Window, CountIncludePad, DivisorOverride, planes, h, w, oh, ow, input.Data, output.Data);
        if (_cache is null || _cache.OH != oh || _cache.OW != ow || !_cache.InputShape.AsSpan().SequenceEqual(input.Shape))
            _cache = new Cache(input.Shape.ToArray(), oh, ow);
        return output;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var cache = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        int h = cache.InputShape[^2], w = cache.InputShape[^1], oh = cache.OH, ow = cache.OW;
        Span<int> expected = stackalloc int[cache.InputShape.Length];
        cache.InputShape.CopyTo(expected);
        (expected[^2], expected[^1]) = (oh, ow);
        ShapeCheck.SameShape(Name, "output gradient", expected, outputGradient.Shape);
        bool fast = Implementation == Implementation.Fast;
        var dX = fast ? _buffers.InputGradient(cache.InputShape, ReuseBuffers) : new Tensor<T>(cache.InputShape);
        int planes = PoolWindow.Planes(cache.InputShape);
        if (fast) _fast.AvgBackward(Window, CountIncludePad, DivisorOverride, planes, h, w, oh, ow, outputGradient.Data, dX.Data);
        else AvgPool2dReference.Backward(Window, CountIncludePad, DivisorOverride, planes, h, w, oh, ow, outputGradient.Data, dX.Data);
        return dX;
    }
}

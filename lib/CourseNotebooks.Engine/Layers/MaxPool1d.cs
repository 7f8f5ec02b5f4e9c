using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// 1-D max pooling over NCL signals: each output is the largest input in its window of K taps along the length.
/// Introduced in notebook 09-cnn-for-text (pooling along a sentence). PyTorch: torch.nn.MaxPool1d.
/// </summary>
/// <remarks>
/// <para>Input [N, C, L] or [C, L]; output [N, C, OL] with
/// <c>OL = floor((L + 2P - D (K - 1) - 1 + (ceilMode ? S - 1 : 0)) / S) + 1</c>, and in ceil mode a last window
/// that would start inside the right padding is dropped (the same arithmetic as <see cref="MaxPool2d{T}"/>).</para>
/// <para>As in PyTorch: stride defaults to the kernel size; padding counts as -infinity and is at most K/2; the
/// first of equal maxima wins; a NaN in a window wins. Backward sends each output gradient to its argmax and adds
/// where overlapping windows (S &lt; K) chose the same input. The argmax offsets (0 to L - 1 within each channel)
/// are kept for Backward and exposed as <see cref="LastIndices"/> (PyTorch's return_indices=True).</para>
/// <para>It runs on the 2-D pooling core as 1 x K windows over 1 x L planes: the fast path is MaxPool2d's
/// (Kernels/PoolCore.cs) and the naive one its reference (Reference/MaxPool2dReference.cs).</para>
/// </remarks>
public sealed class MaxPool1d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>What Backward needs from the last Forward: the input shape and the argmax of every output.</summary>
    private sealed record Cache(int[] InputShape, IndexTensor Indices);

    private Cache? _cache;

    private readonly StepBuffers<T> _buffers = new();

    private readonly PoolCore<T> _fast = new();

    private Tensor<T>? _lastOutput;

    /// <summary>A 1-D max pool.</summary>
    /// <param name="kernelSize">K, positive.</param>
    /// <param name="stride">S, positive; null (default) means K.</param>
    /// <param name="padding">P implicit -infinity values at each end, in [0, K/2].</param>
    /// <param name="dilation">D, the spacing of the taps, positive.</param>
    /// <param name="ceilMode">Round the output length up instead of down (PyTorch's ceil_mode).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or padding is negative or above K/2.</exception>
    public MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        Dilation = dilation;
        CeilMode = ceilMode;
        PoolWindow.CheckArguments("MaxPool1d", (1, kernelSize), (1, Stride), (0, padding), (1, dilation));
        Window = new PoolWindow((1, kernelSize), (1, Stride), (0, padding), (1, dilation));
    }

    /// <summary>K.</summary>
    public int KernelSize { get; }

    /// <summary>S.</summary>
    public int Stride { get; }

    /// <summary>P.</summary>
    public int Padding { get; }

    /// <summary>D.</summary>
    public int Dilation { get; }

    /// <summary>Whether the output length is rounded up.</summary>
    public bool CeilMode { get; }

    /// <summary>The argmax offsets of the last Forward, shaped as its output (a copy); null before the first Forward.
    /// A window that saw only padding (possible only with dilation) has -1.</summary>
    public IndexTensor? LastIndices => _cache is null ? null
        : new IndexTensor((int[])_cache.Indices.Data.Clone(), _cache.Indices.Shape.ToArray());

    // A 1 x K window on 1 x L planes.
    private PoolWindow Window { get; }

    /// <inheritdoc />
    protected override string Describe()
        => $"MaxPool1d(kernel {KernelSize}, stride {Stride}{(Padding != 0 ? $", padding {Padding}" : "")}{(Dilation != 1 ? $", dilation {Dilation}" : "")})";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var shape = inputShape.ToArray();
        shape[^1] = CheckInput(inputShape);
        return shape;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The input is not [N, C, L] or [C, L], or the window does not fit.</exception>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int ol = CheckInput(input.Shape);
        Span<int> outShape = stackalloc int[input.Rank];
        input.Shape.CopyTo(outShape);
        outShape[^1] = ol;
        bool fast = Implementation == Implementation.Fast;
        var output = fast ? _buffers.Output(outShape, ReuseBuffers) : new Tensor<T>(outShape.ToArray());
        // The indices go with the output: reused exactly when the output tensor is.
        bool reused = fast && ReferenceEquals(output, _lastOutput) && _cache is not null;
        var indices = reused ? _cache!.Indices : new IndexTensor(new int[output.Length], outShape.ToArray());
        _lastOutput = fast ? output : null;
        int l = input.Shape[^1], planes = input.Length / l;
        if (fast) _fast.MaxForward(Window, planes, 1, l, 1, ol, input.Data, output.Data, indices.Data);
        else MaxPool2dReference.Forward(Window, planes, 1, l, 1, ol, input.Data, output.Data, indices.Data);
        if (!reused || !_cache!.InputShape.AsSpan().SequenceEqual(input.Shape))
            _cache = new Cache(input.Shape.ToArray(), indices);
        return output;
    }

    /// <summary>Routes each output gradient to its argmax (adding where windows overlap); zeros elsewhere.</summary>
    /// <exception cref="InvalidOperationException">Called before Forward.</exception>
    /// <exception cref="ArgumentException">The gradient's shape is not the last output's.</exception>
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var cache = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", cache.Indices.Shape, outputGradient.Shape);
        bool fast = Implementation == Implementation.Fast;
        var dX = fast ? _buffers.InputGradient(cache.InputShape, ReuseBuffers) : new Tensor<T>(cache.InputShape);
        int l = cache.InputShape[^1], planes = dX.Length / Math.Max(1, l), ol = outputGradient.Shape[^1];
        if (fast) _fast.MaxBackward(Window, planes, 1, l, 1, ol, outputGradient.Data, cache.Indices.Data, dX.Data);
        else MaxPool2dReference.Backward(Window, planes, 1, l, 1, ol, outputGradient.Data, cache.Indices.Data, dX.Data);
        return dX;
    }

    private int CheckInput(ReadOnlySpan<int> shape)
    {
        if (shape.Length is not (2 or 3))
            throw new ArgumentException(
                $"{Name}: input rank: expected 3 (N, C, L) or 2 (C, L), got {shape.Length} (input shape {Tensor<float>.ShapeText(shape)}).");
        int ol = PoolWindow.OutputSize(shape[^1], KernelSize, Stride, Padding, Dilation, CeilMode);
        if (ol < 1)
            throw new ArgumentException(
                $"{Name}: output length: expected at least 1, got {ol} for an input length of {shape[^1]} (input shape {Tensor<float>.ShapeText(shape)}); the window does not fit.");
        return ol;
    }
}

using System.Numerics;
using CourseNotebooks.Engine.Kernels;
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
/// </remarks>
public sealed class MaxPool1d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly StepBuffers<T> _buffers = new();

    // The argmax of every output of the last Forward (grown, never shrunk) and the shapes it belongs to.
    private int[] _indices = [];
    private int[]? _inputShape;
    private int[] _outputShape = [];

    // The fast path's first in-bounds tap and exclusive end per output position, for the input length it was built for.
    private (int First, int End)[] _taps = [];
    private int _tapsLength = -1;

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
        PoolGeometry.CheckArguments("MaxPool1d", (1, kernelSize), (1, Stride), (0, padding), (1, dilation));
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
    public IndexTensor? LastIndices => _inputShape is null ? null
        : new IndexTensor(_indices.AsSpan(0, ShapeLength(_outputShape)).ToArray(), _outputShape);

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
        if (_indices.Length < output.Length) _indices = new int[output.Length];
        int planes = input.Length / input.Shape[^1], l = input.Shape[^1];
        if (fast) ForwardFast(input.Data, output.Data, planes, l, ol);
        else ForwardNaive(input.Data, output.Data, planes, l, ol);
        if (_inputShape is null || !_inputShape.AsSpan().SequenceEqual(input.Shape)) _inputShape = input.Shape.ToArray();
        if (!_outputShape.AsSpan().SequenceEqual(outShape)) _outputShape = outShape.ToArray();
        return output;
    }

    /// <summary>Reference: every tap of every window, each tested against the input bounds.</summary>
    private void ForwardNaive(T[] x, T[] y, int planes, int l, int ol)
    {
        for (int p = 0; p < planes; p++)
            for (int o = 0; o < ol; o++)
            {
                T max = T.NegativeInfinity;
                int argmax = -1;
                for (int k = 0; k < KernelSize; k++)
                {
                    int at = o * Stride - Padding + k * Dilation;
                    if (at < 0 || at >= l) continue;
                    T v = x[p * l + at];
                    // Strict '>' keeps the first of equal maxima; a NaN always takes over (PyTorch's rule).
                    if (argmax < 0 || v > max || T.IsNaN(v)) { max = v; argmax = at; }
                }
                y[p * ol + o] = max;
                _indices[p * ol + o] = argmax;
            }
    }

    /// <summary>Fast path: the in-bounds taps of each window are found once per input length, so the inner loop has
    /// no bounds test. One thread: text and audio maps are small enough that threads would cost more than they save.</summary>
    private void ForwardFast(T[] x, T[] y, int planes, int l, int ol)
    {
        if (_tapsLength != l || _taps.Length != ol)
        {
            _taps = new (int, int)[ol];
            for (int o = 0; o < ol; o++)
            {
                int start = o * Stride - Padding, first = start;
                while (first < 0) first += Dilation;
                _taps[o] = (first, Math.Min(start + (KernelSize - 1) * Dilation + 1, l));
            }
            _tapsLength = l;
        }
        for (int p = 0; p < planes; p++)
        {
            int inBase = p * l, outBase = p * ol;
            for (int o = 0; o < ol; o++)
            {
                var (first, end) = _taps[o];
                T max = T.NegativeInfinity;
                int argmax = -1;
                for (int at = first; at < end; at += Dilation)
                {
                    T v = x[inBase + at];
                    if (argmax < 0 || v > max || T.IsNaN(v)) { max = v; argmax = at; }
                }
                y[outBase + o] = max;
                _indices[outBase + o] = argmax;
            }
        }
    }

    /// <summary>Routes each output gradient to its argmax (adding where windows overlap); zeros elsewhere.</summary>
    /// <exception cref="InvalidOperationException">Called before Forward.</exception>
    /// <exception cref="ArgumentException">The gradient's shape is not the last output's.</exception>
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var inputShape = _inputShape ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", _outputShape, outputGradient.Shape);
        var dX = Implementation == Implementation.Fast ? _buffers.InputGradient(inputShape, ReuseBuffers) : new Tensor<T>(inputShape);
        int l = inputShape[^1];
        ArgmaxScatter.Planes(outputGradient.Data, _indices, dX.Data, dX.Length / Math.Max(1, l), l, _outputShape[^1]);
        return dX;
    }

    private int CheckInput(ReadOnlySpan<int> shape)
    {
        if (shape.Length is not (2 or 3))
            throw new ArgumentException(
                $"{Name}: input rank: expected 3 (N, C, L) or 2 (C, L), got {shape.Length} (input shape {Tensor<float>.ShapeText(shape)}).");
        int ol = PoolGeometry.OutputSize(shape[^1], KernelSize, Stride, Padding, Dilation, CeilMode);
        if (ol < 1)
            throw new ArgumentException(
                $"{Name}: output length: expected at least 1, got {ol} for an input length of {shape[^1]} (input shape {Tensor<float>.ShapeText(shape)}); the window does not fit.");
        return ol;
    }

    private static int ShapeLength(int[] shape)
    {
        int length = 1;
        foreach (int s in shape) length *= s;
        return length;
    }
}

using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Partial inverse of <see cref="MaxPool2d{T}"/>: puts each pooled value back where its maximum came from and
/// zeros everywhere else (the slide's "unpooling" picture). Introduced in notebook 13-convolutional-autoencoder.
/// PyTorch: torch.nn.MaxUnpool2d.
/// </summary>
/// <remarks>
/// Input (N, C, OH, OW) or (C, OH, OW) with indices of the same shape, each a flat offset h * W + w within its
/// output plane. Output (N, C, H, W) with the default H = (OH - 1) * SH - 2 * PH + KH (W alike), or an explicit
/// size, which PyTorch accepts only strictly between default - stride and default + stride.
/// If two inputs name the same position (overlapping pooling windows that shared a maximum) the later one in
/// row-major order is kept, as PyTorch's CPU kernel does.
/// Backward, by default as PyTorch (<see cref="MaxUnpoolGradient.EveryIndex"/>): dInput[i] = dOutput[indices[i]]
/// for every input, so duplicates each receive the gradient of the position they name, although only the last
/// one's value is in the output. That is not the derivative of the forward for a duplicate, and a numerical
/// gradient check fails there; <see cref="MaxUnpoolGradient.WrittenValueOnly"/> gives the true derivative
/// (0 for an input that was overwritten), for a notebook that shows the difference.
/// Used inside a <see cref="Sequential{T}"/>, construct it with the <see cref="MaxPool2d{T}"/> whose indices it
/// should use: it then takes the pool's kernel, stride and padding and restores the pool's input size.
/// </remarks>
public sealed class MaxUnpool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// What Backward needs from the last Forward: its shapes; Source[o], the input element written to output element o
    /// (-1 for the zeros); Indices, a copy of the indices it used (the caller may change its array afterwards).
    /// </summary>
    private readonly record struct Cache(int[] InputShape, int[] OutputShape, int[] Source, int[] Indices);

    private Cache? _cache;

    // The cache's storage, kept across steps and rewritten in place by each Forward: a warmed-up step allocates nothing.
    private int[] _inputShape = [], _outputShape = [], _source = [], _indices = [];
    private readonly StepBuffers<T> _buffers = new();

    /// <summary>A square unpool: kernel k x k, stride (default = kernelSize), padding.</summary>
    public MaxUnpool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding)) { }

    /// <summary>A rectangular unpool: (KH, KW), stride (SH, SW) (default = kernel), padding (PH, PW).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the padding is negative.</exception>
    public MaxUnpool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        ShapeCheck.Positive(Name, "kernelSize", Math.Min(KernelSize.H, KernelSize.W));
        ShapeCheck.Positive(Name, "stride", Math.Min(Stride.H, Stride.W));
        ShapeCheck.NonNegative(Name, "padding", Math.Min(Padding.H, Padding.W));
    }

    /// <summary>
    /// An unpool paired with <paramref name="pool"/>: <see cref="Forward(Tensor{T})"/> uses the pool's
    /// <see cref="MaxPool2d{T}.LastIndices"/> and restores the pool's last input size, so the pair can sit in a
    /// Sequential (encoder pool ... decoder unpool).
    /// </summary>
    public MaxUnpool2d(MaxPool2d<T> pool) : this((pool ?? throw new ArgumentNullException(nameof(pool))).KernelSize, pool.Stride, pool.Padding)
    {
        Pool = pool;
    }

    /// <summary>(KH, KW).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>(SH, SW).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>(PH, PW).</summary>
    public (int H, int W) Padding { get; }

    /// <summary>
    /// Which inputs Backward gives a gradient when indices repeat: <see cref="MaxUnpoolGradient.EveryIndex"/> (the
    /// default, PyTorch's) or <see cref="MaxUnpoolGradient.WrittenValueOnly"/>. Without duplicates both agree.
    /// </summary>
    public MaxUnpoolGradient GradientRule { get; init; } = MaxUnpoolGradient.EveryIndex;

    /// <summary>The pool whose indices <see cref="Forward(Tensor{T})"/> uses, or null when unpaired.</summary>
    public MaxPool2d<T>? Pool { get; }

    /// <inheritdoc />
    protected override string Describe() => $"MaxUnpool2d(kernel {KernelSize.H}x{KernelSize.W}, stride {Stride.H}x{Stride.W})";

    /// <summary>The default output plane: (in - 1) * stride - 2 * padding + kernel per axis.</summary>
    public (int H, int W) DefaultOutputSize(int inputH, int inputW)
        => ((inputH - 1) * Stride.H - 2 * Padding.H + KernelSize.H, (inputW - 1) * Stride.W - 2 * Padding.W + KernelSize.W);

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        CheckRank(inputShape);
        if (Pool?.LastInputShape is int[] poolInput)
            return PoolWindow.WithPlane(inputShape, poolInput[^2], poolInput[^1]);
        var (h, w) = DefaultOutputSize(inputShape[^2], inputShape[^1]);
        return PoolWindow.WithPlane(inputShape, h, w);
    }

    /// <summary>
    /// Unpools with the paired pool's last indices. An unpaired MaxUnpool2d has no indices and throws
    /// <see cref="InvalidOperationException"/>: call <see cref="Forward(Tensor{T}, int[], ValueTuple{int, int}?)"/>.
    /// </summary>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (Pool is null)
            throw new InvalidOperationException(
                $"{Name}: no indices: call Forward(input, indices) or construct it with the MaxPool2d whose indices it should use.");
        var indices = Pool.LastIndices
            ?? throw new InvalidOperationException($"{Name}: the paired {Pool.Name} has not run Forward yet, so there are no indices.");
        var poolInput = Pool.LastInputShape!;
        return Unpool(input, indices.Data, (poolInput[^2], poolInput[^1]), checkSize: false);
    }

    /// <summary>Unpools <paramref name="input"/> with the indices a MaxPool2d returned.</summary>
    public Tensor<T> Forward(Tensor<T> input, IndexTensor indices, (int H, int W)? outputSize = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(input);
        ShapeCheck.SameShape(Name, "indices", input.Shape, indices.Shape);
        return Forward(input, indices.Data, outputSize);
    }

    /// <summary>
    /// Unpools <paramref name="input"/> (N, C, OH, OW) with <paramref name="indices"/> (same number of elements,
    /// row-major) into an (N, C, H, W) tensor of zeros plus the placed values.
    /// </summary>
    /// <param name="input">The pooled values.</param>
    /// <param name="indices">Flat offsets within each output plane, one per input element.</param>
    /// <param name="outputSize">(H, W); default (in - 1) * stride - 2 * padding + kernel.</param>
    /// <exception cref="ArgumentException">
    /// The index count differs from the input's element count, the size is outside PyTorch's allowed range, or
    /// an index lies outside the output plane.
    /// </exception>
    public Tensor<T> Forward(Tensor<T> input, int[] indices, (int H, int W)? outputSize = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(indices);
        CheckRank(input.Shape);
        var size = outputSize ?? DefaultOutputSize(input.Shape[^2], input.Shape[^1]);
        return Unpool(input, indices, size, checkSize: outputSize is not null);
    }

    private Tensor<T> Unpool(Tensor<T> input, int[] indices, (int H, int W) size, bool checkSize)
    {
        CheckRank(input.Shape);
        if (indices.Length != input.Length)
            throw new ArgumentException(
                $"{Name}: indices: expected {input.Length} (one per input element, input shape {input.ShapeString}), got {indices.Length}.");
        if (checkSize)
        {
            var (dh, dw) = DefaultOutputSize(input.Shape[^2], input.Shape[^1]);
            CheckSize("H", size.H, dh, Stride.H);
            CheckSize("W", size.W, dw, Stride.W);
        }
        if (size.H < 1 || size.W < 1)
            throw new ArgumentException($"{Name}: output size: expected at least 1x1, got {size.H}x{size.W} (input shape {input.ShapeString}).");
        _cache = null;   // until this Forward succeeds
        var outShape = KeepShapes(input.Shape, size);
        var output = _buffers.Output(outShape, ReuseBuffers);
        Array.Clear(output.Data);
        if (_source.Length != output.Length) _source = new int[output.Length];
        Array.Fill(_source, -1);
        int inPlane = input.Shape[^2] * input.Shape[^1], outPlane = size.H * size.W;
        int planes = PoolWindow.Planes(input.Shape);
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < inPlane; i++)
            {
                int index = indices[p * inPlane + i];
                if ((uint)index >= (uint)outPlane)
                {
                    throw new ArgumentException(
                        $"{Name}: index {index} at input element {p * inPlane + i} is outside the {size.H}x{size.W} output plane (expected 0..{outPlane - 1}).");
                }
                output.Data[p * outPlane + index] = input.Data[p * inPlane + i];
                _source[p * outPlane + index] = p * inPlane + i;
            }
        if (_indices.Length != indices.Length) _indices = new int[indices.Length];
        indices.CopyTo(_indices, 0);
        _cache = new Cache(_inputShape, _outputShape, _source, _indices);
        return output;
    }

    /// <summary>Records this Forward's input and output shapes, reusing the kept arrays when they repeat.</summary>
    private int[] KeepShapes(ReadOnlySpan<int> inputShape, (int H, int W) size)
    {
        if (!inputShape.SequenceEqual(_inputShape)) _inputShape = inputShape.ToArray();
        if (_outputShape.Length != inputShape.Length || !inputShape[..^2].SequenceEqual(_outputShape.AsSpan(0, inputShape.Length - 2))
            || _outputShape[^2] != size.H || _outputShape[^1] != size.W)
            _outputShape = PoolWindow.WithPlane(inputShape, size.H, size.W);
        return _outputShape;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var (inputShape, outputShape, source, indices) = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", outputShape, outputGradient.Shape);
        var dX = _buffers.InputGradient(inputShape, ReuseBuffers);
        if (GradientRule == MaxUnpoolGradient.WrittenValueOnly)
        {
            Array.Clear(dX.Data);
            for (int o = 0; o < source.Length; o++)
                if (source[o] >= 0) dX.Data[source[o]] = outputGradient.Data[o];
            return dX;
        }
        // Gather: every input reads the gradient at the position its index names.
        int inPlane = inputShape[^2] * inputShape[^1], outPlane = outputShape[^2] * outputShape[^1];
        for (int i = 0; i < dX.Length; i++)
            dX.Data[i] = outputGradient.Data[i / inPlane * outPlane + indices[i]];
        return dX;
    }

    private void CheckRank(ReadOnlySpan<int> shape)
    {
        if (shape.Length is not (3 or 4))
            throw new ArgumentException(
                $"{Name}: input rank: expected 4 (N, C, H, W) or 3 (C, H, W), got {shape.Length} (input shape {Tensor<float>.ShapeText(shape)}).");
    }

    private void CheckSize(string axis, int size, int defaultSize, int stride)
    {
        // PyTorch's rule: the requested size must lie strictly between default - stride and default + stride.
        if (size <= defaultSize - stride || size >= defaultSize + stride)
            throw new ArgumentException(
                $"{Name}: output size {axis}: expected between {defaultSize - stride + 1} and {defaultSize + stride - 1}, got {size}.");
    }
}

/// <summary>
/// How <see cref="MaxUnpool2d{T}"/>'s Backward treats inputs whose indices name the same output position. Planned, with
/// MaxUnpool2d, for notebook 13-convolutional-autoencoder.
/// Introduced in notebook 13-convolutional-autoencoder.
/// </summary>
public enum MaxUnpoolGradient
{
    /// <summary>Every input receives the gradient at the position its index names (PyTorch's rule).</summary>
    EveryIndex,

    /// <summary>Only the input whose value was finally written receives it; overwritten duplicates get 0 (the true
    /// derivative of the forward pass).</summary>
    WrittenValueOnly,
}

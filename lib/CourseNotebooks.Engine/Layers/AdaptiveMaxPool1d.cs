using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Max pooling to a fixed output length, whatever the input length: with output size 1 it is the max-over-time
/// pooling of the text CNN (Kim, 2014), one number per filter (its strongest response anywhere in the sentence), so
/// sentences of any length give a feature vector of the same size. Introduced in notebook 09-cnn-for-text.
/// PyTorch: torch.nn.AdaptiveMaxPool1d.
/// </summary>
/// <remarks>
/// <para>Input [N, C, L] or [C, L]; output [N, C, O] (O = <see cref="OutputSize"/>). Output i takes the maximum of
/// the inputs <c>floor(i L / O)</c> to <c>ceil((i + 1) L / O) - 1</c>, PyTorch's windows (neighbouring windows may
/// share an input when O does not divide L). O may exceed L: windows then repeat inputs.</para>
/// <para>Ties: the first maximum wins; a NaN wins. Backward sends each output gradient to its argmax (adding where
/// windows share one). The argmax offsets are exposed as <see cref="LastIndices"/> (PyTorch's return_indices).</para>
/// </remarks>
public sealed class AdaptiveMaxPool1d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly StepBuffers<T> _buffers = new();
    private int[] _indices = [];
    private int[]? _inputShape;
    private int[] _outputShape = [];

    /// <summary>A pool to <paramref name="outputSize"/> positions per channel (1: max over time).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The output size is not positive.</exception>
    public AdaptiveMaxPool1d(int outputSize)
    {
        ShapeCheck.Positive("AdaptiveMaxPool1d", "outputSize", outputSize);
        OutputSize = outputSize;
    }

    /// <summary>O: the output length.</summary>
    public int OutputSize { get; }

    /// <summary>The argmax offsets of the last Forward, shaped as its output (a copy); null before the first Forward.</summary>
    public IndexTensor? LastIndices => _inputShape is null ? null
        : new IndexTensor(_indices.AsSpan(0, _outputShape.Aggregate(1, (a, b) => a * b)).ToArray(), _outputShape);

    /// <summary>Window i of an input of length <paramref name="length"/>: its first input and its exclusive end.</summary>
    public (int Start, int End) Window(int i, int length)
        => ((int)((long)i * length / OutputSize), (int)(((long)(i + 1) * length + OutputSize - 1) / OutputSize));

    /// <inheritdoc />
    protected override string Describe() => $"AdaptiveMaxPool1d({OutputSize})";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        CheckInput(inputShape);
        var shape = inputShape.ToArray();
        shape[^1] = OutputSize;
        return shape;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The input is not [N, C, L] or [C, L], or L is 0.</exception>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInput(input.Shape);
        Span<int> outShape = stackalloc int[input.Rank];
        input.Shape.CopyTo(outShape);
        outShape[^1] = OutputSize;
        bool fast = Implementation == Implementation.Fast;
        var output = fast ? _buffers.Output(outShape, ReuseBuffers) : new Tensor<T>(outShape.ToArray());
        if (_indices.Length < output.Length) _indices = new int[output.Length];
        int l = input.Shape[^1], planes = input.Length / l, o = OutputSize;
        T[] x = input.Data, y = output.Data;
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < o; i++)
            {
                var (start, end) = Window(i, l);
                int argmax = fast ? start + IndexOfMax(x.AsSpan(p * l + start, end - start)) : start + IndexOfMaxNaive(x, p * l + start, end - start);
                y[p * o + i] = x[p * l + argmax];
                _indices[p * o + i] = argmax;
            }
        if (_inputShape is null || !_inputShape.AsSpan().SequenceEqual(input.Shape)) _inputShape = input.Shape.ToArray();
        if (!_outputShape.AsSpan().SequenceEqual(outShape)) _outputShape = outShape.ToArray();
        return output;
    }

    /// <summary>Reference: the first of equal maxima, or the first NaN (PyTorch's rule), found by a plain scan.</summary>
    private static int IndexOfMaxNaive(T[] x, int offset, int count)
    {
        int best = 0;
        for (int k = 1; k < count; k++)
        {
            if (T.IsNaN(x[offset + best])) break;
            T v = x[offset + k];
            if (v > x[offset + best] || T.IsNaN(v)) best = k;
        }
        return best;
    }

    /// <summary>
    /// Fast path: TensorPrimitives.IndexOfMax (vectorised), which returns the first NaN when there is one. It orders
    /// +0 above -0, where the scan above keeps the first; the two differ only on a window whose maximum is a signed
    /// zero, and the value is the same either way.
    /// </summary>
    private static int IndexOfMax(ReadOnlySpan<T> window) => TensorPrimitives.IndexOfMax(window);

    /// <summary>Routes each output gradient to its argmax (adding where windows share one); zeros elsewhere.</summary>
    /// <exception cref="InvalidOperationException">Called before Forward.</exception>
    /// <exception cref="ArgumentException">The gradient's shape is not the last output's.</exception>
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var inputShape = _inputShape ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", _outputShape, outputGradient.Shape);
        var dX = Implementation == Implementation.Fast ? _buffers.InputGradient(inputShape, ReuseBuffers) : new Tensor<T>(inputShape);
        int l = inputShape[^1];
        for (int p = 0; p < dX.Length / l; p++)
            PoolCore<T>.ScatterToArgmax(outputGradient.Data, _indices, dX.Data, p, l, OutputSize);
        return dX;
    }

    private void CheckInput(ReadOnlySpan<int> shape)
    {
        if (shape.Length is not (2 or 3))
            throw new ArgumentException(
                $"{Name}: input rank: expected 3 (N, C, L) or 2 (C, L), got {shape.Length} (input shape {Tensor<float>.ShapeText(shape)}).");
        if (shape[^1] < 1)
            throw new ArgumentException($"{Name}: input length: expected at least 1, got 0 (input shape {Tensor<float>.ShapeText(shape)}).");
    }
}

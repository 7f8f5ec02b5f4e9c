using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
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
/// <para>Ties: the first maximum wins, also on a -0.0/+0.0 tie (they compare equal, so the first zero is kept, with
/// its sign); a NaN wins, and so does a later NaN in the same window: PyTorch's CPU rule
/// (<c>(val &gt; maxval) || isnan(val)</c>). Backward sends each output gradient to its argmax (adding where windows
/// share one). The argmax offsets are exposed as <see cref="LastIndices"/> (PyTorch's return_indices).</para>
/// <para>The naive path (<see cref="Runtime.Implementation.Naive"/>) runs Reference/AdaptiveMaxPool1dReference.cs, the
/// loop above one input at a time; the fast path finds each window's maximum with a vectorised TensorPrimitives.Max,
/// then the first input equal to it (the last NaN when it is NaN), the same picks bit for bit.</para>
/// </remarks>
public sealed class AdaptiveMaxPool1d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>What Backward needs from the last Forward: the input shape and the argmax of every output.</summary>
    private sealed record Cache(int[] InputShape, IndexTensor Indices);

    private Cache? _cache;

    private readonly StepBuffers<T> _buffers = new();

    private Tensor<T>? _lastOutput;

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
    public IndexTensor? LastIndices => _cache is null ? null
        : new IndexTensor((int[])_cache.Indices.Data.Clone(), _cache.Indices.Shape.ToArray());

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
        // The indices go with the output: reused exactly when the output tensor is.
        bool reused = fast && ReferenceEquals(output, _lastOutput) && _cache is not null;
        var indices = reused ? _cache!.Indices : new IndexTensor(new int[output.Length], outShape.ToArray());
        _lastOutput = fast ? output : null;
        int l = input.Shape[^1], planes = input.Length / l, o = OutputSize;
        T[] x = input.Data, y = output.Data;
        if (!fast) AdaptiveMaxPool1dReference.Forward(planes, l, o, x, y, indices.Data);
        else
            for (int p = 0; p < planes; p++)
                for (int i = 0; i < o; i++)
                {
                    var (start, end) = Window(i, l);
                    int argmax = p * l + start + FirstMaximum<T>(x.AsSpan(p * l + start, end - start));
                    y[p * o + i] = x[argmax];
                    indices.Data[p * o + i] = argmax - p * l;
                }
        if (!reused || !_cache!.InputShape.AsSpan().SequenceEqual(input.Shape))
            _cache = new Cache(input.Shape.ToArray(), indices);
        return output;
    }

    /// <summary>Routes each output gradient to its argmax (adding where windows share one); zeros elsewhere.</summary>
    /// <exception cref="InvalidOperationException">Called before Forward.</exception>
    /// <exception cref="ArgumentException">The gradient's shape is not the last output's.</exception>
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var cache = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", cache.Indices.Shape, outputGradient.Shape);
        bool fast = Implementation == Implementation.Fast;
        var dX = fast ? _buffers.InputGradient(cache.InputShape, ReuseBuffers) : new Tensor<T>(cache.InputShape);
        int l = cache.InputShape[^1];
        if (!fast) AdaptiveMaxPool1dReference.Backward(dX.Length / l, l, OutputSize, outputGradient.Data, cache.Indices.Data, dX.Data);
        else
            for (int p = 0; p < dX.Length / l; p++)
                PoolCore<T>.ScatterToArgmax(outputGradient.Data, cache.Indices.Data, dX.Data, p, l, OutputSize);
        return dX;
    }

    /// <summary>
    /// The offset of the reference's pick in a non-empty window: the first input equal to the window's maximum (so
    /// the first maximum, and on a -0.0/+0.0 tie the first zero, as -0.0 == +0.0), or the last NaN when there is one.
    /// Not TensorPrimitives.IndexOfMax: it orders +0.0 above -0.0 (and takes the first NaN).
    /// </summary>
    internal static int FirstMaximum<TValue>(ReadOnlySpan<TValue> window) where TValue : unmanaged, IFloatingPointIeee754<TValue>
    {
        // Vectorised; NaN when any input is NaN; on a signed-zero tie it may return either zero, which == finds as well.
        TValue max = TensorPrimitives.Max(window);
        if (TValue.IsNaN(max))
        {
            for (int t = window.Length - 1; ; t--)
                if (TValue.IsNaN(window[t])) return t;
        }
        for (int t = 0; ; t++)
            if (window[t] == max) return t;
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

using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Swaps two dimensions, as a layer: the text CNN's <see cref="Embedding{T}"/> gives [N, L, E] (a vector per word)
/// and <see cref="Conv1d{T}"/> wants [N, E, L] (the E embedding values as channels, the words along the length), so
/// <c>new Transpose&lt;float&gt;(1, 2)</c> sits between them. Introduced in notebook 09-cnn-for-text.
/// PyTorch: <c>x.transpose(dim0, dim1)</c> (or <c>x.permute(0, 2, 1)</c>) inside a forward(); torch.nn has no module.
/// </summary>
/// <remarks>
/// Any rank above both dimensions; negative dimensions count from the end. The output is a copy (this engine's
/// tensors are always contiguous): <c>y[a, j, b, i, c] = x[a, i, b, j, c]</c> with the two swapped dimensions
/// written i and j. Backward swaps the same two dimensions of the gradient back.
/// </remarks>
public sealed class Transpose<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly StepBuffers<T> _buffers = new();
    /// <summary>What Backward needs from the last Forward: its input and output shapes.</summary>
    private readonly record struct Cache(int[] InputShape, int[] OutputShape);

    private Cache? _cache;

    /// <summary>A layer swapping dimensions <paramref name="dim0"/> and <paramref name="dim1"/>.</summary>
    public Transpose(int dim0, int dim1)
    {
        Dim0 = dim0;
        Dim1 = dim1;
    }

    /// <summary>The first dimension (as given; negative counts from the end).</summary>
    public int Dim0 { get; }

    /// <summary>The second dimension (as given).</summary>
    public int Dim1 { get; }

    /// <inheritdoc />
    protected override string Describe() => $"Transpose({Dim0}, {Dim1})";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var (d0, d1) = Dims(inputShape);
        var shape = inputShape.ToArray();
        (shape[d0], shape[d1]) = (shape[d1], shape[d0]);
        return shape;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A dimension does not exist for the input's rank.</exception>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (d0, d1) = Dims(input.Shape);
        Span<int> outShape = stackalloc int[input.Rank];
        input.Shape.CopyTo(outShape);
        (outShape[d0], outShape[d1]) = (outShape[d1], outShape[d0]);
        var output = _buffers.Output(outShape, ReuseBuffers);
        Swap(input.Data, input.Shape, output.Data, d0, d1);
        if (_cache is not { } kept || !kept.InputShape.AsSpan().SequenceEqual(input.Shape) || !kept.OutputShape.AsSpan().SequenceEqual(outShape))
            _cache = new Cache(input.Shape.ToArray(), outShape.ToArray());
        return output;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Called before Forward.</exception>
    /// <exception cref="ArgumentException">The gradient's shape is not the last output's.</exception>
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var (inputShape, outputShape) = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", outputShape, outputGradient.Shape);
        var (d0, d1) = Dims(inputShape);
        var dX = _buffers.InputGradient(inputShape, ReuseBuffers);
        Swap(outputGradient.Data, outputGradient.Shape, dX.Data, d0, d1);
        return dX;
    }

    /// <summary>
    /// The copy, with the shape seen as [A, I, B, J, C] (A the dimensions before d0, B between, C after d1): for every
    /// (a, i, b, j) a run of C contiguous values moves from x[a, i, b, j, :] to y[a, j, b, i, :].
    /// </summary>
    private static void Swap(T[] x, ReadOnlySpan<int> shape, T[] y, int d0, int d1)
    {
        int a = 1, b = 1, c = 1, ni = shape[d0], nj = shape[d1];
        for (int d = 0; d < d0; d++) a *= shape[d];
        for (int d = d0 + 1; d < d1; d++) b *= shape[d];
        for (int d = d1 + 1; d < shape.Length; d++) c *= shape[d];
        for (int ia = 0; ia < a; ia++)
            for (int i = 0; i < ni; i++)
                for (int ib = 0; ib < b; ib++)
                    for (int j = 0; j < nj; j++)
                    {
                        int from = (((ia * ni + i) * b + ib) * nj + j) * c;
                        int to = (((ia * nj + j) * b + ib) * ni + i) * c;
                        if (c == 1) y[to] = x[from];
                        else Array.Copy(x, from, y, to, c);
                    }
    }

    private (int D0, int D1) Dims(ReadOnlySpan<int> shape)
    {
        int d0 = Dim0 < 0 ? Dim0 + shape.Length : Dim0, d1 = Dim1 < 0 ? Dim1 + shape.Length : Dim1;
        if ((uint)d0 >= (uint)shape.Length || (uint)d1 >= (uint)shape.Length)
            throw new ArgumentOutOfRangeException(nameof(shape),
                $"{Name}: dimensions: expected both in [-{shape.Length}, {shape.Length}) for an input of rank {shape.Length}, got {Dim0} and {Dim1} (input shape {Tensor<float>.ShapeText(shape)}).");
        return d0 <= d1 ? (d0, d1) : (d1, d0);
    }
}

using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// A lookup table of learned vectors: token id t becomes row t of the weight. The first layer of a text CNN, where
/// a sentence of L token ids becomes an L x E matrix that a 1-D convolution reads like a signal with E channels.
/// Introduced in notebook 09-cnn-for-text. PyTorch: torch.nn.Embedding (num_embeddings, embedding_dim, padding_idx).
/// </summary>
/// <remarks>
/// <para>Input: token ids of any shape (*), typically [N, L]; output (*, E): <c>y[..., e] = W[x[...], e]</c>.
/// Weight [V, E] (V = numEmbeddings), initialised N(0, 1) as PyTorch does.</para>
/// <para>The ids are carried in a tensor of <typeparamref name="T"/> (this engine's modules pass one element type
/// from layer to layer; PyTorch uses an int64 tensor). Every id must be a whole number in [0, V): float represents
/// every whole number up to 2^24 exactly, far beyond any vocabulary here. Anything else fails with the position
/// and the value.</para>
/// <para>Backward: <c>dW[x[...]] += dY[...]</c>, summed when an id repeats, except for the row
/// <see cref="PaddingIndex"/>, which gets no gradient and starts at zero (so padded positions of a sentence
/// contribute nothing and stay nothing while training). The ids have no gradient: <see cref="Backward"/> returns
/// zeros of the input's shape (the lookup is piecewise constant in its argument) and
/// <see cref="BackwardToParameters"/> skips even that.</para>
/// </remarks>
public sealed class Embedding<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly StepBuffers<T> _buffers = new();

    // The ids of the last Forward as ints (checked once), kept for Backward; the array only grows, so the full and
    // the shorter last batch of an epoch share it.
    /// <summary>What Backward needs from the last Forward: the input shape and the first Count ids, checked.</summary>
    private readonly record struct Cache(int[] InputShape, int[] Ids, int Count);

    private Cache? _cache;

    // The ids' storage, kept from step to step (grown, never shrunk): a warmed-up training step allocates nothing.
    private int[] _ids = [];

    /// <summary>A table of <paramref name="numEmbeddings"/> vectors of <paramref name="embeddingDim"/> values.</summary>
    /// <param name="numEmbeddings">V: the vocabulary size, positive.</param>
    /// <param name="embeddingDim">E: the length of each vector, positive.</param>
    /// <param name="paddingIndex">The id whose row is zero and never learns (PyTorch's padding_idx); a negative value
    /// counts from the end (-1 is V - 1), as in PyTorch. Null: no padding row.</param>
    /// <param name="seed">Seed of the N(0, 1) initialisation; null draws from the global generator (<see cref="Init.ManualSeed"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the padding index is outside [-V, V).</exception>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIndex = null, int? seed = null)
    {
        ShapeCheck.Positive("Embedding", "numEmbeddings", numEmbeddings);
        ShapeCheck.Positive("Embedding", "embeddingDim", embeddingDim);
        if (paddingIndex is int p && (p < -numEmbeddings || p >= numEmbeddings))
            throw new ArgumentOutOfRangeException(nameof(paddingIndex), p,
                $"Embedding: paddingIndex must lie in [-{numEmbeddings}, {numEmbeddings}) (numEmbeddings = {numEmbeddings}), got {p}.");
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIndex = paddingIndex is int q && q < 0 ? q + numEmbeddings : paddingIndex;
        Weight = new Parameter<T>("weight", Init.Normal(new Tensor<T>(numEmbeddings, embeddingDim), Init.RandomFor(seed)));
        if (PaddingIndex is int row) Weight.Value.Data.AsSpan(row * embeddingDim, embeddingDim).Clear();
    }

    /// <summary>V: the number of rows (token ids 0 to V - 1).</summary>
    public int NumEmbeddings { get; }

    /// <summary>E: the length of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The row that is zero and gets no gradient (already made non-negative), or null.</summary>
    public int? PaddingIndex { get; }

    /// <summary>The vectors, [V, E].</summary>
    public Parameter<T> Weight { get; }

    /// <inheritdoc />
    protected override string Describe()
        => $"Embedding({NumEmbeddings}, {EmbeddingDim}{(PaddingIndex is int p ? $", padding {p}" : "")})";

    /// <inheritdoc />
    protected override IEnumerable<Parameter<T>> OwnParameters() => [Weight];

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => [.. inputShape, EmbeddingDim];

    /// <summary>Looks up the row of every id: (*) ids give (*, E) values.</summary>
    /// <exception cref="ArgumentException">An id is not a whole number in [0, V).</exception>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int count = input.Length;
        if (_ids.Length < count) _ids = new int[count];
        for (int i = 0; i < count; i++) _ids[i] = CheckedId(input, i);
        var shape = _cache is { } kept && kept.InputShape.AsSpan().SequenceEqual(input.Shape) ? kept.InputShape : input.Shape.ToArray();
        _cache = new Cache(shape, _ids, count);

        Span<int> outShape = stackalloc int[input.Rank + 1];
        input.Shape.CopyTo(outShape);
        outShape[^1] = EmbeddingDim;
        var output = _buffers.Output(outShape, ReuseBuffers);
        int e = EmbeddingDim;
        T[] w = Weight.Value.Data, y = output.Data;
        for (int i = 0; i < count; i++) w.AsSpan(_ids[i] * e, e).CopyTo(y.AsSpan(i * e, e));
        return output;
    }

    /// <summary>Adds every output row's gradient into the weight row it came from (not the padding row); returns
    /// zeros of the input's shape, since ids have no gradient.</summary>
    /// <exception cref="InvalidOperationException">Called before Forward.</exception>
    /// <exception cref="ArgumentException">The gradient's shape is not the last output's.</exception>
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        var inputShape = AccumulateWeightGradient(outputGradient);
        var dX = _buffers.InputGradient(inputShape, ReuseBuffers);
        Array.Clear(dX.Data);
        return dX;
    }

    /// <inheritdoc />
    public override void BackwardToParameters(Tensor<T> outputGradient)
    {
        AccumulateWeightGradient(outputGradient);
        _buffers.BackwardWithoutInputGradient();
    }

    // Adds dL/dW for the last Forward's ids and returns that Forward's input shape.
    private int[] AccumulateWeightGradient(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var (inputShape, ids, count) = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        Span<int> outShape = stackalloc int[inputShape.Length + 1];
        inputShape.CopyTo(outShape);
        outShape[^1] = EmbeddingDim;
        ShapeCheck.SameShape(Name, "output gradient", outShape, outputGradient.Shape);
        int e = EmbeddingDim, padding = PaddingIndex ?? -1;
        T[] dW = Weight.Grad.Data, dY = outputGradient.Data;
        for (int i = 0; i < count; i++)
        {
            int id = ids[i];
            if (id == padding) continue;
            TensorPrimitives.Add(dW.AsSpan(id * e, e), dY.AsSpan(i * e, e), dW.AsSpan(id * e, e));
        }
        return inputShape;
    }

    private int CheckedId(Tensor<T> input, int i)
    {
        T v = input.Data[i];
        if (!T.IsInteger(v) || v < T.Zero || v >= T.CreateTruncating(NumEmbeddings))
            throw new ArgumentException(
                $"{Name}: token id at flat position {i}: expected a whole number in [0, {NumEmbeddings}), got {v} (input shape {input.ShapeString}).");
        return int.CreateTruncating(v);
    }
}

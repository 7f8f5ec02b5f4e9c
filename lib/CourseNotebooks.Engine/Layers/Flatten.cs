using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Merges dimensions startDim..endDim into one, e.g. (N, C, H, W) to (N, C*H*W) before the first Linear layer.
/// Introduced in notebook 05-cnn-as-sparse-mlp. PyTorch: torch.nn.Flatten (start_dim = 1, end_dim = -1).
/// </summary>
/// <remarks>
/// Negative dimensions count from the end. The output shares the input's data (a view, as in PyTorch), and
/// Backward reshapes the gradient back to the input shape. No copy is made in either direction.
/// </remarks>
public sealed class Flatten<T> : ReshapeView<T> where T : unmanaged, IFloatingPointIeee754<T>
{

    /// <summary>Flattens dimensions <paramref name="startDim"/> through <paramref name="endDim"/> (inclusive).</summary>
    public Flatten(int startDim = 1, int endDim = -1)
    {
        StartDim = startDim;
        EndDim = endDim;
    }

    /// <summary>First dimension merged (negative counts from the end).</summary>
    public int StartDim { get; }

    /// <summary>Last dimension merged, inclusive (negative counts from the end).</summary>
    public int EndDim { get; }

    /// <inheritdoc />
    protected override string Describe() => $"Flatten({StartDim}, {EndDim})";

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A dimension is out of range for the input rank, or start comes after end.</exception>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        // PyTorch treats a 0-d tensor as having one dimension here (it flattens to shape [1]).
        int rank = Math.Max(1, inputShape.Length);
        int start = Resolve("startDim", StartDim, rank, inputShape), end = Resolve("endDim", EndDim, rank, inputShape);
        if (start > end)
            throw new ArgumentException(
                $"{Name}: startDim must not come after endDim: got start {start}, end {end} for input shape {Tensor<float>.ShapeText(inputShape)}.");
        if (inputShape.Length == 0) return [1];
        var shape = new List<int>();
        for (int d = 0; d < start; d++) shape.Add(inputShape[d]);
        int merged = 1;
        for (int d = start; d <= end; d++) merged *= inputShape[d];
        shape.Add(merged);
        for (int d = end + 1; d < inputShape.Length; d++) shape.Add(inputShape[d]);
        return [.. shape];
    }

    private int Resolve(string what, int dim, int rank, ReadOnlySpan<int> shape)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank)
            throw new ArgumentException(
                $"{Name}: {what}: expected a dimension in [{-rank}, {rank - 1}], got {dim} (input shape {Tensor<float>.ShapeText(shape)}).");
        return d;
    }
}

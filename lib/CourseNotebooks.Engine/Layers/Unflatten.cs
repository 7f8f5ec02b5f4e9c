using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Splits dimension 1 into a given shape, e.g. (N, C*H*W) to (N, C, H, W): the inverse of <see cref="Flatten{T}"/>,
/// where a decoder turns a dense code back into feature maps. Introduced in notebook 13-convolutional-autoencoder.
/// PyTorch: torch.nn.Unflatten(1, unflattened_size).
/// </summary>
/// <remarks>
/// Input (N, D) with D the product of the given sizes; output (N, sizes...). The output shares the input's data (a
/// view, as in PyTorch), and Backward reshapes the gradient back to (N, D); no copy is made in either direction.
/// Only dimension 1 is split (the case every decoder needs).
/// </remarks>
public sealed class Unflatten<T> : ReshapeView<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _sizes;

    /// <summary>Splits dimension 1 into <paramref name="sizes"/> (each positive).</summary>
    /// <exception cref="ArgumentException">No sizes, or a size below 1.</exception>
    public Unflatten(params int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        // Name is built from the sizes, so the checks name the layer plainly.
        if (sizes.Length == 0) throw new ArgumentException("Unflatten: at least one size is needed.", nameof(sizes));
        foreach (int s in sizes) ShapeCheck.Positive("Unflatten", "size", s);
        _sizes = (int[])sizes.Clone();
    }

    /// <summary>The sizes dimension 1 is split into.</summary>
    public IReadOnlyList<int> Sizes => _sizes;

    /// <inheritdoc />
    protected override string Describe() => $"Unflatten(1, {Tensor<T>.ShapeText(_sizes)})";

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The input is not (N, D) with D the product of the sizes.</exception>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        int product = 1;
        foreach (int s in _sizes) product *= s;
        if (inputShape.Length != 2)
            throw new ArgumentException($"{Name}: input rank: expected 2 (N, D), got {inputShape.Length} (input shape {Tensor<T>.ShapeText(inputShape)}).");
        ShapeCheck.Dim(Name, "features (product of the sizes)", product, inputShape[1], inputShape);
        return [inputShape[0], .. _sizes];
    }
}

namespace CourseNotebooks.Engine.Tensors;

/// <summary>
/// An integer tensor for indices (the argmax positions MaxPool2d remembers). Each value is a flat offset
/// h * W + w within its own H x W input plane, as PyTorch's return_indices gives. Introduced in notebook
/// 04-backprop-pooling; MaxUnpool2d consumes it in notebook 13-convolutional-autoencoder.
/// PyTorch: the int64 tensor returned by nn.MaxPool2d(return_indices=True).
/// </summary>
public sealed class IndexTensor
{
    private readonly int[] _shape;

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given shape.</summary>
    /// <exception cref="ArgumentException">The data length is not the product of the shape.</exception>
    public IndexTensor(int[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long length = 1;
        foreach (int s in shape) length *= s;
        if (data.Length != length)
            throw new ArgumentException($"IndexTensor: data has {data.Length} elements but shape {Tensor<float>.ShapeText(shape)} needs {length}.", nameof(data));
        Data = data;
        _shape = (int[])shape.Clone();
    }

    /// <summary>The indices in row-major order.</summary>
    public int[] Data { get; }

    /// <summary>The extent of each dimension (the pooled output's shape).</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Element access by full index, e.g. <c>indices[0, 0, 1, 1]</c>.</summary>
    public int this[params int[] index]
    {
        get
        {
            if (index.Length != _shape.Length)
                throw new ArgumentException($"IndexTensor of shape {Tensor<float>.ShapeText(_shape)}: index has {index.Length} components, expected {_shape.Length}.");
            int offset = 0;
            for (int d = 0; d < _shape.Length; d++)
            {
                if ((uint)index[d] >= (uint)_shape[d])
                    throw new IndexOutOfRangeException($"IndexTensor of shape {Tensor<float>.ShapeText(_shape)}: index {index[d]} is out of range for dimension {d} (size {_shape[d]}).");
                offset = offset * _shape[d] + index[d];
            }
            return Data[offset];
        }
    }

    /// <summary>The shape as text, e.g. "[1, 1, 2, 2]".</summary>
    public string ShapeString => Tensor<float>.ShapeText(_shape);

    /// <inheritdoc />
    public override string ToString() => $"IndexTensor{ShapeString} [{string.Join(", ", Data.Take(64))}{(Length > 64 ? ", ..." : "")}]";
}

using System.Globalization;
using System.Numerics;
using System.Text;

namespace CourseNotebooks.Engine.Tensors;

/// <summary>
/// A dense, row-major n-dimensional array of <typeparamref name="T"/> (float for training, double for gradient
/// checks). Images are NCHW (batch, channels, height, width), 1-D signals NCL (batch, channels, length),
/// dense activations NF (batch, features). Introduced in notebook 01-convolution.
/// </summary>
/// <remarks>
/// The storage is a plain array (<see cref="Data"/>) so kernels can run over spans with no copies; a tensor
/// owns its array unless it was made by <see cref="Reshape"/>, which shares it (as PyTorch's view does).
/// PyTorch: torch.Tensor (contiguous, no autograd: gradients come from each layer's Backward).
/// </remarks>
public sealed class Tensor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _shape;

    /// <summary>The elements in row-major order (last index fastest).</summary>
    public T[] Data { get; }

    /// <summary>The extent of each dimension.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements: the product of <see cref="Shape"/>.</summary>
    public int Length => Data.Length;

    /// <summary>A zero-filled tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public Tensor(params int[] shape) : this(new T[CheckedLength(shape)], shape) { }

    /// <summary>Wraps <paramref name="data"/> (not copied) as a tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The data length is not the product of the shape.</exception>
    public Tensor(T[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        long length = CheckedLength(shape);
        if (data.Length != length)
            throw new ArgumentException(
                $"Tensor: data has {data.Length} elements but shape {ShapeText(shape)} needs {length}.", nameof(data));
        Data = data;
        _shape = (int[])shape.Clone();
    }

    /// <summary>The size of dimension <paramref name="dim"/>; negative values count from the end, as in PyTorch.</summary>
    public int Size(int dim)
    {
        int d = dim < 0 ? dim + Rank : dim;
        if ((uint)d >= (uint)Rank)
            throw new ArgumentOutOfRangeException(nameof(dim), $"Tensor of shape {ShapeText(_shape)}: dimension {dim} does not exist (rank {Rank}).");
        return _shape[d];
    }

    /// <summary>Element access by full index, e.g. <c>x[0, 0, 2, 3]</c>.</summary>
    public T this[params int[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    /// <summary>Row-major offset of a full index, with a bounds check per dimension.</summary>
    public int Offset(ReadOnlySpan<int> index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Tensor of shape {ShapeText(_shape)}: index has {index.Length} components, expected {Rank}.");
        int offset = 0;
        for (int d = 0; d < Rank; d++)
        {
            if ((uint)index[d] >= (uint)_shape[d])
                throw new IndexOutOfRangeException(
                    $"Tensor of shape {ShapeText(_shape)}: index {index[d]} is out of range for dimension {d} (size {_shape[d]}).");
            offset = offset * _shape[d] + index[d];
        }
        return offset;
    }

    /// <summary>
    /// A tensor with the same data (shared, not copied) and a new shape. One dimension may be -1 and is then
    /// inferred. PyTorch: Tensor.reshape / view.
    /// </summary>
    public Tensor<T> Reshape(params int[] shape)
    {
        var resolved = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int d = 0; d < resolved.Length; d++)
        {
            if (resolved[d] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape {ShapeText(_shape)} -> {ShapeText(shape)}: only one dimension can be -1.");
                infer = d;
            }
            else if (resolved[d] < 0)
                throw new ArgumentException($"Reshape {ShapeText(_shape)} -> {ShapeText(shape)}: dimension {d} is negative.");
            else known *= resolved[d];
        }
        if (infer >= 0)
        {
            if (known == 0 || Length % known != 0)
                throw new ArgumentException($"Reshape {ShapeText(_shape)} ({Length} elements) -> {ShapeText(shape)}: cannot infer the -1 dimension.");
            resolved[infer] = (int)(Length / known);
        }
        else if (known != Length)
            throw new ArgumentException($"Reshape {ShapeText(_shape)} ({Length} elements) -> {ShapeText(shape)} ({known} elements): element counts differ.");
        return new Tensor<T>(Data, resolved);
    }

    /// <summary>A deep copy.</summary>
    public Tensor<T> Clone() => new((T[])Data.Clone(), _shape);

    /// <summary>A zero tensor with the same shape.</summary>
    public Tensor<T> ZerosLike() => new(_shape);

    /// <summary>True when both tensors have the same shape.</summary>
    public bool SameShape(Tensor<T> other) => Shape.SequenceEqual(other.Shape);

    /// <summary>Converts every element to <typeparamref name="TOut"/> (e.g. float to double for a gradient check).</summary>
    public Tensor<TOut> To<TOut>() where TOut : unmanaged, IFloatingPointIeee754<TOut>
    {
        var data = new TOut[Length];
        for (int i = 0; i < data.Length; i++) data[i] = TOut.CreateTruncating(Data[i]);
        return new Tensor<TOut>(data, _shape);
    }

    /// <summary>Fills every element with <paramref name="value"/>.</summary>
    public Tensor<T> Fill(T value)
    {
        Array.Fill(Data, value);
        return this;
    }

    /// <summary>The shape as text, e.g. "[2, 3, 28, 28]".</summary>
    public string ShapeString => ShapeText(_shape);

    /// <summary>
    /// A readable rendering: small tensors print as grids (the last two dimensions as rows and columns, as on the
    /// slides), large ones as their shape and a summary.
    /// </summary>
    public override string ToString() => ToString("G4");

    /// <summary>Renders like <see cref="ToString()"/> with a number format such as "F2".</summary>
    public string ToString(string numberFormat)
    {
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(ShapeText(_shape));
        if (Length > 400)
        {
            T min = T.PositiveInfinity, max = T.NegativeInfinity, sum = T.Zero;
            foreach (var v in Data) { min = T.Min(min, v); max = T.Max(max, v); sum += v; }
            sb.Append(CultureInfo.InvariantCulture, $" min {min} max {max} mean {sum / T.CreateTruncating(Length)}");
            return sb.ToString();
        }
        sb.AppendLine();
        int cols = Rank == 0 ? 1 : _shape[^1];
        int rows = Rank < 2 ? 1 : _shape[^2];
        int plane = Math.Max(1, rows * cols);
        var cells = Data.Select(v => v.ToString(numberFormat, CultureInfo.InvariantCulture)).ToArray();
        int width = cells.Length == 0 ? 1 : cells.Max(c => c.Length);
        for (int p = 0; p * plane < Length; p++)
        {
            if (Rank > 2)
            {
                var lead = new int[Rank - 2];
                int rem = p;
                for (int d = Rank - 3; d >= 0; d--) { lead[d] = rem % _shape[d]; rem /= _shape[d]; }
                sb.Append('[').Append(string.Join(", ", lead)).AppendLine(", :, :]");
            }
            for (int r = 0; r < rows; r++)
            {
                sb.Append("  ");
                for (int c = 0; c < cols; c++)
                    sb.Append(cells[p * plane + r * cols + c].PadLeft(width)).Append(c + 1 < cols ? "  " : "");
                sb.AppendLine();
            }
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>Formats a shape as "[a, b, c]" for messages.</summary>
    public static string ShapeText(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>The element count of <paramref name="shape"/>, checked: no negative dimension, at most Array.MaxLength elements.</summary>
    internal static int CheckedLength(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long length = 1;
        foreach (int s in shape)
        {
            if (s < 0) throw new ArgumentException($"Tensor: shape {ShapeText(shape)} has a negative dimension.", nameof(shape));
            length *= s;
            if (length > Array.MaxLength) throw new ArgumentException($"Tensor: shape {ShapeText(shape)} has more than {Array.MaxLength} elements.", nameof(shape));
        }
        return (int)length;
    }
}

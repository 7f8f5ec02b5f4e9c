using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Embeddings;

/// <summary>
/// A data matrix [N, D] (N samples, D features) copied to row-major doubles, as PCA and t-SNE read it. Tensors of
/// rank above 2 (e.g. images [N, C, H, W]) are read as [N, C*H*W]: one sample per first index.
/// </summary>
internal readonly struct DataMatrix
{
    public DataMatrix(double[] values, int rows, int columns)
    {
        Values = values;
        Rows = rows;
        Columns = columns;
    }

    public double[] Values { get; }
    public int Rows { get; }
    public int Columns { get; }

    public static DataMatrix From<T>(string owner, Tensor<T> data) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Rank < 2)
            throw new ArgumentException(
                $"{owner}: data rank: expected 2 ([N, D]) or more ([N, ...] read as [N, D]), got {data.Rank} (shape {data.ShapeString}).", nameof(data));
        int rows = data.Shape[0];
        int columns = rows == 0 ? 0 : data.Length / rows;
        var values = new double[data.Length];
        for (int i = 0; i < values.Length; i++) values[i] = double.CreateTruncating(data.Data[i]);
        return Checked(owner, new DataMatrix(values, rows, columns));
    }

    public static DataMatrix From(string owner, double[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int rows = data.GetLength(0), columns = data.GetLength(1);
        var values = new double[data.Length];
        Buffer.BlockCopy(data, 0, values, 0, data.Length * sizeof(double));
        return Checked(owner, new DataMatrix(values, rows, columns));
    }

    /// <summary>Rejects empty data and names the first non-finite entry by row and column.</summary>
    private static DataMatrix Checked(string owner, DataMatrix m)
    {
        if (m.Rows == 0 || m.Columns == 0)
            throw new ArgumentException($"{owner}: data is empty: expected at least 1 sample and 1 feature, got [{m.Rows}, {m.Columns}].", "data");
        for (int i = 0; i < m.Values.Length; i++)
            if (!double.IsFinite(m.Values[i]))
                throw new ArgumentException(
                    $"{owner}: data must be finite, got {m.Values[i]} at row {i / m.Columns}, column {i % m.Columns} (shape [{m.Rows}, {m.Columns}]).", "data");
        return m;
    }
}

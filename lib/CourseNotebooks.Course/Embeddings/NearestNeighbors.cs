using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Embeddings;

/// <summary>
/// The k nearest neighbours of each query row: indices [Q, k] and squared Euclidean distances [Q, k], nearest first.
/// Introduced in notebook 11-tsne-maps.
/// </summary>
/// <param name="Index">Row indices into the searched data, [queries, k], nearest first; ties keep the lower index.</param>
/// <param name="SquaredDistance">The matching squared distances, [queries, k], ascending.</param>
public sealed record NeighborList(IndexTensor Index, Tensor<double> SquaredDistance)
{
    /// <summary>Neighbours per query.</summary>
    public int K => Index.Shape[1];

    /// <summary>Number of queries.</summary>
    public int Queries => Index.Shape[0];
}

/// <summary>
/// Exact k-nearest-neighbour search by brute force, as sklearn's NearestNeighbors(algorithm="brute") does it: the
/// squared distances |q|^2 + |x|^2 - 2 q.x of a block of query rows come from one GEMM, and each query keeps its k
/// smallest in a bounded max-heap, O(N log k) per query instead of a full sort. t-SNE's sparse affinities use it
/// internally; introduced in notebook 11-tsne-maps (through <see cref="EmbeddingQuality"/>: kNN accuracy and
/// trustworthiness of the maps) and used for similar-image search in 12-retrieval-with-codes.
/// Introduced in notebook 11-tsne-maps.
/// </summary>
/// <remarks>
/// Rows of rank-above-2 tensors are flattened ([N, C, H, W] reads as [N, C*H*W]). Exact, not approximate: at
/// N = 10,000 and D = 784 a full self-search is a 10,000 x 10,000 x 784 GEMM (157 GFLOP), run in blocks of 256
/// query rows so memory stays at 256 x N doubles. Distances are clamped at 0 (the GEMM form can round slightly
/// negative for near-duplicates).
/// </remarks>
public static class NearestNeighbors
{
    /// <summary>
    /// The <paramref name="k"/> nearest other rows of each row of <paramref name="data"/> [N, D] (a row is never its
    /// own neighbour). Needs 1 &lt;= k &lt;= N - 1.
    /// </summary>
    public static NeighborList Of<T>(Tensor<T> data, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = DataMatrix.From("NearestNeighbors.Of", data);
        var (index, distance) = Search(x, x, k, excludeSelf: true, "NearestNeighbors.Of");
        return new NeighborList(new IndexTensor(index, x.Rows, k), new Tensor<double>(distance, x.Rows, k));
    }

    /// <summary>
    /// The <paramref name="k"/> nearest rows of <paramref name="data"/> [N, D] to each row of
    /// <paramref name="queries"/> [Q, D] (the two are separate sets, nothing is excluded). Needs 1 &lt;= k &lt;= N and
    /// the same feature count D.
    /// </summary>
    public static NeighborList Search<T>(Tensor<T> queries, Tensor<T> data, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var q = DataMatrix.From("NearestNeighbors.Search (queries)", queries);
        var x = DataMatrix.From("NearestNeighbors.Search (data)", data);
        if (q.Columns != x.Columns)
            throw new ArgumentException(
                $"NearestNeighbors.Search: features per row: queries have {q.Columns} (shape {queries.ShapeString}), data has {x.Columns} (shape {data.ShapeString}); they must match.", nameof(queries));
        var (index, distance) = Search(q, x, k, excludeSelf: false, "NearestNeighbors.Search");
        return new NeighborList(new IndexTensor(index, q.Rows, k), new Tensor<double>(distance, q.Rows, k));
    }

    /// <summary>The search on copied double matrices; with <paramref name="excludeSelf"/> the queries are the data.</summary>
    internal static (int[] Index, double[] Distance) Search(DataMatrix queries, DataMatrix data, int k, bool excludeSelf, string owner)
    {
        int n = data.Rows, d = data.Columns, nq = queries.Rows;
        int available = excludeSelf ? n - 1 : n;
        if (k < 1 || k > available)
            throw new ArgumentOutOfRangeException(nameof(k), k,
                $"{owner}: k: expected 1 to {available} ({(excludeSelf ? "the other rows" : "the data rows")} of {n}), got {k}.");
        var dataNorms = RowNorms(data);
        var queryNorms = excludeSelf ? dataNorms : RowNorms(queries);
        var index = new int[nq * k];
        var distance = new double[nq * k];
        const int BlockRows = 256; // 256 x N doubles per block: 20 MB at N = 10,000
        var block = new double[Math.Min(BlockRows, nq) * n];
        for (int r0 = 0; r0 < nq; r0 += BlockRows)
        {
            int rows = Math.Min(BlockRows, nq - r0);
            Gemm.Multiply(false, true, rows, n, d, -2.0, queries.Values.AsSpan(r0 * d), d, data.Values, d, 0.0, block, n);
            PointLoop.For(rows, n, r =>
            {
                int i = r0 + r;
                var heapD = distance.AsSpan(i * k, k);
                var heapI = index.AsSpan(i * k, k);
                int size = 0;
                for (int j = 0; j < n; j++)
                {
                    if (excludeSelf && j == i) continue;
                    double dij = Math.Max(0, block[r * n + j] + queryNorms[i] + dataNorms[j]);
                    if (size < k) HeapPush(heapD, heapI, size++, dij, j);
                    else if (Greater(heapD[0], heapI[0], dij, j)) HeapReplaceTop(heapD, heapI, k, dij, j);
                }
                // Pop the max-heap from the back: the result is ascending.
                for (int end = k - 1; end > 0; end--)
                {
                    (heapD[0], heapD[end]) = (heapD[end], heapD[0]);
                    (heapI[0], heapI[end]) = (heapI[end], heapI[0]);
                    SiftDown(heapD, heapI, 0, end);
                }
            });
        }
        return (index, distance);
    }

    internal static double[] RowNorms(DataMatrix x)
    {
        int d = x.Columns;
        var norms = new double[x.Rows];
        for (int i = 0; i < x.Rows; i++)
        {
            var row = x.Values.AsSpan(i * d, d);
            norms[i] = System.Numerics.Tensors.TensorPrimitives.Dot<double>(row, row);
        }
        return norms;
    }

    // A max-heap on (distance, index): the larger index counts as larger on equal distances, so ties keep the lower one.
    private static bool Greater(double da, int ia, double db, int ib) => da > db || (da == db && ia > ib);

    private static void HeapPush(Span<double> d, Span<int> idx, int size, double value, int j)
    {
        int c = size;
        d[c] = value; idx[c] = j;
        while (c > 0)
        {
            int parent = (c - 1) / 2;
            if (!Greater(d[c], idx[c], d[parent], idx[parent])) break;
            (d[c], d[parent]) = (d[parent], d[c]);
            (idx[c], idx[parent]) = (idx[parent], idx[c]);
            c = parent;
        }
    }

    private static void HeapReplaceTop(Span<double> d, Span<int> idx, int size, double value, int j)
    {
        d[0] = value; idx[0] = j;
        SiftDown(d, idx, 0, size);
    }

    private static void SiftDown(Span<double> d, Span<int> idx, int c, int size)
    {
        while (true)
        {
            int l = 2 * c + 1, r = l + 1, largest = c;
            if (l < size && Greater(d[l], idx[l], d[largest], idx[largest])) largest = l;
            if (r < size && Greater(d[r], idx[r], d[largest], idx[largest])) largest = r;
            if (largest == c) return;
            (d[c], d[largest]) = (d[largest], d[c]);
            (idx[c], idx[largest]) = (idx[largest], idx[c]);
            c = largest;
        }
    }
}

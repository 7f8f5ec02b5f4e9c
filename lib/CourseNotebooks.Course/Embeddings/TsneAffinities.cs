using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Embeddings;

/// <summary>A sparse symmetric joint-probability matrix P in compressed rows (Barnes-Hut t-SNE).</summary>
internal sealed class SparseAffinities
{
    public SparseAffinities(int n, int[] rowStart, int[] columns, double[] values)
    {
        N = n;
        RowStart = rowStart;
        Columns = columns;
        Values = values;
    }

    public int N { get; }
    public int[] RowStart { get; }
    public int[] Columns { get; }
    public double[] Values { get; }

    /// <summary>The non-zeros of a dense [N, N] matrix (the diagonal is skipped).</summary>
    public static SparseAffinities FromDense(double[] p, int n)
    {
        var rowStart = new int[n + 1];
        var columns = new List<int>();
        var values = new List<double>();
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
                if (i != j && p[i * n + j] != 0) { columns.Add(j); values.Add(p[i * n + j]); }
            rowStart[i + 1] = columns.Count;
        }
        return new SparseAffinities(n, rowStart, [.. columns], [.. values]);
    }
}

/// <summary>
/// The input-space side of t-SNE: squared distances, the per-point Gaussian bandwidth found by binary search so
/// each conditional distribution has the requested perplexity, and the symmetrised joint P.
/// </summary>
internal static class TsneAffinities
{
    /// <summary>Binary-search steps and entropy tolerance, as in van der Maaten's reference code and sklearn.</summary>
    public const int SearchSteps = 50;
    public const double EntropyTolerance = 1e-5;

    /// <summary>
    /// Fills <paramref name="p"/> with p_j = exp(-beta d_j) / sum_k exp(-beta d_k) for the squared distances
    /// <paramref name="d"/> (self excluded), choosing beta = 1 / (2 sigma^2) by bisection so that the entropy
    /// (natural log) equals log(perplexity). Returns beta.
    /// </summary>
    /// <remarks>The distances are shifted by their minimum first: that cancels in p and in the entropy, and it
    /// keeps the sum at least 1, so far-away points never underflow every term to zero.</remarks>
    public static double SearchRow(ReadOnlySpan<double> d, double perplexity, Span<double> p)
    {
        double dMin = double.PositiveInfinity;
        foreach (double v in d) dMin = Math.Min(dMin, v);
        double target = Math.Log(perplexity);
        double beta = 1, lo = double.NegativeInfinity, hi = double.PositiveInfinity, sum = 1;
        for (int step = 0; step < SearchSteps; step++)
        {
            sum = 0;
            double weighted = 0;
            for (int j = 0; j < d.Length; j++)
            {
                double shifted = d[j] - dMin;
                p[j] = Math.Exp(-beta * shifted);
                sum += p[j];
                weighted += shifted * p[j];
            }
            double diff = Math.Log(sum) + beta * weighted / sum - target;
            if (Math.Abs(diff) <= EntropyTolerance) break;
            if (diff > 0)
            {
                lo = beta;
                beta = double.IsPositiveInfinity(hi) ? beta * 2 : (beta + hi) / 2;
            }
            else
            {
                hi = beta;
                beta = double.IsNegativeInfinity(lo) ? beta / 2 : (beta + lo) / 2;
            }
        }
        for (int j = 0; j < d.Length; j++) p[j] /= sum;
        return beta;
    }

    /// <summary>All squared Euclidean distances [N, N] as |x_i|^2 + |x_j|^2 - 2 x_i.x_j (one GEMM), clamped at 0.</summary>
    public static double[] SquaredDistances(DataMatrix x)
    {
        int n = x.Rows, d = x.Columns;
        var dist = new double[n * n];
        Gemm.Multiply(false, true, n, n, d, -2.0, x.Values, d, x.Values, d, 0.0, dist, n);
        var norms = NearestNeighbors.RowNorms(x);
        PointLoop.For(n, n, i =>
        {
            for (int j = 0; j < n; j++) dist[i * n + j] = i == j ? 0 : Math.Max(0, dist[i * n + j] + norms[i] + norms[j]);
        });
        return dist;
    }

    /// <summary>The conditional probabilities p_{j|i} as a dense [N, N] row-stochastic matrix, zero diagonal.</summary>
    public static double[] Conditional(DataMatrix x, double perplexity)
    {
        int n = x.Rows;
        var dist = SquaredDistances(x);
        var p = new double[n * n];
        PointLoop.For(n, 20L * n, i =>
        {
            var d = new double[n - 1];
            var row = new double[n - 1];
            for (int j = 0, c = 0; j < n; j++) if (j != i) d[c++] = dist[i * n + j];
            SearchRow(d, perplexity, row);
            for (int j = 0, c = 0; j < n; j++) if (j != i) p[i * n + j] = row[c++];
        });
        return p;
    }

    /// <summary>The joint P = (P_cond + P_cond^T) / (2N), dense [N, N]; it sums to 1.</summary>
    public static double[] Joint(DataMatrix x, double perplexity)
    {
        int n = x.Rows;
        var c = Conditional(x, perplexity);
        var p = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) p[i * n + j] = (c[i * n + j] + c[j * n + i]) / (2.0 * n);
        return p;
    }

    /// <summary>
    /// The sparse joint P of Barnes-Hut t-SNE: each point's conditional distribution is restricted to its
    /// <paramref name="neighbours"/> nearest neighbours (sklearn: min(N - 1, floor(3 perplexity + 1))), then
    /// P = (P_cond + P_cond^T) / sum.
    /// </summary>
    public static SparseAffinities SparseJoint(DataMatrix x, double perplexity, int neighbours)
    {
        int n = x.Rows, k = neighbours;
        var (index, dist) = NearestNeighbors.Search(x, x, k, excludeSelf: true, "Tsne.Fit");
        var cond = new double[n * k];
        PointLoop.For(n, 20L * k, i => SearchRow(dist.AsSpan(i * k, k), perplexity, cond.AsSpan(i * k, k)));

        // Symmetrise: every (i, j, p_{j|i}) lands in row i and in row j; equal (row, column) pairs are then merged.
        var counts = new int[n + 1];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++) { counts[i + 1]++; counts[index[i * k + c] + 1]++; }
        for (int i = 0; i < n; i++) counts[i + 1] += counts[i];
        var fill = (int[])counts.Clone();
        var cols = new int[counts[n]];
        var vals = new double[counts[n]];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++)
            {
                int j = index[i * k + c];
                double v = cond[i * k + c];
                cols[fill[i]] = j; vals[fill[i]++] = v;
                cols[fill[j]] = i; vals[fill[j]++] = v;
            }

        var rowStart = new int[n + 1];
        var outCols = new List<int>(counts[n]);
        var outVals = new List<double>(counts[n]);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            int start = counts[i], length = counts[i + 1] - counts[i];
            Array.Sort(cols, vals, start, length);
            for (int e = start; e < start + length; e++)
            {
                if (outCols.Count > rowStart[i] && outCols[^1] == cols[e]) outVals[^1] += vals[e];
                else { outCols.Add(cols[e]); outVals.Add(vals[e]); }
                total += vals[e];
            }
            rowStart[i + 1] = outCols.Count;
        }
        var values = outVals.ToArray();
        for (int e = 0; e < values.Length; e++) values[e] /= total;
        return new SparseAffinities(n, rowStart, [.. outCols], values);
    }
}

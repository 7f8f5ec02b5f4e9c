using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Embeddings;

/// <summary>The centre and size of each labelled group of points: what a map keeps or loses of the data's clusters. Introduced in notebook 11-tsne-maps.</summary>
/// <param name="Classes">The distinct labels, ascending; row c of the other members belongs to Classes[c].</param>
/// <param name="Counts">Points per class.</param>
/// <param name="Centroids">The mean point of each class, [C, D].</param>
/// <param name="Radius">The root-mean-square distance of each class's points from its centroid (its spread).</param>
public sealed record ClusterSummary(int[] Classes, int[] Counts, Tensor<double> Centroids, double[] Radius)
{
    /// <summary>Euclidean distance between the centroids of rows <paramref name="a"/> and <paramref name="b"/> (class positions, not labels).</summary>
    public double CentroidDistance(int a, int b)
    {
        int d = Centroids.Shape[1];
        double s = 0;
        for (int c = 0; c < d; c++) s += Math.Pow(Centroids.Data[a * d + c] - Centroids.Data[b * d + c], 2);
        return Math.Sqrt(s);
    }
}

/// <summary>
/// Numbers behind a picture of data: how well a low-dimensional map (t-SNE, PCA) keeps what matters of the original
/// space. Leave-one-out k-nearest-neighbour accuracy of labelled points (in the map or in the original space), and
/// trustworthiness (Venna and Kaski 2001; sklearn: sklearn.manifold.trustworthiness). Both use the exact search of
/// <see cref="NearestNeighbors"/>. Introduced in notebook 11-tsne-maps.
/// </summary>
public static class EmbeddingQuality
{
    /// <summary>
    /// Leave-one-out k-nearest-neighbour accuracy: each point is classified by a majority vote of the labels of its
    /// <paramref name="k"/> nearest other points (Euclidean), and the share of points whose vote equals their own label is
    /// returned, in [0, 1]. Points [N, D] (a tensor [N, ...] reads as [N, D]); labels non-negative, one per point.
    /// </summary>
    /// <remarks>Tie rule: when several classes share the most votes, the one whose member is nearest wins (so k = 2 with
    /// two different labels is a 1-NN vote). Neighbours at equal distance are ordered by index (lower first), as
    /// <see cref="NearestNeighbors.Of{T}"/> orders them. sklearn's KNeighborsClassifier breaks vote ties by the smaller
    /// label instead; cross_val_score with LeaveOneOut gives the same number otherwise.</remarks>
    /// <exception cref="ArgumentException">Labels count differs from N, or a label is negative.</exception>
    /// <exception cref="ArgumentOutOfRangeException">k outside 1 .. N - 1.</exception>
    public static double KnnAccuracy<T>(Tensor<T> points, int[] labels, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var predicted = KnnPredict(points, labels, k);
        int correct = 0;
        for (int i = 0; i < predicted.Length; i++) if (predicted[i] == labels[i]) correct++;
        return (double)correct / predicted.Length;
    }

    /// <summary>The leave-one-out vote of <see cref="KnnAccuracy{T}"/> for every point (same tie rule), one label per point.</summary>
    public static int[] KnnPredict<T>(Tensor<T> points, int[] labels, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(points);
        int classes = CheckLabels("EmbeddingQuality.KnnAccuracy", labels, points.Rank == 0 ? 0 : points.Shape[0]);
        var neighbours = NearestNeighbors.Of(points, k);
        var votes = new int[classes];
        var predicted = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            var row = neighbours.Index.Data.AsSpan(i * k, k);
            Array.Clear(votes);
            int most = 0;
            foreach (int j in row) most = Math.Max(most, ++votes[labels[j]]);
            // Nearest first: the first neighbour whose class has the most votes decides a tie.
            foreach (int j in row)
                if (votes[labels[j]] == most) { predicted[i] = labels[j]; break; }
        }
        return predicted;
    }

    /// <summary>
    /// Trustworthiness of an embedding [N, d] of data [N, D] at <paramref name="k"/> neighbours, in [0, 1]: 1 when every
    /// point's k nearest neighbours in the map are also among its k nearest in the data; lower when the map brings
    /// points together that are far apart in the data (false neighbours: "clusters" the data does not have).
    /// </summary>
    /// <remarks>
    /// <para>As sklearn.manifold.trustworthiness (Venna and Kaski 2001):</para>
    /// <code>
    /// T(k) = 1 - 2 / (N k (2N - 3k - 1)) * sum_i sum_{j in U_i(k)} (r(i, j) - k)
    /// </code>
    /// <para>where U_i(k) holds the points among the k nearest of i in the map that are not among its k nearest in the
    /// data, and r(i, j) is j's rank among i's neighbours in the data (1 = nearest, i itself excluded). Ranks on equal
    /// distances go to the lower index first, as in <see cref="NearestNeighbors"/>. The normalisation makes the worst
    /// case 0 and needs k &lt; N / 2 (sklearn's condition). A random map of structured data scores near 0.5.</para>
    /// <para>Cost: the map's neighbours from <see cref="NearestNeighbors.Of{T}"/>; the data's ranks from one distance row
    /// per point (the GEMM form |x_i|^2 + |x_l|^2 - 2 x_i.x_l in blocks of 256 rows), O(N^2 D) in all.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">Different numbers of rows in data and embedding.</exception>
    /// <exception cref="ArgumentOutOfRangeException">k outside 1 .. (N - 1) / 2, i.e. not below N / 2.</exception>
    public static double Trustworthiness<TData, TMap>(Tensor<TData> data, Tensor<TMap> embedding, int k)
        where TData : unmanaged, IFloatingPointIeee754<TData> where TMap : unmanaged, IFloatingPointIeee754<TMap>
    {
        const string Owner = "EmbeddingQuality.Trustworthiness";
        var x = DataMatrix.From(Owner + " (data)", data);
        ArgumentNullException.ThrowIfNull(embedding);
        int n = x.Rows;
        if (embedding.Rank < 2 || embedding.Shape[0] != n)
            throw new ArgumentException(
                $"{Owner}: the embedding must have one row per data row: data {data.ShapeString}, embedding {embedding.ShapeString}.", nameof(embedding));
        if (k < 1 || 2 * k >= n)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"{Owner}: k: expected 1 to {(n - 1) / 2} (below N / 2, N = {n}), got {k}.");
        var mapNeighbours = NearestNeighbors.Of(embedding, k).Index.Data;

        var norms = NearestNeighbors.RowNorms(x);
        int dims = x.Columns;
        var penalty = new long[n];
        const int BlockRows = 256;
        var block = new double[Math.Min(BlockRows, n) * n];
        for (int r0 = 0; r0 < n; r0 += BlockRows)
        {
            int rows = Math.Min(BlockRows, n - r0);
            Gemm.Multiply(false, true, rows, n, dims, -2.0, x.Values.AsSpan(r0 * dims), dims, x.Values, dims, 0.0, block, n);
            PointLoop.For(rows, (long)n * k, r =>
            {
                int i = r0 + r;
                var distance = block.AsSpan(r * n, n);
                for (int l = 0; l < n; l++) distance[l] = Math.Max(0, distance[l] + norms[i] + norms[l]);
                long sum = 0;
                for (int e = 0; e < k; e++)
                {
                    int j = mapNeighbours[i * k + e];
                    double dij = distance[j];
                    int rank = 1;
                    for (int l = 0; l < n; l++)
                        if (l != i && l != j && (distance[l] < dij || (distance[l] == dij && l < j))) rank++;
                    if (rank > k) sum += rank - k;
                }
                penalty[i] = sum;
            });
        }
        double total = 0;
        foreach (long p in penalty) total += p;
        return 1 - 2.0 / ((double)n * k * (2.0 * n - 3.0 * k - 1)) * total;
    }

    /// <summary>
    /// The centroid and root-mean-square radius of each labelled group of points [N, D]: with the same labels in the data
    /// and in a map, it says whether the map kept the clusters' relative sizes and distances (t-SNE does not).
    /// </summary>
    /// <exception cref="ArgumentException">Labels count differs from N, or a label is negative.</exception>
    public static ClusterSummary Clusters<T>(Tensor<T> points, int[] labels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = DataMatrix.From("EmbeddingQuality.Clusters", points);
        CheckLabels("EmbeddingQuality.Clusters", labels, x.Rows);
        int[] classes = [.. labels.Distinct().Order()];
        int c = classes.Length, d = x.Columns;
        var row = new Dictionary<int, int>();
        for (int a = 0; a < c; a++) row[classes[a]] = a;
        var counts = new int[c];
        var centroids = new double[c * d];
        for (int i = 0; i < x.Rows; i++)
        {
            int a = row[labels[i]];
            counts[a]++;
            for (int j = 0; j < d; j++) centroids[a * d + j] += x.Values[i * d + j];
        }
        for (int a = 0; a < c; a++) for (int j = 0; j < d; j++) centroids[a * d + j] /= counts[a];
        var radius = new double[c];
        for (int i = 0; i < x.Rows; i++)
        {
            int a = row[labels[i]];
            for (int j = 0; j < d; j++) radius[a] += Math.Pow(x.Values[i * d + j] - centroids[a * d + j], 2);
        }
        for (int a = 0; a < c; a++) radius[a] = Math.Sqrt(radius[a] / counts[a]);
        return new ClusterSummary(classes, counts, new Tensor<double>(centroids, c, d), radius);
    }

    /// <summary>
    /// The Clark-Evans ratio of a 2-D point set [N, 2]: the mean distance from each point to its nearest other point,
    /// divided by 0.5 / sqrt(N / A), its expected value for N points spread uniformly at random over the area A of their
    /// bounding box. About 1 for structureless points, well below 1 when they gather in clumps (Clark and Evans 1954).
    /// </summary>
    /// <remarks>Edge effects and a non-rectangular outline move the value a little (a uniform disc in its bounding box
    /// gives about 0.9): compare ratios of point sets of the same kind, not with 1 to the third decimal.</remarks>
    /// <exception cref="ArgumentException">Not [N, 2], fewer than 2 points, or all points on a line (zero area).</exception>
    public static double ClarkEvans<T>(Tensor<T> points) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Rank != 2 || points.Shape[1] != 2)
            throw new ArgumentException($"EmbeddingQuality.ClarkEvans: points: expected [N, 2], got {points.ShapeString}.", nameof(points));
        int n = points.Shape[0];
        var nearest = NearestNeighbors.Of(points, 1).SquaredDistance.Data;
        double minX = double.PositiveInfinity, maxX = double.NegativeInfinity, minY = double.PositiveInfinity, maxY = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            double px = double.CreateTruncating(points.Data[2 * i]), py = double.CreateTruncating(points.Data[2 * i + 1]);
            minX = Math.Min(minX, px); maxX = Math.Max(maxX, px); minY = Math.Min(minY, py); maxY = Math.Max(maxY, py);
        }
        double area = (maxX - minX) * (maxY - minY);
        if (!(area > 0)) throw new ArgumentException("EmbeddingQuality.ClarkEvans: the points span no area (all on one line).", nameof(points));
        double mean = nearest.Sum(Math.Sqrt) / n;
        return mean / (0.5 / Math.Sqrt(n / area));
    }

    /// <summary>
    /// <see cref="ClarkEvans{T}"/> of each labelled group of 2-D points on its own, in ascending label order: whether the
    /// points inside one cluster are spread evenly (about 1) or fall apart into clumps (well below 1), which the ratio of
    /// the whole map, dominated by the gaps between clusters, cannot say.
    /// </summary>
    /// <exception cref="ArgumentException">Not [N, 2], labels of the wrong count or negative, or a class with fewer than 2
    /// points or all on one line.</exception>
    public static double[] ClarkEvansByClass<T>(Tensor<T> points, int[] labels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Rank != 2 || points.Shape[1] != 2)
            throw new ArgumentException($"EmbeddingQuality.ClarkEvansByClass: points: expected [N, 2], got {points.ShapeString}.", nameof(points));
        CheckLabels("EmbeddingQuality.ClarkEvansByClass", labels, points.Shape[0]);
        return [.. labels.Distinct().Order().Select(label =>
        {
            var rows = Enumerable.Range(0, labels.Length).Where(i => labels[i] == label).ToArray();
            var group = new Tensor<T>(rows.Length, 2);
            for (int r = 0; r < rows.Length; r++)
            {
                group.Data[2 * r] = points.Data[2 * rows[r]];
                group.Data[2 * r + 1] = points.Data[2 * rows[r] + 1];
            }
            return ClarkEvans(group);
        })];
    }

    /// <summary>Checks one non-negative label per point; returns the number of label values (max + 1).</summary>
    private static int CheckLabels(string owner, int[] labels, int points)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != points)
            throw new ArgumentException($"{owner}: labels: expected one per point ({points}), got {labels.Length}.", nameof(labels));
        int max = -1;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0) throw new ArgumentException($"{owner}: labels must be non-negative, got {labels[i]} at index {i}.", nameof(labels));
            max = Math.Max(max, labels[i]);
        }
        return max + 1;
    }
}

using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Embeddings;

/// <summary>
/// How well a search finds items of the query's own class: precision at k against class labels, its curve over k,
/// per class, and what a random ranking would score (the label-frequency baseline). The rankings come from
/// <see cref="NearestNeighbors"/> (Euclidean) or <see cref="BinaryCodes.Of"/> / <see cref="BinaryCodes.Search"/>
/// (Hamming). Introduced in notebook 12-retrieval-with-codes.
/// </summary>
/// <remarks>
/// <para>Precision at k of one query: the share of its k first results whose label equals the query's label;
/// the reported figure is the mean over all queries (every query weighs the same). Scikit-learn has no direct
/// equivalent for label-based retrieval; it is the "precision@k" of the retrieval literature (Hinton and
/// Salakhutdinov 2006, Fig. 4, plot the same quantity against the fraction of the collection retrieved).</para>
/// <para>The query itself: in a self-search (<see cref="NearestNeighbors.Of{T}"/>, <see cref="BinaryCodes.Of"/>) a row
/// is never its own result, so a query cannot count itself as a hit; an exact duplicate elsewhere in the data does
/// count. In a search of separate queries against a collection (<c>Search</c>) nothing is excluded. The functions
/// here take the ranking as it is and check only that its indices are inside the collection.</para>
/// </remarks>
public static class Retrieval
{
    /// <summary>
    /// Mean precision at <paramref name="k"/>: for each query row q of <paramref name="neighbors"/> [Q, K] (K &gt;= k),
    /// the share of its first k results j with dataLabels[j] == queryLabels[q], averaged over the Q queries.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or label counts do not match, k is outside 1..K, or a result index
    /// is outside the collection.</exception>
    public static double PrecisionAtK(IndexTensor neighbors, IReadOnlyList<int> queryLabels, IReadOnlyList<int> dataLabels, int k)
    {
        var perQuery = PerQuery("Retrieval.PrecisionAtK", neighbors, queryLabels, dataLabels, k);
        return perQuery.Length == 0 ? double.NaN : perQuery.Average();
    }

    /// <summary>
    /// Mean precision at every k from 1 to K (the columns of <paramref name="neighbors"/> [Q, K]): element k - 1 is
    /// <see cref="PrecisionAtK"/> at k. One pass over the ranking.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="PrecisionAtK"/>.</exception>
    public static double[] PrecisionCurve(IndexTensor neighbors, IReadOnlyList<int> queryLabels, IReadOnlyList<int> dataLabels)
    {
        var (queries, width) = Check("Retrieval.PrecisionCurve", neighbors, queryLabels, dataLabels, 1);
        var curve = new double[width];
        if (queries == 0) { Array.Fill(curve, double.NaN); return curve; }
        for (int q = 0; q < queries; q++)
        {
            int hits = 0;
            for (int r = 0; r < width; r++)
            {
                if (dataLabels[neighbors.Data[q * width + r]] == queryLabels[q]) hits++;
                curve[r] += (double)hits / (r + 1);
            }
        }
        for (int r = 0; r < width; r++) curve[r] /= queries;
        return curve;
    }

    /// <summary>
    /// Precision at <paramref name="k"/> averaged over the queries of each class separately: element c is the mean
    /// over queries labelled c (NaN when no query has label c). Shows a frequent class hiding a rare one's failure.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="PrecisionAtK"/>, or a query label outside 0..classes-1.</exception>
    public static double[] PrecisionAtKByClass(IndexTensor neighbors, IReadOnlyList<int> queryLabels, IReadOnlyList<int> dataLabels, int k, int classes)
    {
        var perQuery = PerQuery("Retrieval.PrecisionAtKByClass", neighbors, queryLabels, dataLabels, k);
        return ByClass("Retrieval.PrecisionAtKByClass", perQuery, queryLabels, classes);
    }

    /// <summary>
    /// The label-frequency baseline: the expected precision (at any k) of a ranking drawn at random, the mean over
    /// queries of the share of the collection that carries the query's label. With <paramref name="selfSearch"/>
    /// the queries are the collection's own rows and each query's row is left out of its own share (count - 1 over
    /// N - 1), as <see cref="NearestNeighbors.Of{T}"/> leaves it out of the ranking.
    /// </summary>
    /// <exception cref="ArgumentException">Self-search with different label lists, or a collection of fewer than 2 rows.</exception>
    public static double ChancePrecision(IReadOnlyList<int> queryLabels, IReadOnlyList<int> dataLabels, bool selfSearch)
    {
        var perQuery = ChancePerQuery("Retrieval.ChancePrecision", queryLabels, dataLabels, selfSearch);
        return perQuery.Length == 0 ? double.NaN : perQuery.Average();
    }

    /// <summary>The label-frequency baseline of each class's queries (NaN for a class without queries); see <see cref="ChancePrecision"/>.</summary>
    /// <exception cref="ArgumentException">As <see cref="ChancePrecision"/>, or a query label outside 0..classes-1.</exception>
    public static double[] ChancePrecisionByClass(IReadOnlyList<int> queryLabels, IReadOnlyList<int> dataLabels, bool selfSearch, int classes)
        => ByClass("Retrieval.ChancePrecisionByClass", ChancePerQuery("Retrieval.ChancePrecisionByClass", queryLabels, dataLabels, selfSearch), queryLabels, classes);

    private static double[] PerQuery(string owner, IndexTensor neighbors, IReadOnlyList<int> queryLabels, IReadOnlyList<int> dataLabels, int k)
    {
        var (queries, width) = Check(owner, neighbors, queryLabels, dataLabels, k);
        var perQuery = new double[queries];
        for (int q = 0; q < queries; q++)
        {
            int hits = 0;
            for (int r = 0; r < k; r++)
                if (dataLabels[neighbors.Data[q * width + r]] == queryLabels[q]) hits++;
            perQuery[q] = (double)hits / k;
        }
        return perQuery;
    }

    private static double[] ChancePerQuery(string owner, IReadOnlyList<int> queryLabels, IReadOnlyList<int> dataLabels, bool selfSearch)
    {
        ArgumentNullException.ThrowIfNull(queryLabels);
        ArgumentNullException.ThrowIfNull(dataLabels);
        if (selfSearch && !ReferenceEquals(queryLabels, dataLabels) && !queryLabels.SequenceEqual(dataLabels))
            throw new ArgumentException($"{owner}: a self-search needs the same labels for queries and collection; got {queryLabels.Count} and {dataLabels.Count} labels that differ.", nameof(queryLabels));
        int n = dataLabels.Count, pool = selfSearch ? n - 1 : n;
        if (pool < 1)
            throw new ArgumentException($"{owner}: the collection must hold at least {(selfSearch ? 2 : 1)} rows, got {n}.", nameof(dataLabels));
        var counts = dataLabels.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        return queryLabels.Select(l => (counts.GetValueOrDefault(l) - (selfSearch ? 1 : 0)) / (double)pool).ToArray();
    }

    private static double[] ByClass(string owner, double[] perQuery, IReadOnlyList<int> queryLabels, int classes)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, $"{owner}: classes: expected at least 1, got {classes}.");
        var sum = new double[classes];
        var count = new int[classes];
        for (int q = 0; q < perQuery.Length; q++)
        {
            int c = queryLabels[q];
            if ((uint)c >= (uint)classes)
                throw new ArgumentException($"{owner}: query {q} has label {c}, expected 0 to {classes - 1}.", nameof(queryLabels));
            sum[c] += perQuery[q];
            count[c]++;
        }
        return sum.Select((s, c) => count[c] == 0 ? double.NaN : s / count[c]).ToArray();
    }

    private static (int Queries, int Width) Check(string owner, IndexTensor neighbors, IReadOnlyList<int> queryLabels, IReadOnlyList<int> dataLabels, int k)
    {
        ArgumentNullException.ThrowIfNull(neighbors);
        ArgumentNullException.ThrowIfNull(queryLabels);
        ArgumentNullException.ThrowIfNull(dataLabels);
        if (neighbors.Shape.Length != 2)
            throw new ArgumentException($"{owner}: neighbors: expected [queries, K], got shape {neighbors.ShapeString}.", nameof(neighbors));
        int queries = neighbors.Shape[0], width = neighbors.Shape[1];
        if (queryLabels.Count != queries)
            throw new ArgumentException($"{owner}: queryLabels: expected one per query row of neighbors {neighbors.ShapeString} ({queries}), got {queryLabels.Count}.", nameof(queryLabels));
        if (k < 1 || k > width)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"{owner}: k: expected 1 to {width} (the results per query in neighbors {neighbors.ShapeString}), got {k}.");
        for (int i = 0; i < neighbors.Length; i++)
            if ((uint)neighbors.Data[i] >= (uint)dataLabels.Count)
                throw new ArgumentException($"{owner}: neighbors: query {i / width}, result {i % width} is row {neighbors.Data[i]}, but the collection has {dataLabels.Count} labelled rows.", nameof(neighbors));
        return (queries, width);
    }
}

using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Engine.Tensors;
using Plotly.NET;

namespace CourseNotebooks.Charts;

// The charts of notebook 12-retrieval-with-codes: precision at k over k and over code length, precision per topic,
// and queries with the images a search returned. Built from plain Plotly objects like the rest of Charts.
public static partial class Charts
{
    /// <summary>
    /// Precision at k against k, one line per search method, and the label-frequency baseline as a dashed line, on a
    /// precision axis from 0 to 1. Trace i is series i (x = 1..K, y its curve); the last trace is the baseline.
    /// Introduced in notebook 12-retrieval-with-codes.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="chance">The label-frequency baseline (<see cref="Retrieval.ChancePrecision"/>).</param>
    /// <param name="series">Legend name and precision at k = 1, 2, ... (<see cref="Retrieval.PrecisionCurve"/>), all the same length.</param>
    /// <exception cref="ArgumentException">No series, or series of different lengths.</exception>
    public static GenericChart PrecisionAtK(string title, double chance, params (string Name, IReadOnlyList<double> Precision)[] series)
    {
        if (series.Length == 0) throw new ArgumentException("Charts.PrecisionAtK: at least one series is needed.", nameof(series));
        int k = series[0].Precision.Count;
        foreach (var s in series)
            if (s.Precision.Count != k)
                throw new ArgumentException($"Charts.PrecisionAtK: series \"{s.Name}\" has {s.Precision.Count} values, the first has {k}.", nameof(series));
        var x = Enumerable.Range(1, k).ToArray();
        var traces = series.Select(s => Trace("scatter", ("name", s.Name), ("x", x), ("y", s.Precision.ToArray()), ("mode", "lines"))).ToList();
        traces.Add(Trace("scatter", ("name", "chance (label frequency)"), ("x", new[] { 1, k }), ("y", new[] { chance, chance }),
            ("mode", "lines"), ("line", Obj(("dash", "dash"), ("color", "grey")))));
        var layout = Layout(title, ("xaxis", AxisTitle("k (results per query)")),
            ("yaxis", Obj(("title", Obj(("text", "precision at k (share of results of the query's class)"))), ("range", new[] { 0.0, 1.0 }))));
        return Figure(layout, [.. traces]);
    }

    /// <summary>
    /// Precision at k against code length in bits (log-2 axis), one line with markers per series, and horizontal
    /// reference lines (e.g. the same search with real-valued codes, or in pixel space) dashed; precision axis from 0
    /// to 1. Traces: the series first, then the references, each reference over the range of the code lengths.
    /// Introduced in notebook 12-retrieval-with-codes.
    /// </summary>
    /// <exception cref="ArgumentException">No series, or a series without one value per code length.</exception>
    public static GenericChart PrecisionByCodeLength(string title, string yTitle, IReadOnlyList<int> bits,
        IReadOnlyList<(string Name, IReadOnlyList<double> Precision)> series, params (string Name, double Precision)[] references)
    {
        ArgumentNullException.ThrowIfNull(bits);
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException("Charts.PrecisionByCodeLength: at least one series is needed.", nameof(series));
        foreach (var s in series)
            if (s.Precision.Count != bits.Count)
                throw new ArgumentException($"Charts.PrecisionByCodeLength: series \"{s.Name}\" has {s.Precision.Count} values for {bits.Count} code lengths.", nameof(series));
        var traces = series.Select(s => Trace("scatter", ("name", s.Name), ("x", bits.ToArray()), ("y", s.Precision.ToArray()), ("mode", "lines+markers"))).ToList();
        foreach (var r in references)
            traces.Add(Trace("scatter", ("name", r.Name), ("x", new[] { bits.Min(), bits.Max() }), ("y", new[] { r.Precision, r.Precision }),
                ("mode", "lines"), ("line", Obj(("dash", "dash")))));
        var layout = Layout(title,
            ("xaxis", Obj(("title", Obj(("text", "code length (bits per item)"))), ("type", "log"), ("tickvals", bits.ToArray()))),
            ("yaxis", Obj(("title", Obj(("text", yTitle))), ("range", new[] { 0.0, 1.0 }))));
        return Figure(layout, [.. traces]);
    }

    /// <summary>
    /// Precision at k per class (or topic) for several search methods, grouped bars on an axis from 0 to 1, with the
    /// label-frequency baseline of each class as a last series of grey bars. Trace i is method i (one value per
    /// class), the last trace the baseline. Introduced in notebook 12-retrieval-with-codes.
    /// </summary>
    /// <exception cref="ArgumentException">No series, or a series (or the baseline) without one value per class.</exception>
    public static GenericChart PrecisionByClass(string title, string yTitle, IReadOnlyList<string> classes, IReadOnlyList<double> chance,
        params (string Name, IReadOnlyList<double> Precision)[] series)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(chance);
        if (series.Length == 0) throw new ArgumentException("Charts.PrecisionByClass: at least one series is needed.", nameof(series));
        if (chance.Count != classes.Count)
            throw new ArgumentException($"Charts.PrecisionByClass: {chance.Count} baseline values for {classes.Count} classes.", nameof(chance));
        foreach (var s in series)
            if (s.Precision.Count != classes.Count)
                throw new ArgumentException($"Charts.PrecisionByClass: series \"{s.Name}\" has {s.Precision.Count} values for {classes.Count} classes.", nameof(series));
        var traces = series.Select(s => Trace("bar", ("name", s.Name), ("x", classes.ToArray()), ("y", s.Precision.ToArray()))).ToList();
        traces.Add(Trace("bar", ("name", "chance (label frequency)"), ("x", classes.ToArray()), ("y", chance.ToArray()), ("marker", Obj(("color", "lightgrey")))));
        var layout = Layout(title, ("barmode", "group"), ("xaxis", AxisTitle("class of the query")),
            ("yaxis", Obj(("title", Obj(("text", yTitle))), ("range", new[] { 0.0, 1.0 }))));
        return Figure(layout, [.. traces]);
    }

    /// <summary>
    /// Queries and what a search returned: one row per query, the query image first (captioned "query: CLASS"), then
    /// its first <paramref name="shown"/> results in rank order, each captioned with its class and a tick when it is
    /// the query's class or a cross when not. Drawn with <see cref="Images{T}"/>: trace r * (shown + 1) is query r,
    /// trace r * (shown + 1) + 1 + i its result i. Introduced in notebook 12-retrieval-with-codes.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="queries">Query images [Q, 1, H, W] (or [Q, H*W] with H = W).</param>
    /// <param name="queryLabels">Class of each query.</param>
    /// <param name="data">The searched images, same image size.</param>
    /// <param name="dataLabels">Class of each searched image.</param>
    /// <param name="neighbors">The ranking [Q', K] (its first rows belong to the first queries), K at least shown.</param>
    /// <param name="rows">Which query rows to draw.</param>
    /// <param name="shown">Results per row.</param>
    /// <param name="classNames">Names by class label.</param>
    /// <exception cref="ArgumentException">Sizes that do not fit together.</exception>
    public static GenericChart RetrievalGrid(string title, Tensor<float> queries, IReadOnlyList<int> queryLabels, Tensor<float> data,
        IReadOnlyList<int> dataLabels, IndexTensor neighbors, IReadOnlyList<int> rows, int shown, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(neighbors);
        ArgumentNullException.ThrowIfNull(rows);
        if (neighbors.Shape.Length != 2 || neighbors.Shape[1] < shown || shown < 1)
            throw new ArgumentException($"Charts.RetrievalGrid: neighbors {neighbors.ShapeString} must hold at least {shown} results per query (and shown at least 1).", nameof(neighbors));
        int pixels = queries.Length / Math.Max(1, queries.Size(0));
        int side = (int)Math.Round(Math.Sqrt(pixels));
        if (side * side != pixels || data.Length / Math.Max(1, data.Size(0)) != pixels)
            throw new ArgumentException($"Charts.RetrievalGrid: queries {queries.ShapeString} and data {data.ShapeString} must hold square images of one size.", nameof(data));
        int columns = shown + 1, width = neighbors.Shape[1];
        var all = new Tensor<float>(rows.Count * columns, 1, side, side);
        var captions = new List<string>(all.Size(0));
        for (int r = 0; r < rows.Count; r++)
        {
            int q = rows[r];
            if ((uint)q >= (uint)neighbors.Shape[0] || q >= queries.Size(0))
                throw new ArgumentException($"Charts.RetrievalGrid: query row {q} is outside the queries ({queries.Size(0)}) or the ranking ({neighbors.Shape[0]}).", nameof(rows));
            queries.Data.AsSpan(q * pixels, pixels).CopyTo(all.Data.AsSpan(r * columns * pixels));
            captions.Add($"query: {classNames[queryLabels[q]]}");
            for (int i = 0; i < shown; i++)
            {
                int j = neighbors.Data[q * width + i];
                data.Data.AsSpan(j * pixels, pixels).CopyTo(all.Data.AsSpan((r * columns + 1 + i) * pixels));
                captions.Add($"{(dataLabels[j] == queryLabels[q] ? "✓" : "✗")} {classNames[dataLabels[j]]}");
            }
        }
        return Images(all, columns, title, captions);
    }
}

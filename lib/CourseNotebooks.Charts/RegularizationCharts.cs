using System.Globalization;
using Plotly.NET;

namespace CourseNotebooks.Charts;

// The charts of notebook 18-sgd-parameters-and-l2: overlaid weight histograms and repeated training curves with
// their spread (its paths on contours are ContourWithPaths, in PathCharts.cs). Built from plain Plotly objects like
// the rest of Charts (see the remarks at the top of Charts.cs).
public static partial class Charts
{
    private static readonly string[] SeriesColours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

    /// <summary>
    /// Overlaid histograms of several sets of values (the weights of a layer trained with and without L2, say), on
    /// one shared set of <paramref name="bins"/> bins from the smallest to the largest value of all sets, each set
    /// half transparent. The bins are counted here (not by plotly.js), so the chart carries the counts: trace k's y
    /// is the count per bin, x the bin centres. Introduced in notebook 18-sgd-parameters-and-l2.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="xTitle">The value axis' title, with its unit.</param>
    /// <param name="bins">Number of bins, ≥ 1.</param>
    /// <param name="series">Legend name and values of each set (each non-empty, finite).</param>
    /// <exception cref="ArgumentException">No series, an empty or non-finite series, or bins below 1.</exception>
    public static GenericChart WeightHistograms(string title, string xTitle, int bins, params (string Name, IReadOnlyList<double> Values)[] series)
    {
        if (series.Length == 0)
            throw new ArgumentException("Charts.WeightHistograms: at least one series is needed.", nameof(series));
        if (bins < 1)
            throw new ArgumentException($"Charts.WeightHistograms: expected at least 1 bin, got {bins}.", nameof(bins));
        foreach (var s in series)
            if (s.Values is null || s.Values.Count == 0 || s.Values.Any(v => !double.IsFinite(v)))
                throw new ArgumentException($"Charts.WeightHistograms: series \"{s.Name}\" must hold at least one value, all finite.", nameof(series));
        var (edges, counts) = HistogramCounts(bins, series.Select(s => s.Values).ToArray());
        double width = edges[1] - edges[0];
        var centres = Enumerable.Range(0, bins).Select(b => (edges[b] + edges[b + 1]) / 2).ToArray();
        var traces = series.Select((s, k) => Trace("bar", ("name", s.Name), ("x", centres), ("y", counts[k].Select(c => (double)c).ToArray()),
            ("width", width), ("opacity", 0.55), ("marker", Obj(("color", SeriesColours[k % SeriesColours.Length]))))).ToArray();
        var layout = Layout(title, ("barmode", "overlay"), ("bargap", 0),
            ("xaxis", AxisTitle(xTitle)), ("yaxis", Obj(("title", Obj(("text", "number of weights"))), ("rangemode", "tozero"))));
        return Figure(layout, traces);
    }

    /// <summary>
    /// The shared bin edges (bins + 1 of them, from the smallest to the largest value over all sets; a set of equal
    /// values gets a bin of width 1 around them) and each set's count per bin, the last bin closed on the right as
    /// numpy.histogram does. Used by <see cref="WeightHistograms"/>; public so a test can recount.
    /// </summary>
    public static (double[] Edges, int[][] Counts) HistogramCounts(int bins, params IReadOnlyList<double>[] sets)
    {
        if (bins < 1) throw new ArgumentException($"Charts.HistogramCounts: expected at least 1 bin, got {bins}.", nameof(bins));
        if (sets.Length == 0 || sets.Any(s => s.Count == 0))
            throw new ArgumentException("Charts.HistogramCounts: every set must hold at least one value.", nameof(sets));
        double min = sets.Min(s => s.Min()), max = sets.Max(s => s.Max());
        if (max == min) { min -= 0.5; max += 0.5; }
        var edges = Enumerable.Range(0, bins + 1).Select(b => min + (max - min) * b / bins).ToArray();
        var counts = sets.Select(set =>
        {
            var c = new int[bins];
            foreach (double v in set) c[Math.Clamp((int)((v - min) / (max - min) * bins), 0, bins - 1)]++;
            return c;
        }).ToArray();
        return (edges, counts);
    }

    /// <summary>
    /// Repeated runs of the same experiment as curves with their spread: for each group, its mean over the runs as a
    /// solid line and the band from the smallest to the largest run at each x as a shaded area (so the reader sees
    /// whether two groups' difference is larger than the seed-to-seed noise). The value axis starts at 0. Trace
    /// order per group: band's lower edge, band's upper edge (filled to the lower), mean. Introduced in notebook
    /// 18-sgd-parameters-and-l2.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="xTitle">The x axis' title, with its unit.</param>
    /// <param name="yTitle">The value axis' title, with its unit.</param>
    /// <param name="x">The shared x values.</param>
    /// <param name="groups">Legend name and runs of each group; every run has one value per x.</param>
    /// <exception cref="ArgumentException">No group, a group without runs, or a run whose length differs from x.</exception>
    public static GenericChart RunCurvesWithSpread(string title, string xTitle, string yTitle, IReadOnlyList<double> x,
        params (string Name, IReadOnlyList<IReadOnlyList<double>> Runs)[] groups)
    {
        if (groups.Length == 0)
            throw new ArgumentException("Charts.RunCurvesWithSpread: at least one group is needed.", nameof(groups));
        var traces = new List<Trace>();
        for (int k = 0; k < groups.Length; k++)
        {
            var (name, runs) = groups[k];
            if (runs is null || runs.Count == 0)
                throw new ArgumentException($"Charts.RunCurvesWithSpread: group \"{name}\" has no runs.", nameof(groups));
            foreach (var run in runs)
                if (run.Count != x.Count)
                    throw new ArgumentException($"Charts.RunCurvesWithSpread: a run of group \"{name}\" has {run.Count} values but there are {x.Count} x values.", nameof(groups));
            string colour = SeriesColours[k % SeriesColours.Length];
            var lower = Enumerable.Range(0, x.Count).Select(i => runs.Min(r => r[i])).ToArray();
            var upper = Enumerable.Range(0, x.Count).Select(i => runs.Max(r => r[i])).ToArray();
            var mean = Enumerable.Range(0, x.Count).Select(i => runs.Average(r => r[i])).ToArray();
            string band = string.Create(CultureInfo.InvariantCulture, $"{name}: range of {runs.Count} runs");
            traces.Add(Trace("scatter", ("name", band + " (lower)"), ("x", x.ToArray()), ("y", lower), ("mode", "lines"),
                ("line", Obj(("width", 0), ("color", colour))), ("showlegend", false), ("legendgroup", name)));
            traces.Add(Trace("scatter", ("name", band), ("x", x.ToArray()), ("y", upper), ("mode", "lines"), ("fill", "tonexty"),
                ("fillcolor", colour + "33"), ("line", Obj(("width", 0), ("color", colour))), ("legendgroup", name)));
            traces.Add(Trace("scatter", ("name", $"{name}: mean"), ("x", x.ToArray()), ("y", mean), ("mode", "lines"),
                ("line", Obj(("width", 2.5), ("color", colour))), ("legendgroup", name)));
        }
        var layout = Layout(title, ("xaxis", AxisTitle(xTitle)), ("yaxis", Obj(("title", Obj(("text", yTitle))), ("rangemode", "tozero"))),
            ("height", 520), ("legend", Obj(("orientation", "h"), ("x", 0), ("y", -0.2))));
        return Figure(layout, traces.ToArray());
    }
}

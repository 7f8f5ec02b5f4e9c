using Plotly.NET;

namespace CourseNotebooks.Charts;

// Charts of optimizer comparisons: loss curves with log axes and learning-rate sweeps (paths on a surface are
// ContourWithPaths, in PathCharts.cs). Built as plain Plotly objects like the rest of Charts (no FSharp.Core type named).
public static partial class Charts
{
    /// <summary>
    /// Line chart of several series, each with its own x values, with optional log axes (a loss that falls over
    /// orders of magnitude, learning rates on a log grid). Non-finite y values (a diverged run's +∞) become gaps,
    /// and so do values ≤ 0 on a log y axis. Introduced in notebook 16-optimizer-comparison.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="xTitle">x axis title, with its unit.</param>
    /// <param name="yTitle">y axis title, with its unit.</param>
    /// <param name="logX">Log scale on x.</param>
    /// <param name="logY">Log scale on y.</param>
    /// <param name="series">Name, x values and y values of each line.</param>
    /// <exception cref="ArgumentException">No series, or a series whose X and Y differ in length.</exception>
    public static GenericChart ComparisonCurves(string title, string xTitle, string yTitle, bool logX, bool logY,
        params (string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)[] series)
    {
        if (series.Length == 0) throw new ArgumentException("Charts.ComparisonCurves: at least one series is needed.", nameof(series));
        foreach (var s in series)
            if (s.X.Count != s.Y.Count)
                throw new ArgumentException($"Charts.ComparisonCurves: series \"{s.Name}\" has {s.X.Count} x values but {s.Y.Count} y values.", nameof(series));
        var traces = series.Select(s => Trace("scatter", ("name", s.Name), ("x", s.X.ToArray()),
            ("y", s.Y.Select(y => double.IsFinite(y) && (!logY || y > 0) ? (object)y : null!).ToArray()),
            ("mode", s.Y.Count <= 50 ? "lines+markers" : "lines"))).ToArray();
        var xAxis = Obj(("title", Obj(("text", xTitle))));
        var yAxis = Obj(("title", Obj(("text", yTitle))));
        if (logX) xAxis["type"] = "log";
        if (logY) yAxis["type"] = "log";
        return Figure(Layout(title, ("xaxis", xAxis), ("yaxis", yAxis)), traces);
    }
}

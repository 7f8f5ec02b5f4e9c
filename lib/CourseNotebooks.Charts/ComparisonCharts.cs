using CourseNotebooks.Engine;
using Plotly.NET;

namespace CourseNotebooks.Charts;

// Charts of optimizer comparisons: paths of several optimizers on one loss surface, loss curves with log axes, and
// learning-rate sweeps. Built as plain Plotly objects like the rest of Charts (no FSharp.Core type named).
public static partial class Charts
{
    /// <summary>
    /// Several optimizers' paths on one loss surface: the surface as filled contours of log₁₀(1 + f − f_min)
    /// (f_min the lowest value on the drawn grid; the log shows Rosenbrock's flat valley and steep walls alike, and
    /// works for surfaces that go negative, such as the saddle), each path as a line with markers from its start
    /// (its first point) to its end, and the surface's minimum as a star when it has one. The axes are fixed to the
    /// surface's view, so a path that leaves it is cut at the edge. Introduced in notebook 16-optimizer-comparison.
    /// </summary>
    /// <param name="surface">The surface (its <see cref="Surface2D.View"/> sets the axes).</param>
    /// <param name="title">Chart title.</param>
    /// <param name="paths">One entry per optimizer: the legend name and the recorded path.</param>
    /// <exception cref="ArgumentException">No paths.</exception>
    public static GenericChart ComparisonPathsOnSurface(Surface2D surface, string title, params (string Name, OptimizerPathResult Path)[] paths)
    {
        ArgumentNullException.ThrowIfNull(surface);
        if (paths.Length == 0) throw new ArgumentException("Charts.ComparisonPathsOnSurface: at least one path is needed.", nameof(paths));
        var (xs, ys, z) = surface.Grid(81);
        double min = double.PositiveInfinity;
        foreach (double value in z) min = Math.Min(min, value);
        var rows = new double[ys.Length][];
        for (int j = 0; j < ys.Length; j++)
        {
            rows[j] = new double[xs.Length];
            for (int i = 0; i < xs.Length; i++) rows[j][i] = Math.Log10(1 + z[j, i] - min);
        }
        var traces = new List<Trace>
        {
            Trace("contour", ("name", surface.Name), ("x", xs), ("y", ys), ("z", rows), ("colorscale", "Viridis"), ("ncontours", 30),
                ("colorbar", Obj(("title", Obj(("text", "log₁₀(1 + f − f_min)"))))), ("showlegend", false)),
        };
        foreach (var (name, path) in paths)
            traces.Add(Trace("scatter", ("name", name), ("mode", "lines+markers"), ("x", path.X), ("y", path.Y),
                ("marker", Obj(("size", 3))), ("line", Obj(("width", 2)))));
        if (surface.Minimum is { } m)
            traces.Add(Trace("scatter", ("name", "minimum"), ("mode", "markers"), ("x", new[] { m.X }), ("y", new[] { m.Y }),
                ("marker", Obj(("symbol", "star"), ("size", 14), ("color", "white"), ("line", Obj(("color", "black"), ("width", 1)))))));
        var v = surface.View;
        var layout = Layout(title,
            ("xaxis", Obj(("title", Obj(("text", "weight x"))), ("range", new[] { v.XMin, v.XMax }))),
            ("yaxis", Obj(("title", Obj(("text", "weight y"))), ("range", new[] { v.YMin, v.YMax }))),
            ("legend", Obj(("orientation", "h"), ("y", -0.2))));
        return Figure(layout, traces.ToArray());
    }

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

using CourseNotebooks.Course.Optimization;
using Plotly.NET;

namespace CourseNotebooks.Charts;

// Optimizer paths on loss surfaces, convergence-rate maps and a slider over precomputed paths (part 4).
public static partial class Charts
{
    /// <summary>
    /// A contour plot of a <see cref="Surface2D"/> over its view with one optimizer path per entry drawn on it
    /// (lines and markers, start to end) and the surface's minimum (or <paramref name="mark"/>) as a star.
    /// Introduced in notebook 14-sgd-visualized; 15, 16 and 18 draw their paths with it too.
    /// </summary>
    /// <param name="surface">The loss surface; its <see cref="Surface2D.Grid"/> gives the contour values.</param>
    /// <param name="title">Chart title.</param>
    /// <param name="paths">The paths with their legend names, e.g. ("SGD α = 0.1", path).</param>
    /// <param name="gridPoints">Grid points per axis of the contour.</param>
    /// <param name="logValues">Draw log₁₀(1 + f − min f) instead of f (for surfaces such as Rosenbrock whose values
    /// span many orders of magnitude); the colour bar says which.</param>
    /// <param name="mark">The point drawn as a star; by default the surface's minimum (none when it has none).</param>
    /// <param name="markName">The star's legend name.</param>
    /// <param name="grid">A grid already computed with <see cref="Surface2D.Grid"/> (for a surface whose values are
    /// expensive, a real network's loss); by default the chart computes it with <paramref name="gridPoints"/>.</param>
    /// <returns>Trace 0 the contour (z[j][i] = f(x[i], y[j]) or its log), traces 1..n the paths in the order
    /// given (x and y exactly the paths' points), then the star if there is one.</returns>
    /// <exception cref="ArgumentException">A path with no points.</exception>
    public static GenericChart ContourWithPaths(Surface2D surface, string title, IReadOnlyList<(string Name, OptimizerPathResult Path)> paths,
        int gridPoints = 101, bool logValues = false, (double X, double Y)? mark = null, string markName = "minimum",
        (double[] X, double[] Y, double[,] Z)? grid = null)
    {
        ArgumentNullException.ThrowIfNull(surface);
        ArgumentNullException.ThrowIfNull(paths);
        var traces = new List<Trace> { SurfaceContour(grid ?? surface.Grid(gridPoints), logValues) };
        foreach (var (name, path) in paths)
            traces.Add(PathTrace(name, path, true));
        if ((mark ?? surface.Minimum) is { } star) traces.Add(StarTrace(markName, star));
        return Figure(SurfaceLayout(surface, title), [.. traces]);
    }

    /// <summary>
    /// A heat map of a convergence rate over a grid of step sizes α (x) and momenta β (y), with curves drawn on it
    /// (the divergence boundary α = (2 + 2β)/λ, for instance). Values are clipped to [0, <paramref name="clipAbove"/>]
    /// for the colours (rates far above 1 would flatten the scale); the hover text and the trace's customdata keep
    /// the unclipped values. Introduced in notebook 15-momentum.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="alphas">The step sizes, ascending (x).</param>
    /// <param name="betas">The momenta, ascending (y).</param>
    /// <param name="rates">[betas.Length, alphas.Length]: rates[j, i] at (alphas[i], betas[j]).</param>
    /// <param name="clipAbove">Colour-scale maximum; larger values show in its colour.</param>
    /// <param name="curves">Curves over the map, each a name and its (x, y) points.</param>
    /// <returns>Trace 0 the heat map (z clipped, customdata unclipped), then one line trace per curve.</returns>
    /// <exception cref="ArgumentException">The rate grid's shape does not match the axes.</exception>
    public static GenericChart RateMap(string title, IReadOnlyList<double> alphas, IReadOnlyList<double> betas, double[,] rates,
        double clipAbove = 1.2, params (string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)[] curves)
    {
        ArgumentNullException.ThrowIfNull(rates);
        if (rates.GetLength(0) != betas.Count || rates.GetLength(1) != alphas.Count)
            throw new ArgumentException($"Charts.RateMap: the rate grid must be [betas, alphas] = [{betas.Count}, {alphas.Count}], got [{rates.GetLength(0)}, {rates.GetLength(1)}].", nameof(rates));
        var z = new double[betas.Count][];
        var raw = new double[betas.Count][];
        for (int j = 0; j < betas.Count; j++)
        {
            z[j] = new double[alphas.Count];
            raw[j] = new double[alphas.Count];
            for (int i = 0; i < alphas.Count; i++)
            {
                raw[j][i] = rates[j, i];
                z[j][i] = double.IsNaN(rates[j, i]) ? clipAbove : Math.Clamp(rates[j, i], 0, clipAbove);
            }
        }
        var traces = new List<Trace>
        {
            Trace("heatmap", ("name", "rate"), ("x", alphas.ToArray()), ("y", betas.ToArray()), ("z", z), ("customdata", raw),
                ("zmin", 0.0), ("zmax", clipAbove), ("colorscale", "Viridis"),
                ("colorbar", Obj(("title", Obj(("text", "rate per step"))))),
                ("hovertemplate", "α = %{x:.3g}, β = %{y:.3g}<br>rate %{customdata:.4f}<extra></extra>")),
        };
        foreach (var (name, x, y) in curves)
            traces.Add(Trace("scatter", ("name", name), ("x", x.ToArray()), ("y", y.ToArray()), ("mode", "lines"),
                ("line", Obj(("color", "red"), ("width", 3)))));
        var layout = Layout(title, ("xaxis", Obj(("title", Obj(("text", "step size α"))), ("range", new[] { alphas[0], alphas[^1] }))),
            ("yaxis", Obj(("title", Obj(("text", "momentum β"))), ("range", new[] { betas[0], betas[^1] }))),
            ("legend", Obj(("orientation", "h"), ("y", -0.2))));
        return Figure(layout, [.. traces]);
    }

    /// <summary>
    /// Precomputed optimizer paths on a contour of <paramref name="surface"/>, one group of paths per slider step:
    /// moving the slider shows that step's paths and hides the others (each step sets the traces' "visible" flags
    /// and the title). Everything is in the figure JSON, so it works in the static HTML reports, which draw the
    /// figure with Plotly.newPlot and no frames or scripts. Plotly cannot combine two sliders without a script, so a
    /// grid of two settings (step size and momentum) is one slider over all their combinations. Introduced in
    /// notebook 15-momentum.
    /// </summary>
    /// <param name="surface">The loss surface (contour, always visible).</param>
    /// <param name="title">Title prefix; each step appends its label.</param>
    /// <param name="sliderPrefix">Shown before the current step's label, e.g. "setting: ".</param>
    /// <param name="steps">Per slider step, its label and its paths (the same number of paths in each step reads best).</param>
    /// <param name="active">The step shown first.</param>
    /// <param name="gridPoints">Grid points per axis of the contour.</param>
    /// <returns>Trace 0 the contour; then the paths of step 0, step 1, ... in order (x and y exactly the paths' points);
    /// then the minimum's star if the surface has one. layout.sliders[0].steps[s].args[0].visible is the visibility
    /// of every trace for step s.</returns>
    /// <exception cref="ArgumentException">No steps, or <paramref name="active"/> out of range.</exception>
    public static GenericChart PathSlider(Surface2D surface, string title, string sliderPrefix,
        IReadOnlyList<(string Label, IReadOnlyList<(string Name, OptimizerPathResult Path)> Paths)> steps, int active = 0, int gridPoints = 81)
    {
        ArgumentNullException.ThrowIfNull(surface);
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0) throw new ArgumentException("Charts.PathSlider: at least one slider step is needed, got 0.", nameof(steps));
        if (active < 0 || active >= steps.Count)
            throw new ArgumentException($"Charts.PathSlider: active must be in [0, {steps.Count - 1}], got {active}.", nameof(active));
        var traces = new List<Trace> { SurfaceContour(surface.Grid(gridPoints), false) };
        var owner = new List<int> { -1 };
        for (int s = 0; s < steps.Count; s++)
            foreach (var (name, path) in steps[s].Paths)
            {
                traces.Add(PathTrace(name, path, s == active));
                owner.Add(s);
            }
        if (surface.Minimum is { } minimum)
        {
            traces.Add(StarTrace("minimum", minimum));
            owner.Add(-1);
        }
        var sliderSteps = new List<object>(steps.Count);
        for (int s = 0; s < steps.Count; s++)
        {
            var visible = owner.Select(o => o == -1 || o == s).ToArray();
            sliderSteps.Add(Obj(("label", steps[s].Label), ("method", "update"),
                ("args", new object[] { Obj(("visible", visible)), Obj(("title", Obj(("text", $"{title}: {steps[s].Label}")))) })));
        }
        var layout = SurfaceLayout(surface, $"{title}: {steps[active].Label}");
        layout.SetProperty("sliders", new object[]
        {
            Obj(("active", active), ("steps", sliderSteps), ("currentvalue", Obj(("prefix", sliderPrefix))), ("pad", Obj(("t", 50)))),
        });
        layout.SetProperty("height", 640);
        return Figure(layout, [.. traces]);
    }

    /// <summary>
    /// Line chart of quantities that shrink geometrically (a distance to the minimum, a loss above its floor) on a
    /// logarithmic y axis, where a constant rate per step is a straight line: <see cref="ComparisonCurves"/> with a log y
    /// axis. Each series has its own x values; non-positive values become gaps (a log axis cannot show them).
    /// Introduced in notebook 15-momentum.
    /// </summary>
    /// <returns>One scatter trace per series, in order, with x as given and y as given except for the gaps.</returns>
    /// <exception cref="ArgumentException">No series, or a series whose X and Y differ in length.</exception>
    public static GenericChart LogLines(string title, string xTitle, string yTitle, params (string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)[] series) =>
        ComparisonCurves(title, xTitle, yTitle, logX: false, logY: true, series);

    /// <summary>
    /// Where each start ended: the starting points over the surface's view, one marker trace per outcome (a
    /// minimum's index, or −1 for "no minimum reached"), so the basins of attraction show as coloured regions.
    /// Introduced in notebook 14-sgd-visualized.
    /// </summary>
    /// <param name="surface">The surface (its view sets the axes).</param>
    /// <param name="title">Chart title.</param>
    /// <param name="starts">The starting points.</param>
    /// <param name="outcomes">Per start, the index of the minimum reached, or −1.</param>
    /// <param name="minimumNames">Legend name of each minimum (index 0, 1, ...).</param>
    /// <returns>One scatter trace per outcome that occurs, in ascending order (−1 first): x and y are the starts
    /// with that outcome, in the order given.</returns>
    /// <exception cref="ArgumentException">Starts and outcomes differ in length, or an outcome has no name.</exception>
    public static GenericChart StartOutcomes(Surface2D surface, string title, IReadOnlyList<(double X, double Y)> starts, IReadOnlyList<int> outcomes,
        IReadOnlyList<string> minimumNames)
    {
        ArgumentNullException.ThrowIfNull(surface);
        if (starts.Count != outcomes.Count)
            throw new ArgumentException($"Charts.StartOutcomes: {starts.Count} starts but {outcomes.Count} outcomes.", nameof(outcomes));
        foreach (int o in outcomes)
            if (o < -1 || o >= minimumNames.Count)
                throw new ArgumentException($"Charts.StartOutcomes: outcome {o} is neither -1 nor the index of one of the {minimumNames.Count} named minima.", nameof(outcomes));
        var traces = outcomes.Distinct().Order().Select(o =>
        {
            var rows = Enumerable.Range(0, starts.Count).Where(i => outcomes[i] == o).ToArray();
            return Trace("scatter", ("name", o < 0 ? "no minimum reached" : minimumNames[o]), ("mode", "markers"),
                ("x", rows.Select(i => starts[i].X).ToArray()), ("y", rows.Select(i => starts[i].Y).ToArray()),
                ("marker", Obj(("size", 9), ("symbol", "square"))));
        }).ToArray();
        return Figure(SurfaceLayout(surface, title), traces);
    }

    private static Trace SurfaceContour((double[] X, double[] Y, double[,] Z) grid, bool logValues)
    {
        var (xs, ys, values) = grid;
        if (values.GetLength(0) != ys.Length || values.GetLength(1) != xs.Length)
            throw new ArgumentException($"Charts: the grid's values must be [y, x] = [{ys.Length}, {xs.Length}], got [{values.GetLength(0)}, {values.GetLength(1)}].", nameof(grid));
        double min = double.PositiveInfinity;
        foreach (double v in values) if (v < min) min = v;
        var z = new double[ys.Length][];
        for (int j = 0; j < ys.Length; j++)
        {
            z[j] = new double[xs.Length];
            for (int i = 0; i < xs.Length; i++) z[j][i] = logValues ? Math.Log10(1 + values[j, i] - min) : values[j, i];
        }
        string label = logValues ? "log₁₀(1 + f − min f)" : "loss f";
        return Trace("contour", ("name", label), ("x", xs), ("y", ys), ("z", z), ("colorscale", "Viridis"), ("ncontours", 30),
            ("contours", Obj(("coloring", "heatmap"))), ("line", Obj(("width", 0.5))), ("showlegend", false),
            ("colorbar", Obj(("title", Obj(("text", label))), ("x", 1.02))));
    }

    private static Trace PathTrace(string name, OptimizerPathResult path, bool visible)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.X.Length == 0) throw new ArgumentException($"Charts: the path \"{name}\" has no points.", nameof(path));
        return Trace("scatter", ("name", name), ("x", path.X), ("y", path.Y), ("mode", path.X.Length <= 400 ? "lines+markers" : "lines"),
            ("marker", Obj(("size", 4))), ("line", Obj(("width", 2))), ("visible", visible));
    }

    private static Trace StarTrace(string name, (double X, double Y) at) =>
        Trace("scatter", ("name", name), ("x", new[] { at.X }), ("y", new[] { at.Y }), ("mode", "markers"),
            ("marker", Obj(("symbol", "star"), ("size", 16), ("color", "white"), ("line", Obj(("color", "black"), ("width", 1))))));

    private static Layout SurfaceLayout(Surface2D surface, string title) =>
        Layout(title,
            ("xaxis", Obj(("title", Obj(("text", "weight w₁"))), ("range", new[] { surface.View.XMin, surface.View.XMax }))),
            ("yaxis", Obj(("title", Obj(("text", "weight w₂"))), ("range", new[] { surface.View.YMin, surface.View.YMax }))),
            ("legend", Obj(("orientation", "h"), ("y", -0.15))));
}

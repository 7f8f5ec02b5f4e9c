using System.Globalization;
using System.Numerics;
using CourseNotebooks.Course.Convolution;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;
using Plotly.NET;

namespace CourseNotebooks.Charts;

/// <summary>
/// Plotly.NET charts of engine tensors: heatmaps of feature maps and kernels, image grids, training curves, bar
/// charts, 2-D embeddings and a step-by-step walk of a convolution. Every method returns a Plotly.NET
/// <see cref="GenericChart"/>, which notebooks display as an interactive chart (through <see cref="ChartHtml"/>, which
/// <see cref="CourseDisplay.Install"/> registers) and tests read back as JSON (<see cref="ChartJson"/>). Introduced in notebook 01-convolution.
/// </summary>
/// <remarks>
/// The figures are built as plain Plotly objects (trace and layout properties set by name, nested values as
/// dictionaries and arrays), not through Plotly.NET's F# chart functions. The reason is the notebook tools: in
/// dotnet-repl, dotnet-interactive (Jupyter) and VS Code, Plotly.NET runs against the tools' FSharp.Core 10.0 while a
/// library loaded with <c>#r</c> that touches an F# type (an FSharpOption argument, say) gets FSharp.Core 10.1 from
/// its own folder; the two FSharpOption types differ and every such call fails with MissingMethodException.
/// Code here therefore never names a type from FSharp.Core.
/// </remarks>
public static partial class Charts
{
    /// <summary>Grids at most this many cells get their values written in each cell by default.</summary>
    public const int AnnotateUpTo = 144;

    /// <summary>
    /// Markdown to show rendered below a cell, formulas included (<c>$$...$$</c>), in every host: a cell that ends
    /// with <c>Charts.Markdown(text)</c> shows it as a markdown cell would. Introduced in notebook 03-backprop-conv.
    /// </summary>
    public static CourseNotebooks.Display.MarkdownContent Markdown(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        return new CourseNotebooks.Display.MarkdownContent(markdown);
    }

    /// <summary>
    /// The chart in one line, for hosts that show text only: its title, then each trace's kind, name and size, e.g.
    /// <c>chart "Loss per epoch": scatter "train" (30 points), scatter "test" (30 points)</c>; traces past about 300
    /// characters are counted ("and 5 more"), not listed.
    /// </summary>
    public static string Describe(GenericChart chart)
    {
        using var figure = System.Text.Json.JsonDocument.Parse(ChartJson(chart));
        var root = figure.RootElement;
        string? title = root.TryGetProperty("layout", out var layout) && layout.TryGetProperty("title", out var t)
            ? (t.ValueKind == System.Text.Json.JsonValueKind.String ? t.GetString() : t.TryGetProperty("text", out var text) ? text.GetString() : null)
            : null;
        var traces = root.TryGetProperty("data", out var data) ? data.EnumerateArray().Select(DescribeTrace).ToList() : [];
        if (title is not null) title = BreakTag().Replace(title, " ");   // a title wrapped for the figure reads as one line here
        if (title is { Length: > 150 }) title = title[..149] + "…";
        string head = title is { Length: > 0 } ? $"chart \"{title}\"" : "chart";
        if (traces.Count == 0) return head + ": no traces";
        // One short line: as many traces as fit in about 300 characters, then how many more there are.
        var line = new System.Text.StringBuilder(head).Append(": ").Append(traces[0]);
        int shown = 1;
        while (shown < traces.Count && line.Length + traces[shown].Length < 300)
            line.Append(", ").Append(traces[shown++]);
        if (shown < traces.Count) line.Append($", and {traces.Count - shown} more");
        return line.ToString();
    }

    private static string DescribeTrace(System.Text.Json.JsonElement trace)
    {
        string kind = trace.TryGetProperty("type", out var type) ? type.GetString() ?? "trace" : "trace";
        string name = trace.TryGetProperty("name", out var n) && n.GetString() is { Length: > 0 } named ? $" \"{named}\"" : "";
        string size;
        if (trace.TryGetProperty("z", out var z) && z.ValueKind == System.Text.Json.JsonValueKind.Array)
            size = z.GetArrayLength() > 0 && z[0].ValueKind == System.Text.Json.JsonValueKind.Array ? $"{z.GetArrayLength()}x{z[0].GetArrayLength()}" : $"{z.GetArrayLength()} values";
        else if (trace.TryGetProperty("y", out var y) && y.ValueKind == System.Text.Json.JsonValueKind.Array)
            size = $"{y.GetArrayLength()} points";
        else if (trace.TryGetProperty("x", out var x) && x.ValueKind == System.Text.Json.JsonValueKind.Array)
            size = $"{x.GetArrayLength()} values";
        else size = "";
        return $"{kind}{name}{(size.Length > 0 ? $" ({size})" : "")}";
    }

    /// <summary>The chart's figure (data and layout) as Plotly JSON: check charts by their data, not pixels.</summary>
    public static string ChartJson(GenericChart chart) => GenericChart.toFigureJson(chart);

    /// <summary>
    /// The mime type under which notebooks carry a chart as its figure JSON (<see cref="ChartJson"/>). Jupyter,
    /// VS Code and the course's HTML reports draw it with their own copy of plotly.js, so it needs no network.
    /// </summary>
    public const string PlotlyMimeType = "application/vnd.plotly.v1+json";

    /// <summary>
    /// A heatmap of a 2-D tensor [H, W], or of one plane of [C, H, W] or [N, C, H, W] (chosen by
    /// <paramref name="n"/> and <paramref name="c"/>). Row 0 is drawn on top, as matrices are written on the
    /// slides; x is the column index, y the row index.
    /// </summary>
    /// <param name="tensor">The values.</param>
    /// <param name="title">Chart title.</param>
    /// <param name="annotate">Write each value in its cell; by default only for grids of at most
    /// <see cref="AnnotateUpTo"/> cells.</param>
    /// <param name="n">Batch index for a 4-D tensor.</param>
    /// <param name="c">Channel index for a 3-D or 4-D tensor.</param>
    /// <exception cref="ArgumentException">Rank not 2, 3 or 4, or n/c out of range.</exception>
    public static GenericChart Heatmap<T>(Tensor<T> tensor, string? title = null, bool? annotate = null, int n = 0, int c = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var z = Plane(tensor, n, c, nameof(Heatmap));
        int h = z.Length, w = z[0].Length;
        var heatmap = Trace("heatmap",
            ("z", z), ("x", Enumerable.Range(0, w).ToArray()), ("y", Enumerable.Range(0, h).ToArray()), ("colorscale", "Viridis"));
        var layout = Layout(title, ("xaxis", Obj(("constrain", "domain"), ("dtick", 1))), ("yaxis", MatrixYAxis("x")));
        if (annotate ?? h * w <= AnnotateUpTo)
            layout.SetProperty("annotations", CellAnnotations(z));
        return Figure(layout, heatmap);
    }

    /// <summary>
    /// Several 2-D tensors as heatmaps side by side in one figure, each with its caption above it and its values
    /// written in the cells (grids of at most <see cref="AnnotateUpTo"/> cells). Each panel has its own colour
    /// range, so a 2x2 gradient is as readable next to a 5x5 input; equal panels (a gradient from the layer's
    /// backward and the same gradient from a formula) therefore look identical. Row 0 on top, as in
    /// <see cref="Heatmap{T}"/>. Introduced in notebook 03-backprop-conv.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="panels">Left to right: a caption and a tensor [H, W] (or [N, C, H, W], whose first plane is
    /// drawn); the panels may differ in size and are drawn with equal square cells. A caption wider than its panel
    /// should be split with "&lt;br&gt;".</param>
    /// <exception cref="ArgumentException">No panels, or a panel of rank other than 2, 3 or 4.</exception>
    public static GenericChart HeatmapRow<T>(string? title, params (string Caption, Tensor<T> Values)[] panels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (panels.Length == 0)
            throw new ArgumentException("Charts.HeatmapRow: at least one panel is needed.", nameof(panels));
        // Every panel gets the same cell size: its share of the width is its share of the columns, and the figure is
        // as wide as the cells need (about 44 px each, so a value like -0.0968 fits), at most 960 px (the text
        // column of the course's reports; wider figures are cut off there), shrinking the cells beyond that.
        const int Cell = 44, GapPixels = 50, Margins = 120, MaxWidth = 960;
        var planes = panels.Select(p => Plane(p.Values, 0, 0, nameof(HeatmapRow))).ToArray();
        int totalColumns = planes.Sum(z => z[0].Length), maxRows = planes.Max(z => z.Length);
        int plotWidth = Math.Min(MaxWidth - Margins, totalColumns * Cell + GapPixels * (panels.Length - 1));
        double gap = (double)GapPixels / plotWidth, cellShare = (1.0 - gap * (panels.Length - 1)) / totalColumns;
        var layout = Layout(title, ("width", plotWidth + Margins), ("height", maxRows * Math.Min(Cell, (double)plotWidth / totalColumns) + 200));
        var traces = new Trace[panels.Length];
        var captions = new List<object>(panels.Length);
        double left = 0;
        for (int i = 0; i < panels.Length; i++)
        {
            var z = planes[i];
            string suffix = i == 0 ? "" : (i + 1).ToString(CultureInfo.InvariantCulture);
            var trace = Trace("heatmap", ("z", z), ("x", Enumerable.Range(0, z[0].Length).ToArray()), ("y", Enumerable.Range(0, z.Length).ToArray()),
                ("colorscale", "Viridis"), ("showscale", false), ("name", panels[i].Caption), ("xaxis", "x" + suffix), ("yaxis", "y" + suffix));
            if (z.Length * z[0].Length <= AnnotateUpTo) trace.SetProperty("texttemplate", "%{z:.3~g}");
            traces[i] = trace;
            double right = Math.Min(1.0, left + z[0].Length * cellShare);
            layout.SetProperty("xaxis" + suffix, Obj(("domain", new[] { left, right }), ("constrain", "domain"), ("dtick", 1), ("anchor", "y" + suffix)));
            layout.SetProperty("yaxis" + suffix, MatrixYAxis("x" + suffix));
            captions.Add(Obj(("text", panels[i].Caption), ("showarrow", false), ("x", 0.5), ("y", 1.0), ("yanchor", "bottom"),
                ("xref", $"x{suffix} domain"), ("yref", $"y{suffix} domain"), ("font", Obj(("size", 11)))));
            left = right + gap;
        }
        layout.SetProperty("annotations", captions);
        return Figure(layout, traces);
    }

    /// <summary>
    /// Which shared weight sits in each entry of a matrix, as in <see cref="ConvMatrix{T}.WeightIndex"/>: entries
    /// holding weight i (0-based) are drawn in that weight's own colour and labelled "w{i+1}" (1-based, as on the
    /// slides); structural zeros (index &lt; 0) are light grey cells with no text, so the sparsity and the repeated
    /// pattern show at a glance. Up to nine weights get nine distinct qualitative colours (D3's palette without its
    /// grey); more weights share a continuous Viridis scale and are told apart by their labels. Row 0 on top; the
    /// figure is sized to the matrix (about 30 px per cell, so 25 columns fit the reports' 960 px text column; at
    /// most 1600 px a side) so labels never overlap; a matrix wider than 46 columns keeps its colours and hover text but is drawn without cell labels.
    /// Introduced in notebook 05-cnn-as-sparse-mlp.
    /// </summary>
    /// <param name="weightIndex">[rows, columns]: a 0-based weight index per entry, or a negative value for a
    /// structural zero.</param>
    /// <param name="title">Chart title.</param>
    /// <param name="xTitle">Title of the column axis (what the columns index).</param>
    /// <param name="yTitle">Title of the row axis.</param>
    /// <returns>Two heatmap traces: trace 0 the structural zeros (0 where zero, null elsewhere), trace 1 the
    /// weights (i + 1 where weight i sits, null elsewhere, its text "w{i+1}" or "").</returns>
    /// <exception cref="ArgumentException">An empty matrix.</exception>
    public static GenericChart WeightIndexGrid(int[,] weightIndex, string? title = null, string xTitle = "column", string yTitle = "row")
    {
        ArgumentNullException.ThrowIfNull(weightIndex);
        int rows = weightIndex.GetLength(0), columns = weightIndex.GetLength(1);
        if (rows == 0 || columns == 0)
            throw new ArgumentException($"Charts.WeightIndexGrid: the matrix is empty ({rows} x {columns}).", nameof(weightIndex));
        int weights = 0;
        foreach (int i in weightIndex) weights = Math.Max(weights, i + 1);
        var zeros = new double?[rows][];
        var held = new double?[rows][];
        var text = new string[rows][];
        for (int r = 0; r < rows; r++)
        {
            zeros[r] = new double?[columns];
            held[r] = new double?[columns];
            text[r] = new string[columns];
            for (int c = 0; c < columns; c++)
            {
                int i = weightIndex[r, c];
                zeros[r][c] = i < 0 ? 0.0 : null;
                held[r][c] = i < 0 ? null : i + 1;
                text[r][c] = i < 0 ? "" : "w" + (i + 1).ToString(CultureInfo.InvariantCulture);
            }
        }
        int[] xs = Enumerable.Range(0, columns).ToArray(), ys = Enumerable.Range(0, rows).ToArray();
        var zeroTrace = Trace("heatmap", ("z", zeros), ("x", xs), ("y", ys), ("name", "structural zero"),
            ("colorscale", new object[] { new object[] { 0.0, StructuralZeroColour }, new object[] { 1.0, StructuralZeroColour } }),
            ("showscale", false), ("xgap", 1), ("ygap", 1), ("hovertemplate", "row %{y}, column %{x}: structural zero<extra></extra>"));
        object colourscale = weights is > 0 and <= 9
            ? Enumerable.Range(0, weights).SelectMany(k => new object[]
                { new object[] { (double)k / weights, WeightColours[k] }, new object[] { (double)(k + 1) / weights, WeightColours[k] } }).ToArray()
            : "Viridis";
        const int Cell = 30, Margins = 200, MaxSide = 1600;
        var weightTrace = Trace("heatmap", ("z", held), ("x", xs), ("y", ys), ("name", "weight"), ("text", text),
            ("colorscale", colourscale), ("zmin", 0.5), ("zmax", Math.Max(1, weights) + 0.5), ("xgap", 1), ("ygap", 1),
            ("colorbar", Obj(("tickvals", Enumerable.Range(1, weights).ToArray()), ("ticktext", Enumerable.Range(1, weights).Select(k => $"w{k}").ToArray()))),
            ("hovertemplate", "row %{y}, column %{x}: %{text}<extra></extra>"));
        // Cells about 30 px wide, so a label ("w9") fits inside its cell and never runs into the next one; the
        // figure gets the width that needs (not square cells in a default-width figure, which crowd a wide matrix).
        // A matrix too wide for that keeps its colours and hover text but loses the cell labels.
        if (columns * Cell + Margins <= MaxSide)
        {
            weightTrace.SetProperty("texttemplate", "%{text}");
            weightTrace.SetProperty("textfont", Obj(("size", 11)));
        }
        var layout = Layout(title,
            ("xaxis", Obj(("dtick", 1), ("title", Obj(("text", xTitle))))),
            ("yaxis", Obj(("autorange", "reversed"), ("dtick", 1), ("title", Obj(("text", yTitle))))),
            ("width", Math.Clamp(columns * Cell + Margins, 480, MaxSide)), ("height", Math.Clamp(rows * Cell + Margins, 300, MaxSide)),
            ("plot_bgcolor", "white"));
        return Figure(layout, zeroTrace, weightTrace);
    }

    /// <summary>The colour of a structural zero in <see cref="WeightIndexGrid"/>.</summary>
    public const string StructuralZeroColour = "#e6e6e6";

    /// <summary>D3's qualitative palette without its grey (kept for structural zeros): nine distinct colours.</summary>
    private static readonly string[] WeightColours =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"];

    /// <summary>
    /// A grid of single-channel images from a [N, 1, H, W] (or [N, H, W]) tensor, <paramref name="columns"/> per
    /// row, each drawn in grey with row 0 on top, optionally with a caption above each. The grid is sized by its
    /// tiles, not squeezed into a fixed box: each image gets at least <see cref="MinImageTile"/> px (3 px a pixel up
    /// to 112 px), captions are wrapped to their tile's width so they never run into their neighbours, and a grid
    /// wider than <see cref="DefaultWidth"/> wraps into more rows (keeping whole requested rows together when the
    /// column count allows it: 16 columns become two rows of 8).
    /// </summary>
    /// <exception cref="ArgumentException">Not [N, 1, H, W] or [N, H, W], columns &lt; 1, or captions not one per image.</exception>
    public static GenericChart Images<T>(Tensor<T> images, int columns = 8, string? title = null, IReadOnlyList<string>? captions = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool nchw = images.Rank == 4 && images.Size(1) == 1;
        if (!nchw && images.Rank != 3)
            throw new ArgumentException($"Charts.Images: expected images of shape [N, 1, H, W] or [N, H, W], got {images.ShapeString}.", nameof(images));
        if (columns < 1)
            throw new ArgumentException($"Charts.Images: columns must be at least 1, got {columns}.", nameof(columns));
        int count = images.Size(0);
        if (captions is not null && captions.Count != count)
            throw new ArgumentException($"Charts.Images: {count} images but {captions.Count} captions.", nameof(captions));

        // Tile size: 3 px per image pixel within [MinImageTile, 112], and wide enough for the longest caption word.
        const int Gap = 10, Side = 20, Bottom = 10, MaxTile = 112, CaptionFont = 11, CaptionLine = 14;
        int pixels = Math.Max(images.Size(-1), images.Size(-2));
        double tile = Math.Clamp(3 * pixels, MinImageTile, MaxTile);
        double wordTile = MinImageTile;
        if (captions is not null)
        {
            // Every word must fit its tile; whole caption lines too, up to the largest tile (so a caption is wrapped
            // only when even that is too narrow for it).
            double word = captions.SelectMany(c => BreakTag().Split(c)).SelectMany(line => line.Split(' '))
                .Select(w => TextWidth(w, CaptionFont)).DefaultIfEmpty(0).Max();
            double line = captions.Select(c => TextWidth(c, CaptionFont)).DefaultIfEmpty(0).Max();
            wordTile = Math.Max(wordTile, Math.Ceiling(word) + 4 - Gap);
            tile = Math.Max(tile, Math.Max(wordTile, Math.Min(MaxTile, Math.Ceiling(line) + 4 - Gap)));
        }
        // Columns: as asked while they fit the text column (shrinking the tiles towards their minimum if that is all it
        // takes); otherwise the largest divisor of the asked count that fits (so the asked rows stay whole), or as many
        // as fit.
        int asked = Math.Min(columns, count);
        int fit = Math.Max(1, (int)((DefaultWidth - 2 * Side + Gap) / (tile + Gap)));
        int cols = asked;
        double shrunk = Math.Floor((DefaultWidth - 2 * Side + Gap) / (double)asked) - Gap;
        if (asked > fit && shrunk >= wordTile) tile = shrunk;
        else if (asked > fit)
        {
            int divisor = Enumerable.Range(1, fit).Reverse().First(d => asked % d == 0);
            cols = divisor * 2 >= fit ? divisor : fit;
        }
        int rows = (count + cols - 1) / cols;
        var wrapped = captions?.Select(c => WrapText(c, tile + Gap - 4, CaptionFont)).ToArray();
        int captionLines = wrapped is null ? 0 : wrapped.Max(w => w.Count);
        double captionHeight = captionLines == 0 ? 0 : captionLines * CaptionLine + 4;
        double plotWidth = cols * tile + (cols - 1) * Gap, plotHeight = rows * (captionHeight + tile) + (rows - 1) * Gap;
        // A title wider than a small grid widens the figure (up to the text column) rather than wrap word by word.
        double width = Math.Max(plotWidth + 2 * Side, title is null ? 0 : Math.Min(DefaultWidth, TextWidth(title, TitleFont) + 60));
        double side = (width - plotWidth) / 2;
        var titleLines = title is null ? [] : WrapText(title, width - 40, TitleFont);
        double top = titleLines.Count == 0 ? 10 : 24 + 24 * titleLines.Count;

        var layout = Layout(null, ("grid", Obj(("rows", rows), ("columns", cols), ("pattern", "independent"))),
            ("width", (int)Math.Ceiling(width)), ("height", (int)Math.Ceiling(plotHeight + top + Bottom)),
            ("margin", Obj(("l", side), ("r", side), ("t", top), ("b", Bottom))));
        if (titleLines.Count > 0) layout.SetProperty("title", TitleObject(titleLines));
        var traces = new Trace[count];
        var annotations = new List<object>();
        for (int i = 0; i < count; i++)
        {
            // Subplot i uses axes x{i+1}/y{i+1}; Plotly names the first pair plainly "x"/"y".
            string suffix = i == 0 ? "" : (i + 1).ToString(CultureInfo.InvariantCulture);
            int r = i / cols, c = i % cols;
            double left = c * (tile + Gap), below = r * (captionHeight + tile + Gap) + captionHeight;
            traces[i] = Trace("heatmap",
                ("z", Plane(images, nchw ? i : 0, nchw ? 0 : i, nameof(Images))), ("xaxis", "x" + suffix), ("yaxis", "y" + suffix),
                ("colorscale", "Greys"), ("reversescale", true), ("showscale", false));
            layout.SetProperty("xaxis" + suffix, Obj(("visible", false), ("constrain", "domain"),
                ("domain", new[] { left / plotWidth, (left + tile) / plotWidth }), ("anchor", "y" + suffix)));
            var yAxis = MatrixYAxis("x" + suffix);
            yAxis["visible"] = false;
            yAxis["domain"] = new[] { Math.Max(0, 1 - (below + tile) / plotHeight), 1 - below / plotHeight };
            layout.SetProperty("yaxis" + suffix, yAxis);
            if (wrapped is not null)
                annotations.Add(Obj(("text", string.Join("<br>", wrapped[i])), ("showarrow", false), ("x", 0.5), ("y", 1.0), ("yanchor", "bottom"),
                    ("xref", $"x{suffix} domain"), ("yref", $"y{suffix} domain"), ("font", Obj(("size", CaptionFont)))));
        }
        if (annotations.Count > 0) layout.SetProperty("annotations", annotations);
        return Figure(layout, sized: true, traces);
    }

    /// <summary>The smallest image tile (px) <see cref="Images{T}"/> draws: a 28x28 digit at 2 px a pixel.</summary>
    public const int MinImageTile = 56;

    /// <summary>
    /// Line chart of one or more series against their step (1, 2, ...): loss or accuracy per epoch, for instance.
    /// Points get markers while a series has at most 50 of them.
    /// </summary>
    /// <exception cref="ArgumentException">No series.</exception>
    public static GenericChart Lines(string? title, string xTitle, string yTitle, params (string Name, IReadOnlyList<double> Values)[] series)
    {
        if (series.Length == 0)
            throw new ArgumentException("Charts.Lines: at least one series is needed.", nameof(series));
        return LineFigure(title, xTitle, yTitle, series.Select(s => (s.Name, (object)Enumerable.Range(1, s.Values.Count).ToArray(), s.Values)));
    }

    /// <summary>Line chart of named series against their step, with default axis titles.</summary>
    public static GenericChart Lines(params (string Name, IReadOnlyList<double> Values)[] series) =>
        Lines(null, "step", "value", series);

    /// <summary>
    /// Line chart of one or more series, each with its own x values (epochs 1..n, learning rates, ...).
    /// Points get markers while a series has at most 50 of them.
    /// </summary>
    /// <exception cref="ArgumentException">No series, or a series whose X and Y differ in length.</exception>
    public static GenericChart Lines(string? title, string xTitle, string yTitle, params (string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)[] series)
    {
        if (series.Length == 0)
            throw new ArgumentException("Charts.Lines: at least one series is needed.", nameof(series));
        foreach (var s in series)
            if (s.X.Count != s.Y.Count)
                throw new ArgumentException($"Charts.Lines: series \"{s.Name}\" has {s.X.Count} x values but {s.Y.Count} y values.", nameof(series));
        return LineFigure(title, xTitle, yTitle, series.Select(s => (s.Name, (object)s.X.ToArray(), s.Y)));
    }

    private static GenericChart LineFigure(string? title, string xTitle, string yTitle, IEnumerable<(string Name, object X, IReadOnlyList<double> Y)> series)
    {
        var traces = series.Select(s => Trace("scatter",
            ("name", s.Name), ("x", s.X), ("y", s.Y.ToArray()), ("mode", s.Y.Count <= 50 ? "lines+markers" : "lines")));
        return Figure(Layout(title, ("xaxis", AxisTitle(xTitle)), ("yaxis", AxisTitle(yTitle))), traces.ToArray());
    }

    /// <summary>
    /// Grouped bar chart: one bar per category and series, the series side by side within each category
    /// (accuracy per class for two models, parameter counts per layer, ...).
    /// </summary>
    /// <exception cref="ArgumentException">No series, or a series without exactly one value per category.</exception>
    public static GenericChart Bars(string? title, IReadOnlyList<string> categories, params (string Name, IReadOnlyList<double> Values)[] series)
    {
        if (series.Length == 0)
            throw new ArgumentException("Charts.Bars: at least one series is needed.", nameof(series));
        foreach (var s in series)
            if (s.Values.Count != categories.Count)
                throw new ArgumentException($"Charts.Bars: series \"{s.Name}\" has {s.Values.Count} values but there are {categories.Count} categories.", nameof(series));
        var traces = series.Select(s => Trace("bar", ("name", s.Name), ("x", categories.ToArray()), ("y", s.Values.ToArray())));
        return Figure(Layout(title, ("barmode", "group")), traces.ToArray());
    }

    /// <summary>
    /// One series of bars with each value written above its bar, one bar drawn in an accent colour with
    /// <paramref name="note"/> pointing at it (the year AlexNet won, say).
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="yTitle">The value axis' title.</param>
    /// <param name="categories">One label per bar, left to right.</param>
    /// <param name="values">One value per bar.</param>
    /// <param name="highlight">The index of the bar to accent.</param>
    /// <param name="note">Text of the arrow pointing at the accented bar (none when null).</param>
    /// <exception cref="ArgumentException">Values and categories differ in count, or highlight is out of range.</exception>
    public static GenericChart HighlightedBars(string? title, string yTitle, IReadOnlyList<string> categories, IReadOnlyList<double> values, int highlight, string? note = null)
    {
        if (values.Count != categories.Count)
            throw new ArgumentException($"Charts.HighlightedBars: {values.Count} values but {categories.Count} categories.", nameof(values));
        if (highlight < 0 || highlight >= values.Count)
            throw new ArgumentException($"Charts.HighlightedBars: highlight {highlight} is outside the {values.Count} bars.", nameof(highlight));
        string[] colours = Enumerable.Range(0, values.Count).Select(i => i == highlight ? "#d62728" : "#9fb3c8").ToArray();
        var bars = Trace("bar", ("x", categories.ToArray()), ("y", values.ToArray()), ("marker", Obj(("color", colours))),
            ("text", values.Select(v => v.ToString("#,0.##", CultureInfo.InvariantCulture)).ToArray()), ("textposition", "outside"));
        var layout = Layout(title, ("yaxis", Obj(("title", Obj(("text", yTitle))), ("rangemode", "tozero"))), ("showlegend", false));
        if (note is not null)
            layout.SetProperty("annotations", new[] { Obj(("x", categories[highlight]), ("y", values[highlight]), ("text", note),
                ("showarrow", true), ("arrowhead", 2), ("ax", 70), ("ay", -40), ("font", Obj(("color", "#d62728")))) });
        return Figure(layout, bars);
    }

    /// <summary>
    /// A comparison of repeated measurements: one bar per category at its mean with an error bar of
    /// ± <paramref name="errors"/>, and every single run drawn as a dot over its bar, on a value axis fixed to
    /// [<paramref name="yMin"/>, <paramref name="yMax"/>] so that the chart shows a difference at its true size
    /// (an accuracy axis from 0 to 100 %, not zoomed onto the two bars' tops). Introduced in notebook
    /// 01-convolution (hand-made against learned filters over several seeds).
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="yTitle">The value axis' title, with its unit.</param>
    /// <param name="categories">One label per bar, left to right.</param>
    /// <param name="means">The bar heights, one per category (usually the mean of that category's runs).</param>
    /// <param name="errors">Half-length of each error bar, non-negative (a standard error, or twice it).</param>
    /// <param name="runs">The single measurements of each category (any number per category, none allowed).</param>
    /// <param name="yMin">Lower end of the value axis.</param>
    /// <param name="yMax">Upper end of the value axis, above <paramref name="yMin"/>.</param>
    /// <param name="errorName">Legend entry of the bars, which should say what the error bars are.</param>
    /// <param name="runName">Legend entry of the dots.</param>
    /// <exception cref="ArgumentException">Means, errors or runs not one per category, a negative or NaN error, or
    /// yMax not above yMin.</exception>
    public static GenericChart MeansWithRuns(string? title, string yTitle, IReadOnlyList<string> categories,
        IReadOnlyList<double> means, IReadOnlyList<double> errors, IReadOnlyList<IReadOnlyList<double>> runs,
        double yMin, double yMax, string errorName = "mean ± error", string runName = "one run")
    {
        if (means.Count != categories.Count || errors.Count != categories.Count || runs.Count != categories.Count)
            throw new ArgumentException($"Charts.MeansWithRuns: {categories.Count} categories but {means.Count} means, {errors.Count} errors and {runs.Count} lists of runs.", nameof(means));
        if (errors.Any(e => !(e >= 0)))
            throw new ArgumentException("Charts.MeansWithRuns: every error must be a non-negative number.", nameof(errors));
        if (!(yMax > yMin))
            throw new ArgumentException($"Charts.MeansWithRuns: the axis needs yMax > yMin, got [{yMin}, {yMax}].", nameof(yMax));
        var bars = Trace("bar", ("name", errorName), ("x", categories.ToArray()), ("y", means.ToArray()),
            ("error_y", Obj(("type", "data"), ("array", errors.ToArray()), ("visible", true), ("thickness", 2), ("width", 12))),
            ("marker", Obj(("color", "#9fb3c8"))));
        var dots = Trace("scatter", ("name", runName), ("mode", "markers"),
            ("x", runs.SelectMany((r, i) => r.Select(_ => categories[i])).ToArray()),
            ("y", runs.SelectMany(r => r).ToArray()),
            ("marker", Obj(("color", "#d62728"), ("size", 8), ("opacity", 0.8))));
        var layout = Layout(title, ("yaxis", Obj(("title", Obj(("text", yTitle))), ("range", new[] { yMin, yMax }))));
        return Figure(layout, bars, dots);
    }

    /// <summary>
    /// Scatter plot of 2-D points [N, 2] (a PCA or t-SNE map), one colour and legend entry per label.
    /// </summary>
    /// <exception cref="ArgumentException">Points not [N, 2], or labels not of length N.</exception>
    public static GenericChart Scatter2D<T>(Tensor<T> points, int[] labels, string? title = null, IReadOnlyList<string>? labelNames = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (points.Rank != 2 || points.Size(1) != 2)
            throw new ArgumentException($"Charts.Scatter2D: expected points of shape [N, 2], got {points.ShapeString}.", nameof(points));
        if (labels.Length != points.Size(0))
            throw new ArgumentException($"Charts.Scatter2D: {points.Size(0)} points but {labels.Length} labels.", nameof(labels));
        var traces = labels.Distinct().Order().Select(label =>
        {
            var rows = Enumerable.Range(0, labels.Length).Where(i => labels[i] == label).ToArray();
            string name = labelNames is not null && label >= 0 && label < labelNames.Count ? labelNames[label] : label.ToString(CultureInfo.InvariantCulture);
            return Trace("scatter", ("name", name), ("mode", "markers"),
                ("x", rows.Select(i => double.CreateTruncating(points.Data[2 * i])).ToArray()),
                ("y", rows.Select(i => double.CreateTruncating(points.Data[2 * i + 1])).ToArray()));
        });
        return Figure(Layout(title), traces.ToArray());
    }

    /// <summary>
    /// An interactive walk of a 2-D convolution (cross-correlation, as <see cref="Conv2d{T}"/>): a slider runs
    /// over the output positions in row-major order; at each position the left heatmap shows the (zero-padded)
    /// input with the filter's window outlined, the right heatmap the output filled in up to that position with
    /// the current cell outlined, and the title spells out the window's products and their sum. The output values
    /// come from the engine's <see cref="Conv2d{T}"/> (one channel, no bias, the given kernel as its weight),
    /// computed once and revealed step by step. The slider restyles and relayouts the figure in the page itself,
    /// so it works in saved HTML and notebooks without a kernel.
    /// </summary>
    /// <param name="input2d">The input [H, W].</param>
    /// <param name="kernel2d">The kernel [KH, KW].</param>
    /// <param name="stride">Stride in both dimensions, positive.</param>
    /// <param name="padding">Zeros added on each side, non-negative; the padding is drawn, with row and column
    /// indices running from -padding.</param>
    /// <exception cref="ArgumentException">An argument is not 2-D, or the padded input is smaller than the kernel.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Stride not positive or padding negative (from Conv2d).</exception>
    public static GenericChart ConvolutionWalk<T>(Tensor<T> input2d, Tensor<T> kernel2d, int stride = 1, int padding = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (input2d.Rank != 2)
            throw new ArgumentException($"Charts.ConvolutionWalk: expected the input as [H, W], got {input2d.ShapeString}.", nameof(input2d));
        if (kernel2d.Rank != 2)
            throw new ArgumentException($"Charts.ConvolutionWalk: expected the kernel as [KH, KW], got {kernel2d.ShapeString}.", nameof(kernel2d));
        int h = input2d.Size(0), w = input2d.Size(1), kh = kernel2d.Size(0), kw = kernel2d.Size(1);
        var conv = new Conv2d<T>(1, 1, (kh, kw), (stride, stride), (padding, padding), bias: false);
        kernel2d.Data.CopyTo(conv.Weight.Value.Data, 0);
        var output = conv.Forward(input2d.Reshape(1, 1, h, w));
        int oh = output.Size(2), ow = output.Size(3);

        // The padded input, as drawn: padding cells hold 0, exactly what Conv2d multiplies them by.
        int ph = h + 2 * padding, pw = w + 2 * padding;
        var padded = new double[ph][];
        for (int r = 0; r < ph; r++)
        {
            padded[r] = new double[pw];
            for (int col = 0; col < pw; col++)
            {
                int ir = r - padding, ic = col - padding;
                if (ir >= 0 && ir < h && ic >= 0 && ic < w) padded[r][col] = double.CreateTruncating(input2d.Data[ir * w + ic]);
            }
        }
        var kernel = Plane(kernel2d, 0, 0, nameof(ConvolutionWalk));
        var outValues = output.Data.Select(double.CreateTruncating).ToArray();

        // Window of output (i, j) in the padded input, and what the title says about it.
        string Describe(int i, int j)
        {
            string value = Format(outValues[i * ow + j]);
            if (kh * kw > 9) return $"y[{i}, {j}] = sum of the {kh * kw} products in the window = {value}";
            var terms = new List<string>(kh * kw);
            for (int u = 0; u < kh; u++)
                for (int v = 0; v < kw; v++)
                    terms.Add($"{Format(padded[i * stride + u][j * stride + v])}·{Format(kernel[u][v])}");
            return $"y[{i}, {j}] = {string.Join(" + ", terms)} = {value}";
        }
        object[] Shapes(int i, int j) =>
        [
            Rectangle("x", "y", j * stride - padding - 0.5, i * stride - padding - 0.5, kw, kh),
            Rectangle("x2", "y2", j - 0.5, i - 0.5, 1, 1),
        ];
        double?[][] Revealed(int upTo) =>
            Enumerable.Range(0, oh).Select(i => Enumerable.Range(0, ow)
                .Select(j => i * ow + j <= upTo ? outValues[i * ow + j] : (double?)null).ToArray()).ToArray();

        bool text = Math.Max(ph * pw, oh * ow) <= AnnotateUpTo;
        var inputTrace = Trace("heatmap", ("z", padded), ("x", Enumerable.Range(-padding, pw).ToArray()), ("y", Enumerable.Range(-padding, ph).ToArray()),
            ("colorscale", "Blues"), ("showscale", false), ("name", "input"));
        var outputTrace = Trace("heatmap", ("z", Revealed(0)), ("x", Enumerable.Range(0, ow).ToArray()), ("y", Enumerable.Range(0, oh).ToArray()),
            ("colorscale", "Viridis"), ("showscale", false), ("zmin", outValues.Min()), ("zmax", outValues.Max()),
            ("xaxis", "x2"), ("yaxis", "y2"), ("name", "output"));
        if (text)
        {
            inputTrace.SetProperty("texttemplate", "%{z:.4~g}");
            outputTrace.SetProperty("texttemplate", "%{z:.4~g}");
        }

        var steps = new List<object>(oh * ow);
        for (int k = 0; k < oh * ow; k++)
        {
            int i = k / ow, j = k % ow;
            steps.Add(Obj(("label", $"({i},{j})"), ("method", "update"),
                ("args", new object[]
                {
                    Obj(("z", new object[] { Revealed(k) })),
                    Obj(("shapes", Shapes(i, j)), ("title.text", Describe(i, j))),
                    new[] { 1 },
                })));
        }
        var layout = Layout(Describe(0, 0),
            ("xaxis", Obj(("domain", new[] { 0.0, 0.48 }), ("title", Obj(("text", "input (padded)"))), ("constrain", "domain"), ("dtick", 1))),
            ("yaxis", MatrixYAxis("x")),
            ("xaxis2", Obj(("domain", new[] { 0.56, 1.0 }), ("title", Obj(("text", "output"))), ("constrain", "domain"), ("anchor", "y2"), ("dtick", 1))),
            ("yaxis2", MatrixYAxis("x2")),
            ("shapes", Shapes(0, 0)),
            ("sliders", new object[]
            {
                Obj(("active", 0), ("steps", steps), ("currentvalue", Obj(("prefix", "output position (row, column): "))), ("pad", Obj(("t", 40)))),
            }));
        return Figure(layout, inputTrace, outputTrace);
    }

    /// <summary>A chart of the traces (with Plotly.NET's default style) under one layout, made readable (<see cref="MakeReadable"/>).</summary>
    private static GenericChart Figure(Layout layout, params Trace[] traces) => Figure(layout, sized: false, traces);

    /// <summary>As above; a <paramref name="sized"/> layout (an image grid laid out tile by tile) is taken as it is.</summary>
    private static GenericChart Figure(Layout layout, bool sized, params Trace[] traces)
    {
        if (!sized) MakeReadable(layout, traces);
        return GenericChart.addLayout(layout, GenericChart.combine(traces.Select(t => GenericChart.ofTraceObject(true, t))));
    }

    private static Trace Trace(string type, params (string Key, object Value)[] properties)
    {
        var trace = new Trace2D(type);
        TraceTypes.AddOrUpdate(trace, type);
        foreach (var (key, value) in properties) trace.SetProperty(key, value);
        return trace;
    }

    private static Layout Layout(string? title, params (string Key, object Value)[] properties)
    {
        var layout = new Layout();
        if (title is not null) layout.SetProperty("title", Obj(("text", title)));
        foreach (var (key, value) in properties) layout.SetProperty(key, value);
        return layout;
    }

    /// <summary>A nested Plotly object (serialised as a JSON object).</summary>
    private static Dictionary<string, object> Obj(params (string Key, object Value)[] properties) =>
        properties.ToDictionary(p => p.Key, p => p.Value);

    private static Dictionary<string, object> AxisTitle(string text) => Obj(("title", Obj(("text", text))));

    /// <summary>A y axis for a matrix: row 0 on top, cells square with the x axis it is tied to.</summary>
    /// <remarks>Anchored to its x axis, so a second matrix's row labels sit beside that matrix, not over the first's;
    /// ticks on whole indices (a cell's centre), not on Plotly's default half steps.</remarks>
    private static Dictionary<string, object> MatrixYAxis(string xAxis) =>
        Obj(("autorange", "reversed"), ("scaleanchor", xAxis), ("anchor", xAxis), ("constrain", "domain"), ("dtick", 1));

    private static Dictionary<string, object> Rectangle(string xRef, string yRef, double x0, double y0, double width, double height) =>
        Obj(("type", "rect"), ("xref", xRef), ("yref", yRef), ("x0", x0), ("y0", y0), ("x1", x0 + width), ("y1", y0 + height),
            ("line", Obj(("color", "red"), ("width", 3))));

    /// <summary>One annotation per cell, row by row, dark text on the bright half of the Viridis scale.</summary>
    private static List<object> CellAnnotations(double[][] z)
    {
        double min = z.Min(row => row.Min()), max = z.Max(row => row.Max()), middle = (min + max) / 2;
        var annotations = new List<object>(z.Length * z[0].Length);
        for (int r = 0; r < z.Length; r++)
            for (int col = 0; col < z[r].Length; col++)
                annotations.Add(Obj(("x", col), ("y", r), ("text", Format(z[r][col])), ("showarrow", false),
                    ("font", Obj(("color", z[r][col] > middle ? "black" : "white")))));
        return annotations;
    }

    private static string Format(double value) => NumberText.Readable(value, 4);

    /// <summary>One [H, W] plane as rows of doubles.</summary>
    private static double[][] Plane<T>(Tensor<T> tensor, int n, int c, string caller) where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int batch, int channels) = tensor.Rank switch
        {
            2 => (1, 1),
            3 => (1, tensor.Size(0)),
            4 => (tensor.Size(0), tensor.Size(1)),
            _ => throw new ArgumentException($"Charts.{caller}: expected a tensor of rank 2 [H, W], 3 [C, H, W] or 4 [N, C, H, W], got {tensor.ShapeString}.", nameof(tensor)),
        };
        if ((uint)n >= (uint)batch || (uint)c >= (uint)channels)
            throw new ArgumentException($"Charts.{caller}: plane (n={n}, c={c}) is outside tensor {tensor.ShapeString}.");
        int h = tensor.Size(-2), w = tensor.Size(-1);
        if (h == 0 || w == 0)
            throw new ArgumentException($"Charts.{caller}: tensor {tensor.ShapeString} has an empty plane.", nameof(tensor));
        int offset = (n * channels + c) * h * w;
        var rows = new double[h][];
        for (int r = 0; r < h; r++)
        {
            rows[r] = new double[w];
            for (int col = 0; col < w; col++) rows[r][col] = double.CreateTruncating(tensor.Data[offset + r * w + col]);
        }
        return rows;
    }
}

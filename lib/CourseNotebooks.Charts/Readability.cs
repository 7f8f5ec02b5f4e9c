using System.Globalization;
using System.Text.RegularExpressions;
using Plotly.NET;

namespace CourseNotebooks.Charts;

// The sizing every chart of this library gets before it is returned (issue 25, "Figures that cannot be read"): a
// figure as wide as the reports' text column unless its function sized it, a title wrapped to that width with room
// above the plot, axes that push their margins out for their tick labels and titles (so an axis title is never drawn
// on the chart title), a legend beside the plot when the plot keeps a readable width next to it and below it
// otherwise (never over it, never wider than the plot), and a plot area of at least MinPlotWidth x MinPlotHeight.
// Figures of matrices only (heatmaps sized to their cells) keep their size; image grids (Images) are laid out
// tile by tile by their own function and only share the title rules.
public static partial class Charts
{
    /// <summary>The width of a chart whose function does not size it: the course reports' text column (960 px) less a margin.</summary>
    public const int DefaultWidth = 900;

    /// <summary>The smallest plot area (px) of a chart of lines, bars or points.</summary>
    public const int MinPlotWidth = 420, MinPlotHeight = 260;

    private const int DefaultPlotHeight = 320, TitleFont = 17, LegendFont = 12, LegendRow = 22, LegendSymbol = 50;

    /// <summary>Each trace's plotly type, as the Trace helper made it.</summary>
    private static System.Runtime.CompilerServices.ConditionalWeakTable<Trace, string> TraceTypes => TraceTypeTable.Map;

    // In a class of its own, not a static field of Charts: Charts' static fields are initialised when the module
    // initializer first touches Charts (PlotlyLoading.Install), and a field of a Plotly.NET type there loads Plotly.NET
    // before Install has put it beside the kernel's FSharp.Core. In VS Code, Jupyter and dotnet-repl the first chart
    // then failed with MissingMethodException (Giraffe.ViewEngine bound to the other FSharp.Core).
    private static class TraceTypeTable
    {
        public static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Trace, string> Map = new();
    }

    /// <summary>Applies the rules above to <paramref name="layout"/>, given the figure's traces.</summary>
    private static void MakeReadable(Layout layout, Trace[] traces)
    {
        var properties = layout.GetProperties(false).ToDictionary(p => p.Key, p => p.Value);
        var traceProperties = traces.Select(t => t.GetProperties(false).ToDictionary(p => p.Key, p => p.Value)).ToArray();
        var types = traces.Select(t => TraceTypes.TryGetValue(t, out var type) ? type : "").ToArray();
        string Type(Dictionary<string, object> t) => types[Array.IndexOf(traceProperties, t)];
        bool matrixOnly = traceProperties.All(t => Type(t) is "heatmap");
        // A colour bar stands right of the plot, where a legend beside it would go.
        bool colourBar = traceProperties.Any(t => Type(t) is "heatmap" or "contour" && !(t.TryGetValue("showscale", out var s) && s is false));

        double? width = Number(properties, "width"), height = Number(properties, "height");
        double figureWidth = width ?? (matrixOnly ? 600 : DefaultWidth);

        // Axes push their margins out for their tick labels and titles, with a little air between the two.
        foreach (var (key, value) in properties)
            if (Regex.IsMatch(key, "^[xy]axis[0-9]*$") && value is Dictionary<string, object> axis)
            {
                axis.TryAdd("automargin", true);
                // plotly 2.28 draws the title of an x axis without tick labels at the top of the figure, over the
                // chart's title (notebook 11's map rows): keep the labels, in an invisible colour, so it sits below.
                if (key[0] == 'x' && axis.ContainsKey("title") && axis.GetValueOrDefault("showticklabels") is false)
                {
                    axis["showticklabels"] = true;
                    axis["tickfont"] = Obj(("color", "rgba(0,0,0,0)"));
                }
            }
        foreach (string key in new[] { "xaxis", "yaxis" })
            if (!properties.ContainsKey(key)) layout.SetProperty(key, Obj(("automargin", true)));
        bool xTitle = properties.TryGetValue("xaxis", out var x) && x is Dictionary<string, object> xa && xa.ContainsKey("title");

        // The title, wrapped to the figure's width, in the top margin (captions drawn above panels get room too).
        int titleLines = WrapTitle(layout, properties, figureWidth);
        int captionLines = CaptionLinesAbove(properties);
        double top = titleLines == 0 ? 30 : 24 + 24 * titleLines;
        top += captionLines * 15;
        double left = 80, right = 30, bottom = xTitle ? 70 : 50;

        // The legend: beside the plot when the plot keeps MinPlotWidth next to it, else below it in rows.
        var entries = traces.Length == 0 ? [] : traceProperties
            .Where(t => t.TryGetValue("showlegend", out var s) ? s is true : Type(t) is not ("heatmap" or "contour"))
            .Select(t => t.TryGetValue("name", out var n) ? n as string ?? "" : "").ToList();
        bool legend = properties.TryGetValue("showlegend", out var shown) ? shown is true : entries.Count >= 2;
        if (legend && !matrixOnly)
        {
            double item = entries.Select(e => TextWidth(e, LegendFont)).DefaultIfEmpty(0).Max() + LegendSymbol;
            var legendObject = properties.TryGetValue("legend", out var l) && l is Dictionary<string, object> given ? given : Obj();
            foreach (string key in new[] { "x", "y", "xanchor", "yanchor", "orientation", "xref", "yref" }) legendObject.Remove(key);
            if (!colourBar && figureWidth - left - right - item - 20 >= Math.Max(MinPlotWidth, item) && entries.Count <= 14)
            {
                right = item + 30;
                legendObject["orientation"] = "v";
                legendObject["x"] = 1.02; legendObject["xanchor"] = "left";
                legendObject["y"] = 1.0; legendObject["yanchor"] = "top";
            }
            else
            {
                // Rows of entries no wider than the plot (plotly wraps a horizontal legend at the plot's width).
                double plotWidth = figureWidth - left - right, row = 0;
                int rows = 1;
                foreach (string entry in entries)
                {
                    double w = TextWidth(entry, LegendFont) + LegendSymbol;
                    if (row > 0 && row + w > plotWidth) { rows++; row = 0; }
                    row += w;
                }
                double legendHeight = rows * LegendRow + 16;
                bottom += legendHeight + 10;
                legendObject["orientation"] = "h";
                legendObject["xref"] = "paper"; legendObject["x"] = 0.0; legendObject["xanchor"] = "left";
                legendObject["yref"] = "container"; legendObject["y"] = 0.0; legendObject["yanchor"] = "bottom";
            }
            layout.SetProperty("legend", legendObject);
        }

        var margin = properties.TryGetValue("margin", out var m) && m is Dictionary<string, object> givenMargin ? givenMargin : Obj();
        margin["t"] = Math.Max(Number(margin, "t") ?? 0, top);
        if (matrixOnly)
        {
            // Sized to their cells by their function: only the title's room changes (plotly's default top margin is 100).
            layout.SetProperty("margin", margin);
            if (height is not null && top > 100) layout.SetProperty("height", (int)Math.Ceiling(height.Value + top - 100));
            return;
        }
        margin["l"] = Math.Max(Number(margin, "l") ?? 0, left);
        margin["r"] = Math.Max(Number(margin, "r") ?? 0, right);
        margin["b"] = Math.Max(Number(margin, "b") ?? 0, bottom);
        layout.SetProperty("margin", margin);
        double marginsWide = (double)margin["l"] + (double)margin["r"], marginsHigh = (double)margin["t"] + (double)margin["b"];
        layout.SetProperty("width", (int)Math.Ceiling(Math.Max(figureWidth, marginsWide + MinPlotWidth)));
        // The plot area the function asked for (its height less plotly's default margins), at least MinPlotHeight;
        // the legend's rows below it come on top; never lower than the function asked (a map beside its hover image).
        double plotHeight = Math.Max(MinPlotHeight, height is null ? DefaultPlotHeight : height.Value - 180);
        layout.SetProperty("height", (int)Math.Ceiling(Math.Max(height ?? 0, marginsHigh + plotHeight)));
    }

    /// <summary>Wraps the layout's title to <paramref name="width"/> and anchors it to the top of the figure; returns its line count.</summary>
    private static int WrapTitle(Layout layout, Dictionary<string, object> properties, double width)
    {
        if (!properties.TryGetValue("title", out var t) || t is not Dictionary<string, object> title || title.GetValueOrDefault("text") is not string text || text.Length == 0)
            return 0;
        var lines = WrapText(text, width - 40, TitleFont);
        foreach (var (key, value) in TitleObject(lines)) title[key] = value;
        layout.SetProperty("title", title);
        return lines.Count;
    }

    /// <summary>A title of these lines at the top of the figure, in the top margin the caller leaves (24 px a line and 24 more).</summary>
    private static Dictionary<string, object> TitleObject(IReadOnlyList<string> lines) =>
        Obj(("text", string.Join("<br>", lines)), ("yref", "container"), ("y", 1.0), ("yanchor", "top"), ("pad", Obj(("t", 12))));

    /// <summary>Lines of at most <paramref name="width"/> px at <paramref name="fontSize"/>, broken at spaces (and at existing "&lt;br&gt;").</summary>
    internal static List<string> WrapText(string text, double width, double fontSize)
    {
        var lines = new List<string>();
        foreach (string paragraph in BreakTag().Split(text))
        {
            string line = "";
            foreach (string word in paragraph.Split(' '))
            {
                string candidate = line.Length == 0 ? word : line + " " + word;
                if (line.Length > 0 && TextWidth(candidate, fontSize) > width) { lines.Add(line); line = word; }
                else line = candidate;
            }
            lines.Add(line);
        }
        return lines;
    }

    /// <summary>Lines of the captions drawn above panels (annotations at the top of an axis domain), most of any.</summary>
    private static int CaptionLinesAbove(Dictionary<string, object> properties)
    {
        if (!properties.TryGetValue("annotations", out var a) || a is not IEnumerable<object> annotations) return 0;
        int most = 0;
        foreach (var annotation in annotations.OfType<Dictionary<string, object>>())
            if (annotation.GetValueOrDefault("yref") is string yref && yref.EndsWith("domain", StringComparison.Ordinal)
                && Number(annotation, "y") >= 1.0 && annotation.GetValueOrDefault("text") is string text)
                most = Math.Max(most, BreakTag().Split(text).Length);
        return most;
    }

    /// <summary>
    /// The width of <paramref name="text"/> (tags dropped, widest line) in plotly's default sans-serif at
    /// <paramref name="fontSize"/> px, estimated from character classes and rounded up: wide enough that text laid out
    /// by it never overlaps.
    /// </summary>
    internal static double TextWidth(string text, double fontSize)
    {
        double widest = 0;
        foreach (string line in BreakTag().Split(text))
        {
            double w = 0;
            foreach (char c in Tag().Replace(line, ""))
                w += c switch
                {
                    ' ' => 0.3,
                    'i' or 'j' or 'l' or '.' or ',' or ':' or ';' or '|' or '\'' or '!' or 'I' or 'f' or 't' or 'r' or '(' or ')' or '[' or ']' => 0.36,
                    'm' or 'w' or 'M' or 'W' or '%' or '@' or '✓' or '✗' => 0.9,
                    >= 'A' and <= 'Z' => 0.7,
                    _ => 0.6,
                };
            widest = Math.Max(widest, w * fontSize);
        }
        return Math.Ceiling(widest);
    }

    private static double? Number(Dictionary<string, object> properties, string key) =>
        properties.TryGetValue(key, out var v) ? v switch
        {
            int i => i,
            double d => d,
            float f => f,
            long l => l,
            _ => null,
        } : null;

    [GeneratedRegex("<br\\s*/?>", RegexOptions.IgnoreCase)]
    private static partial Regex BreakTag();

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tag();
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Plotly.NET;

namespace CourseNotebooks.Charts;

/// <summary>
/// A chart as notebook HTML: a div and a script that draws the chart's figure JSON with plotly.js. This is the
/// course's own replacement for Plotly.NET.Interactive's formatter, so notebooks need no <c>#r "nuget: ..."</c>
/// (which asks nuget.org on a first run, and fails offline). <see cref="CourseDisplay.Install"/> registers it.
/// </summary>
/// <remarks>
/// The script takes plotly.js from wherever the page has it: <c>window.Plotly</c> when something already loaded it;
/// else, under an AMD loader (require.js, as in Jupyter's classic notebook, where plotly.js registers itself as a
/// module and sets no <c>window.Plotly</c>), through <c>requirejs</c> from the CDN; else from the CDN through one
/// script element per page, shared by every chart on it. The CDN copy is the version Plotly.NET embeds, the same
/// plotly.js the HTML reports inline. When it cannot be loaded (no network), the chart's box says so instead of
/// staying empty; the figure itself is also in the output as <see cref="Charts.PlotlyMimeType"/>.
/// </remarks>
public static partial class ChartHtml
{
    /// <summary>How long a chart waits for plotly.js before it shows <see cref="LoadFailedMessage"/>.</summary>
    public const int LoadTimeoutSeconds = 20;

    /// <summary>The class of every chart's div.</summary>
    public const string ChartClass = "course-chart";

    /// <summary>The class of the message a chart's div shows when plotly.js could not be loaded.</summary>
    public const string FailureClass = "course-chart-unavailable";

    /// <summary>What a chart's div says when plotly.js could not be loaded.</summary>
    public const string LoadFailedMessage =
        "plotly.js could not be loaded: no network? The figure is also in this output as " + Charts.PlotlyMimeType
        + " (JupyterLab and VS Code can draw it offline) and in the HTML report of ./run-course.";

    private static readonly Lazy<string> EmbeddedVersion = new(FindEmbeddedVersion);

    /// <summary>
    /// The version of the plotly.js that Plotly.NET embeds, read from its resource name
    /// ("Plotly.NET.plotly-2.28.0.min.js"), so the CDN copy and the reports' inlined copy are the same plotly.js.
    /// </summary>
    public static string PlotlyJsVersion => EmbeddedVersion.Value;

    /// <summary>The CDN address of <see cref="PlotlyJsVersion"/>.</summary>
    public static string PlotlyJsUrl => $"https://cdn.plot.ly/plotly-{PlotlyJsVersion}.min.js";

    /// <summary>
    /// The chart as HTML: a div with an id of its own (so any number of charts can share a page) and a script that
    /// draws the figure into it. The div takes the figure's layout width and height when the figure sets them.
    /// </summary>
    public static string Of(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        return FromFigureJson(Charts.ChartJson(chart));
    }

    /// <summary>As <see cref="Of"/>, for a figure given as Plotly JSON (an object with data, layout and config).</summary>
    public static string FromFigureJson(string figure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(figure);
        string id = "course-chart-" + Guid.NewGuid().ToString("N");
        var style = new StringBuilder();
        using (var json = JsonDocument.Parse(figure))
        {
            if (json.RootElement.TryGetProperty("layout", out var layout) && layout.ValueKind == JsonValueKind.Object)
                foreach (string size in new[] { "width", "height" })
                    if (layout.TryGetProperty(size, out var pixels) && pixels.ValueKind == JsonValueKind.Number)
                        style.Append(size).Append(':').Append(pixels.GetDouble().ToString(CultureInfo.InvariantCulture)).Append("px;");
        }
        string url = PlotlyJsUrl;
        string sized = style.Length > 0 ? $" style=\"{style}\"" : "";
        return $$"""
            <div id="{{id}}" class="{{ChartClass}}"{{sized}}></div>
            <script type="text/javascript">
            (function () {
              var id = "{{id}}", url = "{{url}}", amdName = "plotly-{{PlotlyJsVersion}}";
              var figure = {{ScriptSafe(figure)}};
              var drawn = false;
              function box() { return document.getElementById(id); }
              function draw(Plotly) {
                var el = box();
                if (!el || !Plotly || typeof Plotly.newPlot !== "function") { fail("plotly.js loaded but did not define Plotly"); return; }
                drawn = true;
                el.textContent = "";
                Plotly.newPlot(el, figure.data, figure.layout || {}, Object.assign({ responsive: true }, figure.config || {}));
              }
              function fail(reason) {
                var el = box();
                if (drawn || !el) return;
                el.textContent = "";
                var note = document.createElement("div");
                note.className = "{{FailureClass}}";
                note.style.cssText = "padding:.5rem .75rem;border:1px dashed #c62828;color:#c62828;font:14px sans-serif";
                note.textContent = {{JsonSerializer.Serialize(LoadFailedMessage)}} + " (" + reason + ")";
                el.appendChild(note);
              }
              setTimeout(function () { fail("no plotly.js after {{LoadTimeoutSeconds}} s from " + url); }, {{LoadTimeoutSeconds * 1000}});
              if (window.Plotly && typeof window.Plotly.newPlot === "function") { draw(window.Plotly); return; }
              if (typeof define === "function" && define.amd && typeof requirejs === "function") {
                // Under require.js plotly.js registers as a module and sets no window.Plotly: load it as one.
                var paths = {}; paths[amdName] = url.replace(/\.js$/, "");
                requirejs.config({ paths: paths });
                requirejs([amdName], draw, function (error) { fail("require.js could not load " + url); });
                return;
              }
              // One script element per page, whatever the number of charts; a failed load is retried by the next chart.
              var key = "__courseNotebooksPlotly_" + amdName;
              var loading = window[key];
              if (!loading) {
                loading = window[key] = { waiting: [] };
                var script = document.createElement("script");
                script.src = url;
                script.onload = function () { var w = loading.waiting; loading.waiting = null; loading.ready = true; w.forEach(function (f) { f(true); }); };
                script.onerror = function () { window[key] = undefined; loading.waiting.forEach(function (f) { f(false); }); };
                document.head.appendChild(script);
              }
              var onLoad = function (ok) { if (ok) draw(window.Plotly); else fail("loading " + url + " failed"); };
              if (loading.ready) onLoad(true); else loading.waiting.push(onLoad);
            })();
            </script>
            """;
    }

    /// <summary>
    /// JSON as script text that cannot end or alter its script element: every "&lt;" (only ever inside a JSON
    /// string) becomes "\u003c", which means the same in the string.
    /// </summary>
    private static string ScriptSafe(string json) => json.Replace("<", "\\u003c", StringComparison.Ordinal);

    private static string FindEmbeddedVersion()
    {
        var assembly = typeof(GenericChart).Assembly;
        var versions = assembly.GetManifestResourceNames().Select(n => EmbeddedScript().Match(n)).Where(m => m.Success)
            .Select(m => m.Groups["version"].Value).ToList();
        return versions.Count == 1
            ? versions[0]
            : throw new InvalidOperationException(
                $"expected one plotly-*.min.js resource in {assembly.GetName().Name}, found {versions.Count}: the CDN version of plotly.js is taken from it");
    }

    [GeneratedRegex(@"plotly-(?<version>\d+\.\d+\.\d+)\.min\.js$")]
    private static partial Regex EmbeddedScript();
}

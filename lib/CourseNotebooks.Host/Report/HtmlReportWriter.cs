using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Markdig;

namespace CourseNotebooks.Host;

/// <summary>
/// Writes a run as one self-contained HTML page: markdown rendered with its formulas, code, outputs, errors and
/// time per cell. The page asks nothing of the network: formulas are drawn by the KaTeX copy this assembly carries,
/// charts by the plotly.js the caller passes in <see cref="ReportAssets"/>, each script included once per page.
/// </summary>
/// <remarks>
/// Output forms, best first: a chart's figure JSON (<see cref="PlotlyMimeType"/>, drawn with the page's plotly.js),
/// HTML (tables from the notebook's formatters, embedded as produced), markdown (rendered like a markdown cell, so a
/// generated derivation reads as formulas), then plain text. A chart whose figure cannot be drawn here (no plotly.js
/// given) keeps its HTML form, which loads plotly.js from the internet.
/// </remarks>
public static partial class HtmlReportWriter
{
    /// <summary>Plotly's mime type: the output's text is the figure JSON ({"data": [...], "layout": {...}}).</summary>
    public const string PlotlyMimeType = "application/vnd.plotly.v1+json";

    /// <summary>The CSS class of each chart's element; one per chart output.</summary>
    public const string ChartClass = "course-chart";

    // Printed output (pre.output) and errors wrap their long lines instead of hiding them behind a scrollbar (a
    // verdict sentence is read, not scrolled); code keeps its lines and scrolls, as in an editor.
    private const string PageStyle = """
        <style>
        body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
        pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; border-radius: 4px; }
        .cell { margin: 1rem 0; }
        .output { max-width: 100%; overflow-x: auto; }
        pre.output { white-space: pre-wrap; overflow-wrap: break-word; }
        .code-header { font: 12px monospace; color: #666; }
        .output-markdown { border-left: 3px solid #d0d7de; padding-left: .8rem; overflow-x: auto; }
        .math { overflow-x: auto; }
        .error { background: #fdecea; border-left: 4px solid #d33; padding: .4rem .6rem; white-space: pre-wrap; overflow-wrap: break-word; font-family: monospace; }
        p, li, h1, h2, h3, h4, .skipped, .code-header { overflow-wrap: break-word; }
        .skipped { color: #888; font-style: italic; }
        .status-passed { color: #1a7f37; } .status-failed { color: #d33; }
        </style>

        """;

    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    /// <summary>The report page.</summary>
    /// <param name="run">The executed notebook.</param>
    /// <param name="assets">plotly.js for the charts; without it charts keep their HTML form (see remarks).</param>
    public static string ToHtml(NotebookRun run, ReportAssets? assets = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        assets ??= ReportAssets.None;
        // The body first: the head includes each script only when the body needs it.
        var body = new StringBuilder();
        int charts = 0;
        foreach (var cell in run.Cells)
        {
            body.Append($"<section class=\"cell\" id=\"cell-{cell.Index}\">\n");
            if (cell.Cell.IsMarkdown)
                body.Append(Markdig.Markdown.ToHtml(cell.Cell.Source, Markdown));
            else
                AppendCode(body, cell, assets, ref charts);
            body.Append("</section>\n");
        }
        // Markdig writes every formula it finds as \( \) or \[ \] inside an element of class "math".
        bool hasMath = body.ToString().Contains("class=\"math\"", StringComparison.Ordinal);

        string title = Encode(run.Notebook.Name);
        string status = run.Succeeded ? "passed" : $"failed at {Encode(run.FirstFailure!.Describe())}";
        var html = new StringBuilder();
        html.Append($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>{title}</title>

            """).Append(PageStyle);
        if (hasMath)
        {
            html.Append($"<!-- KaTeX {Encode(Katex.Version)}, the formula renderer; its licence:\n{Katex.Licence.Replace("--", "- -")}\n-->\n");
            html.Append("<style>").Append(Katex.Style).Append("</style>\n");
            html.Append("<script>").Append(ScriptText(Katex.Script)).Append("</script>\n");
        }
        if (charts > 0)
            html.Append("<script>").Append(ScriptText(assets.PlotlyJavaScript!)).Append("</script>\n");
        html.Append($"""
            </head>
            <body>
            <h1 class="notebook-title">{title}</h1>
            <p class="{(run.Succeeded ? "status-passed" : "status-failed")}">Run {status} in {run.Elapsed.TotalSeconds:0.0} s.</p>

            """);
        html.Append(body);
        if (hasMath)
        {
            // Only Markdig's delimiters: a "$" left in the text (a price, a shell prompt) was not a formula.
            html.Append("""
                <script>
                renderMathInElement(document.body, {
                  delimiters: [{ left: "\\[", right: "\\]", display: true }, { left: "\\(", right: "\\)", display: false }],
                  throwOnError: false
                });
                </script>

                """);
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Writes <see cref="ToHtml"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(NotebookRun run, string path, ReportAssets? assets = null) => AtomicFile.WriteAllText(path, ToHtml(run, assets));

    private static void AppendCode(StringBuilder html, CellResult cell, ReportAssets assets, ref int charts)
    {
        html.Append($"<div class=\"code-header\">{Encode(cell.Cell.Label)} [{Encode(cell.Cell.KernelName)}] {cell.Status}");
        if (cell.Elapsed > TimeSpan.Zero) html.Append($" {cell.Elapsed.TotalSeconds:0.00} s");
        html.Append("</div>\n");
        html.Append($"<pre><code class=\"language-{Encode(cell.Cell.KernelName)}\">{Encode(cell.Cell.Source)}</code></pre>\n");
        foreach (var output in cell.Outputs)
        {
            if (output.TextOf(PlotlyMimeType) is { } figure && assets.PlotlyJavaScript is not null)
            {
                string id = $"chart-{cell.Index}-{charts++}";
                html.Append($"<div class=\"output {ChartClass}\" id=\"{id}\"></div>\n")
                    .Append("<script>(function () { var figure = ").Append(ScriptText(figure))
                    .Append($"; Plotly.newPlot(\"{id}\", figure.data, figure.layout || {{}}, Object.assign({{ responsive: true }}, figure.config || {{}})); }})();</script>\n");
            }
            // HTML outputs come from the notebook's own formatters (tables, charts) and are embedded as they are.
            else if (output.TextOf("text/html") is { } markup)
                html.Append("<div class=\"output\">").Append(markup).Append("</div>\n");
            else if (output.TextOf("text/markdown") is { } markdown)
                html.Append("<div class=\"output output-markdown\">").Append(Markdig.Markdown.ToHtml(markdown, Markdown)).Append("</div>\n");
            else
                html.Append("<pre class=\"output\">").Append(Encode(output.PlainText)).Append("</pre>\n");
        }
        if (cell.Error is not null) html.Append($"<div class=\"error\">{Encode(cell.Error)}</div>\n");
        if (cell.SkipReason is not null) html.Append($"<p class=\"skipped\">{Encode(cell.SkipReason)}</p>\n");
    }

    /// <summary>
    /// Script text that cannot end its own script element early: "&lt;/script" can only occur inside a string,
    /// a regular expression or a comment, where "&lt;\/script" means the same.
    /// </summary>
    private static string ScriptText(string script) => ScriptEnd().Replace(script, "<\\/$1");

    [GeneratedRegex("</(script)", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptEnd();

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}

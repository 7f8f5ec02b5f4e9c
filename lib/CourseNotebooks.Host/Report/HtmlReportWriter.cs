using System.Net;
using System.Text;
using Markdig;

namespace CourseNotebooks.Host;

/// <summary>
/// Writes a run as one self-describing HTML page: markdown rendered (LaTeX through MathJax), code, outputs
/// (HTML outputs such as Plotly charts embedded as produced), errors, per-cell time.
/// </summary>
/// <remarks>
/// The page loads MathJax, and Plotly charts load plotly.js, from public CDNs: without a network the text,
/// code and numbers still show, formulas show as LaTeX source and charts stay empty.
/// </remarks>
public static class HtmlReportWriter
{
    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    /// <summary>The report page.</summary>
    public static string ToHtml(NotebookRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var html = new StringBuilder();
        string title = Encode(run.Notebook.Name);
        string status = run.Succeeded ? "passed" : $"failed at {Encode(run.FirstFailure!.Describe())}";
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>{{title}}</title>
            <script>window.MathJax = { tex: { inlineMath: [['$', '$'], ['\\(', '\\)']] } };</script>
            <script async src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>
            <style>
            body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
            pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; border-radius: 4px; }
            .cell { margin: 1rem 0; }
            .code-header { font: 12px monospace; color: #666; }
            .error { background: #fdecea; border-left: 4px solid #d33; padding: .4rem .6rem; white-space: pre-wrap; font-family: monospace; }
            .skipped { color: #888; font-style: italic; }
            .status-passed { color: #1a7f37; } .status-failed { color: #d33; }
            </style>
            </head>
            <body>
            <h1 class="notebook-title">{{title}}</h1>
            <p class="{{(run.Succeeded ? "status-passed" : "status-failed")}}">Run {{status}} in {{run.Elapsed.TotalSeconds:0.0}} s.</p>

            """);
        foreach (var cell in run.Cells)
        {
            html.Append($"<section class=\"cell\" id=\"cell-{cell.Index}\">\n");
            if (cell.Cell.IsMarkdown)
                html.Append(Markdig.Markdown.ToHtml(cell.Cell.Source, Markdown));
            else
                AppendCode(html, cell);
            html.Append("</section>\n");
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Writes <see cref="ToHtml"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(NotebookRun run, string path) => AtomicFile.WriteAllText(path, ToHtml(run));

    private static void AppendCode(StringBuilder html, CellResult cell)
    {
        html.Append($"<div class=\"code-header\">{Encode(cell.Cell.Label)} [{Encode(cell.Cell.KernelName)}] {cell.Status}");
        if (cell.Elapsed > TimeSpan.Zero) html.Append($" {cell.Elapsed.TotalSeconds:0.00} s");
        html.Append("</div>\n");
        html.Append($"<pre><code class=\"language-{Encode(cell.Cell.KernelName)}\">{Encode(cell.Cell.Source)}</code></pre>\n");
        foreach (var output in cell.Outputs)
        {
            // HTML outputs come from the notebook's own formatters (tables, charts) and are embedded as they are.
            if (output.TextOf("text/html") is { } markup) html.Append("<div class=\"output\">").Append(markup).Append("</div>\n");
            else html.Append("<pre class=\"output\">").Append(Encode(output.PlainText)).Append("</pre>\n");
        }
        if (cell.Error is not null) html.Append($"<div class=\"error\">{Encode(cell.Error)}</div>\n");
        if (cell.SkipReason is not null) html.Append($"<p class=\"skipped\">{Encode(cell.SkipReason)}</p>\n");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}

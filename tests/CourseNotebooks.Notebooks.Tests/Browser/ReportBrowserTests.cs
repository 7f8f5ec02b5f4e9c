using System.Text.Json;
using CourseNotebooks.Cli;
using CourseNotebooks.Host;
using Xunit.Abstractions;

namespace CourseNotebooks.Notebooks.Tests.Browser;

/// <summary>
/// Opens every notebook's HTML report in headless Chromium with the network cut, as a student offline would, and
/// checks what they would look at: every chart drew its traces, every formula was typeset, and the page asked for
/// nothing outside itself. A screenshot of each page is kept in out/screenshots/ for people to look at.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class ReportBrowserTests(NotebookFixture fixture, ITestOutputHelper output)
{
    /// <summary>The window width: a laptop browser window.</summary>
    private const int Width = 1200;

    // Every lecture notebook: a new one is looked at in the browser the day it lands.
    private static readonly string[] Notebooks = [.. AllNotebooksTests.Notebooks().Cast<object[]>().Select(row => (string)row[0])];

    /// <summary>True once every chart element holds a drawn plot (or there are none).</summary>
    private const string ChartsSettled = $$"""
        [...document.querySelectorAll('.{{HtmlReportWriter.ChartClass}}')].every(c => c.querySelector('svg.main-svg') !== null)
        """;

    /// <summary>
    /// What the page shows, read in the page: per chart, how many traces its figure has and how many of them plotly
    /// bound to drawn elements (plotly ties each trace's elements to the trace through their data); the formulas
    /// KaTeX typeset and any it could not; and the prose with code, typeset formulas and scripts left out, which
    /// must hold no LaTeX.
    /// </summary>
    private const string Inspect = $$"""
        (() => {
          const charts = [...document.querySelectorAll('.{{HtmlReportWriter.ChartClass}}')].map(c => {
            const drawn = new Set();
            for (const el of c.querySelectorAll('svg.main-svg *')) {
              const d = el.__data__;
              const trace = Array.isArray(d) ? d[0] && d[0].trace : d && d.trace;
              if (trace && typeof trace.index === 'number' && trace.visible !== false) drawn.add(trace.index);
            }
            return { id: c.id, traces: (c._fullData || []).filter(t => t.visible !== false).length, drawn: drawn.size,
                     width: c.getBoundingClientRect().width, height: c.getBoundingClientRect().height };
          });
          const prose = document.body.cloneNode(true);
          prose.querySelectorAll('pre, code, script, style, .katex, .{{HtmlReportWriter.ChartClass}}').forEach(e => e.remove());
          return {
            charts,
            formulas: document.querySelectorAll('.math').length,
            typeset: document.querySelectorAll('.math .katex').length,
            katexErrors: [...document.querySelectorAll('.katex-error')].map(e => e.getAttribute('title') || e.textContent),
            prose: prose.innerText,
            pageWidth: document.documentElement.scrollWidth,
          };
        })()
        """;

    [FactWhenBrowser]
    public async Task EveryReport_DrawsItsChartsAndFormulas_WithTheNetworkCut()
    {
        string chromium = HeadlessChromium.Find()
            ?? throw new InvalidOperationException($"no Chromium found and {FactWhenBrowserAttribute.RequireVariable}=1: install it (apt-get install chromium) or set COURSE_CHROMIUM");
        // The same plotly.js the course command inlines: the copy inside the built library's Plotly.NET.
        await fixture.RunAsync(Notebooks[0]);
        string? plotly = PlotlyScript.Read(Path.Combine(fixture.Root, "artifacts", "notebook-lib"), out string? problem);
        Assert.True(plotly is not null, problem);
        var assets = new ReportAssets(plotly);

        string pages = Directory.CreateTempSubdirectory("course-reports-").FullName;
        string screenshots = Path.Combine(fixture.Root, "out", "screenshots");
        Directory.CreateDirectory(screenshots);
        await using var browser = await HeadlessChromium.LaunchAsync(chromium, TimeSpan.FromSeconds(30));
        var failures = new List<string>();
        int totalCharts = 0, totalFormulas = 0;
        foreach (string name in Notebooks)
        {
            var run = await fixture.RunAsync(name);
            string page = Path.Combine(pages, name + ".html");
            HtmlReportWriter.Write(run, page, assets);
            string url = new Uri(page).AbsoluteUri;

            var tab = await browser.OpenAsync(url, ChartsSettled, TimeSpan.FromSeconds(60), Width);
            var seen = await tab.EvaluateAsync(Inspect);
            await File.WriteAllBytesAsync(Path.Combine(screenshots, name + ".png"), await tab.ScreenshotAsync());

            int expectedCharts = run.Cells.SelectMany(c => c.Outputs).Count(o => o.TextOf(HtmlReportWriter.PlotlyMimeType) is not null);
            var charts = seen.GetProperty("charts").EnumerateArray().ToList();
            totalCharts += charts.Count;
            if (charts.Count != expectedCharts) failures.Add($"{name}: {charts.Count} chart elements, the run has {expectedCharts} charts");
            foreach (var chart in charts)
            {
                int traces = chart.GetProperty("traces").GetInt32(), drawn = chart.GetProperty("drawn").GetInt32();
                if (traces == 0 || drawn != traces)
                    failures.Add($"{name}: {chart.GetProperty("id").GetString()} drew {drawn} of {traces} traces");
                if (chart.GetProperty("width").GetDouble() < 100 || chart.GetProperty("height").GetDouble() < 100)
                    failures.Add($"{name}: {chart.GetProperty("id").GetString()} is {chart.GetProperty("width").GetDouble():0}x{chart.GetProperty("height").GetDouble():0} px");
            }

            int formulas = seen.GetProperty("formulas").GetInt32(), typeset = seen.GetProperty("typeset").GetInt32();
            totalFormulas += formulas;
            if (typeset != formulas) failures.Add($"{name}: {typeset} of {formulas} formulas typeset");
            foreach (var error in seen.GetProperty("katexErrors").EnumerateArray())
                failures.Add($"{name}: KaTeX could not typeset: {error.GetString()}");
            string prose = seen.GetProperty("prose").GetString()!;
            foreach (string raw in new[] { "$$", "\\frac", "\\begin", "\\partial", "\\(", "\\[" })
                if (prose.Contains(raw, StringComparison.Ordinal))
                    failures.Add($"{name}: raw '{raw}' in the text: ...{Around(prose, raw)}...");

            int pageWidth = seen.GetProperty("pageWidth").GetInt32();
            if (pageWidth > Width) failures.Add($"{name}: the page is {pageWidth} px wide in a {Width} px window (something does not wrap or scroll)");
            output.WriteLine($"{name}: {charts.Count} charts drawn, {typeset} of {formulas} formulas typeset, {tab.RequestedUrls.Count} request(s), screenshot {Path.Combine(screenshots, name + ".png")}");

            var outside = tab.RequestedUrls.Where(u => u != url && !u.StartsWith("data:", StringComparison.Ordinal)).ToList();
            if (outside.Count > 0) failures.Add($"{name}: requested {string.Join(", ", outside)}");
            foreach (string error in tab.Errors) failures.Add($"{name}: page error {error}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // The pages are not empty of what is checked: the lecture's notebooks draw charts and formulas.
        Assert.True(totalCharts >= 20, $"only {totalCharts} charts in all reports");
        Assert.True(totalFormulas >= 50, $"only {totalFormulas} formulas in all reports");
    }

    private static string Around(string text, string part)
    {
        int at = text.IndexOf(part, StringComparison.Ordinal);
        int from = Math.Max(0, at - 40);
        return text[from..Math.Min(text.Length, at + 40)].ReplaceLineEndings(" ");
    }
}

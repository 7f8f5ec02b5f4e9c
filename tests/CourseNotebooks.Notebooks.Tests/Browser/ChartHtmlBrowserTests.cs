using System.Diagnostics;
using CourseNotebooks.Charts;
using CourseNotebooks.Cli;
using CourseNotebooks.Display;
using Xunit.Abstractions;

namespace CourseNotebooks.Notebooks.Tests.Browser;

/// <summary>
/// The HTML a chart shows in a notebook (<see cref="ChartHtml"/>), opened in headless Chromium with the network
/// cut: it draws with the plotly.js a page already has, and says so visibly when it has none and cannot load one.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class ChartHtmlBrowserTests(NotebookFixture fixture, ITestOutputHelper output)
{
    private const string ChartsDrawn = $"document.querySelectorAll('.{ChartHtml.ChartClass} svg.main-svg').length > 0 "
        + $"&& [...document.querySelectorAll('.{ChartHtml.ChartClass}')].every(c => c.querySelector('svg.main-svg') !== null)";

    private const string ChartsGaveUp =
        $"[...document.querySelectorAll('.{ChartHtml.ChartClass}')].every(c => c.querySelector('.{ChartHtml.FailureClass}') !== null)";

    /// <summary>What each chart's div holds: its id, whether plotly drew in it, its text and its size.</summary>
    private const string Inspect = $$"""
        [...document.querySelectorAll('.{{ChartHtml.ChartClass}}')].map(c => ({
          id: c.id, drawn: c.querySelector('svg.main-svg') !== null, traces: (c._fullData || []).length,
          text: c.innerText, height: c.getBoundingClientRect().height }))
        """;

    private static string[] TwoCharts()
    {
        CourseDisplay.Install();
        var lines = Charts.Charts.Lines("Loss", "epoch", "loss", ("train", [3.0, 2, 1.5]), ("test", [3.2, 2.4, 2.0]));
        var heatmap = Charts.Charts.Heatmap(Engine.Tensors.Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } }), title: "Grid");
        // Through the kernel's formatter, as a notebook shows them.
        return [DisplayTests.Render(lines, MimeTypes.Html), DisplayTests.Render(heatmap, MimeTypes.Html)];
    }

    [FactWhenBrowser]
    public async Task TwoCharts_DrawWithThePagesPlotly_AndRequestNothing()
    {
        await fixture.BuildLibraryOnceAsync();
        string? plotly = PlotlyScript.Read(Path.Combine(fixture.Root, "artifacts", "notebook-lib"), out string? problem);
        Assert.True(plotly is not null, problem);
        // The library's plotly.js defines window.Plotly first (as a host that already has it would), then two outputs.
        string page = WritePage("with-plotly", $"<script>{plotly.Replace("</script", "<\\/script", StringComparison.Ordinal)}</script>", TwoCharts());

        await using var browser = await HeadlessChromium.LaunchAsync(Chromium(), TimeSpan.FromSeconds(30));
        var tab = await browser.OpenAsync(page, ChartsDrawn, TimeSpan.FromSeconds(60));
        var charts = (await tab.EvaluateAsync(Inspect)).EnumerateArray().ToList();

        Assert.Equal(2, charts.Count);
        Assert.NotEqual(charts[0].GetProperty("id").GetString(), charts[1].GetProperty("id").GetString());
        Assert.All(charts, c => Assert.True(c.GetProperty("drawn").GetBoolean(), c.ToString()));
        Assert.Equal([2, 1], charts.Select(c => c.GetProperty("traces").GetInt32()));
        Assert.All(charts, c => Assert.DoesNotContain("could not be loaded", c.GetProperty("text").GetString()));
        // plotly.js probes image support with data: URLs; nothing else is asked for.
        Assert.Equal([page], tab.RequestedUrls.Where(u => !u.StartsWith("data:", StringComparison.Ordinal)));
        Assert.Empty(tab.Errors);
    }

    [FactWhenBrowser]
    public async Task UnderAnAmdLoader_TheChartsAskItForPlotly_AtTheCdnPathOfTheEmbeddedVersion()
    {
        await fixture.BuildLibraryOnceAsync();
        string? plotly = PlotlyScript.Read(Path.Combine(fixture.Root, "artifacts", "notebook-lib"), out string? problem);
        Assert.True(plotly is not null, problem);
        // A stand-in for require.js as Jupyter's classic notebook has it: plotly.js registers with define() and sets
        // no window.Plotly; requirejs() hands out modules registered under the configured name, and nothing is fetched.
        string amdName = "plotly-" + ChartHtml.PlotlyJsVersion;
        string head = $$"""
            <script>
            (function () {
              var factory = null, modules = {};
              window.define = function (deps, f) { factory = typeof deps === "function" ? deps : f; };
              window.define.amd = {};
              window.requirejs = function (names, ok, fail) {
                window.amdAsked = (window.amdAsked || []).concat([window.amdPaths && window.amdPaths[names[0]]]);
                if (modules[names[0]]) ok(modules[names[0]]); else fail(new Error("no module " + names[0]));
              };
              window.requirejs.config = function (c) { window.amdPaths = Object.assign(window.amdPaths || {}, c.paths); };
              window.amdRegister = function (name) { modules[name] = factory(); };
            })();
            </script>
            <script>{{plotly.Replace("</script", "<\\/script", StringComparison.Ordinal)}}</script>
            <script>amdRegister("{{amdName}}");</script>
            """;
        string page = WritePage("amd", head, TwoCharts());

        await using var browser = await HeadlessChromium.LaunchAsync(Chromium(), TimeSpan.FromSeconds(30));
        var tab = await browser.OpenAsync(page, ChartsDrawn, TimeSpan.FromSeconds(60));

        Assert.False((await tab.EvaluateAsync("typeof window.Plotly !== 'undefined'")).GetBoolean());
        string cdnPath = ChartHtml.PlotlyJsUrl[..^".js".Length];
        Assert.Equal([cdnPath, cdnPath], (await tab.EvaluateAsync("window.amdAsked")).EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([page], tab.RequestedUrls.Where(u => !u.StartsWith("data:", StringComparison.Ordinal)));
        Assert.Empty(tab.Errors);
    }

    [FactWhenBrowser]
    public async Task WithoutPlotlyAndNetwork_TheChartsSayPlotlyCouldNotLoad_AfterOneRequest()
    {
        string page = WritePage("offline", "", TwoCharts());

        await using var browser = await HeadlessChromium.LaunchAsync(Chromium(), TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        // Well inside the script's own timeout: the message must come from the failed load, not from waiting it out.
        var tab = await browser.OpenAsync(page, ChartsGaveUp, TimeSpan.FromSeconds(ChartHtml.LoadTimeoutSeconds - 5));
        output.WriteLine($"fallback shown after {clock.Elapsed.TotalSeconds:0.0} s; requests: {string.Join(", ", tab.RequestedUrls)}");
        var charts = (await tab.EvaluateAsync(Inspect)).EnumerateArray().ToList();

        Assert.Equal(2, charts.Count);
        foreach (var chart in charts)
        {
            string text = chart.GetProperty("text").GetString()!;
            Assert.StartsWith("plotly.js could not be loaded: no network?", text);
            Assert.Contains("application/vnd.plotly.v1+json", text);
            Assert.Contains($"loading {ChartHtml.PlotlyJsUrl} failed", text);
            Assert.False(chart.GetProperty("drawn").GetBoolean());
            Assert.True(chart.GetProperty("height").GetDouble() > 10, "the message is visible, not an empty box");
        }
        // One script element for the whole page, however many charts wait for it.
        Assert.Equal([page, ChartHtml.PlotlyJsUrl], tab.RequestedUrls.Where(u => !u.StartsWith("data:", StringComparison.Ordinal)));
    }

    private static string Chromium() => HeadlessChromium.Find()
        ?? throw new InvalidOperationException($"no Chromium found and {FactWhenBrowserAttribute.RequireVariable}=1: install it (apt-get install chromium) or set COURSE_CHROMIUM");

    /// <summary>A page with <paramref name="head"/> and the outputs one after another; returns its file URL.</summary>
    private static string WritePage(string name, string head, IEnumerable<string> outputs)
    {
        string folder = Directory.CreateTempSubdirectory("course-chart-html-").FullName;
        string path = Path.Combine(folder, name + ".html");
        File.WriteAllText(path, $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">{head}</head>\n<body>\n"
            + string.Join("\n", outputs.Select(o => $"<div class=\"output\">{o}</div>")) + "\n</body></html>\n");
        return new Uri(path).AbsoluteUri;
    }
}

using System.Text.Json;
using System.Text.RegularExpressions;
using CourseNotebooks.Host;

namespace CourseNotebooks.Host.Tests;

[Collection(KernelCollection.Name)]
public sealed class WriterTests
{
    [Fact]
    public async Task ExecutedNotebook_HasStreamsResultsDisplaysAndErrors_InNbformat4()
    {
        using var good = await Fixtures.RunAsync("good.dib");
        using var broken = await Fixtures.RunAsync("broken.dib");

        using var doc = JsonDocument.Parse(ExecutedNotebookWriter.ToJson(good));
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("nbformat").GetInt32());
        Assert.Equal(".net-csharp", root.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString());
        var cells = root.GetProperty("cells").EnumerateArray().ToList();
        Assert.Equal("markdown", cells[0].GetProperty("cell_type").GetString());
        var stream = cells[1].GetProperty("outputs")[0];
        Assert.Equal("stream", stream.GetProperty("output_type").GetString());
        Assert.Equal("stdout", stream.GetProperty("name").GetString());
        Assert.Equal("hello from the notebook\n", string.Concat(stream.GetProperty("text").EnumerateArray().Select(t => t.GetString())));
        var result = cells[2].GetProperty("outputs")[0];
        Assert.Equal("execute_result", result.GetProperty("output_type").GetString());
        Assert.Equal("42.5", string.Concat(result.GetProperty("data").GetProperty("text/plain").EnumerateArray().Select(t => t.GetString())));
        Assert.Equal(JsonValueKind.Null, cells[3].GetProperty("execution_count").ValueKind);
        Assert.Equal("display_data", cells[4].GetProperty("outputs")[0].GetProperty("output_type").GetString());

        using var failed = JsonDocument.Parse(ExecutedNotebookWriter.ToJson(broken));
        var error = failed.RootElement.GetProperty("cells")[2].GetProperty("outputs").EnumerateArray().Last();
        Assert.Equal("error", error.GetProperty("output_type").GetString());
        Assert.Equal("InvalidOperationException", error.GetProperty("ename").GetString());
        Assert.Contains("deliberate failure in cell 3", error.GetProperty("evalue").GetString());
    }

    [Fact]
    public async Task HtmlReport_RendersMarkdownCodeOutputsAndTheFailure()
    {
        using var broken = await Fixtures.RunAsync("broken.dib");
        string html = HtmlReportWriter.ToHtml(broken);

        Assert.Contains("<h1 class=\"notebook-title\">broken</h1>", html);
        Assert.Contains("failed at cell 3 (code cell 2): InvalidOperationException: deliberate failure in cell 3", html);
        Assert.Contains("<p>Cell 3 throws; cell 4 still runs and uses the variable of cell 2.</p>", html);
        Assert.Contains("Console.WriteLine(x + 1);", html);
    }

    [Fact]
    public async Task HtmlReport_IsSelfContained_FormulasByKatex_ChartsByTheGivenPlotly_EachScriptOnce()
    {
        using var run = await Fixtures.RunAsync("report.dib");
        Assert.True(run.Succeeded, run.FirstFailure?.Describe());
        const string plotly = "/* fake plotly.js */ window.Plotly = { newPlot: function () {} };";
        string html = HtmlReportWriter.ToHtml(run, new ReportAssets(plotly));

        // Nothing is fetched: outside the inline scripts' text no element has a src or href, and the styles
        // have no url() but inlined data. (The browser test checks the same on the real reports, by requests.)
        string markup = Regex.Replace(html, "<script>.*?</script>", "<script></script>", RegexOptions.Singleline);
        Assert.DoesNotMatch(@"\s(src|href)\s*=", markup);
        Assert.Empty(Regex.Matches(markup, @"url\((?!data:)").Select(m => m.Value));
        // Each shared script once: KaTeX (with its licence) and the given plotly.js.
        Assert.Single(Regex.Matches(html, Regex.Escape(plotly)));
        Assert.Single(Regex.Matches(html, "renderMathInElement\\(document.body"));
        Assert.Contains("Permission is hereby granted", html);
        Assert.Contains("@font-face", html);
        Assert.Contains("data:font/woff2;base64,", html);
        // Markdown cells and markdown outputs both become formula elements for KaTeX.
        Assert.Contains("<span class=\"math\">\\(a^2 + b^2 = c^2\\)</span>", html);
        Assert.Contains("\\frac{\\partial L}{\\partial w}", html);
        Assert.Matches(@"<div class=""output output-markdown""><div class=""math"">\s*\\\[", html);
        Assert.Contains("A price of 5 dollars is not a formula.", html);
        // The chart is a div drawn by Plotly.newPlot; a "</script>" inside its JSON cannot end the script early.
        Assert.Contains($"<div class=\"output {HtmlReportWriter.ChartClass}\" id=\"chart-3-0\"></div>", html);
        Assert.Contains("Plotly.newPlot(\"chart-3-0\"", html);
        Assert.Contains("<\\/script> is harmless", html);
        Assert.DoesNotContain("</script> is harmless", html);
    }

    [Fact]
    public async Task HtmlReport_WithoutPlotly_KeepsNoChartScript_AndAPageWithoutFormulasCarriesNoKatex()
    {
        using var report = await Fixtures.RunAsync("report.dib");
        using var good = await Fixtures.RunAsync("good.dib");

        string withoutPlotly = HtmlReportWriter.ToHtml(report);
        Assert.DoesNotContain(HtmlReportWriter.ChartClass, withoutPlotly);
        Assert.DoesNotContain("Plotly.newPlot", withoutPlotly);

        string plain = HtmlReportWriter.ToHtml(good, new ReportAssets("window.Plotly = {};"));
        Assert.DoesNotContain("katex", plain, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("window.Plotly", plain);
    }

    [Fact]
    public async Task ExecutedNotebook_KeepsJsonMimeTypes_AsJson_SoJupyterDrawsTheChart()
    {
        using var run = await Fixtures.RunAsync("report.dib");
        using var doc = JsonDocument.Parse(ExecutedNotebookWriter.ToJson(run));

        var chart = doc.RootElement.GetProperty("cells")[2].GetProperty("outputs")[0].GetProperty("data").GetProperty(HtmlReportWriter.PlotlyMimeType);
        Assert.Equal(JsonValueKind.Object, chart.ValueKind);
        Assert.Equal([4.0, 1, 9], chart.GetProperty("data")[0].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        var markdown = doc.RootElement.GetProperty("cells")[1].GetProperty("outputs")[0].GetProperty("data").GetProperty("text/markdown");
        Assert.Equal(JsonValueKind.Array, markdown.ValueKind);
    }

    [Fact]
    public void Summary_RoundTripsThroughJson_AndTabulatesInMarkdown()
    {
        var summary = new RunSummary([
            new NotebookSummary("01-a", true, 5, 3, 0, 0, 1.25, null, null),
            NotebookSummary.NotRun("02-b", "/x/02-b.dib: file not found"),
        ]);

        var back = RunSummary.FromJson(summary.ToJson());
        Assert.Equal(summary.Notebooks, back.Notebooks);
        Assert.False(back.Passed);
        string md = summary.ToMarkdown();
        Assert.Contains("| 01-a | passed | 5 | 3 | 0 | 0 | 1.25 |  |", md);
        Assert.Contains("| 02-b | FAILED |", md);
    }

    [Fact]
    public void AtomicWrite_ReplacesTheFileAndLeavesNoTemporary()
    {
        string dir = Directory.CreateTempSubdirectory("atomic-").FullName;
        string path = Path.Combine(dir, "sub", "a.txt");
        AtomicFile.WriteAllText(path, "one");
        AtomicFile.WriteAllText(path, "two");

        Assert.Equal("two", File.ReadAllText(path));
        Assert.Equal(["a.txt"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
        Directory.Delete(dir, true);
    }
}

using System.Globalization;
using System.Text;
using CourseNotebooks.Cli;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Host;
using Plotly.NET;
using Xunit.Abstractions;
using Plots = CourseNotebooks.Charts.Charts;

namespace CourseNotebooks.Notebooks.Tests.Browser;

/// <summary>
/// Figures a reader can read (issue 25), measured in headless Chromium by <see cref="ReadableLayout"/>: a page of
/// planted bad charts and lines must be caught (so the check can fail), the library's charts at the sizes the
/// notebooks use must pass, and so must every notebook's report.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class ReadableLayoutTests(NotebookFixture fixture, ITestOutputHelper output)
{
    /// <summary>Set to a folder of reports already written (./run-course's out/html) to measure those instead of running the notebooks.</summary>
    public const string ReportsVariable = "COURSE_REPORTS";

    private const string ChartsSettled = $$"""
        [...document.querySelectorAll('.{{HtmlReportWriter.ChartClass}}')].every(c => c.querySelector('svg.main-svg') !== null)
        """;

    [FactWhenBrowser]
    public async Task PlantedBadPage_IsCaught_OnEveryKindOfProblem()
    {
        // The figures as they were before issue 25: a 600x600 box of 32 captioned 3x3 tiles, an x-axis title drawn
        // over the chart title (as notebook 11's map rows showed theirs), a 350 px chart under an 8-entry legend, a 150 px high chart, and a printed line that scrolls.
        var grid = new StringBuilder("{\"data\":[");
        var layout = new StringBuilder("{\"width\":600,\"height\":600,\"grid\":{\"rows\":2,\"columns\":16,\"pattern\":\"independent\"},\"annotations\":[");
        for (int i = 0; i < 32; i++)
        {
            string s = i == 0 ? "" : (i + 1).ToString(CultureInfo.InvariantCulture);
            grid.Append(i == 0 ? "" : ",").Append($"{{\"type\":\"heatmap\",\"z\":[[1,2,3],[4,5,6],[7,8,9]],\"xaxis\":\"x{s}\",\"yaxis\":\"y{s}\",\"showscale\":false}}");
            layout.Append(i == 0 ? "" : ",").Append($"{{\"text\":\"{(i < 16 ? "start" : "learned")} {i % 16}\",\"showarrow\":false,\"x\":0.5,\"y\":1,\"yanchor\":\"bottom\",\"xref\":\"x{s} domain\",\"yref\":\"y{s} domain\"}}");
        }
        layout.Append(']');
        for (int i = 0; i < 32; i++)
        {
            string s = i == 0 ? "" : (i + 1).ToString(CultureInfo.InvariantCulture);
            layout.Append($",\"xaxis{s}\":{{\"visible\":false,\"constrain\":\"domain\"}},\"yaxis{s}\":{{\"visible\":false,\"scaleanchor\":\"x{s}\",\"constrain\":\"domain\"}}");
        }
        string gridFigure = grid.Append("],\"layout\":").Append(layout).Append("}}").ToString();
        string titleOverAxis = """
            {"data":[{"type":"scatter","x":[1,2,3],"y":[3,1,2]}],
             "layout":{"height":400,"margin":{"t":40},"title":{"text":"Loss per epoch","yref":"container","y":1,"yanchor":"top","pad":{"t":8},"x":0.5,"xanchor":"center"},
               "xaxis":{"side":"top","showticklabels":false,"title":{"text":"epoch","standoff":0}}}}
            """;
        string legendWiderThanPlot = "{\"data\":[" + string.Join(",", Enumerable.Range(0, 8).Select(k =>
            $"{{\"type\":\"scatter\",\"name\":\"validation loss with L2 regularisation, seed {k}\",\"x\":[0,1,2],\"y\":[{k},{k + 1},{k}]}}")) +
            "],\"layout\":{\"width\":600,\"height\":400}}";
        string flat = """{"data":[{"type":"scatter","x":[1,2,3],"y":[3,1,2]}],"layout":{"height":150,"margin":{"t":20,"b":20}}}""";
        string longLine = string.Join(" ", Enumerable.Repeat("the verdict sentence goes on and on", 12));
        string page = await WritePageAsync("planted",
            [("chart-grid", gridFigure), ("chart-title", titleOverAxis), ("chart-legend", legendWiderThanPlot), ("chart-flat", flat)],
            $"<pre class=\"output\" style=\"white-space:pre;overflow-x:auto\">{longLine}</pre>\n" +
            $"<div id=\"hidden\" style=\"overflow:hidden;white-space:nowrap;width:300px\">{longLine}</div>\n");

        var (charts, problems) = await MeasureAsync(page);
        foreach (string line in charts.Concat(problems)) output.WriteLine(line);

        Assert.Contains(problems, p => p.StartsWith("chart-grid", StringComparison.Ordinal) && p.Contains("caption \"start", StringComparison.Ordinal) && p.Contains("overlaps caption", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("chart-grid", StringComparison.Ordinal) && p.Contains("image tiles of", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("chart-title", StringComparison.Ordinal) && p.Contains("chart title \"Loss per epoch\" overlaps axis title \"epoch\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("chart-legend", StringComparison.Ordinal) && p.Contains("narrower than its legend", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("chart-flat", StringComparison.Ordinal) && p.Contains("a plot area of", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("cut off in <pre class=\"output\">", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("cut off in <div", StringComparison.Ordinal) && p.Contains("overflow hidden", StringComparison.Ordinal));
    }

    [FactWhenBrowser]
    public async Task LibraryCharts_AtTheNotebooksSizes_AreReadable()
    {
        var random = new Random(25);
        Tensor<float> Random(params int[] shape)
        {
            var t = new Tensor<float>(shape);
            for (int i = 0; i < t.Length; i++) t.Data[i] = (float)random.NextDouble();
            return t;
        }
        double[] Curve(int n, double start) => [.. Enumerable.Range(0, n).Select(i => start / (1 + i) + random.NextDouble() * 0.1)];
        IReadOnlyList<IReadOnlyList<double>> Runs(double start) => [.. Enumerable.Range(0, 5).Select(_ => (IReadOnlyList<double>)Curve(31, start))];
        string[] classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
        double[] epochs = [.. Enumerable.Range(0, 31).Select(e => (double)e)];
        var onsets = Enumerable.Range(0, 28).Select(i => i * 0.14 + 0.05).ToArray();
        float[] activation = [.. Enumerable.Range(0, 400).Select(_ => (float)random.NextDouble())];
        var map = new Tensor<double>(200, 2);
        for (int i = 0; i < map.Length; i++) map.Data[i] = random.NextDouble() * 10;
        int[] labels = [.. Enumerable.Range(0, 200).Select(i => i % 10)];

        (string, GenericChart)[] figures =
        [
            ("filters", Plots.Images(Random(32, 1, 3, 3), columns: 16, title: "First-layer 3x3 filters: random start (top) and learned (bottom)",
                captions: [.. Enumerable.Range(0, 32).Select(i => i < 16 ? $"start {i}" : $"learned {i - 16}")])),
            ("classes", Plots.Images(Random(10, 1, 28, 28), columns: 10, title: "One test image of each Fashion-MNIST class", captions: classes)),
            ("featuremaps", Plots.Images(Random(16, 28, 28), columns: 8, title: "The 16 feature maps of the first layer (after ReLU) for a test image of class Ankle boot",
                captions: [.. Enumerable.Range(0, 16).Select(i => $"filter {i}")])),
            ("components", Plots.Images(Random(16, 1, 28, 28), columns: 8, title: "The mean image and the first 15 principal components",
                captions: ["mean", .. Enumerable.Range(1, 15).Select(c => $"w{c}")])),
            ("reconstructions", Plots.ReconstructionGrid("Test images and their reconstructions from 32 numbers", 10,
                ("original", Random(10, 1, 28, 28)), ("PCA, 32 components", Random(10, 1, 28, 28)), ("auto-encoder, code of 32", Random(10, 1, 28, 28)))),
            ("onsets", Plots.OnsetActivations("Onset activations of the three detectors against the 28 true onsets of the 4 s test track", 100, onsets,
                ("spectral flux", activation, onsets), ("CNN onset probability", activation, onsets))),
            ("spread", Plots.RunCurvesWithSpread("Cross-entropy on 200 training and 1000 validation images, 5 seeds", "epoch", "mean cross-entropy (nats per image)", epochs,
                ("training, without L2", Runs(2)), ("validation, without L2", Runs(2.2)), ("training, with L2", Runs(2.1)), ("validation, with L2", Runs(2.3)))),
            ("means", Plots.MeansWithRuns("Validation loss after 30 epochs, 5 seeds", "mean cross-entropy (nats per image)", ["without L2", "with L2 (λ = 0.01)"],
                [1.2, 0.9], [0.1, 0.05], [[1.1, 1.2, 1.3], [0.85, 0.9, 0.95]], 0, 1.6, errorName: "mean ± standard deviation", runName: "one seed")),
            ("maprow", Plots.MapRow("t-SNE maps at three perplexities", [("perplexity 5", map, labels), ("perplexity 30", map, labels), ("perplexity 100", map, labels)], classes)),
            ("lines", Plots.Lines("Loss per epoch", "epoch", "loss", [.. Enumerable.Range(0, 8).Select(k => ($"learning rate {0.001 * (k + 1)}, momentum 0.9", (IReadOnlyList<double>)Curve(30, k + 1)))])),
            ("heatmap", Plots.Heatmap(Tensor.FromArray(new double[,] { { 2_000_000, 0.5 }, { -1, 1.5e-7 } }), title: "Values")),
        ];
        string page = await WritePageAsync("library", [.. figures.Select(f => (f.Item1, Plots.ChartJson(f.Item2)))], "");
        var (charts, problems) = await MeasureAsync(page);
        foreach (string line in charts) output.WriteLine(line);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Equal(figures.Length, charts.Count);
    }

    [FactWhenBrowser]
    public async Task EveryReport_IsReadable()
    {
        string chromium = HeadlessChromium.Find()
            ?? throw new InvalidOperationException($"no Chromium found and {FactWhenBrowserAttribute.RequireVariable}=1: install it (apt-get install chromium) or set COURSE_CHROMIUM");
        string[] notebooks = [.. AllNotebooksTests.Notebooks().Cast<object[]>().Select(row => (string)row[0])];
        var pages = new List<(string Name, string Path)>();
        if (Environment.GetEnvironmentVariable(ReportsVariable) is { Length: > 0 } folder)
            pages.AddRange(notebooks.Select(n => (n, System.IO.Path.Combine(folder, n + ".html"))));
        else
        {
            await fixture.RunAsync(notebooks[0]);
            string? plotly = PlotlyScript.Read(System.IO.Path.Combine(fixture.Root, "artifacts", "notebook-lib"), out string? problem);
            Assert.True(plotly is not null, problem);
            var assets = new ReportAssets(plotly);
            string dir = Directory.CreateTempSubdirectory("course-readable-").FullName;
            foreach (string name in notebooks)
            {
                string path = System.IO.Path.Combine(dir, name + ".html");
                HtmlReportWriter.Write(await fixture.RunAsync(name), path, assets);
                pages.Add((name, path));
            }
        }
        await using var browser = await HeadlessChromium.LaunchAsync(chromium, TimeSpan.FromSeconds(30));
        var failures = new List<string>();
        int measured = 0;
        foreach (var (name, path) in pages)
        {
            Assert.True(File.Exists(path), $"no report {path}");
            var tab = await browser.OpenAsync(new Uri(path).AbsoluteUri, ChartsSettled, TimeSpan.FromSeconds(60), 1200);
            var (charts, problems) = await ReadableLayout.MeasureAsync(tab);
            measured += charts.Count;
            foreach (string chart in charts) output.WriteLine($"{name}: {chart}");
            failures.AddRange(problems.Select(p => $"{name}: {p}"));
        }
        foreach (string failure in failures) output.WriteLine("PROBLEM " + failure);
        Assert.True(failures.Count == 0, $"{failures.Count} problems:\n" + string.Join("\n", failures));
        Assert.True(measured >= 20, $"only {measured} charts measured in all reports");
    }

    private async Task<(List<string> Charts, List<string> Problems)> MeasureAsync(string page)
    {
        string chromium = HeadlessChromium.Find()
            ?? throw new InvalidOperationException($"no Chromium found and {FactWhenBrowserAttribute.RequireVariable}=1");
        await using var browser = await HeadlessChromium.LaunchAsync(chromium, TimeSpan.FromSeconds(30));
        var tab = await browser.OpenAsync(page, ChartsSettled, TimeSpan.FromSeconds(60), 1200);
        return await ReadableLayout.MeasureAsync(tab);
    }

    /// <summary>A page laid out as a report (a 60rem text column) with each figure drawn in its own chart element, then <paramref name="html"/>.</summary>
    private async Task<string> WritePageAsync(string name, (string Id, string Figure)[] figures, string html)
    {
        await fixture.BuildLibraryOnceAsync();
        string? plotly = PlotlyScript.Read(System.IO.Path.Combine(fixture.Root, "artifacts", "notebook-lib"), out string? problem);
        Assert.True(plotly is not null, problem);
        var page = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }</style><script>")
            .Append(plotly.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)).Append("</script></head><body>\n");
        foreach (var (id, figure) in figures)
            page.Append($"<div class=\"output {HtmlReportWriter.ChartClass}\" id=\"{id}\"></div>\n<script>(function () {{ var f = {figure}; Plotly.newPlot(\"{id}\", f.data, f.layout || {{}}, {{ responsive: true }}); }})();</script>\n");
        page.Append(html).Append("</body></html>\n");
        string path = System.IO.Path.Combine(Directory.CreateTempSubdirectory("course-readable-").FullName, name + ".html");
        await File.WriteAllTextAsync(path, page.ToString());
        return new Uri(path).AbsoluteUri;
    }
}

using CourseNotebooks.Charts;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Display;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>
/// The display library: tables, the renderings it registers with the display protocol, and live progress outside a
/// notebook host. In the notebooks' collection because the registry and the display sink are process-wide.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class DisplayTests
{
    private sealed record LayerRow(string Layer, long Parameters, double Share);

    [Fact]
    public void TextTable_AlignsNumbersRight_AndKeepsEveryRow()
    {
        var table = new TextTable(["Layer", "Params"], [false, true]);
        for (int i = 0; i < 30; i++) table.AddRow($"layer{i}", (i * 1000).ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        table.AddFooter("Total", "435,000");
        string[] lines = table.ToPlainText().Split('\n');
        Assert.Equal(1 + 1 + 30 + 1 + 1, lines.Length);            // header, rule, 30 rows, rule, footer
        Assert.Equal("layer29   29,000", lines[31]);
        Assert.Equal("Total    435,000", lines[^1]);
        Assert.Equal(1 + 30 + 1, CountOf(table.ToHtml(), "<tr>") + CountOf(table.ToHtml(), "<tr style"));   // header, body, footer
        Assert.Contains("<td style=\"text-align:right;font-variant-numeric:tabular-nums\">435,000</td>", table.ToHtml());
    }

    [Fact]
    public void Verdicts_ShowAsOneColouredLine_ChartsAlsoAsPlotlyJson_ProbesOnePerLine()
    {
        CourseDisplay.Install();
        string hash = Exercise.HashOf("demo", 42);
        var right = Exercise.CheckAnswer("demo", 42, hash);
        var wrong = Exercise.CheckAnswer("demo", 41, hash);
        Assert.Equal(right.Message, Render(right, MimeTypes.PlainText));
        string good = Render(right, MimeTypes.Html), bad = Render(wrong, MimeTypes.Html);
        Assert.Contains("\u2714", good);
        Assert.Contains("#1a7f37", good);
        Assert.Contains("\u2718", bad);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(wrong.Message), bad);
        Assert.DoesNotContain("Correct", bad);                       // not the record's property dump

        var chart = Charts.Charts.Lines("t", "epoch", "loss", ("loss", [3.0, 2, 1]));
        string json = Render(chart, Charts.Charts.PlotlyMimeType);
        Assert.Equal(Charts.Charts.ChartJson(chart), json);
        Assert.Contains(Charts.Charts.PlotlyMimeType, DisplayFormatters.Format(chart).Select(f => f.MimeType));

        var probes = new ProbeRun("demo", [ProbeValue.Of(3), ProbeValue.Of("x"), new ProbeValue(null, null, "DivideByZeroException: boom")]);
        Assert.Equal("hidden probes of demo: 3\n  1. [3]\n  2. x\n  3. DivideByZeroException: boom", Render(probes, MimeTypes.PlainText));
    }

    [Fact]
    public void Charts_ShowAsADivThatPlotlyDraws_FromTheEmbeddedVersionsCdn_EachWithItsOwnId()
    {
        CourseDisplay.Install();
        var chart = Charts.Charts.Lines("t", "epoch", "loss", ("loss", [3.0, 2, 1]));
        Assert.Equal(MimeTypes.Html, DisplayFormatters.Format(chart).Select(f => f.MimeType).First());
        string html = Render(chart, MimeTypes.Html);

        // The library's figures carry a width and height (sized for reading, Charts.MakeReadable), which the div keeps.
        using var sized = System.Text.Json.JsonDocument.Parse(Charts.Charts.ChartJson(chart));
        int width = sized.RootElement.GetProperty("layout").GetProperty("width").GetInt32(), height = sized.RootElement.GetProperty("layout").GetProperty("height").GetInt32();
        var div = System.Text.RegularExpressions.Regex.Match(html, $"^<div id=\"(?<id>course-chart-[0-9a-f]{{32}})\" class=\"course-chart\" style=\"width:{width}px;height:{height}px;\"></div>");
        Assert.True(div.Success, html);
        string id = div.Groups["id"].Value;
        Assert.Contains($"var id = \"{id}\"", html);
        Assert.Contains("Plotly.newPlot(el, figure.data, figure.layout", html);
        Assert.Contains("<script type=\"text/javascript\">", html);
        // The figure's own data is in the script, as the figure JSON says it.
        using var figure = System.Text.Json.JsonDocument.Parse(Charts.Charts.ChartJson(chart));
        string data = figure.RootElement.GetProperty("data").GetRawText();
        Assert.Contains(data, html);
        Assert.Contains("\"y\":[3.0,2.0,1.0]", data);

        // plotly.js from the CDN at the version Plotly.NET embeds (the reports' copy), also under require.js.
        string resource = Assert.Single(typeof(Plotly.NET.GenericChart).Assembly.GetManifestResourceNames(), n => n.EndsWith(".min.js", StringComparison.Ordinal));
        Assert.Equal($"Plotly.NET.plotly-{ChartHtml.PlotlyJsVersion}.min.js", resource);
        Assert.Contains($"url = \"https://cdn.plot.ly/plotly-{ChartHtml.PlotlyJsVersion}.min.js\"", html);
        Assert.Contains("requirejs([amdName], draw", html);
        Assert.Contains(System.Text.Json.JsonSerializer.Serialize(ChartHtml.LoadFailedMessage), html);

        // Two charts (or the same one shown twice) never share a div.
        string again = Render(chart, MimeTypes.Html);
        Assert.DoesNotContain(id, again);
        Assert.Matches("id=\"course-chart-[0-9a-f]{32}\"", again);
    }

    [Fact]
    public void ChartHtml_KeepsTheFiguresSize_AndNoStringCanEndItsScript()
    {
        string html = ChartHtml.Of(Charts.Charts.Lines("</script><script>alert(1)</script>", "x", "y", ("a", [1.0, 2])));
        Assert.Equal(1, CountOf(html, "<script"));
        Assert.Equal(1, CountOf(html, "</script>"));
        Assert.Contains("\\u003c/script>\\u003cscript>alert(1)", html);
        Assert.StartsWith("<div id=\"course-chart-", html);

        string unsized = ChartHtml.FromFigureJson("""{"data":[{"type":"bar","y":[1,2]}],"layout":{}}""");
        Assert.DoesNotContain("style=", unsized[..unsized.IndexOf("<script", StringComparison.Ordinal)]);   // Plotly's own default size

        string sized = ChartHtml.FromFigureJson("""{"data":[{"type":"bar","y":[1,2]}],"layout":{"width":640,"height":360.5}}""");
        Assert.Contains("class=\"course-chart\" style=\"width:640px;height:360.5px;\"></div>", sized);
    }

    [Fact]
    public void TextTable_RejectsARowOfTheWrongWidth_NamingTheColumns()
    {
        var table = new TextTable(["Layer", "Params"]);
        var error = Assert.Throws<ArgumentException>(() => table.AddRow("only one"));
        Assert.Contains("1 cells", error.Message);
        Assert.Contains("2 columns (Layer, Params)", error.Message);
    }

    [Fact]
    public void AListOfObjects_AllOfOneAnonymousType_IsShownAsATable()
    {
        CourseDisplay.Install();
        var rows = new List<object> { new { Kernel = 3, Gap = 7.455e-16 }, new { Kernel = 5, Gap = 2.2e-16 } };
        string html = System.Net.WebUtility.HtmlDecode(Render(rows, MimeTypes.Html));
        Assert.Contains("<th", html);
        Assert.Contains("7.455×10⁻¹⁶", html);
        Assert.DoesNotContain("E-16", html);
    }

    [Fact]
    public void TextTable_EscapesHtml()
        => Assert.Contains("&lt;script&gt;", new TextTable(["x"]).AddRow("<script>").ToHtml());

    [Fact]
    public void Cells_AreInvariant_WithSeparatorsForCountsAndShapesInBrackets()
    {
        Assert.Equal("4,096,000", TextTable.Cell(4_096_000L));
        Assert.Equal("0.123457", TextTable.Cell(0.1234567));
        Assert.Equal("[1, 96, 55, 55]", TextTable.Cell(new[] { 1, 96, 55, 55 }));
        Assert.Equal("253,440", TextTable.Cell(253_440.0));
        // Reals never in .NET's exponent form ("1.28469E+06"): separators when large, a power of ten when tiny.
        Assert.Equal("1,284,690", TextTable.Cell(1_284_690.4));
        Assert.Equal("12,345.7", TextTable.Cell(12_345.67));
        Assert.Equal("1.5×10⁻⁷", TextTable.Cell(1.5e-7));
        Assert.Equal("-2.5×10⁻⁵", TextTable.Cell(-2.5e-5f));
        Assert.Equal("NaN", TextTable.Cell(double.NaN));
        Assert.Equal("true", TextTable.Cell(true));
        Assert.Equal("", TextTable.Cell(null));
    }

    [Fact]
    public void RecordsAndAnonymousObjects_AreRecordLike_OtherTypesAreNot()
    {
        Assert.True(TextTable.IsRecordLike(typeof(LayerRow)));
        Assert.True(TextTable.IsRecordLike(new { A = 1 }.GetType()));
        Assert.False(TextTable.IsRecordLike(typeof(string)));
        Assert.False(TextTable.IsRecordLike(typeof(int)));
        Assert.False(TextTable.IsRecordLike(typeof(Tensor<float>)));
    }

    [Fact]
    public void Formatters_ShowSummariesTensorsAndRecordArraysAsTables_AndLeaveOtherValuesAlone()
    {
        CourseDisplay.Install();
        var model = new Sequential<float>(new Linear<float>(4, 3), new ReLU<float>(), new Linear<float>(3, 2));
        var summary = ModelSummary.Of(model, 1, 4);
        Assert.Equal(summary.ToString(), Render(summary, MimeTypes.PlainText));
        string html = Render(summary, MimeTypes.Html);
        Assert.Equal(summary.Rows.Count + 1, CountOf(html, "<tr>") + CountOf(html, "<tr style") - 1);   // minus the header row
        Assert.Contains(">Linear(3, 2)</td>", html);

        var tensor = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4.5f } });
        Assert.Equal(tensor.ToString(), Render(tensor, MimeTypes.PlainText));
        Assert.Contains(">4.5</td>", Render(tensor, MimeTypes.Html));

        LayerRow[] rows = [.. Enumerable.Range(0, 25).Select(i => new LayerRow($"layer{i}", 1000L * i, i / 25.0))];
        string plain = Render(rows, MimeTypes.PlainText);
        Assert.Equal(TextTable.FromRecords(rows, typeof(LayerRow)).ToPlainText(), plain);
        Assert.Contains("layer24", plain);                         // no cut at the kernel's 20 items
        Assert.StartsWith("Layer    Parameters  Share", plain);

        // Values that are not tables keep the default rendering: text as it is, sequences as a list, and no HTML of
        // the course's (a notebook kernel then uses its own).
        Assert.Equal("just text", Render("just text", MimeTypes.PlainText));
        Assert.Equal("[1, 2, 3]", Render(new[] { 1, 2, 3 }, MimeTypes.PlainText));
        Assert.Null(DisplayFormatters.TryRender(new List<int> { 1, 2, 3 }, MimeTypes.Html));
        Assert.Equal([MimeTypes.PlainText], DisplayFormatters.Format(new List<int> { 1, 2, 3 }).Select(f => f.MimeType));
    }

    [Fact]
    public void Charts_InPlainText_AreOneLine_TitleTracesAndSizes_NeverAnObjectDump()
    {
        CourseDisplay.Install();
        var lines = Charts.Charts.Lines("Loss per epoch", "epoch", "loss", ("train", [3.0, 2, 1]), ("test", [3.5, 2.5, 2]));
        Assert.Equal("chart \"Loss per epoch\": scatter \"train\" (3 points), scatter \"test\" (3 points)", Render(lines, MimeTypes.PlainText));
        var heatmap = Charts.Charts.Heatmap(Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }), title: "Map");
        Assert.Equal("chart \"Map\": heatmap (2x3)", Render(heatmap, MimeTypes.PlainText));
        // Every rendering a host is given: HTML first, the figure JSON, then the one line.
        Assert.Equal([MimeTypes.Html, Charts.Charts.PlotlyMimeType, MimeTypes.PlainText], DisplayFormatters.Format(lines).Select(f => f.MimeType));
    }

    [Fact]
    public void LiveProgress_OutsideAKernel_PrintsEachFinishedLineOnce_AndTheResult()
    {
        var previous = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        LiveProgress progress;
        try
        {
            progress = LiveProgress.Start("Training");
            for (int b = 1; b <= 10; b++)
                progress.Report(new Training.BatchProgress(1, 2, b, 10, 1.0 / b, 0.1 * b, 32L * b, TimeSpan.FromSeconds(b)));
            progress.Report(new Training.EpochResult(1, 0.5, 0.6, 0.7, TimeSpan.FromSeconds(2)));
            progress.Finish("test accuracy 70.0%");
        }
        finally { Console.SetOut(previous); }

        string[] printed = captured.ToString().TrimEnd().Split(Environment.NewLine);
        Assert.Equal(["Training", "epoch 1: loss 0.5000, train accuracy 60.0 %, test accuracy 70.0 % (2.00 s)", "test accuracy 70.0%"], printed);
        Assert.Equal(0, progress.Draws);
        Assert.Equal("test accuracy 70.0%", progress.Result);
        Assert.StartsWith("done in ", progress.Lines[^1]);
    }

    [Fact]
    public void LiveProgress_RejectsAnEmptyTitleAndANegativeInterval()
    {
        Assert.Throws<ArgumentException>(() => LiveProgress.Start(" "));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveProgress.Start("x", secondsBetweenRedraws: -1));
    }

    [Fact]
    public void BatchProgress_ReadsAsOneLine_WithThroughput()
        => Assert.Equal("epoch 2/5, batch 10/32: loss 0.2500, accuracy 87.5 %, 2.0 s, 320 images/s",
            new Training.BatchProgress(2, 5, 10, 32, 0.25, 0.875, 640, TimeSpan.FromSeconds(2)).ToString());

    /// <summary>A value's rendering as a host would ask for it (text/plain always has one).</summary>
    internal static string Render(object value, string mime) =>
        DisplayFormatters.TryRender(value, mime) ?? (mime == MimeTypes.PlainText ? DisplayFormatters.PlainText(value) : throw new InvalidOperationException($"no {mime} rendering of {value.GetType()}"));

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal)) count++;
        return count;
    }
}

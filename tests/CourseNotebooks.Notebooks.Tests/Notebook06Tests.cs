using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Exercises;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook06Tests(NotebookFixture fixture)
{
    private const string Name = "06-alexnet";

    [Fact]
    public async Task ParameterTable_AgreesWithTheSlide_LayerByLayer()
    {
        var run = await fixture.RunAsync(Name);
        var rows = Rows.Of(run, "comparison");
        // The slide's figures, from its parameter row: 35K, 307K, 884K, 663K, 442K, 37M, 16M, 4M.
        long[] slide = [35_000, 307_000, 884_000, 663_000, 442_000, 37_000_000, 16_000_000, 4_000_000];
        long[] unit = [1000, 1000, 1000, 1000, 1000, 1_000_000, 1_000_000, 1_000_000];
        // The counts from the paper's layer shapes (conv1 with biases as the slide writes it, the rest weights only).
        long[] counted = [(11 * 11 * 3 + 1) * 96, 5 * 5 * 48 * 256, 3 * 3 * 256 * 384, 3 * 3 * 192 * 384, 3 * 3 * 192 * 256, 9216L * 4096, 4096L * 4096, 4096L * 1000];
        Assert.Equal(8, rows.Count);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(counted[i], Rows.Get<long>(rows[i], "Counted"));
            Assert.True(Math.Abs(counted[i] - slide[i]) < unit[i]);
            Assert.True(Rows.Get<bool>(rows[i], "ParametersAgree"));
        }
    }

    [Fact]
    public async Task ErrorByYear_MarksAlexNet_WhoseDropIsTheLargestOfAnyYear()
    {
        var run = await fixture.RunAsync(Name);
        var winners = Ilsvrc.Top5Winners();
        Assert.Equal(2012, run.GetVariable<int>("alexNetYear"));
        Assert.Equal(15.3, run.GetVariable<double>("after"));
        Assert.Equal(25.8, run.GetVariable<double>("before"));
        // Independently of the notebook: AlexNet's year has the largest fall from the year before.
        var drops = winners.Skip(1).Select((w, i) => (w.Year, Drop: winners[i].Top5ErrorPercent - w.Top5ErrorPercent)).ToList();
        Assert.Equal(2012, drops.MaxBy(d => d.Drop).Year);

        using var chart = NotebookAssertions.ChartOf(run, "errorByYear");
        var bars = chart.RootElement.GetProperty("data")[0];
        Assert.Equal(winners.Select(w => w.Top5ErrorPercent), bars.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        string[] colours = bars.GetProperty("marker").GetProperty("color").EnumerateArray().Select(c => c.GetString()!).ToArray();
        Assert.Single(colours.Distinct(), c => c != colours[0]);
        Assert.Equal(2, Array.FindIndex(colours, c => c != colours[0]));     // 2010, 2011, then 2012 in the accent colour
        Assert.Contains("15.3", chart.RootElement.GetProperty("layout").GetProperty("annotations")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Conv1Figure_FactorsAs96x55x48_ButIsNo96TimesASquare()
    {
        var run = await fixture.RunAsync(Name);
        Assert.False(run.GetVariable<bool>("slideFigureIsSquareTimes96"));
        var shapes = run.GetVariable<(int Height, int Width)[]>("mapShapes");
        Assert.Contains((55, 48), shapes);
        Assert.All(shapes, m => Assert.Equal(253_440L, 96L * m.Height * m.Width));
        Assert.DoesNotContain(shapes, m => m.Height == m.Width);
        // Units make the rounding visible: conv3's 884,736 is 884.7K, which the slide cuts to 884K.
        var rows = Rows.Of(run, "comparison");
        Assert.Equal($"{884.7:0.0}K", Rows.Get<string>(rows[2], "InSlideUnit"));
        Assert.Equal($"{34.9:0.0}K", Rows.Get<string>(rows[0], "InSlideUnit"));
    }

    [Fact]
    public async Task NeuronCounts_AgreeFromConv2On_AndConv1IsTheKnownInconsistency()
    {
        var run = await fixture.RunAsync(Name);
        var rows = Rows.Of(run, "comparison");
        Assert.False(Rows.Get<bool>(rows[0], "NeuronsAgree"));
        Assert.All(rows.Skip(1), r => Assert.True(Rows.Get<bool>(r, "NeuronsAgree")));
        Assert.Equal(55L * 55 * 96, run.GetVariable<long>("conv1Neurons"));
        Assert.False(run.GetVariable<bool>("slideFigureIsSquareTimes96"));
        var sizes = Rows.Of(run, "inputSizes");
        Assert.Equal(54.25, Rows.Get<double>(sizes[0], "Exact"));
        Assert.Equal(55.0, Rows.Get<double>(sizes[1], "Exact"));
    }

    [Fact]
    public async Task ComputeAndParameterShares_SupportTheSlidesClaims()
    {
        var run = await fixture.RunAsync(Name);
        Assert.InRange(run.GetVariable<double>("convComputeShare"), 0.90, 0.95);
        Assert.InRange(run.GetVariable<double>("convParameterShare"), 0.0, 0.06);
        Assert.InRange(run.GetVariable<double>("fcParameterShare"), 0.94, 1.0);
        var model = run.GetVariable<Sequential<float>>("alexNet");
        Assert.Equal(model.ParameterCount(), run.GetVariable<long>("totalParameters"));
        Assert.Equal(ModelSummary.Of(model, 1, 3, 227, 227).TotalMultiplyAdds, run.GetVariable<long>("allMacs"));
    }

    [Fact]
    public async Task SmallCnn_LearnsFarBeyondItsUntrainedAccuracy()
    {
        var run = await fixture.RunAsync(Name);
        double trained = run.GetVariable<double>("finalTestAccuracy"), untrained = run.GetVariable<double>("untrainedAccuracy");
        Assert.True(trained > untrained + 0.3, $"untrained {untrained}, trained {trained}");
        Assert.InRange(trained, 0.7, 1.0);
    }

    [Fact]
    public async Task Summary_IsShownAsTheFullTable_WithFc8AndTheTotals()
    {
        var run = await fixture.RunAsync(Name);
        var summary = run.GetVariable<ModelSummary>("summary");
        var output = run.CodeCells.SelectMany(c => c.Outputs).Single(o => ReferenceEquals(o.Value, summary));
        string plain = output.TextOf("text/plain")!, html = output.TextOf("text/html")!;
        Assert.Equal(summary.ToString(), plain);
        Assert.DoesNotContain("more)", plain);
        Assert.Contains("4,096,000", summary.TableRows()[^1]);                    // fc8's multiply-adds, the last row
        var htmlCells = System.Text.RegularExpressions.Regex.Matches(html, "<td[^>]*>(.*?)</td>").Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value));
        Assert.Equal(summary.TableRows().Append(summary.TotalRow()).SelectMany(row => row), htmlCells);
    }

    [Fact]
    public async Task Training_ShowsLiveProgress_EndingWithEveryEpochAndTheResult()
    {
        var run = await fixture.RunAsync(Name);
        var history = run.GetVariable<IReadOnlyList<Training.EpochResult>>("history");
        var progress = run.GetVariable<CourseNotebooks.Charts.LiveProgress>("progress");
        var cell = run.CodeCells.Single(c => c.Cell.Source.Contains("LiveProgress.Start", StringComparison.Ordinal));
        // One display, updated in place: its last state is the title, the five epoch lines and the closing line.
        var display = Assert.Single(cell.Outputs, o => o.Kind == Host.OutputKind.Display);
        string[] lines = display.PlainText.Split('\n');
        Assert.Equal(progress.Title, lines[0]);
        Assert.Equal(history.Select(e => e.ToString()), lines[1..6]);
        Assert.StartsWith("done in ", lines[6]);
        Assert.True(progress.Draws > history.Count, $"{progress.Draws} draws for {history.Count} epochs: batches were not shown");
        // The result also goes to standard output, which every host keeps.
        Assert.Contains(cell.Outputs, o => o.Kind == Host.OutputKind.StandardOutput && o.PlainText.Contains(progress.Result!, StringComparison.Ordinal));
        Assert.Contains($"after 5 epochs {history[^1].TestAccuracy!.Value.ToString("P1", System.Globalization.CultureInfo.CurrentCulture)}", progress.Result);
    }

    [Fact]
    public async Task ConvExercises_ReferenceSolutionsAgreeWithTheLibraryOnTheHiddenLayers()
    {
        var run = await fixture.RunAsync(Name);
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(p => p.Name);

        // Parameters: the library's Conv2d of the same shape counts them.
        static long Parameters(int k, int cin, int cout, int groups, bool bias) => new Conv2d<float>(cin, cout, k, groups: groups, bias: bias).ParameterCount();
        var parameters = Exercise.Probe("conv-parameters",
            () => Parameters(11, 3, 96, 1, true), () => Parameters(1, 64, 128, 1, false), () => Parameters(3, 32, 64, 4, true),
            () => Parameters(5, 6, 16, 1, true), () => Parameters(7, 3, 64, 1, false));
        Assert.True(Exercise.Compare(parameters, probes["conv-parameters"]).Correct);

        // Multiply-adds: the library's own count for one image.
        static long MultiplyAdds(int n, int k, int stride, int padding, int cin, int cout, int groups) =>
            new Conv2d<float>(cin, cout, k, stride: stride, padding: padding, groups: groups).MultiplyAdds([1, cin, n, n]);
        var multiplyAdds = Exercise.Probe("conv-multiply-adds",
            () => MultiplyAdds(27, 5, 1, 2, 96, 256, 2), () => MultiplyAdds(13, 3, 1, 1, 384, 256, 2),
            () => MultiplyAdds(32, 3, 2, 1, 16, 32, 1), () => MultiplyAdds(28, 5, 1, 0, 1, 6, 1), () => MultiplyAdds(1, 1, 1, 0, 4096, 1000, 1));
        Assert.True(Exercise.Compare(multiplyAdds, probes["conv-multiply-adds"]).Correct);
        // fc6 as a convolution costs what the model's fc6 row says.
        var summary = run.GetVariable<ModelSummary>("summary");
        Assert.Equal(6L * 6 * 256 * 4096, summary.Rows.Single(r => r.InputShape[^1] == 9216 && r.OutputShape[^1] == 4096).MultiplyAdds);
    }
}

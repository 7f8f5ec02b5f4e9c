using CourseNotebooks.Engine;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook01Tests(NotebookFixture fixture)
{
    private const string Name = "01-convolution";
    private static readonly float[] SlideOutput = [12, 12, 17, 10, 17, 19, 9, 6, 14];

    [Fact]
    public async Task SlideExample_IsComputedByConv2d_AndDrawnAsAHeatmap()
    {
        var run = await fixture.RunAsync(Name);
        var output = run.GetVariable<Tensor<float>>("output");
        Assert.Equal([3, 3], output.Shape.ToArray());
        Assert.Equal(SlideOutput, output.Data);
        using var figure = NotebookAssertions.ChartOf(run, "outputHeatmap");
        Assert.Equal(SlideOutput, NotebookAssertions.HeatmapValues(figure));
    }

    [Fact]
    public async Task DesignTable_MatchesPyTorchsOutputSizeFormula_ForEveryCase()
    {
        var run = await fixture.RunAsync(Name);
        var rows = Rows.Of(run, "designTable");
        Assert.Equal(7, rows.Count);
        foreach (var row in rows)
        {
            int k = Rows.Get<int>(row, "Kernel"), s = Rows.Get<int>(row, "Stride"), p = Rows.Get<int>(row, "Padding"), d = Rows.Get<int>(row, "Dilation");
            // torch.nn.Conv2d's documented formula, written out independently of the library.
            int expected = (int)Math.Floor((7 + 2.0 * p - d * (k - 1) - 1) / s) + 1;
            Assert.Equal(expected, Rows.Get<int>(row, "Formula"));
            Assert.Equal(expected, Rows.Get<int>(row, "Layer"));
        }
    }

    [Fact]
    public async Task HandMadeAndLearnedFilters_BothClassifyFarAboveChance()
    {
        var run = await fixture.RunAsync(Name);
        double hand = run.GetVariable<double>("handAccuracy"), learned = run.GetVariable<double>("learnedAccuracy");
        Assert.InRange(hand, 0.6, 1.0);
        Assert.InRange(learned, 0.6, 1.0);
        // The hand-made filter bank really is Sobel x first.
        var edges = run.GetVariable<Conv2d<float>>("edges");
        Assert.Equal([-1f, 0, 1, -2, 0, 2, -1, 0, 1], edges.Weight.Value.Data.Take(9));
    }

    [Fact]
    public async Task DesignTable_IsShownAsATable_InPlainTextAndHtml()
    {
        var run = await fixture.RunAsync(Name);
        var table = run.GetVariable<object>("designTable");
        var output = run.CodeCells.SelectMany(c => c.Outputs).Single(o => ReferenceEquals(o.Value, table));
        string[] lines = output.TextOf("text/plain")!.Split('\n');
        Assert.Equal(["Case", "Kernel", "Stride", "Padding", "Dilation", "Formula", "Layer"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2 + 7, lines.Length);
        Assert.StartsWith("dilation 2", lines[^1]);
        Assert.Equal(7 + 1, output.TextOf("text/html")!.Split("<tr").Length - 1);
    }

    [Fact]
    public async Task Training_EndsWithBothAccuraciesInTheProgressDisplayAndOnStandardOutput()
    {
        var run = await fixture.RunAsync(Name);
        var progress = run.GetVariable<CourseNotebooks.Charts.LiveProgress>("progress");
        var cell = run.CodeCells.Single(c => c.Cell.Source.Contains("LiveProgress.Start", StringComparison.Ordinal));
        var display = Assert.Single(cell.Outputs, o => o.Kind == Host.OutputKind.Display);
        Assert.Equal(progress.Text, display.PlainText.ReplaceLineEndings(Environment.NewLine));
        Assert.Equal(2 + 2 * 3 + 1, progress.Lines.Count);              // two model headers, 3 epochs each, "done in"
        Assert.Contains(cell.Outputs, o => o.Kind == Host.OutputKind.StandardOutput && o.PlainText.Contains(progress.Result!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task OutputSizeExercise_ReferenceSolutionAgreesWithTheLibraryOnTheHiddenInputs()
    {
        var run = await fixture.RunAsync(Name);
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().Single(p => p.Name == "conv-output-size");
        // The hidden cell's inputs, as (input, kernel, padding, stride).
        (int I, int K, int P, int S)[] cases = [(57, 7, 3, 2), (224, 11, 2, 4), (1, 1, 0, 1), (28, 5, 0, 3), (10, 4, 1, 3)];
        var library = Exercise.Probe("conv-output-size", [.. cases.Select(c => (Func<object?>)(() => ConvArithmetic.OutputSize(c.I, c.K, stride: c.S, padding: c.P)))]);
        Assert.True(Exercise.Compare(library, probes, tolerance: 0).Correct);
        // And a wrong formula (no padding) fails them without revealing a value.
        var wrong = Exercise.Probe("conv-output-size", [.. cases.Select(c => (Func<object?>)(() => (c.I - c.K) / c.S + 1))]);
        Assert.False(Exercise.Compare(library, wrong).Correct);
    }
}

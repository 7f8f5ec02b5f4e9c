using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;

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
    public async Task HandMadeAndLearnedFilters_BothClassifyFarAboveChance_InEverySeed_AndTheSeedsDiffer()
    {
        var run = await fixture.RunAsync(Name);
        double[] hand = run.GetVariable<double[]>("handAccuracies"), learned = run.GetVariable<double[]>("learnedAccuracies");
        Assert.Equal(5, run.GetVariable<int[]>("seeds").Distinct().Count());
        Assert.Equal(5, hand.Length);
        Assert.Equal(5, learned.Length);
        Assert.All(hand.Concat(learned), a => Assert.InRange(a, 0.6, 1.0));
        // The seeds really change the runs: otherwise the spread below would measure nothing.
        Assert.True(hand.Distinct().Count() > 1 && learned.Distinct().Count() > 1, "every seed gave the same accuracy");
        // The hand-made filter bank really is Sobel x first.
        var edges = run.GetVariable<Conv2d<float>>("edges");
        Assert.Equal([-1f, 0, 1, -2, 0, 2, -1, 0, 1], edges.Weight.Value.Data.Take(9));
    }

    [Fact]
    public async Task PerSeedAccuracy_IsReproducedByTrainingThatSeedAgainHere()
    {
        var run = await fixture.RunAsync(Name);
        int seed = run.GetVariable<int[]>("seeds")[1];
        var train = run.GetVariable<LabeledImages>("train");
        var test = run.GetVariable<LabeledImages>("test");
        // The notebook's second seed, learned filters, rebuilt from the library alone: same layers, seeds and optimizer.
        var model = new Sequential<float>(new Conv2d<float>(1, 4, 3, padding: 1, bias: false, seed: seed), new ReLU<float>(),
            new MaxPool2d<float>(2), new Flatten<float>(), new Linear<float>(4 * 14 * 14, 10, seed: seed));
        var history = Training.Fit(model, new Sgd<float>(model.Parameters(), learningRate: 0.05, momentum: 0.9), train, test, 3, batchSize: 32, seed: seed);
        Assert.Equal(history[^1].TestAccuracy!.Value, run.GetVariable<double[]>("learnedAccuracies")[1], 1e-12);
    }

    [Fact]
    public async Task SeedComparisonTable_EqualsAnIndependentRecomputation_FromThePerSeedAccuracies()
    {
        var run = await fixture.RunAsync(Name);
        int testImages = run.GetVariable<LabeledImages>("test").Count;
        Assert.Equal(1000, testImages);
        var rows = Rows.Of(run, "comparison");
        Assert.Equal(["hand-made filters", "learned filters"], rows.Select(r => Rows.Get<string>(r, "Model")));
        string[] variables = ["handAccuracies", "learnedAccuracies"];
        for (int m = 0; m < 2; m++)
        {
            double[] a = run.GetVariable<double[]>(variables[m]);
            var (mean, sd) = MeanAndSampleSd(a);
            var row = rows[m];
            // The table shows percentage points rounded to two decimals.
            const double Rounding = 0.005 + 1e-9;
            Assert.Equal(a.Length, Rows.Get<int>(row, "Seeds"));
            Assert.Equal(100 * a.Min(), Rows.Get<double>(row, "Lowest"), Rounding);
            Assert.Equal(100 * a.Max(), Rows.Get<double>(row, "Highest"), Rounding);
            Assert.Equal(100 * mean, Rows.Get<double>(row, "Mean"), Rounding);
            Assert.Equal(100 * sd, Rows.Get<double>(row, "SD"), Rounding);
            Assert.Equal(100 * sd / Math.Sqrt(a.Length), Rows.Get<double>(row, "SEOfMean"), Rounding);
            Assert.Equal(100 * Math.Sqrt(mean * (1 - mean) / testImages), Rows.Get<double>(row, "TestSetSE"), Rounding);
        }
    }

    [Fact]
    public async Task SeedComparisonChart_ShowsTheMeansAndEverySeed_OnAnAxisFrom0To100Percent()
    {
        var run = await fixture.RunAsync(Name);
        double[] hand = run.GetVariable<double[]>("handAccuracies"), learned = run.GetVariable<double[]>("learnedAccuracies");
        using var figure = NotebookAssertions.ChartOf(run, "comparisonChart");
        var root = figure.RootElement;
        // An honest axis: the whole accuracy scale, not a zoom onto the bar tops.
        Assert.Equal([0.0, 100], root.GetProperty("layout").GetProperty("yaxis").GetProperty("range").EnumerateArray().Select(v => v.GetDouble()));
        var bars = root.GetProperty("data")[0];
        double[] means = [.. bars.GetProperty("y").EnumerateArray().Select(v => v.GetDouble())];
        double[] errors = [.. bars.GetProperty("error_y").GetProperty("array").EnumerateArray().Select(v => v.GetDouble())];
        double[][] runs = [hand, learned];
        for (int m = 0; m < 2; m++)
        {
            var (mean, sd) = MeanAndSampleSd(runs[m]);
            Assert.Equal(100 * mean, means[m], 1e-9);
            Assert.Equal(2 * 100 * sd / Math.Sqrt(runs[m].Length), errors[m], 1e-9);
        }
        double[] dots = [.. root.GetProperty("data")[1].GetProperty("y").EnumerateArray().Select(v => v.GetDouble())];
        Assert.Equal(hand.Concat(learned).Select(a => 100 * a), dots, new ToleranceComparer(1e-9));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("layout").GetProperty("title").GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Verdict_SaysWithinNoise_ExactlyWhenTheDifferenceOfMeansIsBelowTwoStandardErrors()
    {
        var run = await fixture.RunAsync(Name);
        double[] hand = run.GetVariable<double[]>("handAccuracies"), learned = run.GetVariable<double[]>("learnedAccuracies");
        var (handMean, handSd) = MeanAndSampleSd(hand);
        var (learnedMean, learnedSd) = MeanAndSampleSd(learned);
        double difference = learnedMean - handMean;
        double se = Math.Sqrt(handSd * handSd / hand.Length + learnedSd * learnedSd / learned.Length);
        bool expected = Math.Abs(difference) < 2 * se;
        Assert.Equal(expected, run.GetVariable<bool>("withinNoise"));
        Assert.Equal(difference, run.GetVariable<double>("difference"), 1e-12);
        Assert.Equal(se, run.GetVariable<double>("differenceSE"), 1e-12);

        string verdict = run.GetVariable<string>("verdict");
        Assert.Equal(expected, verdict.Contains("within the noise", StringComparison.Ordinal));
        Assert.Equal(!expected, verdict.Contains("larger than the noise", StringComparison.Ordinal));
        // The sentence quotes the numbers it rests on, and says which way the gap goes (formatted as the kernel,
        // which runs in this process, formats them).
        Assert.Contains($"{Math.Abs(difference) * 100:F1} points {(difference >= 0 ? "ahead of" : "behind")}", verdict);
        Assert.Contains($"twice it is {2 * se * 100:F1} points", verdict);
        int wins = hand.Zip(learned).Count(p => p.Second > p.First);
        Assert.Contains($"better in {wins} of {hand.Length} seeds", verdict);
        Assert.DoesNotContain("{", verdict);                        // no interpolation hole left unfilled
        // It is what the student sees, printed under the cell.
        Assert.Contains(run.CodeCells.SelectMany(c => c.Outputs), o => o.Kind == Host.OutputKind.StandardOutput && o.PlainText.Contains(verdict.Split('\n')[0].TrimEnd('\r'), StringComparison.Ordinal));
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
    public async Task Training_ShowsOneLinePerSeedAndModel_AndEndsWithBothMeansInTheProgressDisplayAndOnStandardOutput()
    {
        var run = await fixture.RunAsync(Name);
        var progress = run.GetVariable<CourseNotebooks.Charts.LiveProgress>("progress");
        var cell = run.CodeCells.Single(c => c.Cell.Source.Contains("LiveProgress.Start", StringComparison.Ordinal));
        var display = Assert.Single(cell.Outputs, o => o.Kind == Host.OutputKind.Display);
        Assert.Equal(progress.Text, display.PlainText.ReplaceLineEndings(Environment.NewLine));
        Assert.Equal(2 * 5 + 1, progress.Lines.Count);              // hand-made and learned for each of 5 seeds, "done in"
        Assert.Contains(cell.Outputs, o => o.Kind == Host.OutputKind.StandardOutput && o.PlainText.Contains(progress.Result!, StringComparison.Ordinal));
        double handMean = run.GetVariable<double[]>("handAccuracies").Average();
        Assert.Contains($"hand-made filters {handMean:P1}", progress.Result!);
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

    /// <summary>Mean and sample standard deviation (n - 1), written out here independently of Statistics.</summary>
    private static (double Mean, double Sd) MeanAndSampleSd(double[] values)
    {
        double mean = values.Sum() / values.Length;
        double squares = values.Sum(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(squares / (values.Length - 1)));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}

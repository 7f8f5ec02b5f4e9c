using CourseNotebooks.Course.Networks;
using CourseNotebooks.Course.Text;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook09Tests(NotebookFixture fixture)
{
    private const string Name = "09-cnn-for-text";

    [Fact]
    public async Task CnnAndBaseline_ReachTheNotebooksThresholds_AndTheLibraryAgrees()
    {
        var run = await fixture.RunAsync(Name);
        double cnn = run.GetVariable<double>("cnnAccuracy"), baseline = run.GetVariable<double>("baselineAccuracy");
        Assert.True(cnn >= run.GetVariable<double>("CnnThreshold"), $"CNN {cnn}");
        Assert.True(baseline >= run.GetVariable<double>("BaselineThreshold"), $"bag of words {baseline}");
        Assert.InRange(run.GetVariable<double>("CnnThreshold"), 0.6, 0.9);
        // Recomputed outside the notebook from its trained models and its test set.
        var model = run.GetVariable<TextCnn>("cnn").Model;
        var testTokens = run.GetVariable<Tensor<float>>("testTokens");
        var testLabels = run.GetVariable<int[]>("testLabels");
        Assert.Equal(cnn, TextClassification.Accuracy(model, testTokens, testLabels), 9);
        Assert.Equal(baseline, TextClassification.Accuracy(run.GetVariable<Linear<float>>("baseline"), run.GetVariable<Tensor<float>>("testBag"), testLabels), 9);
        Assert.Equal(600, testLabels.Length);
        // The padding row of the trained embedding is still zero.
        Assert.All(run.GetVariable<TextCnn>("cnn").Embedding.Weight.Value.Data.Take(32), v => Assert.Equal(0f, v));
    }

    [Fact]
    public async Task SplitComparison_ChartCarriesTheRuns_AndTheVerdictFollowsTheNumbers()
    {
        var run = await fixture.RunAsync(Name);
        var cnnRuns = run.GetVariable<double[]>("cnnRuns");
        var baselineRuns = run.GetVariable<double[]>("baselineRuns");
        Assert.Equal(3, cnnRuns.Length);
        Assert.Equal(run.GetVariable<double>("cnnAccuracy"), cnnRuns[0]);
        using var chart = NotebookAssertions.ChartOf(run, "seedChart");
        var bars = chart.RootElement.GetProperty("data")[0];
        Assert.Equal(100 * cnnRuns.Average(), bars.GetProperty("y")[0].GetDouble(), 9);
        Assert.Equal(100 * baselineRuns.Average(), bars.GetProperty("y")[1].GetDouble(), 9);
        var dots = chart.RootElement.GetProperty("data")[1].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(cnnRuns.Concat(baselineRuns).Select(a => 100 * a), dots);
        string verdict = run.GetVariable<string>("inDomainVerdict");
        double gap = cnnRuns.Average() - baselineRuns.Average();
        Assert.Contains($"{Math.Abs(gap) * 100:F1} points {(gap >= 0 ? "ahead" : "behind")}", verdict);
        Assert.Contains(run.GetVariable<bool>("inDomainWithinNoise") ? "within the noise" : "larger than the noise", verdict);
        Assert.Equal(Math.Abs(gap) < run.GetVariable<double>("noise"), run.GetVariable<bool>("inDomainWithinNoise"));
    }

    [Fact]
    public async Task CrossDomain_ChartHasOneGroupPerHeldOutSite_WithTheMeasuredAccuracies()
    {
        var run = await fixture.RunAsync(Name);
        var cnn = run.GetVariable<double[][]>("domainCnn");
        var baseline = run.GetVariable<double[][]>("domainBaseline");
        using var chart = NotebookAssertions.ChartOf(run, "domainChart");
        var data = chart.RootElement.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        Assert.Equal(["test on imdb", "test on amazon", "test on yelp"], data[0].GetProperty("x").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(cnn.Select(r => r.Average()), data[0].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(baseline.Select(r => r.Average()), data[1].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([0.0, 1.0], chart.RootElement.GetProperty("layout").GetProperty("yaxis").GetProperty("range").EnumerateArray().Select(v => v.GetDouble()));
        // Every held-out site is still far above chance, and below what the models reach with every site in training.
        Assert.All(cnn.Concat(baseline).SelectMany(r => r), a => Assert.InRange(a, 0.6, 0.95));
        Assert.True(cnn.Average(r => r.Average()) < run.GetVariable<double[]>("cnnRuns").Average());
        Assert.Contains("Leaving a site out costs the CNN", run.GetVariable<string>("domainVerdict"));
    }

    [Fact]
    public async Task FilterNGrams_AreTheConvolutionsStrongestResponses()
    {
        var run = await fixture.RunAsync(Name);
        var cnn = run.GetVariable<TextCnn>("cnn");
        var testTokens = run.GetVariable<Tensor<float>>("testTokens");
        var vocabulary = run.GetVariable<Vocabulary>("vocabulary");
        var top = TextClassification.TopNGrams(cnn, 0, 3, testTokens, vocabulary, 4);
        // Independently: the largest response of filter 3 anywhere in the test set, from the convolution itself.
        var responses = TextClassification.FilterResponses(cnn, 0, testTokens);
        double best = double.NegativeInfinity;
        for (int s = 0; s < responses.Size(0); s++)
            for (int p = 0; p < responses.Size(2); p++)
                if (testTokens[s, p] != Vocabulary.PadIndex) best = Math.Max(best, responses[s, 3, p]);
        Assert.Equal(best, top[0].Activation, 6);
        Assert.Equal(3, top[0].NGram.Split(' ').Length);
        using var chart = NotebookAssertions.ChartOf(run, "sentenceChart");
        var z = chart.RootElement.GetProperty("data")[0].GetProperty("z");
        Assert.Equal(4, z.GetArrayLength());
        Assert.Equal(run.GetVariable<Tensor<float>>("shownResponses")[0, 0], z[0][0].GetDouble(), 6);
    }

    [Fact]
    public async Task Training_ShowsLiveProgress_EndingWithEveryEpochAndTheResult()
    {
        var run = await fixture.RunAsync(Name);
        var history = run.GetVariable<IReadOnlyList<Training.EpochResult>>("history");
        var progress = run.GetVariable<CourseNotebooks.Charts.LiveProgress>("progress");
        var cell = run.CodeCells.Single(c => c.Cell.Source.Contains("LiveProgress.Start($\"Training the text CNN", StringComparison.Ordinal));
        var display = Assert.Single(cell.Outputs, o => o.Kind == Host.OutputKind.Display);
        string[] lines = display.PlainText.Split('\n');
        Assert.Equal(progress.Title, lines[0]);
        Assert.Equal(history.Select(e => e.ToString()), lines[1..(1 + history.Count)]);
        Assert.True(progress.Draws > history.Count);
    }

    [Fact]
    public async Task Exercises_ReferenceSolutionsPass_AndAgreeWithTheLibrary()
    {
        var run = await fixture.RunAsync(Name);
        var verdicts = run.CodeCells.Select(c => c.ReturnValue).OfType<Verdict>().ToArray();
        Assert.Equal(3, verdicts.Length);
        Assert.All(verdicts, v => Assert.True(v.Correct, v.ToString()));
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(p => p.Name);

        // Max over time: the library's AdaptiveMaxPool1d(1) on the same grids.
        static float[] Pooled(float[,] grid)
        {
            var t = new Tensor<float>(grid.GetLength(0), grid.GetLength(1));
            Buffer.BlockCopy(grid, 0, t.Data, 0, t.Length * sizeof(float));
            return new AdaptiveMaxPool1d<float>(1).Forward(t).Data;
        }
        var maxima = Exercise.Probe("max-over-time",
            () => Pooled(Exercise.RandomGrid(4, 9, 1)), () => Pooled(Exercise.RandomGrid(1, 1, 2)), () => Pooled(Exercise.RandomGrid(7, 3, 3)));
        Assert.True(Exercise.Compare(maxima, probes["max-over-time"]).Correct);

        // Windows that start on a word: counted from a real convolution's output positions.
        static int Windows(int words, int padded, int width) =>
            Enumerable.Range(0, ConvArithmetic.OutputSize(padded, width)).Count(p => p < words);
        var windows = Exercise.Probe("word-windows",
            () => Windows(1, 10, 5), () => Windows(12, 12, 3), () => Windows(30, 40, 4), () => Windows(5, 5, 5), () => Windows(50, 40, 3));
        Assert.True(Exercise.Compare(windows, probes["word-windows"]).Correct);

        // Kim's model: built with the library at 20,000 rows, 300 components, 100 filters of widths 3, 4, 5.
        long kim = TextClassification.KimCnn(20_000, 300, [3, 4, 5], 100, 0.5, seed: 1).Model.ParameterCount();
        Assert.True(Exercise.Compare(Exercise.Probe("kim-parameters", () => kim), probes["kim-parameters"]).Correct);
    }
}

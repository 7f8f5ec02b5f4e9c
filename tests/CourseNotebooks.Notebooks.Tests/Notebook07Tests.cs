using System.Text.Json;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Evaluation;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook07Tests(NotebookFixture fixture)
{
    private const string Name = "07-training-on-real-data";

    [Fact]
    public async Task SampleRun_ReachesTheAccuracyTheNotebookDocuments_OnATestSetSplitFromNothing()
    {
        var run = await fixture.RunAsync(Name);
        NotebookAssertions.AllCellsSucceeded(run);
        Assert.False(run.GetVariable<bool>("useFullData"));
        Assert.False(run.GetVariable<bool>("usingFullData"));
        // The threshold written in the notebook, with a margin below the 83.9 % measured when it was written.
        double expected = run.GetVariable<double>("expectedTestAccuracy");
        Assert.Equal(0.80, expected);
        var model = run.GetVariable<Sequential<float>>("model");
        var test = run.GetVariable<LabeledImages>("test");
        double measured = run.GetVariable<double>("testAccuracy");
        Assert.Equal(Training.Accuracy(model, test), measured, 12);          // recomputed here, independently of the matrix
        Assert.True(measured >= expected, $"test accuracy {measured} below the notebook's {expected}");
        Assert.Equal(1000, test.Count);

        var train = run.GetVariable<LabeledImages>("train");
        var validation = run.GetVariable<LabeledImages>("validation");
        Assert.Equal((1600, 400), (train.Count, validation.Count));
        Assert.Equal(Datasets.FashionMnistSample().ClassCounts(), train.ClassCounts().Zip(validation.ClassCounts(), (a, b) => a + b));
    }

    [Fact]
    public async Task ConfusionMatrix_CountsTheModelsPredictions_AndItsHeatmapCarriesThemWithTheClassNames()
    {
        var run = await fixture.RunAsync(Name);
        var model = run.GetVariable<Sequential<float>>("model");
        var test = run.GetVariable<LabeledImages>("test");
        var confusion = run.GetVariable<ConfusionMatrix>("confusion");
        int[] predictions = Training.Predict(model, test.Images);
        var counts = new int[10, 10];
        for (int i = 0; i < test.Count; i++) counts[test.Labels[i], predictions[i]]++;
        Assert.Equal(counts, confusion.ToArray());

        // Per-class scores from the counts, by the textbook formulas.
        var rows = run.GetVariable<ClassScores[]>("perClass");
        for (int c = 0; c < 10; c++)
        {
            int tp = counts[c, c], column = Enumerable.Range(0, 10).Sum(t => counts[t, c]), row = Enumerable.Range(0, 10).Sum(p => counts[c, p]);
            Assert.Equal((double)tp / column, rows[c].Precision, 12);
            Assert.Equal((double)tp / row, rows[c].Recall, 12);
            Assert.Equal(2.0 * tp / (row + column), rows[c].F1, 12);
        }

        using var chart = NotebookAssertions.ChartOf(run, "confusionChart");
        var heatmap = chart.RootElement.GetProperty("data")[0];
        int[][] z = [.. heatmap.GetProperty("z").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray())];
        for (int t = 0; t < 10; t++)
            for (int p = 0; p < 10; p++) Assert.Equal(counts[t, p], z[t][p]);
        Assert.Equal(Datasets.FashionMnistClasses, heatmap.GetProperty("x").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(Datasets.FashionMnistClasses, heatmap.GetProperty("y").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("true class", chart.RootElement.GetProperty("layout").GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Sentences_AreTheMeasuredFigures()
    {
        var run = await fixture.RunAsync(Name);
        var confusion = run.GetVariable<ConfusionMatrix>("confusion");
        int[] upper = [0, 2, 4, 6];                                        // T-shirt/top, Pullover, Coat, Shirt
        int mistakes = 0, upperMistakes = 0;
        for (int t = 0; t < 10; t++)
            for (int p = 0; p < 10; p++)
                if (t != p)
                {
                    mistakes += confusion[t, p];
                    if (upper.Contains(t) && upper.Contains(p)) upperMistakes += confusion[t, p];
                }
        Assert.Equal((double)upperMistakes / mistakes, run.GetVariable<double>("upperBodyShare"), 12);
        // The worst class and the largest confusion, found here from the counts.
        var worst = run.GetVariable<ClassScores>("worst");
        Assert.Equal(Enumerable.Range(0, 10).MinBy(confusion.F1), worst.Class);
        Assert.Equal(confusion.MostConfused(100).Max(x => x.Count), run.GetVariable<int>("confusedCount"));
        var history = run.GetVariable<IReadOnlyList<Training.EpochResult>>("history");
        Assert.Equal(history.MaxBy(e => e.TestAccuracy!.Value)!.Epoch, run.GetVariable<int>("bestEpoch"));
    }

    [Fact]
    public async Task Curves_CarryTheTrainingAndValidationHistory_OnAnAccuracyAxisFromZero()
    {
        var run = await fixture.RunAsync(Name);
        var history = run.GetVariable<IReadOnlyList<Training.EpochResult>>("history");
        Assert.Equal(10, history.Count);
        Assert.All(history, e => Assert.Equal("validation", e.HeldOutName));
        using var chart = NotebookAssertions.ChartOf(run, "curves");
        var data = chart.RootElement.GetProperty("data");
        Assert.Equal(4, data.GetArrayLength());
        double[] Y(int trace) => [.. data[trace].GetProperty("y").EnumerateArray().Select(v => v.GetDouble())];
        Assert.Equal(history.Select(e => e.Loss), Y(0));
        Assert.Equal(history.Select(e => e.TestLoss!.Value), Y(1));
        Assert.Equal(history.Select(e => e.TrainAccuracy), Y(2));
        Assert.Equal(history.Select(e => e.TestAccuracy!.Value), Y(3));
        Assert.Equal("validation accuracy", data[3].GetProperty("name").GetString());
        var range = chart.RootElement.GetProperty("layout").GetProperty("yaxis2").GetProperty("range");
        Assert.Equal([0.0, 1.0], range.EnumerateArray().Select(v => v.GetDouble()));
        // The schedule: cosine from 0.05 towards 0, one rate per epoch.
        Assert.Equal(0.05, history[0].LearningRate!.Value, 12);
        Assert.Equal(0.05 * (1 + Math.Cos(Math.PI * 9 / 10)) / 2, history[^1].LearningRate!.Value, 12);
        // The validation loss is the model's cross-entropy on the validation set after the last epoch.
        var model = run.GetVariable<Sequential<float>>("model");
        Assert.Equal(Training.Evaluate(model, run.GetVariable<LabeledImages>("validation")).Loss, history[^1].TestLoss!.Value, 5);
    }

    [Fact]
    public async Task Mistakes_AreWrong_TheMostConfidentOnes_AndCaptionedWithPredictedAndTrueClass()
    {
        var run = await fixture.RunAsync(Name);
        var model = run.GetVariable<Sequential<float>>("model");
        var test = run.GetVariable<LabeledImages>("test");
        var mistakes = run.GetVariable<Mistake[]>("mistakes");
        Assert.Equal(12, mistakes.Length);
        var probabilities = Training.PredictProbabilities(model, test.Images);
        int[] predictions = Training.Predict(model, test.Images);
        Assert.All(mistakes, m => Assert.NotEqual(m.Label, m.Predicted));
        Assert.All(mistakes, m => Assert.Equal(predictions[m.Index], m.Predicted));
        Assert.All(mistakes, m => Assert.Equal(probabilities.Data[m.Index * 10 + m.Predicted], m.Confidence, 6));
        // No wrong prediction left out is surer than the least sure one shown.
        var shown = mistakes.Select(m => m.Index).ToHashSet();
        double floor = mistakes[^1].Confidence;
        for (int i = 0; i < test.Count; i++)
            if (predictions[i] != test.Labels[i] && !shown.Contains(i))
                Assert.True(probabilities.Data[i * 10 + predictions[i]] <= floor, $"image {i} is a surer mistake than those shown");

        using var chart = NotebookAssertions.ChartOf(run, "mistakeChart");
        var annotations = chart.RootElement.GetProperty("layout").GetProperty("annotations");
        Assert.Equal(mistakes.Select(m => CourseNotebooks.Charts.Charts.MistakeCaption(test.ClassNames, m)), annotations.EnumerateArray().Select(a => a.GetProperty("text").GetString()));
        Assert.StartsWith(test.ClassNames[mistakes[0].Predicted], annotations[0].GetProperty("text").GetString());
        Assert.EndsWith("true: " + test.ClassNames[mistakes[0].Label], annotations[0].GetProperty("text").GetString());
        // Each image drawn is the test image of that mistake.
        var data = chart.RootElement.GetProperty("data");
        for (int k = 0; k < mistakes.Length; k++)
            NotebookAssertions.Close(test.Images.Data.AsSpan(mistakes[k].Index * 784, 784).ToArray(), Pixels(data[k]));
    }

    [Fact]
    public async Task Filters_ShowTheRandomStartAndTheLearnedWeights_AndTheFeatureMapsAreConvThenRelu()
    {
        var run = await fixture.RunAsync(Name);
        var model = run.GetVariable<Sequential<float>>("model");
        var initial = Models.FashionCnn<float>(seed: 7)[0].Parameters().First().Value;
        var learned = ((Conv2d<float>)model[0]).Weight.Value;
        NotebookAssertions.Close(initial.Data, run.GetVariable<Tensor<float>>("initialFilters").Data);
        using var chart = NotebookAssertions.ChartOf(run, "filterChart");
        var data = chart.RootElement.GetProperty("data");
        Assert.Equal(32, data.GetArrayLength());
        for (int f = 0; f < 16; f++)
        {
            NotebookAssertions.Close(initial.Data.AsSpan(f * 9, 9).ToArray(), Pixels(data[f]));
            NotebookAssertions.Close(learned.Data.AsSpan(f * 9, 9).ToArray(), Pixels(data[16 + f]));
        }
        double change = run.GetVariable<double>("filterChange");
        Assert.True(change > 0.1, $"the filters moved by only {change:P0}: did they learn?");

        // Feature maps: the library's conv and ReLU on the image, recomputed here.
        var image = run.GetVariable<Tensor<float>>("exampleImage");
        model.Eval();
        var expected = new ReLU<float>().Forward(model[0].Forward(image));
        model.Train();
        NotebookAssertions.Close(expected.Data, run.GetVariable<Tensor<float>>("featureMaps").Data, 1e-5);
        using var maps = NotebookAssertions.ChartOf(run, "featureChart");
        Assert.Equal(16, maps.RootElement.GetProperty("data").GetArrayLength());
        NotebookAssertions.Close(expected.Data.AsSpan(3 * 784, 784).ToArray(), Pixels(maps.RootElement.GetProperty("data")[3]), 1e-5);
        int silent = Enumerable.Range(0, 16).Count(c => expected.Data.AsSpan(c * 784, 784).IndexOfAnyExcept(0f) < 0);
        Assert.Equal(silent, run.GetVariable<int>("silentMaps"));
        Assert.Equal(9, run.GetVariable<LabeledImages>("test").Labels[run.GetVariable<int>("exampleIndex")]);
    }

    [Fact]
    public async Task Digits_TrainedTheSameWay_AreClearlyEasierThanClothing()
    {
        var run = await fixture.RunAsync(Name);
        double digits = run.GetVariable<double>("digitsAccuracy"), clothing = run.GetVariable<double>("testAccuracy");
        var digitsModel = run.GetVariable<Sequential<float>>("digitsModel");
        var digitsTest = run.GetVariable<LabeledImages>("digitsTest");
        Assert.Equal(Training.Accuracy(digitsModel, digitsTest), digits, 12);
        Assert.True(digits >= 0.90, $"MNIST sample accuracy {digits}");
        // Error rates on 1,000 images each: the gap must be far beyond the binomial noise of either.
        double noise = Statistics.BinomialStandardError(clothing, 1000) + Statistics.BinomialStandardError(digits, 1000);
        Assert.True(digits - clothing > 4 * noise, $"digits {digits}, clothing {clothing}, noise {noise}");

        using var chart = NotebookAssertions.ChartOf(run, "comparisonChart");
        var data = chart.RootElement.GetProperty("data");
        var digitsConfusion = run.GetVariable<ConfusionMatrix>("digitsConfusion");
        Assert.Equal(Enumerable.Range(0, 10).Select(digitsConfusion.F1), data[0].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(run.GetVariable<ClassScores[]>("perClass").Select(r => r.F1), data[1].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
    }

    [Fact]
    public async Task Training_ShowsLiveProgress_EndingWithEveryEpochAndTheResult()
    {
        var run = await fixture.RunAsync(Name);
        var history = run.GetVariable<IReadOnlyList<Training.EpochResult>>("history");
        var progress = run.GetVariable<CourseNotebooks.Charts.LiveProgress>("progress");
        var cell = run.CodeCells.First(c => c.Cell.Source.Contains("LiveProgress.Start", StringComparison.Ordinal));
        var display = Assert.Single(cell.Outputs, o => o.Kind == OutputKind.Display);
        string[] lines = display.PlainText.Split('\n');
        Assert.Equal(progress.Title, lines[0]);
        Assert.Equal(history.Select(e => e.ToString()), lines[1..11]);
        Assert.All(lines[1..11], l => Assert.Contains("validation accuracy", l));
        Assert.StartsWith("done in ", lines[11]);
        Assert.True(progress.Draws > history.Count, $"{progress.Draws} draws for {history.Count} epochs: batches were not shown");
        Assert.Contains(cell.Outputs, o => o.Kind == OutputKind.StandardOutput && o.PlainText.Contains(progress.Result!, StringComparison.Ordinal));
        Assert.Contains("images/s", progress.Result);
    }

    [Fact]
    public async Task Exercises_PassTheirChecks_AndTheReferenceSolutionsAgreeWithTheLibraryOnTheHiddenInputs()
    {
        var run = await fixture.RunAsync(Name);
        var verdicts = NotebookAssertions.Verdicts(run);
        Assert.Equal(["precision-recall", "accuracy-loop", "always-shirt-macro-f1", "momentum-sgd"], verdicts.Select(v => v.Name));
        Assert.All(verdicts, v => Assert.True(v.Correct, v.Message));
        // momentum-sgd has two probe groups, so two runs of that name: the others have one.
        var probeRuns = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToList();
        var probes = probeRuns.Where(p => p.Name != "momentum-sgd").ToDictionary(p => p.Name);

        // Precision and recall by the library's ConfusionMatrix, rebuilt from the counts.
        static ConfusionMatrix FromCounts(int[,] counts)
        {
            var labels = new List<int>();
            var predictions = new List<int>();
            for (int t = 0; t < counts.GetLength(0); t++)
                for (int p = 0; p < counts.GetLength(1); p++)
                    for (int n = 0; n < counts[t, p]; n++) { labels.Add(t); predictions.Add(p); }
            return new ConfusionMatrix(labels, predictions, [.. Enumerable.Range(0, counts.GetLength(0)).Select(c => $"{c}")]);
        }
        var probeMatrix = FromCounts(new[,] { { 3, 0, 2, 1 }, { 0, 0, 0, 0 }, { 4, 0, 6, 0 }, { 1, 0, 1, 8 } });
        var confusion = run.GetVariable<ConfusionMatrix>("confusion");
        var precisionRecall = Exercise.Probe("precision-recall",
            () => probeMatrix.Precision(0), () => probeMatrix.Recall(0), () => probeMatrix.Precision(1), () => probeMatrix.Recall(1),
            () => probeMatrix.Precision(3), () => probeMatrix.Recall(3), () => confusion.Precision(6), () => confusion.Recall(6));
        Assert.True(Exercise.Compare(precisionRecall, probes["precision-recall"]).Correct);

        // The accuracy of logits: the library's arg-max predictions counted by a confusion matrix.
        var model = run.GetVariable<Sequential<float>>("model");
        var test = run.GetVariable<LabeledImages>("test");
        var first200 = test.Subset([.. Enumerable.Range(0, 200)]);
        double LibraryAccuracy(Tensor<float> logits, int[] labels)
        {
            int classes = logits.Size(1);
            var probabilities = Softmax.Of(logits);
            int[] predicted = [.. Enumerable.Range(0, labels.Length).Select(n => Enumerable.Range(0, classes).MaxBy(j => (probabilities.Data[n * classes + j], -j)))];
            return new ConfusionMatrix(labels, predicted, [.. Enumerable.Range(0, classes).Select(c => $"{c}")]).Accuracy;
        }
        var accuracy = Exercise.Probe("accuracy-loop",
            () => Training.Accuracy(model, first200),
            () => LibraryAccuracy(new Tensor<float>([1f, 1f, 0f, 3f, 3f, 3f], 2, 3), [1, 0]),
            () => LibraryAccuracy(new Tensor<float>([0.5f, -0.5f], 1, 2), [1]));
        Assert.True(Exercise.Compare(accuracy, probes["accuracy-loop"]).Correct);

        // Always "Shirt" (class 6) on 1,000 images of each class.
        int[] labels10k = [.. Enumerable.Range(0, 10_000).Select(i => i / 1000)];
        var lazy = new ConfusionMatrix(labels10k, [.. labels10k.Select(_ => 6)], Datasets.FashionMnistClasses);
        Assert.True(Exercise.Compare(Exercise.Probe("always-shirt-macro-f1", () => lazy.MacroF1), probes["always-shirt-macro-f1"]).Correct);

        // Momentum SGD: the library's Sgd (PyTorch's semantics) on the probes' runs; b is the buffer it keeps inside,
        // followed here from the gradients it was given (b = g on the first step, then μb + g).
        static float[] LibraryMomentum(int size, int steps, double learningRate, double momentum, int seed)
        {
            var noise = new Random(seed);
            var p = new Parameter<float>("w", Tensor.FromArray(Enumerable.Range(0, size).Select(_ => (float)(4 * noise.NextDouble() - 2)).ToArray()));
            var sgd = new CourseNotebooks.Engine.Optimizers.Sgd<float>([p], learningRate, momentum: momentum);
            var b = new float[size];
            for (int t = 0; t < steps; t++)
            {
                var g = p.Value.Data.Select((x, i) => (float)((i + 1) * x + 0.1 * (noise.NextDouble() - 0.5))).ToArray();
                for (int i = 0; i < size; i++) b[i] = t == 0 ? g[i] : (float)momentum * b[i] + g[i];
                g.CopyTo(p.Grad.Data, 0);
                sgd.LearningRate = learningRate * Math.Pow(0.5, t / 10);
                sgd.Step();
            }
            return [.. p.Value.Data, .. b];
        }
        var momentumRuns = probeRuns.Where(p => p.Name == "momentum-sgd").ToList();
        Assert.Equal(2, momentumRuns.Count);
        Assert.True(Exercise.Compare(Exercise.Probe("momentum-sgd", () => LibraryMomentum(3, 1, 0.05, 0.9, 741), () => LibraryMomentum(5, 1, 0.5, 0.5, 742)), momentumRuns[0]).Correct);
        Assert.True(Exercise.Compare(Exercise.Probe("momentum-sgd", () => LibraryMomentum(4, 25, 0.05, 0.9, 743), () => LibraryMomentum(2, 40, 0.1, 0.99, 744),
            () => LibraryMomentum(6, 12, 0.02, 0.0, 745)), momentumRuns[1]).Correct);
    }

    [Fact]
    public async Task StudentsMomentumSgd_TrainsTheNetwork_AsTheLibrarysSgdDoes_WithTheSameBudget()
    {
        var run = await fixture.RunAsync(Name);
        var history = run.GetVariable<IReadOnlyList<Training.EpochResult>>("history");
        var yours = run.GetVariable<IReadOnlyList<Training.EpochResult>>("yourHistory");
        int epochs = run.GetVariable<int>("epochs");
        Assert.Equal(epochs, yours.Count);
        Assert.Equal(epochs, history.Count);
        // The reference rule is PyTorch's momentum SGD, so with the same seed, batches and schedule the runs agree.
        for (int e = 0; e < epochs; e++)
        {
            Assert.Equal(history[e].Loss, yours[e].Loss, 1e-4);
            Assert.Equal(history[e].TestAccuracy!.Value, yours[e].TestAccuracy!.Value, 1e-2);
            Assert.Equal(history[e].LearningRate, yours[e].LearningRate);
        }
        var rows = Rows.Of(run, "yourTrainingTable");
        Assert.Equal(epochs, rows.Count);
        for (int e = 0; e < epochs; e++)
        {
            Assert.Equal(history[e].Loss, Rows.Get<double>(rows[e], "LibraryTrainingLoss"));
            Assert.Equal(yours[e].Loss, Rows.Get<double>(rows[e], "YourTrainingLoss"));
        }
        double largest = history.Zip(yours).Max(p => Math.Abs(p.First.Loss - p.Second.Loss));
        Assert.Equal(largest, run.GetVariable<double>("largestLossDifference"));
        // The reference rule does PyTorch's float operations in the library's order: the same run (bit for bit when
        // measured), and the sentence says which of the two it saw.
        Assert.True(largest < 1e-4, $"the runs differ by {largest}");
        Assert.Contains(largest == 0 ? "the training losses of the two runs are the same to the last bit" : $"differ by at most {largest:G3}",
            NotebookAssertions.Output(run, "the training losses of the two runs"));
        using var chart = NotebookAssertions.ChartOf(run, "yourCurvesChart");
        double[] libraryCurve = NotebookAssertions.Ys(chart, 0), yourCurve = NotebookAssertions.Ys(chart, 1);
        for (int e = 0; e < epochs; e++)
        {
            Assert.Equal(history[e].Loss, libraryCurve[e], 1e-9);
            Assert.Equal(yours[e].Loss, yourCurve[e], 1e-9);
        }
    }

    [Fact]
    public async Task PredictThenRun_MomentumStepGrowsTowardsTenTimesTheRate()
    {
        var run = await fixture.RunAsync(Name);
        var sizes = run.GetVariable<List<double>>("momentumStepSizes");
        Assert.Equal(50, sizes.Count);
        // b_t = (1 - 0.9^t) / (1 - 0.9) under a constant gradient 1 (float arithmetic: a few 1e-6 off).
        for (int t = 1; t <= 50; t++) Assert.Equal((1 - Math.Pow(0.9, t)) / 0.1, sizes[t - 1], 1e-3);
    }

    /// <summary>The z values of one image's heatmap trace, row by row.</summary>
    private static float[] Pixels(JsonElement trace)
        => [.. trace.GetProperty("z").EnumerateArray().SelectMany(row => row.EnumerateArray()).Select(v => v.GetSingle())];
}

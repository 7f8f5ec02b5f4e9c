using System.Globalization;
using System.Text.Json;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Evaluation;
using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook18Tests(NotebookFixture fixture)
{
    private const string Name = "18-sgd-parameters-and-l2";

    // The notebook's bowl, written out here: ½(λ₁(x − 1.5)² + λ₂(y − 1)²), λ₁ = 1, λ₂ = 10, start (−2, −2).
    private static (double, double) Gradient(double x, double y) => (1 * (x - 1.5), 10 * (y - 1.0));

    private static (double[] X, double[] Y) Points(JsonElement trace) =>
        (trace.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()).ToArray(), trace.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray());

    private static JsonElement TraceNamed(JsonDocument chart, string name) =>
        chart.RootElement.GetProperty("data").EnumerateArray().Single(t => t.TryGetProperty("name", out var n) && n.GetString() == name);

    private static string StandardOutputOf(NotebookRun run, string sourceFragment) =>
        string.Concat(run.CodeCells.Single(c => c.Cell.Source.Contains(sourceFragment, StringComparison.Ordinal))
            .Outputs.Where(o => o.Kind == OutputKind.StandardOutput).Select(o => o.PlainText));

    [Fact]
    public async Task SlideMomentum_EqualsSgd_ForAConstantRate_AndDiffersUnderTheStepSchedule()
    {
        var run = await fixture.RunAsync(Name);
        Assert.True(run.GetVariable<double>("constantRateGap") <= 1e-12);
        Assert.True(run.GetVariable<double>("scheduledGap") > 0.1, $"{run.GetVariable<double>("scheduledGap")}");

        // Both rules written out by hand, with the schedule η_k = 0.02 · 0.1^⌊k/15⌋ applied before step k.
        const int steps = 100;                                   // the notebook's Steps
        (double[] X, double[] Y) Walk(bool pytorch, bool scheduled)
        {
            double x = -2, y = -2, vx = 0, vy = 0;
            var xs = new List<double> { x };
            var ys = new List<double> { y };
            for (int k = 0; k < steps; k++)
            {
                double eta = scheduled ? 0.02 * Math.Pow(0.1, k / 15) : 0.02;
                var (gx, gy) = Gradient(x, y);
                if (pytorch)
                {
                    (vx, vy) = k == 0 ? (gx, gy) : (0.9 * vx + gx, 0.9 * vy + gy);
                    (x, y) = (x - eta * vx, y - eta * vy);
                }
                else
                {
                    (vx, vy) = (eta * gx + 0.9 * vx, eta * gy + 0.9 * vy);
                    (x, y) = (x - vx, y - vy);
                }
                xs.Add(x);
                ys.Add(y);
            }
            return (xs.ToArray(), ys.ToArray());
        }
        void Same((double[] X, double[] Y) expected, OptimizerPathResult actual, double tolerance)
        {
            Assert.Equal(expected.X.Length, actual.X.Length);
            for (int k = 0; k < expected.X.Length; k++)
            {
                Assert.Equal(expected.X[k], actual.X[k], tolerance);
                Assert.Equal(expected.Y[k], actual.Y[k], tolerance);
            }
        }
        Same(Walk(true, false), run.GetVariable<OptimizerPathResult>("sgdPath"), 1e-12);
        Same(Walk(false, false), run.GetVariable<OptimizerPathResult>("slidePath"), 1e-12);
        Same(Walk(true, true), run.GetVariable<OptimizerPathResult>("sgdScheduled"), 1e-12);
        Same(Walk(false, true), run.GetVariable<OptimizerPathResult>("slideScheduled"), 1e-12);

        // The chart draws exactly those paths, and the sentence carries the measured gap.
        using var chart = NotebookAssertions.ChartOf(run, "scheduleChart");
        var (sx, sy) = Points(TraceNamed(chart, "torch.optim.SGD form (Sgd)"));
        Assert.Equal(run.GetVariable<OptimizerPathResult>("sgdScheduled").X, sx);
        Assert.Equal(run.GetVariable<OptimizerPathResult>("sgdScheduled").Y, sy);
        Assert.Equal(run.GetVariable<OptimizerPathResult>("slideScheduled").X, Points(TraceNamed(chart, "slide's form (SlideMomentum)")).X);
        Assert.Contains($"differ by up to {run.GetVariable<double>("scheduledGap").ToString("0.000", CultureInfo.CurrentCulture)}", StandardOutputOf(run, "double scheduledGap"));
    }

    [Fact]
    public async Task L2Penalty_EqualsWeightDecayTwiceLambda_OnTheSurfaceAndOnTheNetwork()
    {
        var run = await fixture.RunAsync(Name);
        Assert.True(run.GetVariable<double>("surfaceL2Gap") <= 1e-12);
        Assert.True(run.GetVariable<double>("networkL2Gap") <= 1e-12);
        Assert.True(run.GetVariable<double>("surfaceWrongGap") > 0.1);
        Assert.Equal(20, run.GetVariable<List<double>>("modifiedLosses").Count);

        // Independently: the notebook's network after its 20 steps is not the untrained one (the comparison compared
        // something), and the modified loss it reports is loss + λΣW² of a network recomputed here.
        var decayed = run.GetVariable<Sequential<double>>("decayed");
        const double lambda = 0.5;                              // the notebook's Lambda
        var fresh = new Sequential<double>(new Flatten<double>(), new Linear<double>(784, 32, seed: 18), new ReLU<double>(), new Linear<double>(32, 10, seed: 19));
        double moved = decayed.Parameters().Zip(fresh.Parameters()).Max(p => p.First.Value.Data.Zip(p.Second.Value.Data).Max(v => Math.Abs(v.First - v.Second)));
        Assert.True(moved > 1e-3, $"the network moved by {moved}");
        var images = Datasets.FashionMnistSample(DatasetSplit.Train).StratifiedSubset(10, 18);
        var firstBatch = new DataLoader<double>(images.Images.To<double>(), images.Labels, batchSize: 10, shuffle: true, seed: 18).First();
        double expected = new CrossEntropyLoss<double>().Forward(fresh.Forward(firstBatch.X), firstBatch.Y) + L2Penalty.Value(fresh.Parameters(), lambda);
        Assert.Equal(expected, run.GetVariable<List<double>>("modifiedLosses")[0], 1e-9);
    }

    [Fact]
    public async Task ParameterCharts_DrawTheLibrarysPaths_AndEachParameterHasItsEffect()
    {
        var run = await fixture.RunAsync(Name);
        var surface = run.GetVariable<Surface2D>("surface");
        const int steps = 100;                                   // the notebook's Steps
        foreach (var (chartName, pathsName) in new[] { ("lrChart", "lrPaths"), ("momentumChart", "momentumPaths"), ("dampeningChart", "dampeningPaths"),
                                                        ("weightDecayChart", "weightDecayPaths"), ("nesterovChart", "nesterovPaths") })
        {
            var paths = run.GetVariable<(string Name, OptimizerPathResult Path)[]>(pathsName);
            using var chart = NotebookAssertions.ChartOf(run, chartName);
            Assert.Equal("contour", chart.RootElement.GetProperty("data")[0].GetProperty("type").GetString());
            foreach (var (name, path) in paths)
            {
                var (x, y) = Points(TraceNamed(chart, name));
                Assert.Equal(path.X, x);
                Assert.Equal(path.Y, y);
            }
        }

        // Recomputed with the library here: the settings the legends name give the paths drawn.
        var paths18 = run.GetVariable<(string Name, OptimizerPathResult Path)[]>("dampeningPaths");
        var again = OptimizerPath.Run(surface, (-2, -2), p => new Sgd<double>(p, 0.02, momentum: 0.9, dampening: 0.5), steps);
        Assert.Equal(again.X, paths18.Single(p => p.Name == "dampening = 0.5").Path.X);
        var nesterov = OptimizerPath.Run(surface, (-2, -2), p => new Sgd<double>(p, 0.02, momentum: 0.9, nesterov: true), steps);
        Assert.Equal(nesterov.Y, run.GetVariable<(string Name, OptimizerPathResult Path)[]>("nesterovPaths")[1].Path.Y);

        // lr: beyond 2/λ₂ = 0.2 the path diverges, below it it does not.
        var lr = run.GetVariable<(string Name, OptimizerPathResult Path)[]>("lrPaths");
        Assert.True(lr.Single(p => p.Name == "lr = 0.25").Path.Diverged);
        Assert.All(lr.Where(p => p.Name != "lr = 0.25"), p => Assert.False(p.Path.Diverged));
        Assert.Contains("lr = 0.25 diverged after", StandardOutputOf(run, "double stabilityLimit"));

        // weight_decay: the end point is the minimum of f + (wd/2)|w|², (λ₁·1.5/(λ₁ + wd), λ₂/(λ₂ + wd)).
        var decay = run.GetVariable<(string Name, OptimizerPathResult Path)[]>("weightDecayPaths");
        foreach (var (wd, index) in new[] { (1.0, 1), (5.0, 2) })
        {
            Assert.Equal(1.5 / (1 + wd), decay[index].Path.End.X, 1e-2);
            Assert.Equal(10 / (10 + wd), decay[index].Path.End.Y, 1e-3);
        }
        // momentum: heavy momentum ends closer than none at the same small rate.
        var momentum = run.GetVariable<(string Name, OptimizerPathResult Path)[]>("momentumPaths");
        Assert.True(momentum[2].Path.DistanceTo((1.5, 1))[^1] < momentum[0].Path.DistanceTo((1.5, 1))[^1]);
        // The table's step counts are the engine's, for the right targets.
        var table = Rows.Of(run, "parameterTable");
        Assert.Equal(lr.Length + momentum.Length + 3 + 2 + decay.Length, table.Count);
        Assert.Equal(L2Experiments.StepsToSettle(lr[1].Path, (1.5, 1), 0.05), Rows.Get<int>(table[1], "StepsToSettle"));
    }

    [Fact]
    public async Task Overfitting_L2LowersTheValidationLossOverSeeds_AndTheTextAndChartsCarryTheMeasurements()
    {
        var run = await fixture.RunAsync(Name);
        var without = run.GetVariable<List<IReadOnlyList<ValidationCurvePoint>>>("curvesWithout");
        var with = run.GetVariable<List<IReadOnlyList<ValidationCurvePoint>>>("curvesWith");
        const int epochs = 50;                                  // the notebook's Epochs
        Assert.Equal(5, without.Count);
        Assert.Equal(5, with.Count);
        Assert.All(without.Concat(with), c => Assert.Equal(epochs + 1, c.Count));
        // Overfitting without L2: the training loss near zero, validation loss above its own best epoch.
        Assert.All(without, c => Assert.True(c[^1].TrainLoss < 0.1 && c[^1].ValidationLoss > c.Min(p => p.ValidationLoss) + 0.05));
        double meanWithout = without.Average(c => c[^1].ValidationLoss), meanWith = with.Average(c => c[^1].ValidationLoss);
        Assert.True(meanWith < meanWithout, $"{meanWith} against {meanWithout}");
        Assert.True(with.Average(c => c[^1].WeightNorm) < without.Average(c => c[^1].WeightNorm));

        // A seed's run recomputed here (seed 1, with L2) gives the notebook's curve.
        var fullTrain = Datasets.FashionMnistSample(DatasetSplit.Train);
        var validation = Datasets.FashionMnistSample(DatasetSplit.Test).StratifiedSubset(50, 18);
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(784, 32, seed: 1), new ReLU<float>(), new Linear<float>(32, 10, seed: 101));
        var curve = L2Experiments.FitWithValidation(model, new Sgd<float>(model.Parameters(), 0.02, momentum: 0.9, weightDecay: 0.02),
            fullTrain.StratifiedSubset(10, 1), validation, epochs, 20, 1);
        Assert.Equal(curve[^1].ValidationLoss, with[0][^1].ValidationLoss, 1e-6);
        Assert.Equal(curve[^1].WeightNorm, with[0][^1].WeightNorm, 1e-6);

        // The sentences are the measured ones.
        string text = StandardOutputOf(run, "seedsWhereL2LowersValidationLoss");
        int lower = Enumerable.Range(0, 5).Count(i => with[i][^1].ValidationLoss < without[i][^1].ValidationLoss);
        Assert.Contains($"lower with L2 for {lower} of 5 seeds", text);
        Assert.Contains($"{meanWithout.ToString("0.000", CultureInfo.CurrentCulture)} ± ", text);
        Assert.Contains($"{meanWith.ToString("0.000", CultureInfo.CurrentCulture)} ± ", text);

        // The loss chart: per group, its mean trace is the mean over seeds and the band spans min to max.
        using var chart = NotebookAssertions.ChartOf(run, "lossChart");
        var mean = TraceNamed(chart, "validation, with L2: mean").GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var upper = TraceNamed(chart, "validation, with L2: range of 5 runs").GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int e = 0; e <= epochs; e++)
        {
            Assert.Equal(with.Average(c => c[e].ValidationLoss), mean[e], 1e-12);
            Assert.Equal(with.Max(c => c[e].ValidationLoss), upper[e], 1e-12);
        }
        Assert.Equal("tozero", chart.RootElement.GetProperty("layout").GetProperty("yaxis").GetProperty("rangemode").GetString());

        using var finalChart = NotebookAssertions.ChartOf(run, "finalChart");
        var bars = finalChart.RootElement.GetProperty("data")[0].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(meanWithout, bars[0], 1e-12);
        Assert.Equal(meanWith, bars[1], 1e-12);
        Assert.Equal(0, finalChart.RootElement.GetProperty("layout").GetProperty("yaxis").GetProperty("range")[0].GetDouble());
    }

    [Fact]
    public async Task WeightHistogram_CountsTheFirstLayersWeights_AndL2NarrowsThem()
    {
        var run = await fixture.RunAsync(Name);
        var withoutModel = run.GetVariable<List<Sequential<float>>>("modelsWithout")[0];
        var withModel = run.GetVariable<List<Sequential<float>>>("modelsWith")[0];
        double[] without = withoutModel.Parameters().First().Value.Data.Select(v => (double)v).ToArray();
        double[] with = withModel.Parameters().First().Value.Data.Select(v => (double)v).ToArray();
        Assert.Equal(784 * 32, with.Length);
        using var chart = NotebookAssertions.ChartOf(run, "histogram");
        foreach (var (name, values) in new[] { ("trained without L2", without), ("trained with L2", with) })
        {
            var trace = TraceNamed(chart, name);
            var counts = trace.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var centres = trace.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            double width = centres[1] - centres[0];
            Assert.Equal(values.Length, counts.Sum());
            // Recount one bin by hand: the bin holding the largest count.
            int bin = Array.IndexOf(counts, counts.Max());
            double low = centres[bin] - width / 2, high = centres[bin] + width / 2;
            Assert.Equal(counts[bin], values.Count(v => v >= low - 1e-12 && v < high - 1e-12), 0.0);
        }
        Assert.True(Statistics.StandardDeviation(with) < Statistics.StandardDeviation(without));

        // Pixels dark in all of seed 1's training images: their weights get no gradient, so without L2 they keep
        // their initial values exactly, and with L2 only the decay acts on them.
        var images = Datasets.FashionMnistSample(DatasetSplit.Train).StratifiedSubset(10, 1).Images;
        int dead = Enumerable.Range(0, 784).Count(j => Enumerable.Range(0, 100).All(n => images.Data[n * 784 + j] == 0));
        Assert.Equal(dead, run.GetVariable<int>("deadPixels"));
        Assert.True(dead > 0);
        Assert.Equal(0, run.GetVariable<double>("deadChangeWithout"));
        Assert.InRange(run.GetVariable<double>("deadShrinkWith"), 0, 0.9);
    }

    [Fact]
    public async Task NesterovSentence_ReportsTheMeasuredOvershoots()
    {
        var run = await fixture.RunAsync(Name);
        var paths = run.GetVariable<(string Name, OptimizerPathResult Path)[]>("nesterovPaths");
        double plain = paths[0].Path.Y.Max() - 1, nesterov = paths[1].Path.Y.Max() - 1;
        string text = StandardOutputOf(run, "double[] overshoot");
        Assert.Contains($"{plain.ToString("0.000", CultureInfo.CurrentCulture)} with plain momentum, {nesterov.ToString("0.000", CultureInfo.CurrentCulture)} with Nesterov", text);
        int plainSteps = L2Experiments.StepsToSettle(paths[0].Path, (1.5, 1), 0.05), nesterovSteps = L2Experiments.StepsToSettle(paths[1].Path, (1.5, 1), 0.05);
        Assert.Contains($"Nesterov momentum settled after {nesterovSteps} steps", text);
        bool claim = nesterov < plain && nesterovSteps >= 0 && (plainSteps < 0 || nesterovSteps < plainSteps);
        Assert.Equal(claim, text.Contains("Nesterov overshoots less and settles sooner", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Training_ShowsLiveProgress_WithALinePerRunAndTheResult()
    {
        var run = await fixture.RunAsync(Name);
        var progress = run.GetVariable<CourseNotebooks.Charts.LiveProgress>("progress");
        var without = run.GetVariable<List<IReadOnlyList<ValidationCurvePoint>>>("curvesWithout");
        Assert.Equal(10 + 1, progress.Lines.Count);                       // one line per run, then "done in"
        Assert.Contains(without[0][^1].ToString(), progress.Lines[0]);
        Assert.StartsWith("done in ", progress.Lines[^1]);
        var cell = run.CodeCells.Single(c => c.Cell.Source.Contains("LiveProgress.Start", StringComparison.Ordinal));
        Assert.Contains(cell.Outputs, o => o.Kind == OutputKind.StandardOutput && o.PlainText.Contains(progress.Result!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exercises_ReferenceSolutionsAgreeWithTheLibrary_OnTheHiddenInputs()
    {
        var run = await fixture.RunAsync(Name);
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(p => p.Name);

        static double[] L2Gradient(double[] w, double lambda)
        {
            var p = new Parameter<double>("w", Tensor.FromArray(w));
            L2Penalty.AddGradient([p], lambda);
            return p.Grad.Data;
        }
        var l2 = Exercise.Probe("l2-gradient",
            () => L2Gradient([3.0, -1.5], 0.25), () => L2Gradient([0.1, 0.2, -0.3, 4.0, -5.0], 0.005), () => L2Gradient([7.0], 0.0),
            () => L2Gradient([-0.75, 0.75], 1.5));
        Assert.True(Exercise.Compare(l2, probes["l2-gradient"]).Correct);

        static double[] TwoSteps(double[] start, double[] g1, double[] g2, double lr, double momentum, double dampening, double wd, bool nesterov)
        {
            var p = new Parameter<double>("p", Tensor.FromArray(start));
            var sgd = new Sgd<double>([p], lr, momentum, dampening, wd, nesterov);
            g1.CopyTo(p.Grad.Data, 0);
            sgd.Step();
            g2.CopyTo(p.Grad.Data, 0);
            sgd.Step();
            return p.Value.Data;
        }
        var sgd = Exercise.Probe("sgd-step",
            () => TwoSteps([0.3, -0.7, 1.1], [1.0, 2.0, -1.0], [0.5, -0.5, 0.25], 0.05, 0.0, 0.0, 0.0, false),
            () => TwoSteps([0.3, -0.7, 1.1], [1.0, 2.0, -1.0], [0.5, -0.5, 0.25], 0.05, 0.8, 0.0, 0.0, true),
            () => TwoSteps([2.0, -1.0], [0.1, 0.3], [-0.2, 0.6], 0.2, 0.5, 0.9, 0.1, false),
            () => TwoSteps([5.0], [0.0], [0.0], 0.1, 0.9, 0.0, 0.5, false),
            () => TwoSteps([5.0], [0.0], [0.0], 0.1, 0.9, 0.0, 0.5, true));
        Assert.True(Exercise.Compare(sgd, probes["sgd-step"]).Correct);

        // 2(w − 3)² with weight_decay 2: the library's SGD walks to the answer.
        var path = OptimizerPath.Run(new Surface2D("E", (x, y) => 2 * (x - 3) * (x - 3), (x, y) => (4 * (x - 3), 0), (3, 0), (-5, 5, -5, 5)),
            (0, 0), p => new Sgd<double>(p, 0.05, weightDecay: 2), 500);
        Assert.True(Exercise.Compare(Exercise.Probe("weight-decay-end", () => Math.Round(path.End.X, 9)), probes["weight-decay-end"]).Correct);
    }
}

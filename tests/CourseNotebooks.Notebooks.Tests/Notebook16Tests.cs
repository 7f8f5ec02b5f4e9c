using System.Text.Json;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook16Tests(NotebookFixture fixture)
{
    private const string Name = "16-optimizer-comparison";

    // The optimizers built directly (not through OptimizerRecipe), in the notebook's order.
    private static readonly (string Name, Func<IEnumerable<Parameter<double>>, double, Optimizer<double>> Make)[] Direct =
    [
        ("SGD", (p, lr) => new Sgd<double>(p, lr)),
        ("momentum", (p, lr) => new Sgd<double>(p, lr, momentum: 0.9)),
        ("Nesterov", (p, lr) => new Sgd<double>(p, lr, momentum: 0.9, nesterov: true)),
        ("RMSprop", (p, lr) => new RmsProp<double>(p, lr)),
        ("Adam", (p, lr) => new Adam<double>(p, lr)),
    ];

    /// <summary>Each optimizer's best (rate, score, path) on a surface, recomputed without the sweep code.</summary>
    private static (string Name, double Rate, double Score, OptimizerPathResult Path)[] Recompute(double[] grid, Surface2D surface, (double, double) start, int steps, Func<OptimizerPathResult, double> score)
        => Direct.Select(d =>
        {
            var runs = grid.Select(lr => (Rate: lr, Path: OptimizerPath.Run(surface, start, p => d.Make(p, lr), steps))).ToArray();
            var scored = runs.Select(r => (r.Rate, Score: score(r.Path), r.Path)).ToArray();
            var best = scored.Aggregate((a, b) => b.Score < a.Score ? b : a);
            return (d.Name, best.Rate, best.Score, best.Path);
        }).ToArray();

    private static double Final(OptimizerPathResult p) => p.Diverged ? double.PositiveInfinity : p.Loss[^1];

    private static double Escape(OptimizerPathResult p)
    {
        int k = Array.FindIndex(p.Loss, l => l <= -1);
        return k < 0 ? double.PositiveInfinity : k;
    }

    public static TheoryData<string> Surfaces => new() { "rosenbrock", "beale", "saddle" };

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task SurfaceRanking_IsTheOneAnIndependentSweepGives_AndTheSentenceSaysIt(string surface)
    {
        var run = await fixture.RunAsync(Name);
        // The notebook's grid is 10^-4 ... 1 in half decades; the paths are then recomputed on exactly those rates.
        double[] grid = run.GetVariable<double[]>("grid");
        Assert.Equal(9, grid.Length);
        for (int i = 0; i < 9; i++) Assert.Equal(Math.Pow(10, -4 + 0.5 * i), grid[i], 1e-12 * grid[i]);
        var expected = surface switch
        {
            "rosenbrock" => Recompute(grid, Surface2D.Rosenbrock(), (-1.5, 2), 500, Final),
            "beale" => Recompute(grid, Surface2D.Beale(), (1, 1.5), 500, Final),
            _ => Recompute(grid, Surface2D.Saddle(), (1.5, 0.001), 200, Escape),
        };
        var ranking = run.GetVariable<IReadOnlyList<RankEntry>>($"{surface}Ranking");
        var order = expected.Select((e, i) => (e, i)).OrderBy(x => x.e.Score).ThenBy(x => x.i).Select(x => x.e).ToArray();
        Assert.Equal(order.Select(e => e.Name), ranking.Select(r => r.Optimizer));
        for (int i = 0; i < order.Length; i++)
        {
            Assert.Equal(order[i].Rate, ranking[i].LearningRate, 1e-12);
            Assert.Equal(order[i].Score, ranking[i].Score, 1e-9 * (1 + Math.Abs(order[i].Score)));
        }
        // The printed sentence names the optimizers in the measured order.
        string sentence = run.GetVariable<string>($"{surface}Sentence");
        int[] positions = ranking.Select(r => sentence.IndexOf($". {r.Optimizer} (", StringComparison.Ordinal)).ToArray();
        Assert.All(positions, p => Assert.True(p >= 0, sentence));
        Assert.Equal(positions.Order(), positions);
        Assert.Contains(run.CodeCells.SelectMany(c => c.Outputs), o => o.PlainText.Contains(sentence, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PathCharts_CarryTheBestPaths_OnTheSurfacesContours()
    {
        var run = await fixture.RunAsync(Name);
        var expected = Recompute(run.GetVariable<double[]>("grid"), Surface2D.Rosenbrock(), (-1.5, 2), 500, Final);
        using var chart = NotebookAssertions.ChartOf(run, "rosenbrockPathsChart");
        var data = chart.RootElement.GetProperty("data");
        Assert.Equal("contour", data[0].GetProperty("type").GetString());
        // The contour is log10(1 + f - min) on the surface's grid: check a few cells.
        var surface = Surface2D.Rosenbrock();
        var (xs, ys, z) = surface.Grid(81);
        double min = z.Cast<double>().Min();
        var rows = data[0].GetProperty("z");
        foreach (var (j, i) in new[] { (0, 0), (40, 40), (80, 7), (33, 79) })
            Assert.Equal(Math.Log10(1 + z[j, i] - min), rows[j][i].GetDouble(), 1e-9);
        for (int k = 0; k < expected.Length; k++)
        {
            var trace = data[k + 1];
            Assert.StartsWith(expected[k].Name + " (", trace.GetProperty("name").GetString());
            Assert.Equal(expected[k].Path.X, trace.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
            Assert.Equal(expected[k].Path.Y, trace.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        }
        Assert.Equal("minimum", data[expected.Length + 1].GetProperty("name").GetString());
    }

    [Fact]
    public async Task SweepAndLossCharts_CarryTheScoresAndLosses_WithGapsForDivergedRuns()
    {
        var run = await fixture.RunAsync(Name);
        var sweeps = run.GetVariable<SweepResult<OptimizerPathResult>[]>("rosenbrockSweeps");
        using var sweepChart = NotebookAssertions.ChartOf(run, "rosenbrockSweepChart");
        Assert.Equal("log", sweepChart.RootElement.GetProperty("layout").GetProperty("xaxis").GetProperty("type").GetString());
        for (int k = 0; k < sweeps.Length; k++)
        {
            var y = sweepChart.RootElement.GetProperty("data")[k].GetProperty("y").EnumerateArray().ToArray();
            Assert.Equal(sweeps[k].Scores.Length, y.Length);
            for (int i = 0; i < y.Length; i++)
                if (double.IsFinite(sweeps[k].Scores[i])) Assert.Equal(sweeps[k].Scores[i], y[i].GetDouble());
                else Assert.Equal(JsonValueKind.Null, y[i].ValueKind);
        }
        Assert.Contains(sweeps, s => s.Scores.Any(double.IsPositiveInfinity));     // some rates do diverge

        using var lossChart = NotebookAssertions.ChartOf(run, "saddleLossChart");
        var saddle = run.GetVariable<SweepResult<OptimizerPathResult>[]>("saddleSweeps");
        var first = lossChart.RootElement.GetProperty("data")[0];
        Assert.Equal(saddle[0].BestRun.Loss, first.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(Enumerable.Range(0, saddle[0].BestRun.Loss.Length).Select(k => (double)k), first.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
    }

    [Fact]
    public async Task FirstSteps_AdamMovesByTheLearningRate_RmsPropByAboutTenTimesIt()
    {
        var run = await fixture.RunAsync(Name);
        // Adam: m̂/√v̂ = g/|g| on the first step; RMSprop: g/√((1 − α) g²) = 1/√0.01 = 10.
        Assert.Equal(0.01, run.GetVariable<double>("adamFirstStep"), 1e-9);
        Assert.Equal(0.1, run.GetVariable<double>("rmsPropFirstStep"), 1e-9);
        var steps = Rows.Of(run, "firstSteps");
        Assert.Equal(2.5, Rows.Get<double>(steps[0], "FirstStep"), 1e-12);       // SGD: η g
        Assert.Equal(0.01 * 250 * (1 + 0.9), Rows.Get<double>(steps[2], "FirstStep"), 1e-12);  // Nesterov: η (g + μ g), the buffer starting at g
    }

    [Fact]
    public async Task CnnRanking_IsTheOrderOfTheMeasuredMeans_AndTheSentenceFollowsTheNumbers()
    {
        var run = await fixture.RunAsync(Name);
        var sweeps = run.GetVariable<SweepResult<LearningCurve>[]>("cnnSweeps");
        var repeats = run.GetVariable<LearningCurve[][]>("cnnRepeats");
        Assert.Equal(5, sweeps.Length);
        // Each sweep's best rate is the one with the lowest final loss.
        foreach (var s in sweeps)
        {
            Assert.Equal(3, s.Runs.Length);
            Assert.Equal(s.Runs.Min(r => r.FinalLoss), s.BestScore);
            Assert.All(s.Runs, r => Assert.Equal(1200, r.Examples[^1]));
        }
        var means = sweeps.Select((s, i) => (s.Recipe.Name, Mean: repeats[i].Average(r => r.FinalLoss), Worst: repeats[i].Max(r => r.FinalLoss), Best: repeats[i].Min(r => r.FinalLoss)))
            .OrderBy(m => m.Mean).ToArray();
        var table = Rows.Of(run, "cnnTable");
        Assert.Equal(means.Select(m => m.Name), table.Select(r => Rows.Get<string>(r, "Optimizer")));
        string sentence = run.GetVariable<string>("cnnSentence");
        for (int i = 0; i < means.Length; i++) Assert.Contains($"{i + 1}. {means[i].Name} ({means[i].Mean:F3})", sentence);
        bool clear = means[0].Worst < means[1].Best;
        Assert.Equal(clear, run.GetVariable<bool>("clearLead"));
        Assert.Contains(clear ? "lead is clear" : "overlap", sentence);
        // The repeats' first run is the sweep's own best run; the others differ only in the batch order.
        for (int i = 0; i < sweeps.Length; i++)
        {
            Assert.Same(sweeps[i].BestRun, repeats[i][0]);
            Assert.All(repeats[i], r => Assert.Equal(sweeps[i].BestLearningRate, r.LearningRate));
            Assert.All(repeats[i], r => Assert.Equal(repeats[i][0].Loss[0], r.Loss[0]));     // same initial weights
        }
    }

    [Fact]
    public async Task CnnBestRun_IsReproducedByAnIndependentTrainingRun()
    {
        var run = await fixture.RunAsync(Name);
        var sweeps = run.GetVariable<SweepResult<LearningCurve>[]>("cnnSweeps");
        var train = run.GetVariable<LabeledImages>("cnnTrain");
        var evaluation = run.GetVariable<LabeledImages>("cnnEvaluation");
        var adam = sweeps.Single(s => s.Recipe.Name == "Adam");
        // The same model, rate, data and batch order, trained with the library's Adam outside the sweep code.
        var model = new Sequential<float>(new Conv2d<float>(1, 6, 5, seed: 16), new ReLU<float>(), new MaxPool2d<float>(2),
            new Flatten<float>(), new Linear<float>(6 * 12 * 12, 10, seed: 17));
        var optimizer = new Adam<float>(model.Parameters(), adam.BestLearningRate);
        var loss = new CrossEntropyLoss<float>();
        long seen = 0;
        // One loader for both epochs: its generator carries on, so the second epoch gets a new order.
        var loader = new DataLoader<float>(train.Images, train.Labels, 30, shuffle: true, seed: 16);
        foreach (var batch in Enumerable.Repeat(loader, 2).SelectMany(l => l))
            if (seen < 1200)
            {
                optimizer.ZeroGrad();
                loss.Forward(model.Forward(batch.X), batch.Y);
                model.Backward(loss.Backward());
                optimizer.Step();
                seen += batch.Y.Length;
            }
        Assert.Equal(Training.Evaluate(model, evaluation).Loss, adam.BestRun.FinalLoss, 1e-4);
        Assert.Equal(200, evaluation.Count);
    }

    [Fact]
    public async Task CnnCharts_CarryTheBestRuns_AgainstStepsAndTime()
    {
        var run = await fixture.RunAsync(Name);
        var sweeps = run.GetVariable<SweepResult<LearningCurve>[]>("cnnSweeps");
        using var steps = NotebookAssertions.ChartOf(run, "cnnStepsChart");
        using var time = NotebookAssertions.ChartOf(run, "cnnTimeChart");
        for (int k = 0; k < sweeps.Length; k++)
        {
            var best = sweeps[k].BestRun;
            var s = steps.RootElement.GetProperty("data")[k];
            var t = time.RootElement.GetProperty("data")[k];
            Assert.Equal(best.Steps.Select(v => (double)v), s.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
            Assert.Equal(best.Loss, s.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
            Assert.Equal(best.Seconds, t.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
            Assert.Equal(best.Loss, t.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        }
        // Loss axes start at the default (0 for these positive values): no log, no zoom.
        Assert.False(steps.RootElement.GetProperty("layout").GetProperty("yaxis").TryGetProperty("type", out _));
    }

    [Fact]
    public async Task CnnSweep_ShowsLiveProgress_WithOneLinePerRun()
    {
        var run = await fixture.RunAsync(Name);
        var progress = run.GetVariable<CourseNotebooks.Charts.LiveProgress>("progress");
        Assert.Equal(15 + 1, progress.Lines.Count);                 // 5 optimizers × 3 rates, then "done in"
        Assert.StartsWith("SGD, lr 0.0333", progress.Lines[0]);
        Assert.StartsWith("done in ", progress.Lines[^1]);
        Assert.True(progress.Draws > 16, $"{progress.Draws} draws: batches were not shown");
        Assert.NotNull(run.GetVariable<CourseNotebooks.Charts.LiveProgress>("seedProgress").Result);
    }

    [Fact]
    public async Task UpdateCost_SentenceFollowsTheMeasuredShare()
    {
        var run = await fixture.RunAsync(Name);
        var rows = Rows.Of(run, "updateCost");
        Assert.Equal(5, rows.Count);
        Assert.All(rows, r => Assert.InRange(Rows.Get<double>(r, "ShareOfTrainingStep"), 0, 1));
        var costliest = rows.MaxBy(r => Rows.Get<double>(r, "ShareOfTrainingStep"))!;
        var output = run.CodeCells.Single(c => c.Cell.Source.Contains("var costliestUpdate", StringComparison.Ordinal)).Outputs
            .Single(o => o.Kind == Host.OutputKind.StandardOutput).PlainText;
        Assert.Contains($"{Rows.Get<string>(costliest, "Optimizer")}, takes", output);
        Assert.Contains(Rows.Get<double>(costliest, "ShareOfTrainingStep") < 0.1 ? "hardly changes" : "noticeable part", output);
    }

    [Fact]
    public async Task Exercises_ReferenceSolutionsAgreeWithTheLibrary_OnTheHiddenInputs()
    {
        var run = await fixture.RunAsync(Name);
        // adam-step has three probe groups, so three runs of that name: the others have one.
        var probeRuns = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToList();
        var probes = probeRuns.Where(p => p.Name != "adam-step").ToDictionary(p => p.Name);

        // Nesterov: the library's Sgd after a first step that sets the buffer to b, then one step from w with gradient g.
        static object Nesterov(double w, double b, double g, double lr, double mu)
        {
            var p = new Parameter<double>("w", Tensor.FromArray(new[] { 0.0 }));
            var sgd = new Sgd<double>([p], lr, momentum: mu, nesterov: true);
            p.Grad.Data[0] = b;
            sgd.Step();                          // first step: buffer = b
            p.Value.Data[0] = w;
            p.Grad.Data[0] = g;
            sgd.Step();
            double buffer = mu * b + g;
            return new[] { p.Value.Data[0], buffer };
        }
        var nesterov = Exercise.Probe("nesterov-step",
            () => Nesterov(0.3, -1.2, 0.7, 0.05, 0.9), () => Nesterov(-2.0, 0.0, 4.0, 0.01, 0.99),
            () => Nesterov(5.0, 3.0, -1.0, 0.2, 0.5), () => Nesterov(0.0, 0.1, 0.0, 1.0, 0.9));
        Assert.True(Exercise.Compare(nesterov, probes["nesterov-step"]).Correct);

        // RMSprop: a first step with gradient √(v/(1−α)) leaves exactly v in the average; then one step from w.
        static object RmsProp(double w, double v, double g, double lr, double alpha, double eps)
        {
            var p = new Parameter<double>("w", Tensor.FromArray(new[] { 0.0 }));
            var rms = new RmsProp<double>([p], lr, alpha: alpha, eps: eps);
            p.Grad.Data[0] = Math.Sqrt(v / (1 - alpha));
            rms.Step();
            p.Value.Data[0] = w;
            p.Grad.Data[0] = g;
            rms.Step();
            return new[] { p.Value.Data[0], alpha * v + (1 - alpha) * g * g };
        }
        var rmsprop = Exercise.Probe("rmsprop-step",
            () => RmsProp(0.5, 0.04, -0.3, 0.001, 0.99, 1e-8), () => RmsProp(-1.0, 2.0, 1.5, 0.01, 0.9, 1e-8),
            () => RmsProp(2.0, 0.0, 1e-6, 0.01, 0.99, 1e-8), () => RmsProp(0.0, 1.0, 0.0, 0.1, 0.99, 1e-3));
        Assert.True(Exercise.Compare(rmsprop, probes["rmsprop-step"]).Correct);

        // The saddle: the library's SGD path crosses |y| = 1 at the step the answer says.
        var path = OptimizerPath.Run(Surface2D.Saddle(), (1.5, 0.001), p => new Sgd<double>(p, 0.1), 60);
        Assert.True(Exercise.Compare(Exercise.Probe("saddle-escape-steps", () => (long)Array.FindIndex(path.Y, y => Math.Abs(y) >= 1)), probes["saddle-escape-steps"]).Correct);

        // Adam: the library's Adam (PyTorch's semantics) on the hidden probes' runs. w comes from the library; m and v
        // are the moments of the gradients it was given (g + λw, w before the step), which the library keeps inside.
        static double[] LibraryAdam(int size, int steps, double lr, double beta1, double beta2, double eps, double weightDecay, int seed)
        {
            var noise = new Random(seed);
            var start = Enumerable.Range(0, size).Select(_ => 4 * noise.NextDouble() - 2).ToArray();
            var p = new Parameter<double>("w", Tensor.FromArray(start));
            var adam = new Adam<double>([p], lr, betas: (beta1, beta2), eps: eps, weightDecay: weightDecay);
            double[] m = new double[size], v = new double[size];
            for (int t = 1; t <= steps; t++)
            {
                var w = p.Value.Data;
                var g = w.Select((x, i) => Math.Pow(10, 2 - 4.0 * i / Math.Max(1, size - 1)) * x + 0.1 * (noise.NextDouble() - 0.5)).ToArray();
                for (int i = 0; i < size; i++)
                {
                    double gi = g[i] + weightDecay * w[i];
                    m[i] = beta1 * m[i] + (1 - beta1) * gi;
                    v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                }
                g.CopyTo(p.Grad.Data, 0);
                adam.Step();
            }
            return [.. p.Value.Data, .. m, .. v];
        }
        var adamRuns = probeRuns.Where(p => p.Name == "adam-step").ToList();
        Assert.Equal(3, adamRuns.Count);
        var expectedAdam = new[]
        {
            Exercise.Probe("adam-step", () => LibraryAdam(3, 1, 0.01, 0.9, 0.999, 1e-8, 0, 1641), () => LibraryAdam(5, 1, 0.3, 0.8, 0.99, 1e-3, 0, 1642)),
            Exercise.Probe("adam-step", () => LibraryAdam(4, 10, 0.01, 0.9, 0.999, 1e-8, 0, 1643), () => LibraryAdam(3, 200, 0.003, 0.9, 0.999, 1e-8, 0, 1644),
                () => LibraryAdam(2, 50, 0.05, 0.5, 0.9, 1e-6, 0, 1645)),
            Exercise.Probe("adam-step", () => LibraryAdam(3, 1, 0.01, 0.9, 0.999, 1e-8, 0.1, 1646), () => LibraryAdam(4, 30, 0.02, 0.9, 0.999, 1e-8, 0.01, 1647)),
        };
        for (int group = 0; group < 3; group++)
            Assert.True(Exercise.Compare(expectedAdam[group], adamRuns[group], 1e-9).Correct, $"adam-step group {group + 1}");
    }

    [Fact]
    public async Task AdamRace_TheStudentsAdamFollowsTheLibrarysPath_AndTheSentenceSaysSo()
    {
        var run = await fixture.RunAsync(Name);
        var rows = Rows.Of(run, "adamRaceTable");
        Assert.Equal(["Rosenbrock", "Beale"], rows.Select(r => Rows.Get<string>(r, "Surface")).ToArray());
        var surfaces = new[] { (Surface2D.Rosenbrock(), (-1.5, 2.0)), (Surface2D.Beale(), (1.0, 1.5)) };
        for (int i = 0; i < 2; i++)
        {
            double rate = Rows.Get<double>(rows[i], "LearningRate");
            // The library's Adam at that rate, 500 steps, built directly.
            var library = OptimizerPath.Run(surfaces[i].Item1, surfaces[i].Item2, p => new Adam<double>(p, rate), 500);
            Assert.Equal(500, Rows.Get<int>(rows[i], "Steps"));
            Assert.Equal(library.Loss[^1], Rows.Get<double>(rows[i], "LibraryFinalLoss"), 12);
            Assert.Equal(library.Loss[^1], Rows.Get<double>(rows[i], "YourFinalLoss"), 9);
            Assert.True(Rows.Get<double>(rows[i], "LargestPathDistance") <= 1e-9);
        }
        Assert.True(run.GetVariable<bool>("adamPathsAgree"));
        Assert.Contains("Your Adam follows the library's on both surfaces", NotebookAssertions.Output(run, "Your Adam follows"));
        using var chart = NotebookAssertions.ChartOf(run, "adamRaceChart");
        Assert.Contains("your Adam", chart.RootElement.GetRawText());
    }

    [Fact]
    public async Task PredictThenRun_ScaledLoss_LeavesAdamsPathAndBreaksSgd()
    {
        var run = await fixture.RunAsync(Name);
        var sweeps = run.GetVariable<SweepResult<OptimizerPathResult>[]>("rosenbrockSweeps");
        var rows = Rows.Of(run, "scaleTable");
        Assert.Equal(["Adam", "SGD"], rows.Select(r => Rows.Get<string>(r, "Optimizer")).ToArray());
        double adamRate = sweeps.Single(s => s.Recipe.Name == "Adam").BestLearningRate;
        double sgdRate = sweeps.Single(s => s.Recipe.Name == "SGD").BestLearningRate;
        // Independently: the library's optimizers on Rosenbrock with every gradient times 1000.
        var adamScaled = OptimizerPath.Run(Surface2D.Rosenbrock(), (-1.5, 2), p => new Adam<double>(p, adamRate), 500, (_, g) => (1000 * g.Dx, 1000 * g.Dy));
        var adamPlain = OptimizerPath.Run(Surface2D.Rosenbrock(), (-1.5, 2), p => new Adam<double>(p, adamRate), 500);
        var sgdScaled = OptimizerPath.Run(Surface2D.Rosenbrock(), (-1.5, 2), p => new Sgd<double>(p, sgdRate), 500, (_, g) => (1000 * g.Dx, 1000 * g.Dy));
        double adamDistance = Enumerable.Range(0, 501).Max(k => Math.Sqrt(Math.Pow(adamScaled.X[k] - adamPlain.X[k], 2) + Math.Pow(adamScaled.Y[k] - adamPlain.Y[k], 2)));
        Assert.Equal(adamDistance, Rows.Get<double>(rows[0], "LargestPathDistance"), 12);
        Assert.False(Rows.Get<bool>(rows[0], "ScaledDiverged"));
        Assert.Equal(sgdScaled.Diverged, Rows.Get<bool>(rows[1], "ScaledDiverged"));
        Assert.Equal(sgdScaled.Steps, Rows.Get<int>(rows[1], "ScaledSteps"));
        // What the answer behind the question says: Adam's path barely moves, SGD diverges within a few steps.
        Assert.True(adamDistance < 1e-3, $"Adam's paths part by {adamDistance}");
        Assert.True(sgdScaled.Diverged && sgdScaled.Steps <= 10, $"SGD: diverged {sgdScaled.Diverged} after {sgdScaled.Steps} steps");
    }
}

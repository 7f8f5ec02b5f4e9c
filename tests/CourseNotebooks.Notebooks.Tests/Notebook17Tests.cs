using System.Text.Json;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Evaluation;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook17Tests(NotebookFixture fixture)
{
    private const string Name = "17-learning-methods";
    private const long Budget = 192_000, TuningBudget = Budget / 4;

    // Run seed r: the notebook's MakeNet(r), weights seeded 17 + 10 r and 18 + 10 r (seed 0 tunes, 1-5 race).
    private static Sequential<float> Net(int runSeed = 0) => new(
        new AvgPool2d<float>(2), new Flatten<float>(),
        new Linear<float>(14 * 14, 32, seed: 17 + 10 * runSeed), new Tanh<float>(), new Linear<float>(32, 10, seed: 18 + 10 * runSeed));

    private static LearningCurve[] Curves(NotebookRun run, string set) => run.GetVariable<LearningCurve[]>($"{set}Curves");

    private static LearningCurve[][] Runs(NotebookRun run, string set) => run.GetVariable<LearningCurve[][]>($"{set}Runs");

    private static (LearningCurve[][] Curves, FullBatchRun[][] FullBatchRuns) Race(NotebookRun run, string set) =>
        run.GetVariable<(LearningCurve[][] Curves, FullBatchRun[][] FullBatchRuns)>($"{set}Race");

    [Fact]
    public async Task DataSets_AreTheSmallSampleAndItsNoisyCopies()
    {
        var run = await fixture.RunAsync(Name);
        var small = run.GetVariable<LabeledImages>("small");
        var redundant = run.GetVariable<LabeledImages>("redundant");
        Assert.Equal(150, small.Count);
        Assert.All(small.ClassCounts(), c => Assert.Equal(15, c));
        Assert.Equal(20 * 150, redundant.Count);
        Assert.Equal(Enumerable.Repeat(small.Labels, 20).SelectMany(l => l), redundant.Labels);
        // Every copy stays within a few noise widths of its original (σ = 0.2).
        double sumSquares = 0;
        for (int i = 0; i < redundant.Images.Length; i++)
        {
            double d = redundant.Images.Data[i] - small.Images.Data[i % small.Images.Length];
            sumSquares += d * d;
        }
        Assert.Equal(0.2, Math.Sqrt(sumSquares / redundant.Images.Length), 0.005);
    }

    [Theory]
    [InlineData("small")]
    [InlineData("redundant")]
    public async Task EveryRun_SpendsTheSameBudgetOfExamples_OverFiveSeeds(string set)
    {
        var run = await fixture.RunAsync(Name);
        int n = run.GetVariable<LabeledImages>(set).Count;
        var runs = Runs(run, set);
        Assert.Equal(5, runs.Length);
        foreach (var curves in runs)
        {
            Assert.Equal(["conjugate gradient", "L-BFGS", "momentum", "RMSprop"], curves.Select(c => c.Method));
            foreach (var c in curves.Take(2))
            {
                // Full batch: k evaluations cost k·N examples, never more than the budget.
                Assert.Equal(c.Steps.Select(k => (long)k * n), c.Examples);
                Assert.True(c.Examples[^1] <= Budget);
                Assert.True(c.Loss.Zip(c.Loss.Skip(1)).All(p => p.Second <= p.First));
            }
            foreach (var c in curves.Skip(2))
            {
                Assert.InRange(c.Examples[^1], Budget, Budget + 31);
                Assert.False(c.Diverged);
            }
        }
        // The floor: the full-batch methods get at least 50 gradient evaluations on the larger set too.
        Assert.True(Budget / n >= 50);
        var race = Race(run, set);
        Assert.All(race.FullBatchRuns.SelectMany(r => r), r => Assert.True(r.Evaluations >= 50 || r.StopReason != "budget spent"));
        // Each seed starts all four methods from the same weights: the same loss at point 0.
        Assert.All(runs, curves => Assert.All(curves, c => Assert.Equal(curves[0].Loss[0], c.Loss[0], 4)));
        Assert.NotEqual(runs[0][0].Loss[0], runs[1][0].Loss[0]);
    }

    [Fact]
    public async Task Verdicts_AreTheOnesThePairedTestsGive_AndTheAdviceSentenceFollowsThem()
    {
        var run = await fixture.RunAsync(Name);
        var printed = string.Concat(run.CodeCells.SelectMany(c => c.Outputs).Select(o => o.PlainText));
        var ahead = new Dictionary<string, string>();
        foreach (var set in new[] { "small", "redundant" })
        {
            var runs = Runs(run, set);
            // Examples to loss 0.05, the better run of each kind per seed, a miss counted as twice the budget.
            double Cost(LearningCurve c) => c.ExamplesToReach(0.05) ?? 2.0 * Budget;
            double[] full = runs.Select(r => Math.Log10(r.Take(2).Min(Cost))).ToArray();
            double[] mini = runs.Select(r => Math.Log10(r.Skip(2).Min(Cost))).ToArray();
            var test = PairedTest.Of(full, mini);
            string expected = test.Direction() switch { < 0 => "full batch", > 0 => "mini-batch", _ => "within the noise" };
            ahead[set] = expected;
            string sentence = run.GetVariable<string>($"{set}Verdict");
            Assert.StartsWith($"On the {set} data set", sentence);
            Assert.Contains(test.ToString(), sentence);
            Assert.EndsWith(expected switch
            {
                "full batch" => "a full-batch method gets there first.",
                "mini-batch" => "mini-batches get there first.",
                _ => "neither kind gets there first beyond the noise.",
            }, sentence);
            Assert.Contains($"needed {Math.Pow(10, full.Average()):N0} examples", sentence);
            Assert.Contains($"method {Math.Pow(10, mini.Average()):N0} (geometric", sentence);
            // The mini-batch step count is the runs' own (an epoch's last batch is smaller than 32).
            Assert.Contains($"or {runs[0][2].Steps[^1]:N0} mini-batch steps", sentence);
            Assert.Contains(sentence, printed);
        }
        bool holds = ahead["small"] == "full batch" && ahead["redundant"] == "mini-batch";
        Assert.Equal(holds, run.GetVariable<bool>("slideHolds"));
        string advice = run.GetVariable<string>("adviceSentence");
        Assert.Contains(holds ? "advice holds" : "does not hold", advice);
        Assert.Contains(advice, printed);
    }

    [Fact]
    public async Task LossesAtTheBudgets_AreThePairedLogLossesOfTheBetterRunOfEachKind()
    {
        var run = await fixture.RunAsync(Name);
        var rows = Rows.Of(run, "atBudgets");
        Assert.Equal(8, rows.Count);
        foreach (var row in rows)
        {
            string set = Rows.Get<string>(row, "DataSet");
            long b = Rows.Get<long>(row, "Examples");
            var runs = Runs(run, set);
            double[] full = runs.Select(r => r.Take(2).Min(c => Math.Log10(Math.Max(c.LossAt(b), 1e-4)))).ToArray();
            double[] mini = runs.Select(r => r.Skip(2).Min(c => Math.Log10(Math.Max(c.LossAt(b), 1e-4)))).ToArray();
            var test = PairedTest.Of(full, mini);
            Assert.Equal(test, Rows.Get<PairedTest>(row, "Test"));
            Assert.Equal(Math.Pow(10, full.Average()), Rows.Get<double>(row, "FullBatchLoss"), 12);
            Assert.Equal(test.Direction() switch { < 0 => "full batch", > 0 => "mini-batch", _ => "within the noise" }, Rows.Get<string>(row, "Ahead"));
            Assert.Equal(b / run.GetVariable<LabeledImages>(set).Count, Rows.Get<long>(row, "FullBatchGradients"));
        }
    }

    [Fact]
    public async Task Lbfgs_OnTheSmallSet_IsWhatMathNetReturnsWhenCalledDirectly()
    {
        var run = await fixture.RunAsync(Name);
        var small = run.GetVariable<LabeledImages>("small");
        var lbfgs = Race(run, "small").FullBatchRuns[0][1];
        int budgetEvaluations = (int)(Budget / small.Count);
        // MathNet's L-BFGS on the same objective with the same settings (race seed 1's weights), its evaluations counted here.
        var objective = new FullBatchObjective(Net(1), small);
        int evaluations = 0;
        double best = double.PositiveInfinity;
        var function = ObjectiveFunction.Gradient(theta =>
        {
            if (++evaluations > budgetEvaluations) throw new InvalidOperationException("over budget");
            var g = new double[theta.Count];
            double value = objective.Evaluate(theta.ToArray(), g);
            best = Math.Min(best, value);
            return (value, Vector<double>.Build.DenseOfArray(g));
        });
        Assert.NotEqual("budget spent", lbfgs.StopReason);
        string reason;
        try
        {
            var result = new LimitedMemoryBfgsMinimizer(1e-5, 0, 0, 10, int.MaxValue).FindMinimum(function, Vector<double>.Build.DenseOfArray(objective.GetParameters()));
            reason = $"converged ({result.ReasonForExit})";
        }
        catch (OptimizationException e)
        {
            reason = $"stopped by MathNet: {e.Message}";
        }
        Assert.Equal(reason, lbfgs.StopReason);
        Assert.Equal(lbfgs.Evaluations, evaluations);
        Assert.Equal(best, lbfgs.Curve.FinalLoss, 1e-9);
        Assert.True(lbfgs.Curve.FinalLoss < lbfgs.Curve.Loss[0] / 10);
    }

    [Fact]
    public async Task TunedMomentumRun_IsReproducedByAPlainTrainingLoop_AndTheRatesAreInsideTheirGrids()
    {
        var run = await fixture.RunAsync(Name);
        var redundant = run.GetVariable<LabeledImages>("redundant");
        var momentum = run.GetVariable<SweepResult<LearningCurve>[]>("redundantTuning")[0];
        Assert.Equal("momentum", momentum.Recipe.Name);
        var model = Net();
        var optimizer = new Sgd<float>(model.Parameters(), momentum.BestLearningRate, momentum: 0.9);
        var loss = new CrossEntropyLoss<float>();
        var loader = new DataLoader<float>(redundant.Images, redundant.Labels, 32, shuffle: true, seed: 17);
        long seen = 0;
        while (seen < TuningBudget)
            foreach (var batch in loader)
            {
                optimizer.ZeroGrad();
                loss.Forward(model.Forward(batch.X), batch.Y);
                model.Backward(loss.Backward());
                optimizer.Step();
                seen += batch.Y.Length;
                if (seen >= TuningBudget) break;
            }
        Assert.Equal(Training.Evaluate(model, redundant).Loss, momentum.BestRun.FinalLoss, 1e-4);
        Assert.Equal(momentum.Runs.Min(r => r.FinalLoss), momentum.BestScore);
        // The race uses the tuned rates, and the rate sentences say where in the grid each best rate lies.
        var sentences = run.GetVariable<string[]>("rateSentences");
        var tunings = run.GetVariable<SweepResult<LearningCurve>[]>("smallTuning").Concat(run.GetVariable<SweepResult<LearningCurve>[]>("redundantTuning")).ToArray();
        for (int i = 0; i < tunings.Length; i++)
        {
            bool edge = tunings[i].BestIndex == 0 || tunings[i].BestIndex == tunings[i].LearningRates.Length - 1;
            Assert.Contains(edge ? "at the edge of the grid" : "inside the grid", sentences[i]);
        }
        Assert.Equal(momentum.BestLearningRate, Runs(run, "redundant")[0][2].LearningRate);
    }

    [Fact]
    public async Task Charts_CarryTheCurves_AgainstExamplesAndTime()
    {
        var run = await fixture.RunAsync(Name);
        foreach (var set in new[] { "small", "redundant" })
        {
            var curves = Curves(run, set);
            using var examples = NotebookAssertions.ChartOf(run, $"{set}ExamplesChart");
            using var time = NotebookAssertions.ChartOf(run, $"{set}TimeChart");
            Assert.Equal("log", examples.RootElement.GetProperty("layout").GetProperty("yaxis").GetProperty("type").GetString());
            for (int k = 0; k < curves.Length; k++)
            {
                var e = examples.RootElement.GetProperty("data")[k];
                var t = time.RootElement.GetProperty("data")[k];
                Assert.StartsWith(curves[k].Method, e.GetProperty("name").GetString());
                Assert.Equal(curves[k].Examples.Select(v => (double)v), e.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
                Assert.Equal(curves[k].Seconds, t.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
                var y = e.GetProperty("y").EnumerateArray().ToArray();
                for (int i = 0; i < y.Length; i++)
                    if (curves[k].Loss[i] > 0) Assert.Equal(curves[k].Loss[i], y[i].GetDouble());
                    else Assert.Equal(JsonValueKind.Null, y[i].ValueKind);
            }
        }
    }

    [Fact]
    public async Task BatchAgreement_IsTheCosineOfBatchAndFullGradients()
    {
        var run = await fixture.RunAsync(Name);
        var small = run.GetVariable<LabeledImages>("small");
        // The same 20 batches the notebook drew, their gradients from the training loop's own mean loss.
        static double[] Gradient(LabeledImages data)
        {
            var model = Net();
            var loss = new CrossEntropyLoss<float>();
            loss.Forward(model.Forward(data.Images), data.Labels);
            model.Backward(loss.Backward());
            return model.Parameters().SelectMany(p => p.Grad.Data).Select(v => (double)v).ToArray();
        }
        var full = Gradient(small);
        var draw = new Random(17);
        var cosines = Enumerable.Range(0, 20).Select(_ =>
        {
            int[] indices = Enumerable.Range(0, small.Count).OrderBy(_ => draw.Next()).Take(32).ToArray();
            var g = Gradient(small.Subset(indices));
            return g.Zip(full, (a, b) => a * b).Sum() / Math.Sqrt(g.Sum(a => a * a) * full.Sum(b => b * b));
        }).ToArray();
        var agreement = run.GetVariable<(double Mean, double Min)>("smallAgreement");
        Assert.Equal(cosines.Average(), agreement.Mean, 1e-4);
        Assert.Equal(cosines.Min(), agreement.Min, 1e-4);
        var table = Rows.Of(run, "agreementTable");
        Assert.Equal(3000 / 32.0, Rows.Get<double>(table[1], "BatchStepsPerFullGradient"));
        var redundantAgreement = run.GetVariable<(double Mean, double Min)>("redundantAgreement");
        Assert.InRange(redundantAgreement.Mean, 0, 1);
        // The sentence says what the cosines say, in the direction they say it.
        string sentence = run.GetVariable<string>("agreementSentence");
        Assert.Contains($"{agreement.Mean:F2} on the small set and {redundantAgreement.Mean:F2} on the redundant one", sentence);
        Assert.Contains(redundantAgreement.Mean < agreement.Mean ? "(lower by" : "(higher by", sentence);
    }

    [Fact]
    public async Task TuningAndRaces_ShowLiveProgress()
    {
        var run = await fixture.RunAsync(Name);
        var races = run.CodeCells.Where(c => c.Cell.Source.Contains("= Race(", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, races.Count);
        foreach (var cell in races)
        {
            var display = Assert.Single(cell.Outputs, o => o.Kind == Host.OutputKind.Display && o.PlainText.Contains("CG, L-BFGS", StringComparison.Ordinal));
            string[] lines = display.PlainText.Split('\n');
            Assert.Equal(5, lines.Count(l => l.StartsWith("seed ", StringComparison.Ordinal)));
            Assert.StartsWith("done in ", lines[^1]);
        }
        var tuning = Assert.Single(run.CodeCells, c => c.Cell.Source.Contains("= Tune(", StringComparison.Ordinal));
        foreach (var display in tuning.Outputs.Where(o => o.Kind == Host.OutputKind.Display && o.PlainText.Contains("rates each", StringComparison.Ordinal)))
            Assert.Equal(10, display.PlainText.Split('\n').Count(l => l.StartsWith("momentum, lr ", StringComparison.Ordinal) || l.StartsWith("RMSprop, lr ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Exercises_ReferenceSolutionsAgree_WithMathNetStyleDirectionsAndTheLibrary()
    {
        var run = await fixture.RunAsync(Name);
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(p => p.Name);

        // MathNet's own update, with s = −g: d = s + max(0, s·(s − s_prev)/(s_prev·s_prev)) d_prev.
        static object Direction(double[] gNew, double[] gOld, double[] dOld)
        {
            var s = -Vector<double>.Build.DenseOfArray(gNew);
            var sPrev = -Vector<double>.Build.DenseOfArray(gOld);
            double beta = Math.Max(0, s * (s - sPrev) / (sPrev * sPrev));
            return (s + beta * Vector<double>.Build.DenseOfArray(dOld)).ToArray();
        }
        var direction = Exercise.Probe("conjugate-direction",
            () => Direction([3.0, 4.0, 0.0], [1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]),
            () => Direction([0.5, 0.5], [1.0, 1.0], [-1.0, -1.0]),
            () => Direction([1.0], [2.0], [-2.0]),
            () => Direction([0.1, -0.2, 0.3, -0.4], [0.2, -0.1, 0.1, -0.3], [0.5, 0.4, -0.3, 0.2]));
        Assert.True(Exercise.Compare(direction, probes["conjugate-direction"]).Correct);

        static object Reach(long[] examples, double[] losses, double target) =>
            new LearningCurve("x", 0.1, new int[examples.Length], examples, new double[examples.Length], losses, false).ExamplesToReach(target) ?? -1;
        var reach = Exercise.Probe("examples-to-reach",
            () => Reach([0, 32, 64, 96], [2.0, 1.5, 1.5, 1.0], 1.5),
            () => Reach([0, 3000, 6000], [2.3, 2.2, 2.1], 2.3),
            () => Reach([0, 150, 300, 450, 600], [2.3, 0.4, 0.5, 0.1, 0.2], 0.15),
            () => Reach([0, 10], [1.0, 0.5], 0.1));
        Assert.True(Exercise.Compare(reach, probes["examples-to-reach"]).Correct);

        var redundant = run.GetVariable<LabeledImages>("redundant");
        // Exercise 17.3 states its own budget of 24,000 examples.
        Assert.True(Exercise.Compare(Exercise.Probe("extra-updates", () => 24_000 / 32 - 24_000 / redundant.Count), probes["extra-updates"]).Correct);
    }
}

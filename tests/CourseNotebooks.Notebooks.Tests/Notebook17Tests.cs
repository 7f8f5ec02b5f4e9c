using System.Text.Json;
using CourseNotebooks.Course.Data;
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
    private const long Budget = 24_000;

    private static Sequential<float> Net() => new(
        new AvgPool2d<float>(2), new Flatten<float>(),
        new Linear<float>(14 * 14, 32, seed: 17), new Tanh<float>(), new Linear<float>(32, 10, seed: 18));

    private static LearningCurve[] Curves(NotebookRun run, string set) => run.GetVariable<LearningCurve[]>($"{set}Curves");

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
    public async Task EveryRun_SpendsTheSameBudgetOfExamples(string set)
    {
        var run = await fixture.RunAsync(Name);
        int n = run.GetVariable<LabeledImages>(set).Count;
        var curves = Curves(run, set);
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

    [Fact]
    public async Task Verdicts_AreTheOnesTheCurvesGive_AndTheAdviceSentenceFollowsThem()
    {
        var run = await fixture.RunAsync(Name);
        bool smallFull = false, redundantMini = false;
        foreach (var set in new[] { "small", "redundant" })
        {
            var curves = Curves(run, set);
            var winner = curves.MinBy(c => c.FinalLoss)!;
            bool winnerIsFull = double.IsNaN(winner.LearningRate);
            var bestOther = curves.Where(c => double.IsNaN(c.LearningRate) != winnerIsFull).MinBy(c => c.FinalLoss)!;
            string sentence = run.GetVariable<string>($"{set}Verdict");
            Assert.StartsWith($"On the {set} data set", sentence);
            Assert.Contains($"{winner.Method}", sentence.Split("reached the lowest loss")[0]);
            Assert.Contains($"({(winnerIsFull ? "full batch" : "mini-batch")}) reached the lowest loss", sentence);
            Assert.Contains($"{winner.FinalLoss:G3}, against {bestOther.FinalLoss:G3}", sentence);
            if (set == "small") smallFull = winnerIsFull;
            else redundantMini = !winnerIsFull;
        }
        Assert.Equal(smallFull && redundantMini, run.GetVariable<bool>("slideHolds"));
        Assert.Contains(smallFull && redundantMini ? "advice holds" : "does not hold", run.GetVariable<string>("adviceSentence"));
        var printed = string.Concat(run.CodeCells.SelectMany(c => c.Outputs).Select(o => o.PlainText));
        Assert.Contains(run.GetVariable<string>("smallVerdict"), printed);
        Assert.Contains(run.GetVariable<string>("redundantVerdict"), printed);
    }

    [Fact]
    public async Task Lbfgs_OnTheSmallSet_IsWhatMathNetReturnsWhenCalledDirectly()
    {
        var run = await fixture.RunAsync(Name);
        var small = run.GetVariable<LabeledImages>("small");
        var lbfgs = run.GetVariable<(FullBatchRun Cg, FullBatchRun Lbfgs, SweepResult<LearningCurve>[] MiniBatch)>("smallRace").Lbfgs;
        int budgetEvaluations = (int)(Budget / small.Count);
        // MathNet's L-BFGS on the same objective with the same settings, its evaluations counted here.
        var objective = new FullBatchObjective(Net(), small);
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
        if (lbfgs.StopReason.StartsWith("converged", StringComparison.Ordinal))
        {
            var result = new LimitedMemoryBfgsMinimizer(1e-5, 0, 0, 10, int.MaxValue).FindMinimum(function, Vector<double>.Build.DenseOfArray(objective.GetParameters()));
            Assert.Equal(lbfgs.Evaluations, evaluations);
            Assert.Equal(best, lbfgs.Curve.FinalLoss, 1e-9);
            Assert.True(result.FunctionInfoAtMinimum.Value >= best);
        }
        else
        {
            Assert.Equal("budget spent", lbfgs.StopReason);
            Assert.Equal(budgetEvaluations, lbfgs.Evaluations);
        }
        Assert.True(lbfgs.Curve.FinalLoss < lbfgs.Curve.Loss[0] / 10);
    }

    [Fact]
    public async Task BestMomentumRun_IsReproducedByAPlainTrainingLoop()
    {
        var run = await fixture.RunAsync(Name);
        var redundant = run.GetVariable<LabeledImages>("redundant");
        var momentum = run.GetVariable<(FullBatchRun Cg, FullBatchRun Lbfgs, SweepResult<LearningCurve>[] MiniBatch)>("redundantRace").MiniBatch[0];
        Assert.Equal("momentum", momentum.Recipe.Name);
        var model = Net();
        var optimizer = new Sgd<float>(model.Parameters(), momentum.BestLearningRate, momentum: 0.9);
        var loss = new CrossEntropyLoss<float>();
        var loader = new DataLoader<float>(redundant.Images, redundant.Labels, 32, shuffle: true, seed: 17);
        long seen = 0;
        while (seen < Budget)
            foreach (var batch in loader)
            {
                optimizer.ZeroGrad();
                loss.Forward(model.Forward(batch.X), batch.Y);
                model.Backward(loss.Backward());
                optimizer.Step();
                seen += batch.Y.Length;
                if (seen >= Budget) break;
            }
        Assert.Equal(Training.Evaluate(model, redundant).Loss, momentum.BestRun.FinalLoss, 1e-4);
        Assert.Equal(momentum.Runs.Min(r => r.FinalLoss), momentum.BestScore);
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
        Assert.InRange(run.GetVariable<(double Mean, double Min)>("redundantAgreement").Mean, 0, 1);
    }

    [Fact]
    public async Task Races_ShowLiveProgress()
    {
        var run = await fixture.RunAsync(Name);
        var cells = run.CodeCells.Where(c => c.Cell.Source.Contains("= Race(", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, cells.Count);
        foreach (var cell in cells)
        {
            var display = Assert.Single(cell.Outputs, o => o.Kind == Host.OutputKind.Display && o.PlainText.Contains("CG, L-BFGS", StringComparison.Ordinal));
            string[] lines = display.PlainText.Split('\n');
            Assert.Contains(lines, l => l.StartsWith("L-BFGS: loss ", StringComparison.Ordinal));
            Assert.Equal(6, lines.Count(l => l.StartsWith("momentum, lr ", StringComparison.Ordinal) || l.StartsWith("RMSprop, lr ", StringComparison.Ordinal)));
            Assert.StartsWith("done in ", lines[^1]);
        }
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
        Assert.True(Exercise.Compare(Exercise.Probe("extra-updates", () => Budget / 32 - Budget / redundant.Count), probes["extra-updates"]).Correct);
    }
}

using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;
using Xunit;

namespace CourseNotebooks.Course.Tests;

public class OptimizerSweepTests
{
    [Fact]
    public void LogGrid_HasExactEndsAndAConstantRatio()
    {
        double[] grid = OptimizerSweep.LogGrid(1e-4, 1, 9);
        Assert.Equal(9, grid.Length);
        Assert.Equal(1e-4, grid[0]);
        Assert.Equal(1.0, grid[^1]);
        for (int i = 1; i < grid.Length; i++) Assert.Equal(Math.Sqrt(10), grid[i] / grid[i - 1], 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerSweep.LogGrid(0, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerSweep.LogGrid(1, 0.1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerSweep.LogGrid(0.1, 1, 1));
    }

    [Fact]
    public void Recipe_Create_BuildsTheLibraryOptimizerWithItsSettings()
    {
        var p = new Parameter<double>("w", Tensor.FromArray(new[] { 1.0 }));
        var kinds = OptimizerRecipe.Standard.Select(r => r.Create(new[] { new Parameter<double>("w", Tensor.FromArray(new[] { 1.0 })) }, 0.01)).ToArray();
        Assert.IsType<Sgd<double>>(kinds[0]);
        Assert.Equal(0, ((Sgd<double>)kinds[0]).Momentum);
        Assert.Equal(0.9, ((Sgd<double>)kinds[1]).Momentum);
        Assert.False(((Sgd<double>)kinds[1]).Nesterov);
        Assert.True(((Sgd<double>)kinds[2]).Nesterov);
        Assert.IsType<RmsProp<double>>(kinds[3]);
        Assert.IsType<Adam<double>>(kinds[4]);
        Assert.All(kinds, k => Assert.Equal(0.01, k.LearningRate));
        Assert.Equal(["SGD", "momentum", "Nesterov", "RMSprop", "Adam"], OptimizerRecipe.Standard.Select(r => r.Name));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerRecipe.Standard[0].Create(new[] { p }, 0));
        Assert.Contains("SGD", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerRecipe(OptimizerKind.Momentum, 0.1, 1.0).Create(new[] { p }, 0.1));
    }

    [Fact]
    public void OnSurface_RecordsTheSamePathsAsOptimizerPath_AndPicksTheLowestScore()
    {
        var surface = Surface2D.Rosenbrock();
        double[] rates = [1e-4, 1e-3, 1e-2];
        var sweep = OptimizerSweep.OnSurface(surface, (-1.5, 2), OptimizerRecipe.Standard[1], rates, 200, OptimizerSweep.FinalLoss);
        for (int i = 0; i < rates.Length; i++)
        {
            double lr = rates[i];
            var direct = OptimizerPath.Run(surface, (-1.5, 2), p => new Sgd<double>(p, lr, momentum: 0.9), 200);
            Assert.Equal(direct.X, sweep.Runs[i].X);
            Assert.Equal(direct.Y, sweep.Runs[i].Y);
            Assert.Equal(direct.Diverged ? double.PositiveInfinity : direct.Loss[^1], sweep.Scores[i]);
        }
        // 1e-2 with momentum diverges on Rosenbrock from this start; the best is the smaller rate with the lower loss.
        Assert.True(sweep.Runs[2].Diverged);
        Assert.Equal(double.PositiveInfinity, sweep.Scores[2]);
        int best = sweep.Scores[0] <= sweep.Scores[1] ? 0 : 1;
        Assert.Equal(best, sweep.BestIndex);
        Assert.Equal(rates[best], sweep.BestLearningRate);
        Assert.Same(sweep.Runs[best], sweep.BestRun);
    }

    [Fact]
    public void StepsToReach_CountsStepsUntilTheThreshold_AndIsInfiniteWhenNeverReached()
    {
        var path = new OptimizerPathResult("x", [0, 0, 0, 0], [0, 0, 0, 0], [3, 1, -2, -5], false);
        Assert.Equal(2, OptimizerSweep.StepsToReach(-1)(path));
        Assert.Equal(0, OptimizerSweep.StepsToReach(3)(path));
        Assert.Equal(double.PositiveInfinity, OptimizerSweep.StepsToReach(-10)(path));
        // Plain SGD on the saddle: y grows by (1 + 2η) per step, so |y| >= 1 from 0.001 takes ceil(ln 1000 / ln 1.2) = 38 steps at η = 0.1.
        var saddle = OptimizerPath.Run(Surface2D.Saddle(), (1.5, 0.001), p => new Sgd<double>(p, 0.1), 60);
        Assert.Equal(38, Array.FindIndex(saddle.Y, y => Math.Abs(y) >= 1));
    }

    [Fact]
    public void Rank_OrdersByScore_TiesShareAPlace_AndKeepTheGivenOrder()
    {
        SweepResult<int> Sweep(OptimizerKind kind, params double[] scores) =>
            new(new OptimizerRecipe(kind, 0.1), scores.Select((_, i) => 0.1 * (i + 1)).ToArray(), scores, new int[scores.Length]);
        var ranking = OptimizerSweep.Rank(new[]
        {
            Sweep(OptimizerKind.Sgd, 5, 3),
            Sweep(OptimizerKind.Momentum, double.PositiveInfinity, 1),
            Sweep(OptimizerKind.Nesterov, 1, 7),
            Sweep(OptimizerKind.Adam, double.PositiveInfinity, double.PositiveInfinity),
            Sweep(OptimizerKind.RmsProp, 2),
        });
        Assert.Equal(["momentum", "Nesterov", "RMSprop", "SGD", "Adam"], ranking.Select(r => r.Optimizer));
        Assert.Equal([1, 1, 3, 4, 5], ranking.Select(r => r.Place));
        Assert.Equal(0.2, ranking[0].LearningRate, 1e-12);
        Assert.Equal(0.1, ranking[1].LearningRate, 1e-12);
        Assert.Equal(3, ranking[3].Score);
        // All scores infinite: the first rate is the "best" and the score stays infinite.
        Assert.Equal(double.PositiveInfinity, ranking[4].Score);
    }

    private static LabeledImages Tiny(int perClass = 5) => Datasets.FashionMnistSample(DatasetSplit.Train).StratifiedSubset(perClass, 3);

    private static Module<float> SmallModel() => new Sequential<float>(
        new AvgPool2d<float>(4), new Flatten<float>(), new Linear<float>(49, 10, seed: 5));

    [Fact]
    public void TrainCurve_CountsExamplesAndSteps_AndStartsAtTheFreshModelsLoss()
    {
        var data = Tiny();
        var curve = OptimizerSweep.TrainCurve(SmallModel, OptimizerRecipe.Standard[0], 0.1, data, data, exampleBudget: 120, batchSize: 16, evaluateEvery: 40);
        Assert.False(curve.Diverged);
        Assert.Equal(Training.Evaluate(SmallModel(), data).Loss, curve.Loss[0], 1e-9);
        Assert.Equal(0, curve.Steps[0]);
        Assert.Equal(0, curve.Examples[0]);
        // 50 examples per epoch in batches of 16, 16, 16, 2: after two epochs (8 steps, 100 examples) the budget of
        // 120 is crossed at 132 examples, step 10.
        Assert.Equal(132, curve.Examples[^1]);
        Assert.Equal(10, curve.Steps[^1]);
        Assert.True(curve.Examples.Zip(curve.Examples.Skip(1)).All(p => p.Second > p.First));
        Assert.True(curve.Seconds.Zip(curve.Seconds.Skip(1)).All(p => p.Second >= p.First));
        Assert.True(curve.FinalLoss < curve.Loss[0]);
        Assert.Equal(48, curve.Examples[1]);     // the first evaluation after 40 examples, at the end of the batch that crossed it
    }

    [Fact]
    public void TrainCurve_StopsAtTheFirstNonFiniteLoss_AndMarksTheRunDiverged()
    {
        var data = Tiny();
        // A rate near float32's largest value: the logits overflow to ±∞ after a step or two, the loss to NaN.
        var curve = OptimizerSweep.TrainCurve(SmallModel, OptimizerRecipe.Standard[0], 1e38, data, data, exampleBudget: 2000, batchSize: 10, evaluateEvery: 10);
        Assert.True(curve.Diverged);
        Assert.Equal(double.PositiveInfinity, curve.FinalLoss);
        Assert.True(curve.Examples[^1] < 2000);
        Assert.All(curve.Loss, l => Assert.True(double.IsFinite(l)));
    }

    [Fact]
    public void OnNetwork_EveryRateStartsFromTheSameWeights_AndScoresByFinalLoss()
    {
        var data = Tiny();
        var lines = new List<string>();
        var sweep = OptimizerSweep.OnNetwork(SmallModel, OptimizerRecipe.Standard[4], [1e-3, 1e-2], data, data, 60, 10, 30, seed: 1, onRun: lines.Add);
        Assert.Equal(sweep.Runs[0].Loss[0], sweep.Runs[1].Loss[0]);
        Assert.Equal(sweep.Runs.Select(r => r.FinalLoss), sweep.Scores);
        Assert.Equal(2, lines.Count);
        Assert.StartsWith("Adam, lr 0.001", lines[0]);
        Assert.Throws<ArgumentException>(() => OptimizerSweep.OnNetwork(SmallModel, OptimizerRecipe.Standard[4], [], data, data, 60, 10, 30));
    }

    [Fact]
    public void LearningCurve_ReachTimes_AreTheFirstPointsAtOrBelowTheTarget()
    {
        var curve = new LearningCurve("x", 0.1, [0, 1, 2, 3], [0, 10, 20, 30], [0, 0.5, 1.0, 1.5], [2, 1.5, 0.9, 1.0], false);
        Assert.Equal(20, curve.ExamplesToReach(1.0));
        Assert.Equal(1.0, curve.SecondsToReach(1.0));
        Assert.Null(curve.ExamplesToReach(0.5));
        Assert.Equal(1.0, curve.FinalLoss);
        Assert.Equal(double.PositiveInfinity, (curve with { Diverged = true }).FinalLoss);
    }

    [Fact]
    public void LearningCurve_LossAt_IsTheLastPointWithinTheBudget()
    {
        var curve = new LearningCurve("x", 0.1, [0, 1, 2, 3], [0, 10, 20, 30], [0, 0.5, 1.0, 1.5], [2, 1.5, 0.9, 1.0], false);
        Assert.Equal(2, curve.LossAt(0));
        Assert.Equal(1.5, curve.LossAt(19));
        Assert.Equal(0.9, curve.LossAt(20));
        // A run that ended before the budget (a converged full-batch run) keeps its last loss.
        Assert.Equal(1.0, curve.LossAt(1_000));
        Assert.True(double.IsNaN(curve.LossAt(-1)));
        var diverged = curve with { Diverged = true };
        Assert.Equal(0.9, diverged.LossAt(20));
        Assert.Equal(double.PositiveInfinity, diverged.LossAt(31));
    }
}

using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using Xunit;

namespace CourseNotebooks.Course.Tests;

public class FullBatchTests
{
    private static LabeledImages Tiny(int perClass = 4) => Datasets.FashionMnistSample(DatasetSplit.Train).StratifiedSubset(perClass, 9);

    private static Sequential<float> SmallModel(int seed = 5) => new(
        new AvgPool2d<float>(4), new Flatten<float>(), new Linear<float>(49, 8, seed: seed), new Tanh<float>(), new Linear<float>(8, 10, seed: seed + 1));

    [Fact]
    public void Objective_RoundTripsTheParameters_InModuleOrder()
    {
        var model = SmallModel();
        var objective = new FullBatchObjective(model, Tiny());
        Assert.Equal(model.ParameterCount(), objective.ParameterCount);
        double[] theta = objective.GetParameters();
        Assert.Equal(model.Parameters().SelectMany(p => p.Value.Data).Select(v => (double)v), theta);
        theta[0] = 0.25;
        theta[^1] = -0.5;
        objective.SetParameters(theta);
        Assert.Equal(0.25f, model.Parameters().First().Value.Data[0]);
        Assert.Equal(-0.5f, model.Parameters().Last().Value.Data[^1]);
        var e = Assert.Throws<ArgumentException>(() => objective.SetParameters(new double[3]));
        Assert.Contains($"expected {objective.ParameterCount}", e.Message);
    }

    [Fact]
    public void Evaluate_IsTheMeanLossAndGradient_WhateverTheChunkSize_AndCountsExamples()
    {
        var data = Tiny();
        var model = SmallModel();
        var whole = new FullBatchObjective(model, data, chunkSize: 1000);
        var chunked = new FullBatchObjective(model, data, chunkSize: 7);
        double[] theta = whole.GetParameters();
        var g1 = new double[theta.Length];
        var g2 = new double[theta.Length];
        double loss1 = whole.Evaluate(theta, g1), loss2 = chunked.Evaluate(theta, g2);
        Assert.Equal(loss1, loss2, 1e-5);
        for (int i = 0; i < g1.Length; i++) Assert.Equal(g1[i], g2[i], 1e-5);
        // Against the training loop's own mean loss and gradient on one batch of everything.
        var reference = SmallModel();
        var ce = new CrossEntropyLoss<float>();
        double referenceLoss = ce.Forward(reference.Forward(data.Images), data.Labels);
        reference.Backward(ce.Backward());
        double[] referenceGradient = reference.Parameters().SelectMany(p => p.Grad.Data).Select(v => (double)v).ToArray();
        Assert.Equal(referenceLoss, loss1, 1e-5);
        for (int i = 0; i < g1.Length; i++) Assert.Equal(referenceGradient[i], g1[i], 1e-5);
        Assert.Equal(1, whole.Evaluations);
        Assert.Equal(data.Count, whole.ExamplesProcessed);
    }

    [Fact]
    public void Evaluate_MatchesCentralDifferences()
    {
        // The network computes in float32, so the differences use a large step and a matching tolerance.
        var data = Tiny();
        var objective = new FullBatchObjective(SmallModel(), data);
        double[] theta = objective.GetParameters();
        var gradient = new double[theta.Length];
        objective.Evaluate(theta, gradient);
        var scratch = new double[theta.Length];
        var random = new Random(3);
        const double h = 1e-2;
        for (int trial = 0; trial < 12; trial++)
        {
            int i = random.Next(theta.Length);
            double keep = theta[i];
            theta[i] = keep + h;
            double plus = objective.Evaluate(theta, scratch);
            theta[i] = keep - h;
            double minus = objective.Evaluate(theta, scratch);
            theta[i] = keep;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numeric - gradient[i]) <= 2e-3 * (1 + Math.Abs(numeric)) + 2e-4, $"parameter {i}: analytic {gradient[i]}, numeric {numeric}");
        }
    }

    [Theory]
    [InlineData(FullBatchMethod.ConjugateGradient)]
    [InlineData(FullBatchMethod.Lbfgs)]
    public void Minimize_LowersTheLoss_WithinTheBudget_AndLeavesTheModelAtTheBestWeights(FullBatchMethod method)
    {
        var data = Tiny();
        var model = SmallModel();
        double initial = Training.Evaluate(model, data).Loss;
        var evaluations = new List<int>();
        var run = FullBatch.Minimize(model, data, method, exampleBudget: 30L * data.Count, onEvaluation: (k, _, _) => evaluations.Add(k));
        var curve = run.Curve;
        Assert.Equal(FullBatch.NameOf(method), curve.Method);
        Assert.True(run.Evaluations <= 30);
        Assert.Equal(Enumerable.Range(1, run.Evaluations), evaluations);
        Assert.Equal(curve.Steps.Select(s => (long)s * data.Count), curve.Examples);
        Assert.Equal(initial, curve.Loss[0], 1e-5);
        // The recorded loss is the best so far: it never rises.
        Assert.True(curve.Loss.Zip(curve.Loss.Skip(1)).All(p => p.Second <= p.First));
        Assert.Equal(0, curve.Seconds[0]);
        Assert.True(curve.Seconds.Zip(curve.Seconds.Skip(1)).All(p => p.Second >= p.First));
        Assert.True(curve.Loss[^1] < 0.8 * initial, $"{method}: {initial} -> {curve.Loss[^1]} ({run.StopReason})");
        Assert.Equal(curve.Loss[^1], Training.Evaluate(model, data).Loss, 1e-5);
        Assert.True(double.IsNaN(curve.LearningRate));
        Assert.False(curve.Diverged);
    }

    [Fact]
    public void Minimize_EndsWithBudgetSpent_WhenTheBudgetIsSmall()
    {
        var data = Tiny();
        foreach (var method in new[] { FullBatchMethod.ConjugateGradient, FullBatchMethod.Lbfgs })
        {
            var run = FullBatch.Minimize(SmallModel(), data, method, exampleBudget: 3L * data.Count + 5);
            Assert.Equal("budget spent", run.StopReason);
            Assert.Equal(3, run.Evaluations);
            Assert.Equal(3L * data.Count, run.Curve.Examples[^1]);
        }
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FullBatch.Minimize(SmallModel(), data, FullBatchMethod.Lbfgs, data.Count - 1));
        Assert.Contains($"({data.Count} examples)", e.Message);
    }

    [Fact]
    public void RepeatWithNoise_InterleavesNoisyCopies_WithTheGivenSpread()
    {
        var data = Tiny(2);
        var big = FullBatch.RepeatWithNoise(data, 5, 0.2, seed: 1);
        Assert.Equal(5 * data.Count, big.Count);
        int size = data.Images.Length / data.Count;
        double sum = 0, sumSquares = 0;
        for (int c = 0; c < 5; c++)
            for (int i = 0; i < data.Count; i++)
            {
                Assert.Equal(data.Labels[i], big.Labels[c * data.Count + i]);
                for (int j = 0; j < size; j++)
                {
                    double d = big.Images.Data[(c * data.Count + i) * size + j] - data.Images.Data[i * size + j];
                    sum += d;
                    sumSquares += d * d;
                }
            }
        long n = 5L * data.Images.Length;
        Assert.Equal(0, sum / n, 0.01);
        Assert.Equal(0.2, Math.Sqrt(sumSquares / n), 0.01);
        var exact = FullBatch.RepeatWithNoise(data, 2, 0, seed: 1);
        Assert.Equal(data.Images.Data.Concat(data.Images.Data), exact.Images.Data);
        Assert.Throws<ArgumentOutOfRangeException>(() => FullBatch.RepeatWithNoise(data, 0, 0.1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => FullBatch.RepeatWithNoise(data, 2, double.NaN, 1));
    }
}

using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;
using Xunit;

namespace CourseNotebooks.Course.Tests;

public class L2ExperimentsTests
{
    [Fact]
    public void ShiftedQuadratic_GradientMatchesCentralDifferences_AndIsZeroAtTheCentre()
    {
        var surface = L2Experiments.ShiftedQuadratic(1, 10, 1.5, -1);
        var random = new Random(3);
        const double h = 1e-6;
        for (int trial = 0; trial < 20; trial++)
        {
            double x = -2.5 + 5 * random.NextDouble(), y = -2.5 + 5 * random.NextDouble();
            var (dx, dy) = surface.Gradient(x, y);
            Assert.Equal((surface.Value(x + h, y) - surface.Value(x - h, y)) / (2 * h), dx, 1e-6);
            Assert.Equal((surface.Value(x, y + h) - surface.Value(x, y - h)) / (2 * h), dy, 1e-6);
        }
        Assert.Equal((1.5, -1.0), surface.Minimum);
        Assert.Equal(0, surface.Value(1.5, -1));
        Assert.Equal((0.0, 0.0), surface.Gradient(1.5, -1));
    }

    [Fact]
    public void ShiftedQuadratic_RejectsBadEigenvaluesAndAViewWithoutItsCentre()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => L2Experiments.ShiftedQuadratic(0, 1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => L2Experiments.ShiftedQuadratic(1, double.NaN, 0, 0));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => L2Experiments.ShiftedQuadratic(1, 1, 3, 0, extent: 2));
        Assert.Contains("extent", e.Message);
    }

    [Fact]
    public void SgdWithWeightDecay_EndsAtTheRegularizedMinimum_OfTheClosedForm()
    {
        var surface = L2Experiments.ShiftedQuadratic(2, 5, 1.5, 1);
        foreach (double wd in new[] { 0.0, 0.5, 3.0 })
        {
            var path = OptimizerPath.Run(surface, (-2, -2), p => new Sgd<double>(p, 0.05, weightDecay: wd), 2000);
            var target = L2Experiments.RegularizedMinimum(2, 5, 1.5, 1, wd);
            Assert.Equal(2 * 1.5 / (2 + wd), target.X, 1e-15);
            Assert.Equal(5 * 1.0 / (5 + wd), target.Y, 1e-15);
            Assert.Equal(target.X, path.End.X, 1e-9);
            Assert.Equal(target.Y, path.End.Y, 1e-9);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => L2Experiments.RegularizedMinimum(1, 1, 0, 0, -1));
    }

    [Fact]
    public void MaxDistance_IsZeroForAPathWithItself_AndTheLargestPointGapOtherwise()
    {
        var a = new OptimizerPathResult("a", [0, 1, 2], [0, 0, 0], [0, 0, 0], false);
        var b = new OptimizerPathResult("b", [0, 1, 5], [0, 4, 0], [0, 0, 0], false);
        Assert.Equal(0, L2Experiments.MaxDistance(a, a));
        Assert.Equal(4, L2Experiments.MaxDistance(a, b));
        var shorter = new OptimizerPathResult("c", [0, 1], [0, 0], [0, 0], true);
        Assert.Contains("same number of points", Assert.Throws<ArgumentException>(() => L2Experiments.MaxDistance(a, shorter)).Message);
    }

    [Fact]
    public void StepsToSettle_CountsFromTheLastEntryIntoTheTolerance()
    {
        // Distances from the origin: 5, 0.05, 2, 0.05, 0.01: inside at 1, out at 2, inside for good from 3.
        var path = new OptimizerPathResult("p", [5, 0.05, 2, 0.05, 0.01], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], false);
        Assert.Equal(3, L2Experiments.StepsToSettle(path, (0, 0), 0.1));
        Assert.Equal(4, L2Experiments.StepsToSettle(path, (0, 0), 0.02));
        Assert.Equal(-1, L2Experiments.StepsToSettle(path, (0, 0), 0.001));
        Assert.Equal(0, L2Experiments.StepsToSettle(path, (0, 0), 10));
        Assert.Equal(-1, L2Experiments.StepsToSettle(path with { Diverged = true }, (0, 0), 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => L2Experiments.StepsToSettle(path, (0, 0), 0));
    }

    [Fact]
    public void Norm_IsTheSquareRootOfTheL2PenaltyWithLambdaOne()
    {
        var p1 = new Parameter<float>("a", Tensor.FromArray(new[] { 3f, -4f }));
        var p2 = new Parameter<float>("b", Tensor.FromArray(new[] { 12f }));
        Assert.Equal(13, L2Experiments.Norm([p1, p2]), 1e-12);
        Assert.Equal(Math.Sqrt(L2Penalty.Value([p1, p2], 1)), L2Experiments.Norm([p1, p2]), 1e-12);
        Assert.Equal(0, L2Experiments.Norm(Array.Empty<Parameter<float>>()));
    }

    [Fact]
    public void Evaluate_GivesTheMeanCrossEntropyAndAccuracy_OfTheLossModule()
    {
        var random = new Random(5);
        var images = Tensor.Randn<float>(random, 30, 1, 4, 4);
        int[] labels = Enumerable.Range(0, 30).Select(i => i % 3).ToArray();
        var data = new LabeledImages("tiny", images, labels, ["a", "b", "c"]);
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(16, 3, seed: 2));
        // Batches of 7 do not divide 30: the sum over uneven batches must still give the mean over all images.
        var (loss, accuracy) = Training.Evaluate(model, data, batchSize: 7);
        var logits = model.Forward(images);
        double expected = double.CreateTruncating(new CrossEntropyLoss<float>().Forward(logits, labels));
        Assert.Equal(expected, loss, 1e-5);
        Assert.Equal(Training.Accuracy(model, data), accuracy, 1e-12);
        Assert.True(model.Training);
        Assert.Throws<ArgumentException>(() => Training.Evaluate(model, data.Subset(ReadOnlySpan<int>.Empty)));
    }

    [Fact]
    public void FitWithValidation_RecordsEpochZeroAndEveryEpoch_AndWeightDecayShrinksTheNorm()
    {
        var random = new Random(9);
        var images = Tensor.Randn<float>(random, 40, 1, 4, 4);
        int[] labels = Enumerable.Range(0, 40).Select(i => i % 4).ToArray();
        var train = new LabeledImages("train", images, labels, ["a", "b", "c", "d"]);
        var validation = train.Subset(Enumerable.Range(0, 20).ToArray());
        IReadOnlyList<ValidationCurvePoint> Run(double wd)
        {
            var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(16, 32, seed: 1), new ReLU<float>(), new Linear<float>(32, 4, seed: 2));
            var seen = new List<ValidationCurvePoint>();
            var curve = L2Experiments.FitWithValidation(model, new Sgd<float>(model.Parameters(), 0.1, momentum: 0.9, weightDecay: wd), train, validation, 30, 10, 4, seen.Add);
            Assert.Equal(curve, seen);
            Assert.Equal(L2Experiments.Norm(model.Parameters()), curve[^1].WeightNorm, 1e-9);
            Assert.Equal(Training.Evaluate(model, validation).Loss, curve[^1].ValidationLoss, 1e-9);
            return curve;
        }
        var plain = Run(0);
        var decayed = Run(0.1);
        Assert.Equal(Enumerable.Range(0, 31), plain.Select(p => p.Epoch));
        Assert.Equal(plain[0], decayed[0]);                               // same initial weights, nothing trained yet
        Assert.True(plain[^1].TrainLoss < 0.5 * plain[0].TrainLoss, $"{plain[0].TrainLoss} -> {plain[^1].TrainLoss}");
        Assert.True(decayed[^1].WeightNorm < plain[^1].WeightNorm);
        Assert.Throws<ArgumentOutOfRangeException>(() => L2Experiments.FitWithValidation(
            new Sequential<float>(new Flatten<float>(), new Linear<float>(16, 4)), new Sgd<float>(new Linear<float>(16, 4).Parameters(), 0.1), train, validation, -1, 10, 0));
    }
}

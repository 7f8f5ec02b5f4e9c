using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Engine.Tests;

namespace CourseNotebooks.Course.Tests;

public class TrainingTests
{
    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void CheckLoss_NonFinite_ThrowsNamingEpochStepAndValue(double loss, string shown)
    {
        var ex = Assert.Throws<NonFiniteLossException>(() => TrainingGuard.CheckLoss(loss, epoch: 3, step: 17));
        Assert.Contains($"the loss is {shown} at epoch 3, step 17", ex.Message);
        Assert.Equal(3, ex.Epoch);
        Assert.Equal(17, ex.Step);
        Assert.Equal(loss, ex.Loss);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(2.302585)]
    [InlineData(double.MaxValue)]
    public void CheckLoss_Finite_ReturnsTheLoss(double loss)
        => Assert.Equal(loss, TrainingGuard.CheckLoss(loss, 0, 0));

    /// <summary>Mean squared error ½·mean((y − t)²) and its gradient, written here so the test needs no engine loss.</summary>
    private static (double Loss, Tensor<double> Gradient) HalfMse(Tensor<double> y, Tensor<double> target)
    {
        var g = y.ZerosLike();
        double loss = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double d = y.Data[i] - target.Data[i];
            loss += 0.5 * d * d / y.Length;
            g.Data[i] = d / y.Length;
        }
        return (loss, g);
    }

    private static (Tensor<double> X, Tensor<double> Y) LinearData()
    {
        // y = 2 x0 − x1 + 0.5, 32 samples.
        var random = new Random(7);
        var x = Tensor.Uniform<double>(random, -1, 1, 32, 2);
        var y = new Tensor<double>(32, 1);
        for (int n = 0; n < 32; n++) y.Data[n] = 2 * x.Data[2 * n] - x.Data[2 * n + 1] + 0.5;
        return (x, y);
    }

    private static double Train(Optimizer<double> optimizer, Module<double> model, LearningRateScheduler? schedule, int epochs)
    {
        var (x, y) = LinearData();
        double loss = double.NaN;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (int step = 0; step < 4; step++)
            {
                optimizer.ZeroGrad();
                var (l, g) = HalfMse(model.Forward(x), y);
                loss = TrainingGuard.CheckLoss(l, epoch, step);
                model.Backward(g);
                optimizer.Step();
            }
            schedule?.Step();
        }
        return loss;
    }

    [Fact]
    public void SgdMomentumWithCosineSchedule_FitsALinearRelation()
    {
        var model = new TestAffine<double>(2, 1, seed: 3);
        var sgd = new Sgd<double>(model.Parameters(), 0.3, momentum: 0.9, nesterov: true);
        double loss = Train(sgd, model, new CosineAnnealingLR(sgd, tMax: 40), epochs: 40);
        Assert.True(loss < 1e-6, $"final loss {loss}");
        Assert.Equal(2.0, model.Weight.Value.Data[0], 1e-2);
        Assert.Equal(-1.0, model.Weight.Value.Data[1], 1e-2);
        Assert.Equal(0.5, model.Bias.Value.Data[0], 1e-2);
    }

    [Fact]
    public void Adam_FitsALinearRelation()
    {
        var model = new TestAffine<double>(2, 1, seed: 4);
        double loss = Train(new Adam<double>(model.Parameters(), 0.05), model, null, epochs: 100);
        Assert.True(loss < 1e-4, $"final loss {loss}");
    }

    [Fact]
    public void TooLargeLearningRate_IsStoppedByTheGuardWithItsEpoch()
    {
        var model = new TestAffine<double>(2, 1, seed: 5);
        var sgd = new Sgd<double>(model.Parameters(), 1e6);
        var ex = Assert.Throws<NonFiniteLossException>(() => Train(sgd, model, null, epochs: 1000));
        Assert.InRange(ex.Epoch, 0, 999);
        Assert.Contains($"epoch {ex.Epoch}, step {ex.Step}", ex.Message);
    }

    [Fact]
    public void Training_TakesTheSameStepsAsAFullBackward()
    {
        // A seeded Fit (which now skips the image gradient) against the same loop written with Backward.
        var data = Datasets.FashionMnistSample().Subset(Enumerable.Range(0, 64).ToArray());
        var fitted = Models.LeNet<float>(seed: 3);
        Training.Fit(fitted, new Sgd<float>(fitted.Parameters(), 0.05, momentum: 0.9), data, data, epochs: 1, batchSize: 16, seed: 5);
        var manual = Models.LeNet<float>(seed: 3);
        var optimizer = new Sgd<float>(manual.Parameters(), 0.05, momentum: 0.9);
        var loss = new CrossEntropyLoss<float>();
        manual.Train();
        foreach (var batch in new DataLoader<float>(data.Images, data.Labels, 16, shuffle: true, seed: 5))
        {
            optimizer.ZeroGrad();
            loss.Forward(manual.Forward(batch.X), batch.Y);
            manual.Backward(loss.Backward());
            optimizer.Step();
        }
        var a = fitted.Parameters().ToList();
        var b = manual.Parameters().ToList();
        for (int i = 0; i < a.Count; i++) Assert.Equal(b[i].Value.Data, a[i].Value.Data);
    }

    /// <summary>
    /// Fit turns on buffer reuse for its own run only: afterwards the model's setting is what it was, and a result a
    /// student keeps across a step of their own is not overwritten.
    /// </summary>
    [Fact]
    public void Fit_ReusesBuffersDuringItsRunOnly()
    {
        var data = Datasets.FashionMnistSample().Subset(Enumerable.Range(0, 32).ToArray());
        var model = Models.LeNet<float>(seed: 3);
        Training.Fit(model, new Sgd<float>(model.Parameters(), 0.05), data, null, epochs: 1, batchSize: 16);
        Assert.False(model.ReuseBuffers);
        Assert.All(model.Layers, layer => Assert.False(layer.ReuseBuffers));
        var x = data.Images;
        var logits = model.Forward(x);
        var kept = logits.Clone();
        model.Backward(new Tensor<float>(logits.Shape.ToArray()));
        model.Forward(x);
        Assert.Equal(kept.Data, logits.Data);
    }
}

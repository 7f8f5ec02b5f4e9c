using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

public class TrainingLoopTests
{
    private static LabeledImages TwoBlobs(int perClass, int seed)
    {
        // Class 0: bright top half; class 1: bright bottom half; plus noise. Linearly separable.
        var random = new Random(seed);
        var images = new Tensor<float>(2 * perClass, 1, 28, 28);
        var labels = new int[2 * perClass];
        for (int n = 0; n < labels.Length; n++)
        {
            labels[n] = n % 2;
            for (int i = 0; i < 28 * 28; i++)
            {
                bool top = i < 14 * 28;
                float signal = (top ^ (labels[n] == 1)) ? 0.8f : 0.1f;
                images.Data[n * 784 + i] = signal + 0.1f * (float)random.NextDouble();
            }
        }
        return new LabeledImages("two blobs", images, labels, ["top", "bottom"]);
    }

    [Fact]
    public void Fit_LearnsASeparableProblem_AndReportsEveryEpoch()
    {
        var train = TwoBlobs(64, 1);
        var test = TwoBlobs(32, 2);
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(784, 2, seed: 1));
        var reported = new List<Training.EpochResult>();
        var history = Training.Fit(model, new Sgd<float>(model.Parameters(), 0.05), train, test, epochs: 3, batchSize: 16, seed: 4, onEpoch: reported.Add);
        Assert.Equal(3, history.Count);
        Assert.Equal(history, reported);
        Assert.True(history[^1].Loss < history[0].Loss, $"loss {history[0].Loss} -> {history[^1].Loss}");
        Assert.Equal(1.0, history[^1].TestAccuracy!.Value, 6);
        Assert.Equal(1.0, Training.Accuracy(model, test), 6);
    }

    [Fact]
    public void Fit_ReportsEveryBatch_WithRunningMeansThatEndAtTheEpochsFigures()
    {
        var train = TwoBlobs(50, 3);                                   // 100 images, batch 16: 6 full batches and one of 4
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(784, 2, seed: 2));
        var batches = new List<Training.BatchProgress>();
        var history = Training.Fit(model, new Sgd<float>(model.Parameters(), 0.05), train, null, epochs: 2, batchSize: 16, seed: 5, onBatch: batches.Add);
        Assert.Equal(2 * 7, batches.Count);
        Assert.All(batches, b => Assert.Equal((2, 7), (b.Epochs, b.Batches)));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7], batches.Select(b => b.Batch));
        Assert.Equal([16L, 32, 48, 64, 80, 96, 100], batches.Take(7).Select(b => b.Images));
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            var last = batches.Last(b => b.Epoch == epoch);
            Assert.Equal(history[epoch - 1].Loss, last.Loss, 12);
            Assert.Equal(history[epoch - 1].TrainAccuracy, last.Accuracy, 12);
            Assert.True(last.Elapsed <= history[epoch - 1].Elapsed);
        }
    }

    [Fact]
    public void Fit_WithTheSameSeed_GivesTheSameHistory()
    {
        var train = TwoBlobs(32, 1);
        double[] Run()
        {
            var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(784, 2, seed: 1));
            return [.. Training.Fit(model, new Sgd<float>(model.Parameters(), 0.05, momentum: 0.9), train, null, 2, 8, seed: 9).Select(e => e.Loss)];
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Fit_StopsAtTheFirstNonFiniteLoss_NamingEpochAndStep()
    {
        var train = TwoBlobs(32, 1);
        train.Images.Data[5 * 784 + 100] = float.NaN;   // one corrupt pixel in one image poisons its batch
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(784, 2, seed: 1));
        var error = Assert.Throws<NonFiniteLossException>(() =>
            Training.Fit(model, new Sgd<float>(model.Parameters(), 0.05), train, null, 3, 8, seed: 1));
        Assert.Equal(1, error.Epoch);
        Assert.Contains("epoch", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("step", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Predict_RestoresTrainingMode()
    {
        var model = new Sequential<float>(new Flatten<float>(), new Dropout<float>(0.5, seed: 1), new Linear<float>(784, 2, seed: 1));
        Training.Predict(model, TwoBlobs(4, 1).Images);
        Assert.True(model.Training);
        model.Eval();
        Training.Predict(model, TwoBlobs(4, 1).Images);
        Assert.False(model.Training);
    }
}

public class ReproducibilityTests
{
    [Fact]
    public void SeededTraining_IsBitForBitRepeatable_WithParallelConvolutionBackward()
    {
        // A batch large enough for the convolutions to split the samples over threads: the weight-gradient sums
        // must still add up in the same order on every run.
        float[] Train()
        {
            var model = Models.LeNet<float>(seed: 3);
            var optimizer = new Sgd<float>(model.Parameters(), 0.05, momentum: 0.9);
            var loss = new CrossEntropyLoss<float>();
            var random = new Random(5);
            var x = Tensor.Uniform<float>(random, 0, 1, 64, 1, 28, 28);
            int[] y = [.. Enumerable.Range(0, 64).Select(i => i % 10)];
            for (int step = 0; step < 3; step++)
            {
                optimizer.ZeroGrad();
                loss.Forward(model.Forward(x), y);
                model.Backward(loss.Backward());
                optimizer.Step();
            }
            return [.. model.Parameters().SelectMany(p => p.Value.Data)];
        }
        var first = Train();
        for (int run = 0; run < 3; run++) Assert.Equal(first, Train());
    }
}

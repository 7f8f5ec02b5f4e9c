using System.Diagnostics;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Networks;

/// <summary>
/// The training loop of the notebooks, written once: mini-batches, softmax cross-entropy, Forward, Backward,
/// optimizer step, a guard against NaN or infinite losses, and progress callbacks after every batch and every
/// epoch (the display library's LiveProgress draws them in place). Introduced in notebook 01-convolution (used again in 06-alexnet; validation curves, schedules and
/// predicted probabilities in 07-training-on-real-data).
/// </summary>
public static class Training
{
    /// <summary>What one epoch gave: mean training loss, training accuracy (on the batches as they were
    /// trained), test accuracy when a test set was given, and the wall time of the epoch. Introduced in notebook 05-cnn-as-sparse-mlp.</summary>
    public sealed record EpochResult(int Epoch, double Loss, double TrainAccuracy, double? TestAccuracy, TimeSpan Elapsed)
    {
        /// <summary>Mean cross-entropy on the held-out set after the epoch (evaluation mode), when one was given to
        /// <see cref="Fit"/>. Introduced in notebook 07-training-on-real-data (the validation curve).</summary>
        public double? TestLoss { get; init; }

        /// <summary>What the held-out set is called in <see cref="ToString"/>: "test" unless <see cref="Fit"/> was given a
        /// validation set under another name.</summary>
        public string HeldOutName { get; init; } = "test";

        /// <summary>The learning rate of the epoch's steps (null for an optimizer without one).</summary>
        public double? LearningRate { get; init; }

        /// <inheritdoc />
        public override string ToString()
        {
            string test = TestAccuracy is { } t ? FormattableString.Invariant($", {HeldOutName} accuracy {t:P1}") : "";
            string testLoss = TestLoss is { } l ? FormattableString.Invariant($", {HeldOutName} loss {l:F4}") : "";
            string rate = LearningRate is { } r ? FormattableString.Invariant($", lr {r:G3}") : "";
            return FormattableString.Invariant($"epoch {Epoch}: loss {Loss:F4}, train accuracy {TrainAccuracy:P1}{test}{testLoss}{rate} ({Elapsed.TotalSeconds:F2} s)");
        }
    }

    /// <summary>
    /// Where training stands after one mini-batch: the running mean loss and accuracy of the epoch so far, and the
    /// throughput since the epoch began. Reported by <see cref="Fit"/> after every batch.
    /// Introduced in notebook 07-training-on-real-data.
    /// </summary>
    /// <param name="Epoch">1-based epoch.</param>
    /// <param name="Epochs">Epochs in the run.</param>
    /// <param name="Batch">1-based batch within the epoch.</param>
    /// <param name="Batches">Batches per epoch.</param>
    /// <param name="Loss">Mean loss over the epoch's images so far.</param>
    /// <param name="Accuracy">Fraction of the epoch's images so far whose arg-max logit was the label (as trained).</param>
    /// <param name="Images">Images trained in this epoch so far.</param>
    /// <param name="Elapsed">Wall time since the epoch began.</param>
    public sealed record BatchProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, long Images, TimeSpan Elapsed)
    {
        /// <summary>Images per second in this epoch so far (0 before any time has passed).</summary>
        public double ImagesPerSecond => Elapsed > TimeSpan.Zero ? Images / Elapsed.TotalSeconds : 0;

        /// <inheritdoc />
        public override string ToString() => FormattableString.Invariant(
            $"epoch {Epoch}/{Epochs}, batch {Batch}/{Batches}: loss {Loss:F4}, accuracy {Accuracy:P1}, {Elapsed.TotalSeconds:F1} s, {ImagesPerSecond:N0} images/s");
    }

    /// <summary>
    /// Trains <paramref name="model"/> (logits [N, classes]) with softmax cross-entropy for
    /// <paramref name="epochs"/> epochs over shuffled mini-batches (seeded).
    /// </summary>
    /// <param name="model">The network; its output must be logits [N, classes].</param>
    /// <param name="optimizer">Steps the parameters after each batch (only those it was given).</param>
    /// <param name="train">Training images and labels.</param>
    /// <param name="test">Evaluated after every epoch when given (evaluation mode).</param>
    /// <param name="epochs">Passes over <paramref name="train"/>.</param>
    /// <param name="batchSize">Images per optimizer step (the last batch may be smaller).</param>
    /// <param name="seed">Seeds the shuffle of every epoch.</param>
    /// <param name="onBatch">Called after every optimizer step (cheap: a display should throttle its redraws).</param>
    /// <param name="onEpoch">Called after every epoch, once the test accuracy is known.</param>
    /// <param name="scheduler">When given, stepped once after every epoch (after <paramref name="onEpoch"/>), as
    /// PyTorch's <c>scheduler.step()</c> at the end of an epoch; it must drive <paramref name="optimizer"/>.</param>
    /// <param name="heldOutName">What <paramref name="test"/> is, for the epoch lines: "test", or "validation" when it is
    /// a validation set split off the training data (notebook 07-training-on-real-data).</param>
    /// <exception cref="NonFiniteLossException">A batch loss is NaN or infinite (names the epoch and step).</exception>
    /// <exception cref="ArgumentException">The scheduler drives another optimizer.</exception>
    public static IReadOnlyList<EpochResult> Fit(Module<float> model, Optimizer<float> optimizer, LabeledImages train,
        LabeledImages? test, int epochs, int batchSize = 64, int seed = 0, Action<EpochResult>? onEpoch = null,
        Action<BatchProgress>? onBatch = null, LearningRateScheduler? scheduler = null, string heldOutName = "test")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(train);
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"Training.Fit: epochs must be non-negative, got {epochs}.");
        if (scheduler is not null && !ReferenceEquals(scheduler.Optimizer, optimizer))
            throw new ArgumentException("Training.Fit: the scheduler must drive the optimizer given to Fit; it drives another one.", nameof(scheduler));
        ArgumentException.ThrowIfNullOrWhiteSpace(heldOutName);
        using var reuse = ReusedBuffers.During(model);
        var loss = new CrossEntropyLoss<float> { ReuseBuffers = true };
        var loader = new DataLoader<float>(train.Images, train.Labels, batchSize, shuffle: true, seed: seed);
        var history = new List<EpochResult>();
        int batches = (train.Count + batchSize - 1) / Math.Max(1, batchSize);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            int epochNow = epoch;
            double? rate = (optimizer as ILearningRateOptimizer)?.LearningRate;
            var (lossSum, correct, seen) = TrainEpoch(model, optimizer, loss, loader, epoch, onBatch is null ? null
                : (step, lossSoFar, correctSoFar, seenSoFar) => onBatch(new BatchProgress(epochNow, epochs, step, batches,
                    lossSoFar / seenSoFar, (double)correctSoFar / seenSoFar, seenSoFar, clock.Elapsed)));
            (double Loss, double Accuracy)? held = test is null ? null : Evaluate(model, test, batchSize: 256);
            var result = new EpochResult(epoch, lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen), held?.Accuracy, clock.Elapsed)
            {
                TestLoss = held?.Loss,
                HeldOutName = heldOutName,
                LearningRate = rate,
            };
            history.Add(result);
            onEpoch?.Invoke(result);
            scheduler?.Step();
        }
        return history;
    }

    /// <summary>
    /// One classification epoch on <see cref="TryStep"/>: for each batch of <paramref name="loader"/> one step with the
    /// cross-entropy, its loss checked finite. Returns the summed batch losses (each times its batch size), the
    /// correct predictions and the images seen; <paramref name="afterBatch"/> gets the same running totals after each
    /// step. The caller turns on the model's buffer reuse for its run (<see cref="ReusedBuffers"/>).
    /// </summary>
    internal static (double LossSum, long Correct, long Seen) TrainEpoch(Module<float> model, Optimizer<float> optimizer,
        CrossEntropyLoss<float> loss, DataLoader<float> loader, int epoch, Action<int, double, long, long>? afterBatch = null)
    {
        model.Train();
        double lossSum = 0;
        long correct = 0, seen = 0;
        int step = 0;
        foreach (var batch in loader)
        {
            step++;
            if (!TryStep(model, optimizer, loss, batch.X, batch.Y, out double value, out var logits))
                TrainingGuard.CheckLoss(value, epoch, step);   // throws, naming the epoch and step
            lossSum += value * batch.Y.Length;
            correct += CountCorrect(logits, batch.Y);
            seen += batch.Y.Length;
            afterBatch?.Invoke(step, lossSum, correct, seen);
        }
        return (lossSum, correct, seen);
    }

    /// <summary>
    /// One optimizer step on one batch, the step written once for every training loop of the library (classifiers
    /// with the cross-entropy, auto-encoders with the squared error against their input): zero the gradients,
    /// forward, loss, backward to the parameters, step. A non-finite loss stops before the backward pass (the weights
    /// stay as they were) and returns false. PyTorch: the body of the usual training loop.
    /// </summary>
    internal static bool TryStep<TTarget>(Module<float> model, Optimizer<float> optimizer, Loss<float, TTarget> loss,
        Tensor<float> input, TTarget target, out double value, out Tensor<float> output)
    {
        optimizer.ZeroGrad();
        output = model.Forward(input);
        value = double.CreateTruncating(loss.Forward(output, target));
        if (!double.IsFinite(value)) return false;
        // The images need no gradient: the first layer with weights skips its input gradient, as PyTorch does for an
        // input without requires_grad.
        model.BackwardToParameters(loss.Backward());
        optimizer.Step();
        return true;
    }

    /// <summary>Fraction of <paramref name="data"/> whose arg-max logit is the label (evaluation mode).</summary>
    public static double Accuracy(Module<float> model, LabeledImages data, int batchSize = 256)
    {
        int[] predictions = Predict(model, data.Images, batchSize);
        int correct = 0;
        for (int i = 0; i < predictions.Length; i++) if (predictions[i] == data.Labels[i]) correct++;
        return data.Count == 0 ? 0 : (double)correct / data.Count;
    }

    /// <summary>The arg-max class of each image, in evaluation mode (Dropout off); restores the previous mode.</summary>
    public static int[] Predict(Module<float> model, Tensor<float> images, int batchSize = 256)
    {
        var predictions = new int[images.Size(0)];
        ForEachBatchOfLogits(model, images, batchSize, (start, logits) =>
        {
            int classes = logits.Size(1);
            for (int i = 0; i < logits.Size(0); i++)
                predictions[start + i] = ArgMax(logits.Data.AsSpan(i * classes, classes));
        });
        return predictions;
    }

    /// <summary>
    /// The softmax of the model's logits for each image, [N, classes], in evaluation mode (the mode is restored): the
    /// probability the model gives each class. Its arg-max per row is <see cref="Predict"/>'s class. PyTorch:
    /// <c>F.softmax(model(x), dim=1)</c> under <c>torch.no_grad()</c>. Introduced in notebook 07-training-on-real-data
    /// (the most confident mistakes).
    /// </summary>
    public static Tensor<float> PredictProbabilities(Module<float> model, Tensor<float> images, int batchSize = 256)
    {
        Tensor<float>? result = null;
        ForEachBatchOfLogits(model, images, batchSize, (start, logits) =>
        {
            int classes = logits.Size(1);
            result ??= new Tensor<float>(images.Size(0), classes);
            Softmax.Of(logits).Data.AsSpan().CopyTo(result.Data.AsSpan(start * classes));
        });
        return result ?? new Tensor<float>(0, 0);
    }

    /// <summary>Runs the model in evaluation mode over <paramref name="images"/> in chunks of
    /// <paramref name="batchSize"/> and hands each chunk's logits [count, classes] with its first index to
    /// <paramref name="useLogits"/>; restores the previous mode.</summary>
    private static void ForEachBatchOfLogits(Module<float> model, Tensor<float> images, int batchSize, Action<int, Tensor<float>> useLogits)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            int n = images.Size(0);
            int perImage = images.Length / Math.Max(1, n);
            var shape = images.Shape.ToArray();
            for (int start = 0; start < n; start += batchSize)
            {
                int count = Math.Min(batchSize, n - start);
                shape[0] = count;
                var x = new Tensor<float>(images.Data.AsSpan(start * perImage, count * perImage).ToArray(), shape);
                useLogits(start, model.Forward(x));
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>
    /// Mean softmax cross-entropy and accuracy of <paramref name="model"/> on <paramref name="data"/>, in evaluation
    /// mode (the mode is restored), in chunks of <paramref name="batchSize"/> images. The loss is the data loss alone,
    /// without any penalty, so runs with and without L2 compare on the same measure. PyTorch:
    /// F.cross_entropy(model(x), y) under torch.no_grad(). The loss curves of notebooks 16-optimizer-comparison and
    /// 18-sgd-parameters-and-l2 are measured with it.
    /// </summary>
    /// <exception cref="ArgumentException">The data set is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive.</exception>
    public static (double Loss, double Accuracy) Evaluate(Module<float> model, LabeledImages data, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException($"Training.Evaluate: the data set '{data.Name}' is empty.", nameof(data));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            var loss = new CrossEntropyLoss<float>(Reduction.Sum);
            double lossSum = 0;
            long correct = 0;
            foreach (var batch in new DataLoader<float>(data.Images, data.Labels, batchSize))
            {
                var logits = model.Forward(batch.X);
                lossSum += double.CreateTruncating(loss.Forward(logits, batch.Y));
                correct += CountCorrect(logits, batch.Y);
            }
            return (lossSum / data.Count, (double)correct / data.Count);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>How many rows of <paramref name="logits"/> have their arg-max at the label.</summary>
    internal static long CountCorrect(Tensor<float> logits, int[] labels)
    {
        int classes = logits.Size(1);
        long correct = 0;
        for (int i = 0; i < labels.Length; i++)
            if (ArgMax(logits.Data.AsSpan(i * classes, classes)) == labels[i]) correct++;
        return correct;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int j = 1; j < values.Length; j++) if (values[j] > values[best]) best = j;
        return best;
    }
}

/// <summary>
/// Turns on <see cref="Module{T}.ReuseBuffers"/> for one run of a training loop and gives the model its own setting
/// back when disposed: the loop's warmed-up steps allocate nothing, and no tensor handed out after the run is
/// overwritten by a later step.
/// </summary>
internal readonly struct ReusedBuffers : IDisposable
{
    private readonly Action _restore;

    private ReusedBuffers(Action restore) => _restore = restore;

    /// <summary>Reuse on for <paramref name="model"/> until the returned scope is disposed.</summary>
    public static ReusedBuffers During<T>(Module<T> model) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        bool was = model.ReuseBuffers;
        model.ReuseBuffers = true;
        return new ReusedBuffers(() => model.ReuseBuffers = was);
    }

    /// <inheritdoc />
    public void Dispose() => _restore();
}

using System.Diagnostics;
using System.Globalization;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Networks;

/// <summary>
/// Training and measuring auto-encoders: the target of every image is the image itself. The error is the one
/// Hinton and Salakhutdinov (Science 2006, Fig. 2) report: the squared error summed over the pixels of an image,
/// averaged over the images (pixels in [0, 1]). Introduced in notebook 10-autoencoder-vs-pca (used again in
/// 13-convolutional-autoencoder). PyTorch: a loop of F.mse_loss(model(x), x) steps, and
/// ((model(x) - x) ** 2).sum() / N under torch.no_grad().
/// </summary>
public static class Reconstruction
{
    /// <summary>What one epoch gave: the squared error per image on the training batches as they were trained, on
    /// the held-out images after the epoch (evaluation mode) when given, and the epoch's wall time. Introduced in notebook 10-autoencoder-vs-pca.</summary>
    public sealed record EpochResult(int Epoch, double TrainError, double? TestError, TimeSpan Elapsed)
    {
        /// <inheritdoc />
        public override string ToString()
        {
            string test = TestError is { } t ? string.Create(CultureInfo.InvariantCulture, $", held-out {t:F3}") : "";
            return string.Create(CultureInfo.InvariantCulture,
                $"epoch {Epoch}: squared error per image: training {TrainError:F3}{test} ({Elapsed.TotalSeconds:F2} s)");
        }
    }

    /// <summary>
    /// Trains <paramref name="model"/> to reproduce its input with the mean squared error
    /// (<see cref="MSELoss{T}"/>), over shuffled mini-batches (seeded), for <paramref name="epochs"/> epochs.
    /// </summary>
    /// <param name="model">Maps a batch [B, ...] to a tensor of the same shape.</param>
    /// <param name="optimizer">Steps the parameters after each batch.</param>
    /// <param name="train">Training images [N, ...]; the model sees them in this shape (flatten first for a dense model).</param>
    /// <param name="test">Held-out images in the same shape, measured after every epoch when given.</param>
    /// <param name="epochs">Passes over <paramref name="train"/>.</param>
    /// <param name="batchSize">Images per step (the last batch may be smaller).</param>
    /// <param name="seed">Seeds the shuffle of every epoch.</param>
    /// <param name="onEpoch">Called after every epoch (a notebook's LiveProgress adds it as a line).</param>
    /// <exception cref="ArgumentException">The model's output shape differs from its input's.</exception>
    /// <exception cref="NonFiniteLossException">A batch loss is NaN or infinite (names the epoch and step).</exception>
    public static IReadOnlyList<EpochResult> Fit(Module<float> model, Optimizer<float> optimizer, Tensor<float> train,
        Tensor<float>? test, int epochs, int batchSize = 64, int seed = 0, Action<EpochResult>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        if (test is not null && !test.Shape[1..].SequenceEqual(train.Shape[1..]))
            throw new ArgumentException($"Reconstruction.Fit: held-out images: expected [M, {string.Join(", ", train.Shape[1..].ToArray())}] like the training images, got {test.ShapeString}.", nameof(test));
        // The shape is checked once, before any step, by the model's own shape arithmetic.
        var outputShape = model.OutputShape(train.Shape);
        if (!outputShape.AsSpan().SequenceEqual(train.Shape))
            throw new ArgumentException($"Reconstruction.Fit: the model's output {Tensor<float>.ShapeText(outputShape)} must have the input's shape {train.ShapeString}.", nameof(model));
        int n = train.Size(0);
        int perImage = train.Length / Math.Max(1, n);
        using var reuse = ReusedBuffers.During(model);
        var loss = new MSELoss<float> { ReuseBuffers = true };
        var loader = new DataLoader<float>(train, new int[n], batchSize, shuffle: true, seed: seed);
        var history = new List<EpochResult>();
        model.Train();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            double sum = 0;
            int step = 0;
            foreach (var batch in loader)
            {
                step++;
                // Training's step, with the image as its own target.
                if (!Training.TryStep(model, optimizer, loss, batch.X, batch.X, out double value, out _))
                    TrainingGuard.CheckLoss(value, epoch, step);   // throws, naming the epoch and step
                sum += value * perImage * batch.Y.Length;     // mean over pixels -> summed over the batch's pixels
            }
            double? testError = test is null ? null : SquaredErrorPerImage(model, test);
            var result = new EpochResult(epoch, sum / Math.Max(1, n), testError, clock.Elapsed);
            history.Add(result);
            onEpoch?.Invoke(result);
        }
        return history;
    }

    /// <summary>The model's reconstructions of <paramref name="images"/> [N, ...], in evaluation mode (the mode is
    /// restored), in chunks of <paramref name="batchSize"/>; a new tensor of the input's shape.</summary>
    public static Tensor<float> Reconstruct(Module<float> model, Tensor<float> images, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            int n = images.Size(0), perImage = images.Length / Math.Max(1, n);
            var result = images.ZerosLike();
            var shape = images.Shape.ToArray();
            for (int start = 0; start < n; start += batchSize)
            {
                int count = Math.Min(batchSize, n - start);
                shape[0] = count;
                var x = new Tensor<float>(images.Data.AsSpan(start * perImage, count * perImage).ToArray(), shape);
                var y = model.Forward(x);
                if (!y.SameShape(x))
                    throw new ArgumentException($"Reconstruction.Reconstruct: the model's output {y.ShapeString} must have the input's shape {x.ShapeString}.", nameof(model));
                y.Data.AsSpan().CopyTo(result.Data.AsSpan(start * perImage, count * perImage));
            }
            return result;
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>
    /// Σ_pixels (x' - x)² averaged over the images, accumulated in double: the 2006 paper's "average squared error per
    /// image". Equals the mean squared error per pixel times the pixels per image.
    /// </summary>
    /// <exception cref="ArgumentException">The element counts differ or there are no images.</exception>
    public static double SquaredErrorPerImage(Tensor<float> images, Tensor<float> reconstructions)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(reconstructions);
        if (images.Length != reconstructions.Length || images.Size(0) != reconstructions.Size(0))
            throw new ArgumentException($"Reconstruction.SquaredErrorPerImage: reconstructions {reconstructions.ShapeString} do not match images {images.ShapeString}.", nameof(reconstructions));
        int n = images.Size(0);
        if (n == 0) throw new ArgumentException("Reconstruction.SquaredErrorPerImage: no images.", nameof(images));
        double sum = 0;
        for (int i = 0; i < images.Length; i++)
        {
            double e = (double)reconstructions.Data[i] - images.Data[i];
            sum += e * e;
        }
        return sum / n;
    }

    /// <summary>The squared error per image of <paramref name="model"/>'s reconstructions (evaluation mode).</summary>
    public static double SquaredErrorPerImage(Module<float> model, Tensor<float> images)
        => SquaredErrorPerImage(images, Reconstruct(model, images));

    /// <summary>The squared error per image of PCA's reconstructions (images [N, ...] read as [N, D]): its
    /// <see cref="Pca.ReconstructionError{T}"/> (per pixel) times D.</summary>
    public static double SquaredErrorPerImage(Pca pca, Tensor<float> images)
    {
        ArgumentNullException.ThrowIfNull(pca);
        return pca.ReconstructionError(images) * pca.Features;
    }
}

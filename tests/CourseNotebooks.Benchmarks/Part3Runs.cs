using System.Diagnostics;
using System.Globalization;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Runtime;

namespace CourseNotebooks.Benchmarks;

/// <summary>
/// The speed targets of the part-3 notebooks (10-autoencoder-vs-pca, 11-tsne-maps, 12-retrieval-with-codes), timed
/// as the notebooks run them: the 784-256-32 auto-encoder trained with notebook 10's settings (Adam, learning rate
/// 0.003, batch 32) on the shipped sample (30 epochs, "seconds") and on the full Fashion-MNIST (8 epochs, target
/// under 2 minutes on 2 cores); PCA on the full training images with the covariance solver and, on the 10,000 test
/// images, with MathNet's full SVD beside it; Barnes-Hut t-SNE with the default options on the shipped test set
/// ("seconds") and on the 10,000 full test images' raw pixels (target under a minute). Each line gives the wall time
/// and the process CPU time divided by the thread count (on a shared machine the wall time includes waiting for a
/// core). The long runs run once; the short ones report the median of 3.
/// </summary>
internal static class Part3Runs
{
    public const string Name = "part3 (notebooks 10-12: auto-encoder, PCA, t-SNE)";
    private const int Seed = 7;

    internal sealed record Outcome(string Case, int Threads, double WallSeconds, double CpuSecondsPerThread, string Result);

    public static List<Outcome> Run(IReadOnlyList<int> threadCounts)
    {
        var outcomes = new List<Outcome>();
        var sampleTrain = Datasets.FashionMnistSample(DatasetSplit.Train);
        var sampleTest = Datasets.FashionMnistSample(DatasetSplit.Test);
        LabeledImages? fullTrain = null, fullTest = null;
        try
        {
            fullTrain = Datasets.FashionMnist(DatasetSplit.Train);
            fullTest = Datasets.FashionMnist(DatasetSplit.Test);
        }
        catch (DataFileException e)
        {
            Console.WriteLine($"{Name}: the full-data cases are skipped, the full Fashion-MNIST is missing ({e.FilePath}). Run environment/fetch-data once to get it.");
        }

        foreach (int threads in threadCounts)
        {
            EngineSettings.MaxThreads = threads;
            void Add(string name, int repeats, Func<string> run)
            {
                var walls = new List<double>();
                var cpus = new List<double>();
                string result = "";
                for (int r = 0; r < repeats; r++)
                {
                    var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
                    var clock = Stopwatch.StartNew();
                    result = run();
                    walls.Add(clock.Elapsed.TotalSeconds);
                    cpus.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds / threads);
                }
                var outcome = new Outcome(name, threads, Median(walls), Median(cpus), result);
                outcomes.Add(outcome);
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-52} thr {1}: {2,7:F2} s wall, {3,7:F2} s CPU per thread{4}  {5}",
                    name, threads, outcome.WallSeconds, outcome.CpuSecondsPerThread, repeats > 1 ? $" (median of {repeats})" : "", result));
            }

            Add("auto-encoder 784-256-32, sample, 30 epochs", 1, () => TrainAutoencoder(sampleTrain, sampleTest, epochs: 30));
            Add("PCA covariance solver, sample (2,000 x 784)", 3, () => PcaRun(sampleTrain, PcaSolver.CovarianceEigh));
            Add("t-SNE Barnes-Hut, sample test set (1,000 points)", 3, () => TsneRun(sampleTest));
            if (fullTrain is null || fullTest is null) continue;
            Add("PCA covariance solver, full train (60,000 x 784)", 3, () => PcaRun(fullTrain, PcaSolver.CovarianceEigh));
            Add("PCA covariance solver, full test (10,000 x 784)", 3, () => PcaRun(fullTest, PcaSolver.CovarianceEigh));
            Add("PCA MathNet full SVD, full test (10,000 x 784)", 1, () => PcaRun(fullTest, PcaSolver.Full));
            Add("t-SNE Barnes-Hut, full test set (10,000 points)", 1, () => TsneRun(fullTest));
            Add("auto-encoder 784-256-32, full data, 8 epochs", 1, () => TrainAutoencoder(fullTrain, fullTest, epochs: 8));
        }
        EngineSettings.MaxThreads = Environment.ProcessorCount;
        return outcomes;
    }

    private static string TrainAutoencoder(LabeledImages train, LabeledImages test, int epochs)
    {
        var x = train.Images.Reshape(train.Count, 784);
        var heldOut = test.Images.Reshape(test.Count, 784);
        var (_, _, model) = Models.DenseAutoencoder<float>(784, 256, 32, seed: Seed);
        var optimizer = new Adam<float>(model.Parameters(), 0.003);
        var history = Reconstruction.Fit(model, optimizer, x, null, epochs, batchSize: 32, seed: Seed);
        double error = Reconstruction.SquaredErrorPerImage(model, heldOut);
        return string.Create(CultureInfo.InvariantCulture, $"held-out squared error per image {error:F2} ({history.Count} epochs)");
    }

    private static string PcaRun(LabeledImages images, PcaSolver solver)
    {
        var pca = Pca.Fit(images.Images.Reshape(images.Count, 784), 32, solver);
        return string.Create(CultureInfo.InvariantCulture, $"32 components explain {pca.ExplainedVarianceRatio.Sum():P1} of the variance");
    }

    private static string TsneRun(LabeledImages images)
    {
        var result = Tsne.Fit(images.Images.Reshape(images.Count, 784), new TsneOptions { Seed = Seed });
        return string.Create(CultureInfo.InvariantCulture, $"KL divergence {result.KlDivergence:F3}, learning rate {result.LearningRate:F0}");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

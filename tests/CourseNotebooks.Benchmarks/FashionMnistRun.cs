using System.Diagnostics;
using System.Globalization;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Runtime;

namespace CourseNotebooks.Benchmarks;

/// <summary>
/// The "fashion-mnist 91 %" run: notebook 07-training-on-real-data's full-data recipe, timed. Models.FashionCnn on
/// the full Fashion-MNIST (55,000 training images after the notebook's 5,000 validation images are split off),
/// momentum SGD (lr 0.05, μ 0.9), batch 64, a cosine schedule over 6 epochs, the notebook's seed; the 10,000 test
/// images evaluated after every epoch. Reports the training time until the test accuracy first reaches 91 % (the
/// evaluations are not counted), the images per second while training, and the process CPU time of the training
/// divided by the thread count: on a shared machine the wall time includes waiting for a core, and CPU time per thread
/// is what the run would take with its cores to itself. One run per thread count (a run takes minutes, so there are
/// no repetitions: the figures carry the noise of one run). The training is the notebook's own Training.Fit call, so
/// its weights and accuracies are those of the notebook with useFullData = true.
/// </summary>
internal static class FashionMnistRun
{
    public const string Name = "fashion-mnist 91 % (notebook 07, full data)";
    public const double Target = 0.91;
    private const int Epochs = 6, BatchSize = 64, ValidationCount = 5_000, Seed = 7;
    private const double LearningRate = 0.05, Momentum = 0.9;

    /// <summary>One run on one thread count.</summary>
    internal sealed record Outcome(int Threads, int Epochs, double[] TestAccuracy, double[] TrainingSeconds, double[] CpuSecondsPerThread,
        int? EpochReached, double? SecondsToTarget, double? CpuSecondsPerThreadToTarget, double ImagesPerSecond, double ImagesPerCpuSecondPerThread);

    /// <summary>Runs the recipe on each thread count and prints one line per epoch and a summary; null when the full
    /// data is missing (the message says how to fetch it).</summary>
    public static List<Outcome>? Run(IReadOnlyList<int> threadCounts)
    {
        LabeledImages allTrain, test;
        try
        {
            allTrain = Datasets.FashionMnist(DatasetSplit.Train);
            test = Datasets.FashionMnist(DatasetSplit.Test);
        }
        catch (DataFileException e)
        {
            Console.WriteLine($"{Name}: skipped, the full Fashion-MNIST is missing ({e.FilePath}). Run environment/fetch-data once to get it.");
            return null;
        }
        var train = allTrain.RandomSplit(ValidationCount, Seed).Train;
        var inv = CultureInfo.InvariantCulture;
        var outcomes = new List<Outcome>();
        foreach (int threads in threadCounts)
        {
            EngineSettings.MaxThreads = threads;
            var model = Models.FashionCnn<float>(seed: Seed);
            var optimizer = new Sgd<float>(model.Parameters(), LearningRate, momentum: Momentum);
            var schedule = new CosineAnnealingLR(optimizer, tMax: Epochs);
            var accuracy = new double[Epochs];
            var seconds = new double[Epochs];
            var cpu = new double[Epochs];
            double wallSoFar = 0, cpuSoFar = 0;
            TimeSpan lastBatch = TimeSpan.Zero;
            TimeSpan cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
            int? reached = null;
            // The notebook's own call (the same seed, shuffles and schedule, so the same weights); the test set is
            // evaluated in onEpoch, after the epoch's last batch was timed and before the CPU clock restarts.
            Training.Fit(model, optimizer, train, null, Epochs, BatchSize, seed: Seed, scheduler: schedule,
                onBatch: b => lastBatch = b.Elapsed,
                onEpoch: e =>
                {
                    int i = e.Epoch - 1;
                    cpuSoFar += (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds / threads;
                    wallSoFar += lastBatch.TotalSeconds;
                    seconds[i] = wallSoFar;
                    cpu[i] = cpuSoFar;
                    accuracy[i] = Training.Accuracy(model, test);
                    if (reached is null && accuracy[i] >= Target) reached = e.Epoch;
                    Console.WriteLine(string.Format(inv, "{0} thr {1}: epoch {2}: test accuracy {3:P2}, {4:F1} s of training so far ({5:F1} s CPU per thread), lr {6:G3}",
                        Name, threads, e.Epoch, accuracy[i], wallSoFar, cpuSoFar, e.LearningRate));
                    cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
                });
            double images = (double)train.Count * Epochs;
            var outcome = new Outcome(threads, Epochs, accuracy, seconds, cpu, reached,
                reached is int r ? seconds[r - 1] : null, reached is int r2 ? cpu[r2 - 1] : null, images / wallSoFar, images / cpuSoFar);
            outcomes.Add(outcome);
            Console.WriteLine(string.Format(inv, "{0} thr {1}: {2}; {3:N0} images/s wall, {4:N0} images/s per CPU-second per thread",
                Name, threads,
                reached is int e ? $"91 % reached after epoch {e}, {outcome.SecondsToTarget:F1} s of training ({outcome.CpuSecondsPerThreadToTarget:F1} s CPU per thread)"
                                 : $"91 % not reached in {Epochs} epochs (best {accuracy.Max():P2})",
                outcome.ImagesPerSecond, outcome.ImagesPerCpuSecondPerThread));
        }
        EngineSettings.MaxThreads = Environment.ProcessorCount;
        return outcomes;
    }
}

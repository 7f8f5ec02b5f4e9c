using CourseNotebooks.Engine.Layers;

namespace CourseNotebooks.Engine.Runtime;

/// <summary>Work on one H x W plane of a pooling layer, as a struct so the one-thread path allocates nothing.</summary>
internal interface IPlaneJob
{
    /// <summary>Processes plane <paramref name="p"/> (an index over N*C).</summary>
    void Run(int p);
}

/// <summary>
/// The one plane-parallel driver of the pooling layers (<see cref="MaxPool2d{T}"/>, <see cref="AvgPool2d{T}"/>): planes
/// are independent and each is written by one worker only, so the split never changes a result. Whether to split
/// follows the engine's one rule (<see cref="ParallelPolicy"/>, also behind the convolutions' per-sample loop);
/// the split itself is the convolutions' too: contiguous ranges of planes on the kept threads of
/// <see cref="WorkerPool"/>, so a warmed-up call allocates nothing on any number of threads.
/// </summary>
internal static class PlaneLoop
{
    /// <summary>Runs <paramref name="job"/> for planes 0 .. <paramref name="planes"/> - 1, in parallel when <paramref name="taps"/> reach <paramref name="threshold"/>.</summary>
    public static void Run<TJob>(int planes, long taps, long threshold, TJob job) where TJob : struct, IPlaneJob
    {
        int workers = ParallelPolicy.WorkersFor(planes, taps, threshold);
        if (workers == 1)
        {
            for (int p = 0; p < planes; p++) job.Run(p);
            return;
        }
        WorkerPool.Run(planes, workers, new PlaneRange<TJob>(job));
    }

    /// <summary>A worker's range of planes.</summary>
    private readonly struct PlaneRange<TJob>(TJob job) : ISampleRange where TJob : struct, IPlaneJob
    {
        public void Run(int worker, int from, int to)
        {
            for (int p = from; p < to; p++) job.Run(p);
        }
    }
}

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
/// follows the engine's one rule (<see cref="WorkerPool.WorkersFor"/>, also behind the convolutions' per-sample loop);
/// the split itself is the convolutions' too: contiguous ranges of planes on the kept threads of
/// <see cref="WorkerPool"/>, so a warmed-up call allocates nothing on any number of threads.
/// </summary>
internal static class PlaneLoop
{
    /// <summary>
    /// Scalar window taps (about 1 ns each) below which one thread does all planes: 2^16 taps are tens of
    /// microseconds, about what waking the second thread costs on busy shared cores.
    /// </summary>
    public const long ScalarTaps = 1 << 16;

    /// <summary>
    /// Taps of the vector 2x2 kernels (about 0.1 ns each) below which one thread does all planes: measured on 2 shared
    /// cores, a 64x8x28x28 pool (400k taps) ran slower on 2 threads than on 1.
    /// </summary>
    public const long VectorTaps = 1 << 20;

    /// <summary>Runs <paramref name="job"/> for planes 0 .. <paramref name="planes"/> - 1, in parallel when <paramref name="taps"/> reach <paramref name="threshold"/>.</summary>
    public static void Run<TJob>(int planes, long taps, long threshold, TJob job) where TJob : struct, IPlaneJob
    {
        int workers = WorkerPool.WorkersFor(planes, taps, threshold);
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

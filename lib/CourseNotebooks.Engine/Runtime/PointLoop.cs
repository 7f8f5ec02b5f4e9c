namespace CourseNotebooks.Engine.Runtime;

/// <summary>
/// A loop over points (PCA, t-SNE, the neighbour search) that goes parallel only when the work pays for it, under the
/// engine's one rule (<see cref="ParallelPolicy"/>) and on its kept worker threads.
/// </summary>
internal static class PointLoop
{
    /// <summary>Runs <paramref name="body"/>(i) for i in [0, n); <paramref name="costPerPoint"/> is a rough count of
    /// inner-loop steps per call. Each call must write only its own outputs, so the order does not matter.</summary>
    public static void For(int n, long costPerPoint, Action<int> body)
    {
        int workers = ParallelPolicy.WorkersFor(n, n * costPerPoint, ParallelPolicy.PointSteps);
        if (workers == 1)
        {
            for (int i = 0; i < n; i++) body(i);
            return;
        }
        WorkerPool.Run(n, workers, new PointRange(body));
    }

    /// <summary>A worker's range of points.</summary>
    private readonly struct PointRange(Action<int> body) : ISampleRange
    {
        public void Run(int worker, int from, int to)
        {
            for (int i = from; i < to; i++) body(i);
        }
    }
}

namespace CourseNotebooks.Engine;

/// <summary>A loop over points that goes parallel only when the work pays for the scheduling.</summary>
internal static class PointLoop
{
    /// <summary>Below about 2^18 elementary steps in total a plain loop wins: a Parallel.For costs tens of
    /// microseconds even on an idle machine, and far more when the cores are busy.</summary>
    private const long ParallelThreshold = 1 << 18;

    /// <summary>Runs <paramref name="body"/>(i) for i in [0, n); <paramref name="costPerPoint"/> is a rough count of
    /// inner-loop steps per call. Each call must write only its own outputs, so the order does not matter.</summary>
    public static void For(int n, long costPerPoint, Action<int> body)
    {
        if (n * costPerPoint < ParallelThreshold)
        {
            for (int i = 0; i < n; i++) body(i);
            return;
        }
        Parallel.For(0, n, EngineSettings.ParallelOptions, body);
    }
}

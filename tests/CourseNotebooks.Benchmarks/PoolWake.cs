using System.Diagnostics;
using CourseNotebooks.Engine.Runtime;

namespace CourseNotebooks.Benchmarks;

/// <summary>
/// What going parallel costs by itself, the measurement behind the engine's parallel cut-offs
/// (Runtime/ParallelPolicy.cs): the kept worker threads woken for two empty items and waited for, right after the
/// previous call (the worker is still spinning) and after it has slept 1 ms and 5 ms (as between the layers of a
/// training step, or between steps). Microseconds per call, median and 10th / 90th percentiles of 300 calls.
/// Only with --filter wake: it sleeps more than it measures.
/// </summary>
public static class PoolWake
{
    /// <summary>The name --filter matches.</summary>
    public const string Name = "pool wake";

    private readonly struct Empty : ISampleRange
    {
        public void Run(int worker, int from, int to) { }
    }

    /// <summary>Prints one line per idle time.</summary>
    public static void Run()
    {
        foreach (int idleMs in new[] { 0, 1, 5 })
        {
            var times = new List<double>();
            for (int i = 0; i < 300; i++)
            {
                if (idleMs > 0) Thread.Sleep(idleMs);
                long start = Stopwatch.GetTimestamp();
                WorkerPool.Run(2, 2, default(Empty));
                times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
            times.Sort();
            Console.WriteLine(FormattableString.Invariant(
                $"{Name}, idle {idleMs} ms before each call: median {times[150]:F1} us, p10 {times[30]:F1} us, p90 {times[270]:F1} us"));
        }
    }
}

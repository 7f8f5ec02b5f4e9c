using System.Diagnostics;

namespace CourseNotebooks.Benchmarks;

/// <summary>
/// One thing to time: a name, a setup that builds its inputs once (only when the case is selected), the action
/// to time, its flop count (0 when flops mean nothing, e.g. a copy) and, optionally, the naive reference of the
/// same work, timed too so the table shows the speed-up.
/// </summary>
public sealed class BenchmarkCase
{
    private readonly Func<(Action Run, Action? Naive)> _prepare;

    private BenchmarkCase(string name, double flops, Func<(Action, Action?)> prepare, double naiveScale, string? peer)
    {
        Name = name;
        Flops = flops;
        _prepare = prepare;
        NaiveScale = naiveScale;
        Peer = peer;
    }

    public string Name { get; }

    /// <summary>Floating-point operations of one run (a multiply-add counts 2).</summary>
    public double Flops { get; }

    /// <summary>
    /// The naive run does 1/NaiveScale of the work (e.g. one image of a batch of 8: scale 8) because the full work
    /// would take seconds per run; its time is multiplied by this factor before the speed-up is computed.
    /// </summary>
    public double NaiveScale { get; }

    /// <summary>
    /// The libtorch peer's row for the same work, as "name|case" of its JSON (e.g. "matmul|1024x1024x1024"), or
    /// null when the peer has none. The figures come from the peer's JSON of the same session (--peer FILE), never
    /// from a constant here.
    /// </summary>
    public string? Peer { get; }

    /// <summary>
    /// A case whose state is built by <paramref name="setup"/>, e.g.
    /// <c>BenchmarkCase.Create("conv2d 3-&gt;64 k3 224", () =&gt; (layer, x), s =&gt; s.layer.Forward(s.x), flops, naive: ...)</c>.
    /// </summary>
    public static BenchmarkCase Create<TState>(string name, Func<TState> setup, Action<TState> run, double flops,
        Action<TState>? naive = null, double naiveScale = 1, string? peer = null) =>
        new(name, flops, () =>
        {
            var state = setup();
            return (() => run(state), naive is null ? null : () => naive(state));
        }, naiveScale, peer);

    internal (Action Run, Action? Naive) Prepare() => _prepare();
}

/// <summary>
/// Median and minimum wall time of one operation, the process CPU time per operation (all threads: on a shared,
/// busy machine it shows the work done even when the wall time includes waiting for a core), and managed bytes
/// allocated per operation (all threads).
/// </summary>
public sealed record Timing(double MedianMs, double MinMs, double CpuMs, double BytesPerOp, int Samples);

/// <summary>
/// The timing loop: warm up until the JIT has produced its optimised code, then take samples, each of enough
/// back-to-back calls to last about a millisecond so the clock's resolution does not matter.
/// </summary>
public static class Harness
{
    public static Timing Measure(Action action, TimeSpan budget, int minSamples = 5, int maxSamples = 40)
    {
        // Warm-up: tiered compilation promotes a method after ~30 calls plus a background delay, so a case whose call
        // takes tens of ms needs more than a fixed time: at least 60 calls unless that takes over 3 s (an epoch calls the
        // layers hundreds of times per call, so its 3 calls are enough).
        var warm = Stopwatch.StartNew();
        int warmCalls = 0;
        while (warmCalls < 3 || (warm.Elapsed < TimeSpan.FromMilliseconds(400) && warmCalls < 200)
            || (warmCalls < 60 && warm.Elapsed < TimeSpan.FromSeconds(3)))
        {
            action();
            warmCalls++;
        }
        double estimateMs = warm.Elapsed.TotalMilliseconds / warmCalls;
        int callsPerSample = Math.Max(1, (int)(1.0 / Math.Max(estimateMs, 1e-6)));
        int samples = Math.Clamp((int)(budget.TotalMilliseconds / Math.Max(estimateMs * callsPerSample, 1e-3)),
            minSamples, maxSamples);

        var times = new double[samples];
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // The CPU-time reads allocate (a Process object), so they sit outside the allocation window.
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (int s = 0; s < samples; s++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < callsPerSample; i++) action();
            times[s] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / callsPerSample;
        }
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
        Array.Sort(times);
        double median = samples % 2 == 1 ? times[samples / 2] : 0.5 * (times[samples / 2 - 1] + times[samples / 2]);
        long calls = (long)samples * callsPerSample;
        return new Timing(median, times[0], cpuMs / calls, (double)allocated / calls, samples);
    }
}

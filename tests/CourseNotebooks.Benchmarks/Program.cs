using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using CourseNotebooks.Benchmarks;
using CourseNotebooks.Engine.Runtime;

// Usage: dotnet run -c Release --project tests/CourseNotebooks.Benchmarks -- [--filter text] [--threads 1|2] [--peer FILE] [--bits 512|256|128]
// --bits refuses to run (exit code 2) unless the engine's vector kernels run at that width in this process: the width
// is chosen when the process starts, so set the runtime's knob first (DOTNET_EnableAVX512=0 or
// DOTNET_PreferredVectorBitWidth=256 for 256 bits on an AVX-512 machine, DOTNET_EnableAVX2=0 for 128) and pass the width
// it should give; a width above what the CPU has cannot be forced at all.
// Every run prints and records the width, the CPU's vector flags and the load average before and after (and before
// each case); rows timed while the load average exceeded 1.5 are marked busy.
// --filter fashion runs the 91 % Fashion-MNIST run of notebook 07 (minutes per thread count; needs environment/fetch-data).
// --filter part3 runs the part-3 timings: auto-encoder training, PCA and t-SNE on the sample and the full data.
// --filter wake times the worker pool's own wake-up (the measurement behind Runtime/ParallelPolicy.cs).
// --peer reads the libtorch peer's JSON from the same session (../shared/libtorch-peer: bench --json FILE) and fills the
// "torch ms" and "x torch" columns from it; without it they stay empty (figures from another machine mean nothing).
// Without --threads every case runs on 1 thread and on all cores. Results: a table on stdout and
// benchmark-results/<timestamp>.json under the current directory.
string? filter = null;
string? peerPath = null;
int? requiredBits = null;
var threadCounts = new List<int>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--filter" when i + 1 < args.Length: filter = args[++i]; break;
        case "--peer" when i + 1 < args.Length: peerPath = args[++i]; break;
        case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t >= 1:
            threadCounts.Add(t); i++; break;
        case "--bits" when i + 1 < args.Length && int.TryParse(args[i + 1], out int b) && b is 128 or 256 or 512:
            requiredBits = b; i++; break;
        default:
            Console.Error.WriteLine($"unknown or incomplete option '{args[i]}'; use --filter text, --threads n, --peer FILE, --bits 512|256|128");
            return 2;
    }
}
if (threadCounts.Count == 0) threadCounts.AddRange(new[] { 1, Environment.ProcessorCount }.Distinct());

// The width is proven before anything is timed: a knob that did nothing must not produce a table labelled with its width.
int vectorBits = MachineState.VectorBits;
string cpuFlags = MachineState.CpuFlags();
if (requiredBits is int wanted && wanted != vectorBits)
{
    Console.Error.WriteLine($"--bits {wanted}: the engine runs {vectorBits}-bit vectors in this process (CPU: {cpuFlags}), not {wanted}; nothing was timed.");
    Console.Error.WriteLine(wanted > vectorBits
        ? $"  {wanted} bits cannot be forced here: a knob only narrows the width, and this CPU or runtime gives at most {vectorBits} (check the flags above and that no DOTNET_Enable*=0 or DOTNET_PreferredVectorBitWidth is set)."
        : $"  Start the process with the knob that gives {wanted} bits: {(wanted == 256 ? "DOTNET_EnableAVX512=0 (or DOTNET_PreferredVectorBitWidth=256)" : "DOTNET_EnableAVX2=0")}; on .NET 10 DOTNET_EnableAVX512F=0 does nothing.");
    return 2;
}
double? loadBefore = MachineState.LoadAverage();

var inv = CultureInfo.InvariantCulture;
PeerResults? peer = null;
if (peerPath is not null)
{
    try { peer = PeerResults.Read(peerPath); }
    catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or InvalidDataException)
    {
        Console.Error.WriteLine($"--peer {peerPath}: cannot read the peer's JSON: {e.Message}");
        return 2;
    }
    Console.WriteLine($"peer: {peer.Description}");
}
Console.WriteLine($"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, " +
    $"{Environment.ProcessorCount} logical cores, Vector512 accelerated: {Vector512.IsHardwareAccelerated}");
Console.WriteLine($"vector width: {vectorBits} bits (the engine's kernels{(requiredBits is null ? "" : ", as --bits asked")}); CPU flags: {cpuFlags}");
Console.WriteLine($"load average before: {MachineState.LoadText(loadBefore)}{(MachineState.IsBusy(loadBefore) ? $" (above {MachineState.BusyLoad.ToString(inv)}: the machine is busy, timings will include waiting for a core)" : "")}");

var peaks = new Dictionary<int, double>();
foreach (int t in threadCounts)
{
    peaks[t] = FmaPeak.Measure(t);
    Console.WriteLine(string.Format(inv, "FMA peak f32, {0} thread(s): {1:F1} GFLOP/s", t, peaks[t]));
}

var selected = Cases.All()
    .Where(c => filter is null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
var results = new List<Result>();
var budget = TimeSpan.FromSeconds(1);
Console.WriteLine();
// GFLOP/s and % of peak from the median time, and in brackets from the minimum: on a shared machine the minimum
// is the run that found the cores free, comparable with the peak (itself a best of many runs).
Console.WriteLine($"{"case",-40} {"thr",3} {"median ms",10} {"min ms",9} {"cpu ms",9} {"GFLOP/s (best)",16} {"% peak (best)",14} {"naive ms",9} {"speed-up",8} {"torch ms",9} {"x torch",7} {"bytes/op",9} {"load",10}");
foreach (var benchmark in selected)
{
    var (run, naive) = benchmark.Prepare();
    // The naive reference is single-threaded whatever the setting: time it once per case (scaled up when it ran
    // on a part of the work, see BenchmarkCase.NaiveScale).
    Timing? naiveTiming = naive is null ? null : Harness.Measure(naive, budget, minSamples: 3, maxSamples: 10);
    double? naiveMs = naiveTiming is null ? null : naiveTiming.MedianMs * benchmark.NaiveScale;
    foreach (int t in threadCounts)
    {
        EngineSettings.MaxThreads = t;
        // The higher of the load averages just before and just after the case (the 1-minute figure lags).
        double? caseLoadBefore = MachineState.LoadAverage();
        var timing = Harness.Measure(run, budget);
        double? caseLoadAfter = MachineState.LoadAverage();
        double? caseLoad = caseLoadBefore is null ? caseLoadAfter : caseLoadAfter is null ? caseLoadBefore : Math.Max(caseLoadBefore.Value, caseLoadAfter.Value);
        double? gflops = benchmark.Flops > 0 ? benchmark.Flops / (timing.MedianMs * 1e-3) / 1e9 : null;
        double? bestGflops = benchmark.Flops > 0 ? benchmark.Flops / (timing.MinMs * 1e-3) / 1e9 : null;
        double? speedUp = naiveMs / timing.MedianMs;
        double? torchMs = peer?.MedianMs(benchmark.Peer, t);
        var result = new Result(benchmark.Name, t, timing.MedianMs, timing.MinMs, timing.CpuMs, gflops, bestGflops,
            gflops / peaks[t] * 100, bestGflops / peaks[t] * 100, naiveMs, speedUp, torchMs, timing.MedianMs / torchMs,
            timing.BytesPerOp, timing.Samples, caseLoad, MachineState.IsBusy(caseLoad));
        results.Add(result);
        Console.WriteLine(string.Format(inv, "{0,-40} {1,3} {2,10:F3} {3,9:F3} {9,9:F3} {4,16} {5,14} {6,9} {7,8} {10,9} {11,7} {8,9:F0} {12,10}",
            result.Name, t, result.MedianMs, result.MinMs,
            $"{Format(gflops, "F1")} ({Format(bestGflops, "F1")})",
            $"{Format(result.PercentOfPeak, "F0")} ({Format(result.BestPercentOfPeak, "F0")})",
            Format(result.NaiveMedianMs, "F2"), Format(speedUp, "F1"), result.BytesPerOp, result.CpuMs,
            Format(torchMs, "F2"), Format(result.RatioToTorch, "F2"), MachineState.LoadText(caseLoad)));
    }
}
EngineSettings.MaxThreads = Environment.ProcessorCount;

// The 91 % Fashion-MNIST run of notebook 07 takes minutes per thread count: only when a --filter names it
// (e.g. --filter fashion), never in the default run.
List<FashionMnistRun.Outcome>? fashion = null;
if (filter is not null && FashionMnistRun.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
{
    Console.WriteLine();
    fashion = FashionMnistRun.Run(threadCounts);
}
else if (filter is null)
{
    Console.WriteLine();
    Console.WriteLine($"({FashionMnistRun.Name} left out: it takes minutes; run it with --filter fashion)");
}

// The part-3 runs (auto-encoder training, PCA, t-SNE of 10,000 points) take minutes too: only with --filter part3.
List<Part3Runs.Outcome>? part3 = null;
if (filter is not null && Part3Runs.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
{
    Console.WriteLine();
    part3 = Part3Runs.Run(threadCounts);
}
else if (filter is null)
    Console.WriteLine($"({Part3Runs.Name} left out: it takes minutes; run it with --filter part3)");

// The worker pool's own wake-up cost, behind the parallel cut-offs: only with --filter wake.
if (filter is not null && PoolWake.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
{
    Console.WriteLine();
    PoolWake.Run();
}

double? loadAfter = MachineState.LoadAverage();
bool busy = MachineState.IsBusy(loadBefore) || MachineState.IsBusy(loadAfter) || results.Any(r => r.Busy);
Console.WriteLine();
Console.WriteLine($"load average before {MachineState.LoadText(loadBefore)}, after {MachineState.LoadText(loadAfter)}: " +
    (busy ? $"BUSY (above {MachineState.BusyLoad.ToString(inv)} at some point): these timings include waiting for a core; measure again on a quiet machine."
          : $"quiet (at most {MachineState.BusyLoad.ToString(inv)} throughout)."));

Directory.CreateDirectory("benchmark-results");
string path = Path.Combine("benchmark-results", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
var report = new Report(DateTime.UtcNow, RuntimeInformation.FrameworkDescription, Environment.ProcessorCount,
    Vector512.IsHardwareAccelerated, vectorBits, cpuFlags, loadBefore, loadAfter, busy,
    peaks.ToDictionary(p => p.Key.ToString(inv), p => p.Value), results, fashion, part3);
File.WriteAllText(path, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine();
Console.WriteLine($"written {path}");
return 0;

static string Format(double? value, string format) =>
    value is double v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

/// <summary>One row of the table: a case on a given number of threads.</summary>
internal sealed record Result(string Name, int Threads, double MedianMs, double MinMs, double CpuMs, double? GFlops,
    double? BestGFlops, double? PercentOfPeak, double? BestPercentOfPeak, double? NaiveMedianMs, double? SpeedUpOverNaive, double? TorchMedianMs, double? RatioToTorch, double BytesPerOp, int Samples,
    double? LoadAverage, bool Busy);

/// <summary>
/// The JSON file: the machine (cores, the engine's vector width, the CPU's vector flags), the load average before and
/// after the run and whether it was busy, the measured FMA peaks by thread count, and every result (each with the load
/// average around it).
/// </summary>
internal sealed record Report(DateTime UtcTime, string Runtime, int LogicalCores, bool Vector512Accelerated,
    int VectorBits, string CpuFlags, double? LoadAverageBefore, double? LoadAverageAfter, bool Busy,
    Dictionary<string, double> PeakGFlopsByThreads, List<Result> Results, List<FashionMnistRun.Outcome>? FashionMnist91,
    List<Part3Runs.Outcome>? Part3);

/// <summary>
/// The libtorch peer's medians by "name|case" and thread count, read from its JSON: "results" rows (name, case,
/// threads, median_ms) and "lenet_epoch" rows (threads, median_ms), the latter under "lenet_epoch|".
/// </summary>
internal sealed class PeerResults
{
    private readonly Dictionary<(string Key, int Threads), double> _medians = new();

    public required string Description { get; init; }

    public double? MedianMs(string? key, int threads) =>
        key is not null && _medians.TryGetValue((key, threads), out double ms) ? ms : null;

    public static PeerResults Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        if (!root.TryGetProperty("results", out var rows) || rows.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"expected a \"results\" array (the peer's bench --json output), found none in {path}");
        string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        var peer = new PeerResults
        {
            Description = $"libtorch {Text(root, "libtorch")} on {Text(root, "cpu")}, measured {Text(root, "utc")}",
        };
        foreach (var row in rows.EnumerateArray())
            peer._medians[($"{Text(row, "name")}|{Text(row, "case")}", row.GetProperty("threads").GetInt32())] = row.GetProperty("median_ms").GetDouble();
        if (root.TryGetProperty("lenet_epoch", out var epochs) && epochs.ValueKind == JsonValueKind.Array)
            foreach (var row in epochs.EnumerateArray())
                peer._medians[("lenet_epoch|", row.GetProperty("threads").GetInt32())] = row.GetProperty("median_ms").GetDouble();
        return peer;
    }
}

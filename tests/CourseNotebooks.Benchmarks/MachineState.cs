using System.Globalization;
using CourseNotebooks.Engine.Kernels;

namespace CourseNotebooks.Benchmarks;

/// <summary>
/// What a timing depends on besides the code: the vector width the engine runs at, the CPU's vector flags, and how
/// busy the machine was (the 1-minute load average, uptime's first figure). A run on a machine whose load average
/// exceeded <see cref="BusyLoad"/> is marked busy: its timings include waiting for a core (a busy run once showed the
/// 128-bit convolutions at 1.6-2.2x the libtorch peer, 0.6-0.8x when quiet).
/// </summary>
internal static class MachineState
{
    /// <summary>The load average above which a result is marked busy (a 2-core machine with another job running).</summary>
    public const double BusyLoad = 1.5;

    /// <summary>The width of the engine's vector kernels in this process (512, 256, 128, or 0 for none).</summary>
    public static int VectorBits => VectorWidths.ActiveBits;

    /// <summary>The 1-minute load average from /proc/loadavg, or null where there is none (not Linux).</summary>
    public static double? LoadAverage()
    {
        try
        {
            string first = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            return double.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Whether a load average marks a result as busy (an unknown load does not).</summary>
    public static bool IsBusy(double? load) => load > BusyLoad;

    /// <summary>
    /// The vector flags that decide the engine's width, as /proc/cpuinfo lists them (x64 "flags": avx2, avx512f, fma;
    /// ARM64 "Features": asimd, reported as neon), else as the runtime reports them.
    /// </summary>
    public static string CpuFlags()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal) || l.StartsWith("Features", StringComparison.Ordinal));
            if (line is not null)
            {
                var flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
                var wanted = new[] { "avx2", "avx512f", "fma", "neon" }.Where(f => flags.Contains(f) || (f == "neon" && flags.Contains("asimd"))).ToList();
                return (wanted.Count == 0 ? "none of avx2/avx512f/fma/neon" : string.Join(' ', wanted)) + " (/proc/cpuinfo)";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return VectorWidths.RuntimeFeatures() + " (as the runtime reports them)";
    }

    /// <summary>The load column of the table: the figure, and "busy" above <see cref="BusyLoad"/>.</summary>
    public static string LoadText(double? load) =>
        load is double l ? l.ToString("F2", CultureInfo.InvariantCulture) + (IsBusy(l) ? " busy" : "") : "-";
}

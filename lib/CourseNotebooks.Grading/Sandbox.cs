using System.Diagnostics;

namespace CourseNotebooks.Grading;

/// <summary>Limits for one run of a student's code.</summary>
/// <param name="WallTime">Longest time the whole process may run before it is killed.</param>
/// <param name="CellTime">Longest time one cell may run (a loop in one exercise then costs that exercise only).</param>
/// <param name="MemoryMegabytes">Managed heap limit (the runtime's GC hard limit) and, with a margin for the
/// runtime and compiler, the resident-memory limit at which the process is killed.</param>
/// <param name="OutputChars">Most characters of output one cell keeps, and of the process's own console output.</param>
public sealed record GradingLimits(TimeSpan WallTime, TimeSpan CellTime, int MemoryMegabytes, long OutputChars)
{
    /// <summary>Defaults for the course's notebooks on a laptop-class machine.</summary>
    public static GradingLimits Default { get; } = new(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(60), 2048, 1_000_000);

    /// <summary>Resident memory allowed beyond the heap limit: the runtime, Roslyn and the kernel (measured about 600 MB).</summary>
    public const int RuntimeMarginMegabytes = 1024;
}

/// <summary>How a child process ended.</summary>
/// <param name="ExitCode">The exit code (-1 when killed).</param>
/// <param name="Killed">Why the grader killed it (null when it ended by itself).</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="ConsoleTail">The end of its own console output (capped), for diagnostics, never shown to students.</param>
public sealed record ProcessOutcome(int ExitCode, string? Killed, TimeSpan Elapsed, string ConsoleTail);

/// <summary>
/// Runs a command for one submission: inside bubblewrap where it works (no network, the whole file system
/// read-only, a private writable scratch folder, the TA's notebooks, the other submissions and the grading output
/// hidden behind empty folders, a clean environment), otherwise as a plain child process with the same limits.
/// Either way it has a wall-time limit, a memory limit and an output cap.
/// </summary>
public sealed class Sandbox
{
    private readonly string? _bwrap;

    private Sandbox(string? bwrap, string description)
    {
        _bwrap = bwrap;
        Description = description;
    }

    /// <summary>True when runs go through bubblewrap.</summary>
    public bool Isolated => _bwrap is not null;

    /// <summary>One line for the TA: what isolation runs get.</summary>
    public string Description { get; }

    /// <summary>
    /// Finds bubblewrap and checks that it can start a sandbox here (it needs user namespaces or a setuid
    /// install); <paramref name="disable"/> forces plain processes.
    /// </summary>
    public static Sandbox Detect(bool disable = false)
    {
        if (disable) return new Sandbox(null, "no sandbox (--no-sandbox): each submission runs as a plain child process with time, memory and output limits");
        string? bwrap = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "bwrap")).FirstOrDefault(File.Exists);
        if (bwrap is null)
            return new Sandbox(null, "NO SANDBOX: bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap); each submission runs as a plain child process with time, memory and output limits, and can read what the grader's user can read");
        try
        {
            using var probe = Process.Start(new ProcessStartInfo(bwrap)
            {
                ArgumentList = { "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--", "/bin/true" },
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            string error = probe.StandardError.ReadToEnd();
            probe.WaitForExit();
            if (probe.ExitCode != 0)
                return new Sandbox(null, $"NO SANDBOX: bubblewrap cannot create a sandbox here ({error.Trim()}); each submission runs as a plain child process with time, memory and output limits");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new Sandbox(null, $"NO SANDBOX: bubblewrap did not start ({e.Message}); plain child processes with limits");
        }
        return new Sandbox(bwrap, "bubblewrap sandbox: no network, read-only file system, private scratch folder, TA notebooks, submissions, other runs and results hidden, clean environment");
    }

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/> in <paramref name="scratch"/> under the
    /// limits, hiding <paramref name="hidden"/> folders inside the sandbox.
    /// </summary>
    public async Task<ProcessOutcome> RunAsync(string program, IReadOnlyList<string> arguments, string scratch,
        IReadOnlyList<string> hidden, GradingLimits limits, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = scratch };
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = scratch,
            ["TMPDIR"] = Path.Combine(scratch, "tmp"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            // No diagnostics socket: nothing outside the scratch folder is written.
            ["DOTNET_EnableDiagnostics"] = "0",
            ["DOTNET_GCHeapHardLimit"] = "0x" + ((long)limits.MemoryMegabytes << 20).ToString("X", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root) environment["DOTNET_ROOT"] = root;
        Directory.CreateDirectory(environment["TMPDIR"]);
        if (_bwrap is null)
        {
            start.FileName = program;
            foreach (string a in arguments) start.ArgumentList.Add(a);
            // Even without a sandbox, the student's code sees none of the grader's environment variables.
            start.Environment.Clear();
            foreach (var (k, v) in environment) start.Environment[k] = v;
        }
        else
        {
            start.FileName = _bwrap;
            string[] sandbox =
            [
                "--die-with-parent", "--new-session", "--unshare-all",
                // /tmp stays as it is (read-only): the course itself may live there, as a fresh clone in CI does.
                // The scratch folders of other runs are hidden with the rest (see Autograder).
                "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                .. hidden.Where(Directory.Exists).SelectMany(h => new[] { "--tmpfs", Path.GetFullPath(h) }),
                "--bind", scratch, scratch, "--chdir", scratch, "--clearenv",
                .. environment.SelectMany(kv => new[] { "--setenv", kv.Key, kv.Value }),
                "--", program,
            ];
            foreach (string a in sandbox.Concat(arguments)) start.ArgumentList.Add(a);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var console = new CappedText(limits.OutputChars);
        var stdout = DrainAsync(process.StandardOutput, console);
        var stderr = DrainAsync(process.StandardError, console);
        string? killed = null;
        long residentLimit = ((long)limits.MemoryMegabytes + GradingLimits.RuntimeMarginMegabytes) << 20;
        while (!process.HasExited)
        {
            if (clock.Elapsed > limits.WallTime) killed = $"wall-time limit of {limits.WallTime.TotalSeconds:0} s";
            else if (ResidentBytes(process.Id) is long rss && rss > residentLimit)
                killed = $"memory limit of {limits.MemoryMegabytes + GradingLimits.RuntimeMarginMegabytes} MB";
            else if (cancellationToken.IsCancellationRequested) killed = "the grader was stopped";
            if (killed is not null)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                break;
            }
            try { await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None); }
            catch (TimeoutException) { }
            catch (OperationCanceledException) { }
        }
        await process.WaitForExitAsync(CancellationToken.None);
        await Task.WhenAll(stdout, stderr);
        return new ProcessOutcome(killed is null ? process.ExitCode : -1, killed, clock.Elapsed, console.Text);
    }

    /// <summary>
    /// Resident memory of the process and its children (bubblewrap runs the real program as a child), from /proc;
    /// null where /proc is not available.
    /// </summary>
    private static long? ResidentBytes(int pid)
    {
        try
        {
            long total = 0;
            var pending = new Stack<int>([pid]);
            while (pending.Count > 0)
            {
                int p = pending.Pop();
                string status = File.ReadAllText($"/proc/{p}/status");
                string? line = status.Split('\n').FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out long kb)) total += kb * 1024;
                foreach (string task in Directory.EnumerateDirectories($"/proc/{p}/task"))
                    if (File.Exists(Path.Combine(task, "children")))
                        foreach (string child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                            pending.Push(int.Parse(child, System.Globalization.CultureInfo.InvariantCulture));
            }
            return total;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }

    private static async Task DrainAsync(StreamReader reader, CappedText into)
    {
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0) into.Append(buffer.AsSpan(0, read));
    }

    /// <summary>Keeps the last characters of a stream up to a cap and counts the rest.</summary>
    private sealed class CappedText(long cap)
    {
        private readonly System.Text.StringBuilder _text = new();
        private long _dropped;

        public void Append(ReadOnlySpan<char> chunk)
        {
            lock (_text)
            {
                int keep = (int)Math.Min(Math.Min(cap, 64 * 1024), chunk.Length);
                _text.Append(chunk[^keep..]);
                int over = _text.Length - (int)Math.Min(cap, 64 * 1024);
                if (over > 0) { _text.Remove(0, over); _dropped += over; }
                _dropped += chunk.Length - keep;
            }
        }

        public string Text
        {
            get { lock (_text) return (_dropped > 0 ? $"[{_dropped:N0} earlier characters dropped]\n" : "") + _text; }
        }
    }
}

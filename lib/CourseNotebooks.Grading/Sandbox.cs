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
/// <param name="Killed">Why the grader killed it, in words for the student (null when it ended by itself).</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="ConsoleTail">The end of its standard error (capped), for the TA's diagnostics, never shown to students.</param>
/// <param name="Signal">The signal that ended it, when a signal did (exit codes above 128).</param>
public sealed record ProcessOutcome(int ExitCode, string? Killed, TimeSpan Elapsed, string ConsoleTail, int? Signal = null);

/// <summary>What one run reads besides its own code: folders shown read-only at the same paths.</summary>
/// <param name="ReadOnlyFolders">Folders the run may read (the .NET runtime, the course command, the course library,
/// the data), each at its own path; nothing else of the machine's files is there.</param>
/// <param name="Environment">The run's whole environment (nothing of the grader's is passed on).</param>
public sealed record SandboxView(IReadOnlyList<string> ReadOnlyFolders, IReadOnlyDictionary<string, string> Environment);

/// <summary>
/// Runs a command for one submission: inside bubblewrap where it works, otherwise as a plain child process with the
/// same limits. Either way the run gets only the environment it is given (no variable of the grader's), its input on
/// standard input and its messages on standard output, a wall-time limit, a memory limit and a cap on what it prints.
/// </summary>
/// <remarks>
/// <para>In bubblewrap the run has: no network (its own empty network namespace, so no socket of the machine's, named
/// or abstract, is reachable); its own process, IPC and host-name namespaces (its process 1 is bubblewrap, started with
/// the run's environment only, so /proc/1 shows nothing of the grader's); no capabilities and no way to get any (a user
/// namespace with further user namespaces disabled; when the grader runs as root the run's user is nobody inside and
/// its capabilities are dropped); a file system made of the system's /usr (with /bin, /lib, ... as on the machine) and
/// the folders of <see cref="SandboxView.ReadOnlyFolders"/>, all read-only, and size-limited in-memory /tmp and
/// /dev/shm (<see cref="TmpBytes"/>, <see cref="ShmBytes"/>). The repository, the TA's notebooks, the submissions,
/// the grading output, /home, /root, /run and the grader's other files are not there at all.</para>
/// <para>Each run is started from a thread of its own that lives as long as the run: bubblewrap's die-with-parent
/// follows the thread that started it, and a pool thread retired while a run was still going killed it.</para>
/// </remarks>
public sealed class Sandbox
{
    private readonly string? _bwrap;
    private readonly bool _root;

    /// <summary>The size of the run's /tmp (its home and scratch space).</summary>
    public const long TmpBytes = 64L << 20;

    /// <summary>The size of the run's /dev/shm.</summary>
    public const long ShmBytes = 16L << 20;

    private Sandbox(string? bwrap, string description, bool root)
    {
        _bwrap = bwrap;
        _root = root;
        Description = description;
    }

    /// <summary>True when runs go through bubblewrap.</summary>
    public bool Isolated => _bwrap is not null;

    /// <summary>One line for the TA: what isolation runs get.</summary>
    public string Description { get; }

    /// <summary>
    /// Finds bubblewrap and checks that it can start a sandbox here, with the options the runs use (it needs user
    /// namespaces or a setuid install); <paramref name="disable"/> forces plain processes.
    /// </summary>
    public static Sandbox Detect(bool disable = false)
    {
        if (disable) return new Sandbox(null, "no sandbox (--no-sandbox): each submission runs as a plain child process with time, memory and output limits, an empty environment, and the files of the grader's user readable", false);
        string? bwrap = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "bwrap")).FirstOrDefault(File.Exists);
        if (bwrap is null)
            return new Sandbox(null, "NO SANDBOX: bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap); each submission runs as a plain child process with time, memory and output limits, and can read what the grader's user can read", false);
        bool root = IsRoot();
        try
        {
            var probe = new ProcessStartInfo(bwrap) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string a in Isolation(root).Concat(SystemFolders()).Concat(["--", "/bin/true"])) probe.ArgumentList.Add(a);
            probe.Environment.Clear();
            using var process = Process.Start(probe)!;
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                return new Sandbox(null, $"NO SANDBOX: bubblewrap cannot create a sandbox here ({error.Trim()}); each submission runs as a plain child process with time, memory and output limits", false);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new Sandbox(null, $"NO SANDBOX: bubblewrap did not start ({e.Message}); plain child processes with limits", false);
        }
        return new Sandbox(bwrap, "bubblewrap sandbox: no network, no capabilities, own process namespace, an empty environment, only the system, the .NET runtime, the course library and the data visible (read-only), size-limited /tmp and /dev/shm" + (root ? " (the grader runs as root: runs are nobody, capabilities dropped)" : ""), root);
    }

    /// <summary>The namespace and privilege options of every run.</summary>
    private static IEnumerable<string> Isolation(bool root) =>
        root
            ? ["--die-with-parent", "--new-session", "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534", "--disable-userns", "--cap-drop", "ALL"]
            : ["--die-with-parent", "--new-session", "--unshare-all", "--unshare-user", "--disable-userns"];

    /// <summary>/usr, and /bin, /sbin, /lib... as the machine has them (links where /usr is merged, folders otherwise).</summary>
    private static IEnumerable<string> SystemFolders()
    {
        yield return "--ro-bind";
        yield return "/usr";
        yield return "/usr";
        foreach (string top in new[] { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" })
        {
            var info = new DirectoryInfo(top);
            if (info.LinkTarget is { } target) { yield return "--symlink"; yield return target; yield return top; }
            else if (info.Exists) { yield return "--ro-bind"; yield return top; yield return top; }
        }
    }

    private static bool IsRoot()
    {
        try { return File.ReadAllLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(2) == "0"; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/> under the limits, feeding it
    /// <paramref name="input"/> and handing each line it writes to standard output to <paramref name="onLine"/>.
    /// </summary>
    public async Task<ProcessOutcome> RunAsync(string program, IReadOnlyList<string> arguments, string input, SandboxView view,
        GradingLimits limits, Action<string> onLine, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.Environment.Clear();
        var environment = new Dictionary<string, string>(view.Environment)
        {
            ["DOTNET_GCHeapHardLimit"] = "0x" + ((long)limits.MemoryMegabytes << 20).ToString("X", System.Globalization.CultureInfo.InvariantCulture),
            // No diagnostics socket, no debugger or profiler attach.
            ["DOTNET_EnableDiagnostics"] = "0",
        };
        string? scratch = null;
        if (_bwrap is null)
        {
            // A plain child: a fresh folder as its home and working folder.
            scratch = Directory.CreateTempSubdirectory("course-run-").FullName;
            environment["HOME"] = scratch;
            environment["TMPDIR"] = scratch;
            start.WorkingDirectory = scratch;
            start.FileName = program;
            foreach (string a in arguments) start.ArgumentList.Add(a);
        }
        else
        {
            environment["HOME"] = "/tmp";
            environment["TMPDIR"] = "/tmp";
            start.FileName = _bwrap;
            var folders = view.ReadOnlyFolders.Select(Path.GetFullPath).Where(Directory.Exists).Distinct(StringComparer.Ordinal)
                .Where(f => !f.StartsWith("/usr/", StringComparison.Ordinal)).ToList();
            string[] sandbox =
            [
                .. Isolation(_root), .. SystemFolders(),
                "--proc", "/proc", "--dev", "/dev",
                "--size", TmpBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tmpfs", "/tmp",
                "--size", ShmBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tmpfs", "/dev/shm",
                // After /tmp: a folder under /tmp (a fresh clone in CI lives there) is shown on top of the new /tmp.
                .. folders.SelectMany(f => new[] { "--ro-bind", f, f }),
                // The sandbox's own root (where bubblewrap made the mount points) read-only too: /tmp and /dev/shm are
                // the only places a run can write, and both have a size.
                "--remount-ro", "/",
                "--chdir", "/tmp",
                "--", program,
            ];
            foreach (string a in sandbox.Concat(arguments)) start.ArgumentList.Add(a);
        }
        // bubblewrap itself (the sandbox's process 1) gets the run's environment and nothing else.
        foreach (var (k, v) in environment) start.Environment[k] = v;
        try { return await RunOnOwnThreadAsync(start, input, limits, onLine, cancellationToken); }
        finally
        {
            if (scratch is not null)
                try { Directory.Delete(scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<ProcessOutcome> RunOnOwnThreadAsync(ProcessStartInfo start, string input, GradingLimits limits,
        Action<string> onLine, CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The thread that starts the run waits for it to end: it is the parent whose death bubblewrap watches.
        var owner = new Thread(() =>
        {
            Process process;
            try { process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}"); }
            catch (Exception e) { started.SetException(e); return; }
            started.SetResult(process);
            process.WaitForExit();
            ended.SetResult();
        }) { IsBackground = true, Name = "grading run" };
        owner.Start();
        using var process = await started.Task;
        var clock = Stopwatch.StartNew();
        var errors = new CappedText(limits.OutputChars);
        string? killed = null;
        var feed = Task.Run(async () =>
        {
            try
            {
                await process.StandardInput.WriteAsync(input);
                process.StandardInput.Close();
            }
            catch (IOException) { }   // the run ended before reading everything
        }, CancellationToken.None);
        var stdout = ReadLinesAsync(process.StandardOutput, MaxLineChars, onLine, () => killed ??= "its messages to the grader were too large");
        var stderr = DrainAsync(process.StandardError, errors);
        long residentLimit = ((long)limits.MemoryMegabytes + GradingLimits.RuntimeMarginMegabytes) << 20;
        while (!ended.Task.IsCompleted)
        {
            if (killed is null)
            {
                if (clock.Elapsed > limits.WallTime) killed = $"the notebook ran longer than the wall-time limit of {limits.WallTime.TotalSeconds:0} s";
                else if (ResidentBytes(process.Id) is long rss && rss > residentLimit)
                    killed = $"it used more memory than the limit of {limits.MemoryMegabytes:N0} MB (plus {GradingLimits.RuntimeMarginMegabytes:N0} MB for the runtime)";
                else if (cancellationToken.IsCancellationRequested) killed = "the grader was stopped";
            }
            if (killed is not null)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                break;
            }
            await Task.WhenAny(ended.Task, Task.Delay(200, CancellationToken.None));
        }
        await ended.Task;
        await Task.WhenAll(stdout, stderr, feed);
        int exit = process.ExitCode;
        return new ProcessOutcome(killed is null ? exit : -1, killed, clock.Elapsed, errors.Text, exit > 128 && killed is null ? exit - 128 : null);
    }

    /// <summary>The longest line the grader reads from a run (a probe run's JSON); a longer one ends the run.</summary>
    public const int MaxLineChars = 64 << 20;

    private static async Task ReadLinesAsync(StreamReader reader, int maxChars, Action<string> onLine, Action tooLong)
    {
        var line = new System.Text.StringBuilder();
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] == '\n')
                {
                    onLine(line.ToString());
                    line.Clear();
                }
                else if (line.Length < maxChars) line.Append(buffer[i]);
                else { tooLong(); return; }
            }
        }
        if (line.Length > 0) onLine(line.ToString());
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

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>
/// A fact that needs a single-node Slurm this test can start: Debian's slurm-wlm and munge installed, and root (slurmd
/// runs jobs as their users). Elsewhere it is skipped and says why, unless COURSE_REQUIRE_SLURM=1 (set by .ci/run,
/// which installs both), where it runs and fails instead of hiding the gap.
/// </summary>
public sealed class FactWhenSlurmAttribute : FactAttribute
{
    /// <summary>The variable that turns a missing Slurm from a skip into a failure.</summary>
    public const string RequireVariable = "COURSE_REQUIRE_SLURM";

    public FactWhenSlurmAttribute([CallerMemberName] string test = "")
    {
        if (SlurmCluster.Unavailable() is { } why && Environment.GetEnvironmentVariable(RequireVariable) != "1")
        {
            Skip = $"Slurm cannot start here: {why}; the job array was not run";
            DisplayName = $"{test} (not run: {Skip})";
        }
    }
}

/// <summary>
/// A single-node Slurm of its own, started by the test and torn down after: a munge key and munged on a private
/// socket, a slurm.conf naming this host with its CPUs and memory on free ports, then slurmctld and slurmd in the
/// foreground (so they are this process's children, ended by their ids). Nothing of the machine's own Slurm or munge
/// configuration is read or changed; commands find this cluster through SLURM_CONF.
/// </summary>
internal sealed class SlurmCluster : IAsyncDisposable
{
    private static readonly string[] Programs = ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/sinfo", "/usr/bin/scontrol"];

    private readonly List<Process> _daemons = [];

    private SlurmCluster(string folder) => Folder = folder;

    /// <summary>Its configuration, state and logs.</summary>
    public string Folder { get; }

    /// <summary>Its slurm.conf (the SLURM_CONF of every command).</summary>
    public string Conf => Path.Combine(Folder, "slurm.conf");

    /// <summary>Why no cluster can be started here, or null.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux";
        if (Programs.FirstOrDefault(p => !File.Exists(p)) is { } missing) return $"{missing} is missing (apt-get install slurm-wlm munge)";
        if (Environment.UserName != "root") return "not running as root (slurmd must start jobs as their users)";
        return null;
    }

    public static async Task<SlurmCluster> StartAsync(ITestOutputHelper output)
    {
        var cluster = new SlurmCluster(Directory.CreateTempSubdirectory("course-slurm-").FullName);
        try
        {
            await cluster.StartDaemonsAsync(output);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartDaemonsAsync(ITestOutputHelper output)
    {
        string f = Folder;
        Directory.CreateDirectory(Path.Combine(f, "state"));
        Directory.CreateDirectory(Path.Combine(f, "spool"));
        string key = Path.Combine(f, "munge.key");
        await File.WriteAllBytesAsync(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead);
        string socket = Path.Combine(f, "munge.socket");
        Start("/usr/sbin/munged", "--foreground", "--force", $"--key-file={key}", $"--socket={socket}", $"--pid-file={f}/munged.pid",
            $"--log-file={f}/munged.log", $"--seed-file={f}/munged.seed");
        await WaitUntilAsync(() => File.Exists(socket), TimeSpan.FromSeconds(20), "munged did not create its socket");

        string host = Environment.MachineName;
        int cpus = Environment.ProcessorCount;
        long memoryMb = File.ReadLines("/proc/meminfo").Where(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Select(l => long.Parse(Regex.Match(l, @"\d+").Value, System.Globalization.CultureInfo.InvariantCulture) / 1024).First() * 9 / 10;
        await File.WriteAllTextAsync(Conf, $"""
            ClusterName=coursetest
            SlurmctldHost={host}(127.0.0.1)
            SlurmctldPort={FreePort()}
            SlurmdPort={FreePort()}
            AuthType=auth/munge
            AuthInfo=socket={socket}
            CredType=cred/munge
            SlurmUser=root
            SlurmdUser=root
            StateSaveLocation={f}/state
            SlurmdSpoolDir={f}/spool
            SlurmctldPidFile={f}/slurmctld.pid
            SlurmdPidFile={f}/slurmd.pid
            SlurmctldLogFile={f}/slurmctld.log
            SlurmdLogFile={f}/slurmd.log
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core
            ReturnToService=2
            MpiDefault=none
            SchedulerParameters=sched_interval=2
            NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memoryMb} State=UNKNOWN
            PartitionName=course Nodes={host} Default=YES MaxTime=INFINITE State=UP

            """);
        Start("/usr/sbin/slurmctld", "-D", "-f", Conf);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Start("/usr/sbin/slurmd", "-D", "-f", Conf);
        string sinfo = "";
        await WaitUntilAsync(() =>
        {
            sinfo = Run("/usr/bin/sinfo", "-h", "-o", "%T").Output.Trim();
            return sinfo == "idle";
        }, TimeSpan.FromSeconds(60), $"the node never became idle (sinfo: '{sinfo}'); slurmctld.log and slurmd.log are in {f}");
        output.WriteLine($"slurm: node {host} ({cpus} CPUs, {memoryMb} MB) idle; configuration {Conf}");
    }

    private void Start(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["SLURM_CONF"] = Conf;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        _daemons.Add(process);
    }

    /// <summary>Runs a Slurm command against this cluster.</summary>
    public (int Exit, string Output) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["SLURM_CONF"] = Conf;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }

    /// <summary>A job's state (COMPLETED, FAILED, PENDING...), the worst of its array's tasks.</summary>
    public string State(string job)
    {
        var states = Regex.Matches(Run("/usr/bin/scontrol", "show", "job", job).Output, @"JobState=(\w+)").Select(m => m.Groups[1].Value).Distinct().ToList();
        return states.Count == 0 ? "UNKNOWN" : states.FirstOrDefault(s => s != "COMPLETED") ?? "COMPLETED";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilAsync(Func<bool> done, TimeSpan timeout, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException(failure);
            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Children first (slurmd, then slurmctld), each by its own id.
        foreach (var daemon in Enumerable.Reverse(_daemons))
        {
            try
            {
                if (!daemon.HasExited)
                {
                    daemon.Kill();
                    await daemon.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
                }
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
            daemon.Dispose();
        }
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }   // a socket file racing its daemon's exit: the folder is in /tmp
    }
}

/// <summary>
/// The README's Slurm recipe, on a real scheduler: a single-node cluster of the test's own, a small class of the
/// fixture course, and the README's block (between its slurm-job markers) run as written, with only its first line's
/// values (shards, course, submissions, grading) set by the test. The array's shards and the merge step must give the
/// same gradebook as one `course autograde` on one machine.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class SlurmTests(NotebookFixture fixture, ITestOutputHelper output)
{
    [FactWhenSlurm]
    public async Task ReadmeJobArray_AndMergeStep_GiveTheOneMachineGradebook()
    {
        if (SlurmCluster.Unavailable() is { } why)
            Assert.Fail($"{FactWhenSlurmAttribute.RequireVariable}=1 but {why}");
        await fixture.BuildLibraryOnceAsync();
        string work = Directory.CreateTempSubdirectory("course-slurm-class-").FullName;
        try
        {
            const int Students = 6, Shards = 3;
            string course = Path.Combine(work, "course");
            string notebooks = Directory.CreateDirectory(Path.Combine(course, "notebooks")).FullName;
            foreach (string file in Directory.GetFiles(Path.Combine(MockClass.Course, "notebooks")))
                File.WriteAllText(Path.Combine(notebooks, Path.GetFileName(file)),
                    Host.NotebookConverter.RebaseReferences(File.ReadAllText(file), Path.Combine(MockClass.Course, "notebooks"), notebooks));
            string submissions = Path.Combine(work, "submissions");
            MockClass.Write(submissions, Students);

            // The README's block, its first line's values replaced, everything else as written.
            string readme = File.ReadAllText(Path.Combine(fixture.Root, "README.md"));
            var block = Regex.Match(readme, @"<!-- slurm-job:begin -->\s*```bash\n(?<code>.*?)```\s*<!-- slurm-job:end -->", RegexOptions.Singleline);
            Assert.True(block.Success, "README.md has no block between <!-- slurm-job:begin --> and <!-- slurm-job:end -->");
            var lines = block.Groups["code"].Value.TrimEnd('\n').Split('\n');
            Assert.Matches(@"^shards=\S+ course=\S+ submissions=\S+ grading=\S+$", lines[0]);
            string grading = Path.Combine(work, "slurm-grading");
            string script = string.Join('\n', [$"shards={Shards} course={course} submissions={submissions} grading={grading}", .. lines[1..]]) + "\n";

            await using var cluster = await SlurmCluster.StartAsync(output);
            var clock = Stopwatch.StartNew();
            var (exit, log) = await BashAsync(script, cluster.Conf);
            output.WriteLine(log);
            Assert.True(exit == 0, $"the README's block failed (exit {exit}):\n{log}");
            string merge = log.Trim().Split('\n')[^1].Trim();
            Assert.Matches(@"^\d+$", merge);
            string array = (int.Parse(merge, System.Globalization.CultureInfo.InvariantCulture) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            string state = "";
            var deadline = Stopwatch.StartNew();
            while ((state = cluster.State(merge)) is "PENDING" or "RUNNING" or "CONFIGURING" or "COMPLETING" or "UNKNOWN" && deadline.Elapsed < TimeSpan.FromMinutes(12))
                await Task.Delay(1000);
            output.WriteLine($"slurm: array {array} {cluster.State(array)}, merge {merge} {state}, {clock.Elapsed.TotalSeconds:0} s");
            string taskLogs = string.Join("\n", Directory.GetFiles(fixture.Root, "slurm-course-*.out").Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));
            output.WriteLine(taskLogs);
            foreach (string f in Directory.GetFiles(fixture.Root, "slurm-course-*.out")) File.Delete(f);
            Assert.True(state == "COMPLETED", $"the merge job is {state}, the array {cluster.State(array)}:\n{taskLogs}");
            // Every shard graded its share and nothing twice.
            Assert.Equal(Students, Directory.GetDirectories(Path.Combine(grading, "results")).Length);

            // The same class on one machine, one process.
            string local = Path.Combine(work, "local-grading");
            var (localExit, localLog) = await MockClass.CourseAsync(["autograde", submissions, "--root", course, "--out", local, "--jobs", "2"]);
            Assert.True(localExit == 0, localLog);
            static string[] WithoutSeconds(string path) => [.. File.ReadAllLines(path).Select(l => l[..l.LastIndexOf(',')])];
            var fromSlurm = WithoutSeconds(Path.Combine(grading, "gradebook.csv"));
            Assert.Equal(WithoutSeconds(Path.Combine(local, "gradebook.csv")), fromSlurm);
            Assert.Equal(1 + Students * 3, fromSlurm.Length);
            Assert.Contains(fromSlurm, r => r.StartsWith("s06,01-stats,square,0,2,failed,", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Runs a bash script from the repository root, as a TA on the login node would, against the test's cluster.</summary>
    private async Task<(int Exit, string Log)> BashAsync(string script, string conf)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = fixture.Root };
        start.ArgumentList.Add("-euo");
        start.ArgumentList.Add("pipefail");
        start.ArgumentList.Add("-s");
        start.Environment["SLURM_CONF"] = conf;
        // The test host inherits MSBuild's variables from `dotnet test`; the block's build must not see them.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stderr) + (await stdout));
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CourseNotebooks.Grading;
using Xunit.Abstractions;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>
/// The sandbox tried from inside, by a TA notebook whose lecture cell is the attacker (fixtures/grading-sandbox): it
/// looks for the grader's secret in its environment and in /proc/1/environ, for the grader's process, for the TA's
/// notebooks, the submissions, the grading output and the repository's .git, for a file of the machine, /root,
/// /home, /run and /var; it writes into the course library, /usr, / and the repository; it reads its capabilities,
/// unmounts /tmp, remounts /usr writable, makes a user namespace; it connects to a TCP port, a unix socket and an
/// abstract unix socket of the machine; and it fills /tmp and /dev/shm. Any success fails the reference run, and with
/// it the whole grading. Graded as root (as in CI and most containers) and, when the test runs as root, once more as
/// an unprivileged user; and without the sandbox, where the escapes must be found (so the check can fail).
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class AutogradeSandboxTests(NotebookFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Sandbox_HoldsAgainstEveryEscape_AsRootAndAsAUser_AndWithoutItTheEscapesAreFound()
    {
        await fixture.BuildLibraryOnceAsync();
        var sandbox = Sandbox.Detect();
        output.WriteLine(sandbox.Description);
        if (!sandbox.Isolated)
        {
            Assert.True(Environment.GetEnvironmentVariable(AutogradeTests.RequireSandboxVariable) != "1", $"bubblewrap cannot run here: {sandbox.Description}");
            return;
        }
        string work = Directory.CreateTempSubdirectory("course-sandbox-").FullName;
        using var tcp = new TcpListener(IPAddress.Loopback, 0);
        tcp.Start();
        string socketPath = Path.Combine(work, "machine.sock");
        using var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        unix.Bind(new UnixDomainSocketEndPoint(socketPath));
        unix.Listen();
        string abstractName = "course-sandbox-" + Guid.NewGuid().ToString("N");
        using var abstractSocket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        abstractSocket.Bind(new UnixDomainSocketEndPoint("\0" + abstractName));
        abstractSocket.Listen();
        try
        {
            string library = Path.Combine(fixture.Root, "artifacts", "notebook-lib");
            var (course, submissions, outDir) = MakeCourse(Path.Combine(work, "root-run"), library, ((IPEndPoint)tcp.LocalEndpoint).Port, socketPath, abstractName);

            var (exit, log) = await CourseAsync(AppContext.BaseDirectory, course, submissions, outDir, null);
            Assert.True(exit == 0, log);
            Assert.Contains("1/1", log);
            Assert.DoesNotContain("sandbox escapes", log);
            // A write aimed at the repository from inside may land in the sandbox's own /tmp (when the repository lives
            // under /tmp, its path exists there as mount points): it must not reach the machine.
            Assert.False(File.Exists(Path.Combine(fixture.Root, "escaped.txt")), "a sandboxed run wrote into the repository");

            // Without the sandbox the same lecture cell finds its way out: the reference run fails and says how. (Its
            // writes land where it aimed them; they are removed again below.)
            var (open, openLog) = await CourseAsync(AppContext.BaseDirectory, course, submissions, Path.Combine(work, "open-out"), null, "--no-sandbox");
            foreach (string written in new[] { Path.Combine(library, "escaped.txt"), "/usr/escaped.txt", "/escaped.txt", Path.Combine(fixture.Root, "escaped.txt") })
                try { File.Delete(written); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            Assert.Equal(1, open);
            Assert.Contains("sandbox escapes:", openLog);
            Assert.Contains("sees " + Path.Combine(course, "notebooks", "01-escape.dib"), openLog);

            if (!IsRoot() || !File.Exists("/usr/bin/setpriv")) return;
            // As an unprivileged user: the course command, the library and the course copied where that user can read
            // them (the repository may sit in a folder only root can enter, as a fresh clone in CI does).
            string shared = Path.Combine(work, "user-run");
            string bin = Copy(AppContext.BaseDirectory, Path.Combine(shared, "bin"));
            string userLibrary = Copy(library, Path.Combine(shared, "artifacts", "notebook-lib"));
            var (userCourse, userSubmissions, userOut) = MakeCourse(Path.Combine(shared, "course"), userLibrary, ((IPEndPoint)tcp.LocalEndpoint).Port, socketPath, abstractName);
            OpenUp(work);
            var (userExit, userLog) = await CourseAsync(bin, userCourse, userSubmissions, userOut, "65534");
            Assert.True(userExit == 0, userLog);
            Assert.Contains("1/1", userLog);
            Assert.DoesNotContain("runs are nobody", userLog);   // the grader itself was not root
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The fixture course with its @@ places filled in, and empty submission and output folders.</summary>
    private (string Course, string Submissions, string Out) MakeCourse(string at, string library, int port, string socket, string abstractName)
    {
        string from = Path.Combine(fixture.Root, "tests", "CourseNotebooks.Notebooks.Tests", "fixtures", "grading-sandbox");
        string notebooks = Directory.CreateDirectory(Path.Combine(at, "notebooks")).FullName;
        string submissions = Path.Combine(at, "submissions");
        string outDir = Path.Combine(at, "out");
        string hostFile = Path.Combine(at, "machine-file.txt");
        File.WriteAllText(hostFile, "a file of the machine");
        string text = File.ReadAllText(Path.Combine(from, "notebooks", "01-escape.dib"))
            .Replace("../../../../../artifacts/notebook-lib", library)
            .Replace("@@SECRET@@", Secret).Replace("@@NOTEBOOKS@@", notebooks).Replace("@@SUBMISSIONS@@", submissions)
            .Replace("@@OUT@@", outDir).Replace("@@REPOSITORY@@", fixture.Root).Replace("@@HOSTFILE@@", hostFile)
            .Replace("@@LIBRARY@@", library).Replace("@@PORT@@", port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Replace("@@SOCKET@@", socket).Replace("@@ABSTRACT@@", abstractName);
        File.WriteAllText(Path.Combine(notebooks, "01-escape.dib"), text);
        Copy(Path.Combine(from, "submissions"), submissions);
        return (at, submissions, outDir);
    }

    private static readonly string Secret = "s3cret-" + Guid.NewGuid().ToString("N");

    private async Task<(int Exit, string Log)> CourseAsync(string bin, string course, string submissions, string outDir, string? asUser, params string[] more)
    {
        string[] grade = [Path.Combine(bin, "course.dll"), "autograde", submissions, "--root", course, "--out", outDir, "--cell-time", "60", "--wall-time", "240", .. more];
        var start = asUser is null
            ? new ProcessStartInfo("dotnet")
            : new ProcessStartInfo("/usr/bin/setpriv") { ArgumentList = { $"--reuid={asUser}", $"--regid={asUser}", "--clear-groups", "--", "/usr/bin/dotnet" } };
        foreach (string a in grade) start.ArgumentList.Add(a);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.Environment["COURSE_GRADER_SECRET"] = Secret;
        if (asUser is not null)
        {
            start.Environment["HOME"] = Path.GetDirectoryName(course)!;
            start.Environment["DOTNET_CLI_HOME"] = Path.GetDirectoryName(course)!;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        string log = await stdout + await stderr;
        output.WriteLine(log);
        return (process.ExitCode, log);
    }

    private static string Copy(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
        return to;
    }

    /// <summary>Every folder under <paramref name="root"/> world-readable, its output folders world-writable.</summary>
    private static void OpenUp(string root)
    {
        if (OperatingSystem.IsWindows()) return;
        foreach (string dir in Directory.GetDirectories(root, "*", SearchOption.AllDirectories).Append(root))
            File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("777", 8));
        foreach (string file in Directory.GetFiles(root, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("644", 8));
    }

    private static bool IsRoot() =>
        File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[2] == "0";
}

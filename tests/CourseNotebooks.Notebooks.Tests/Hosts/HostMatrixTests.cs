using System.Diagnostics;
using System.Runtime.CompilerServices;
using CourseNotebooks.Host;
using Xunit.Abstractions;

namespace CourseNotebooks.Notebooks.Tests.Hosts;

/// <summary>The hosts a student may run the course in, besides the course runner.</summary>
public enum NotebookHost
{
    /// <summary>VS Code's Polyglot Notebooks: the dotnet-interactive tool over its stdio protocol.</summary>
    KernelProtocol,
    /// <summary>dotnet-repl, headless, writing an executed .ipynb.</summary>
    DotnetRepl,
    /// <summary>Jupyter's .NET (C#) kernel through nbconvert.</summary>
    Jupyter,
    /// <summary>The notebook exported as a C# file-based app, run with `dotnet run app.cs`.</summary>
    FileBasedApp,
}

/// <summary>
/// A host test that needs a tool outside the .NET SDK (the pinned notebook tools, Jupyter). Without it the test is
/// skipped and says why, unless COURSE_REQUIRE_HOSTS=1 (set by .ci/run, which installs them), where a missing tool
/// fails instead.
/// </summary>
public sealed class TheoryWhenHostAttribute : TheoryAttribute
{
    public const string RequireVariable = "COURSE_REQUIRE_HOSTS";

    public TheoryWhenHostAttribute(NotebookHost host, [CallerMemberName] string test = "")
    {
        if (HostMatrixTests.Missing(host) is { } missing && Environment.GetEnvironmentVariable(RequireVariable) != "1")
        {
            Skip = missing;
            DisplayName = $"{test} (not run: {missing})";
        }
    }
}

/// <summary>
/// Every host the README names runs the notebooks as the course runner does: the same cells succeed, the same text
/// is printed and the same values and charts are shown (times aside, see <see cref="HostComparison"/>). In CI each
/// host runs a few notebooks that between them use every kind of output (charts, formulas as markdown, tables,
/// live progress, audio players); environment/check-hosts runs all 18 in every host.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class HostMatrixTests(NotebookFixture fixture, ITestOutputHelper output)
{
    /// <summary>Set to "all" (environment/check-hosts does) to run every notebook in every host instead of the sample.</summary>
    public const string MatrixVariable = "COURSE_HOST_MATRIX";

    /// <summary>The notebooks each host runs in CI: charts and tables (02), generated formulas (03), audio and progress
    /// (08); every notebook when <see cref="MatrixVariable"/> is "all".</summary>
    public static TheoryData<string> Sample() => Environment.GetEnvironmentVariable(MatrixVariable) == "all"
        ? [.. Directory.GetFiles(Path.Combine(NotebookFixture.FindRoot(), "notebooks"), "*.dib").Order(StringComparer.Ordinal).Select(p => Path.GetFileNameWithoutExtension(p))]
        : ["02-pooling", "03-backprop-conv", "08-cnn-for-audio"];

    [TheoryWhenHost(NotebookHost.KernelProtocol)]
    [MemberData(nameof(Sample))]
    public async Task VsCodeKernelProtocol_ShowsWhatTheCourseRunnerShows(string name) => await SameAsRunner(name, NotebookHost.KernelProtocol);

    [TheoryWhenHost(NotebookHost.DotnetRepl)]
    [MemberData(nameof(Sample))]
    public async Task DotnetRepl_ShowsWhatTheCourseRunnerShows(string name) => await SameAsRunner(name, NotebookHost.DotnetRepl);

    [TheoryWhenHost(NotebookHost.Jupyter)]
    [MemberData(nameof(Sample))]
    public async Task Jupyter_ShowsWhatTheCourseRunnerShows(string name) => await SameAsRunner(name, NotebookHost.Jupyter);

    [Theory]
    [MemberData(nameof(Sample))]
    public async Task FileBasedApp_ShowsWhatTheCourseRunnerShows(string name) => await SameAsRunner(name, NotebookHost.FileBasedApp);

    [Fact]
    public async Task FileBasedApps_OfEveryNotebook_Build()
    {
        await fixture.BuildLibraryOnceAsync();
        string apps = Directory.CreateTempSubdirectory("course-apps-").FullName;
        try
        {
            var notebooks = Directory.GetFiles(Path.Combine(fixture.Root, "notebooks"), "*.dib").Order(StringComparer.Ordinal).ToList();
            // Inside the repository, as `./run-course export` writes them: their #:project paths are relative.
            string folder = Path.Combine(fixture.Root, "out", "test-apps-" + Path.GetFileName(apps));
            var written = NotebookApps.Write(notebooks, folder, fixture.Root);
            Assert.Equal(18, written.Count);
            foreach (string app in written)
            {
                var (exit, log) = await RunAsync("dotnet", ["build", app, "-v", "q", "--nologo"], fixture.Root, TimeSpan.FromMinutes(5));
                Assert.True(exit == 0, $"{Path.GetFileName(app)} does not build:\n{log}");
            }
            Directory.Delete(folder, recursive: true);
        }
        finally { Directory.Delete(apps, recursive: true); }
    }

    private async Task SameAsRunner(string name, NotebookHost host)
    {
        var reference = await fixture.RunAsync(name);
        Assert.True(reference.Succeeded, reference.FirstFailure?.Describe());
        var clock = Stopwatch.StartNew();
        var other = await RunInAsync(host, name);
        output.WriteLine($"{host} ran {name} in {clock.Elapsed.TotalSeconds:0.0} s (the course runner: {reference.Elapsed.TotalSeconds:0.0} s)");
        Assert.True(other.Succeeded, $"{host}: {other.FirstFailure?.Describe()}");
        var differences = HostComparison.Differences(reference, other);
        Assert.True(differences.Count == 0, $"{host} shows {name} differently:\n{string.Join("\n", differences.Take(10))}");
    }

    private async Task<NotebookRun> RunInAsync(NotebookHost host, string name)
    {
        string dib = Path.Combine(fixture.Root, "notebooks", name + ".dib");
        var notebook = NotebookDocument.Load(dib);
        string outDir = Path.Combine(fixture.Root, "out", "host-matrix", host.ToString());
        Directory.CreateDirectory(outDir);
        switch (host)
        {
            case NotebookHost.KernelProtocol:
                return await KernelProtocolHost.RunAsync(notebook, TimeSpan.FromMinutes(5));
            case NotebookHost.DotnetRepl:
            {
                string executed = Path.Combine(outDir, name + ".ipynb");
                var (exit, log) = await RunAsync("dotnet", ["repl", "--run", name + ".dib", "--exit-after-run", "--output-path", executed],
                    Path.Combine(fixture.Root, "notebooks"), TimeSpan.FromMinutes(10));
                Assert.True(File.Exists(executed), $"dotnet-repl wrote no notebook (exit {exit}):\n{log}");
                return ExecutedNotebooks.Read(executed, notebook);
            }
            case NotebookHost.Jupyter:
            {
                // As the README says: convert writes the copies inside the repository (the kernel needs the tool
                // manifest above them), then nbconvert executes them with the .NET (C#) kernel.
                string copies = Path.Combine(outDir, "ipynb");
                NotebookConverter.WriteJupyter(notebook, Path.Combine(copies, name + ".ipynb"));
                var (exit, log) = await RunAsync("jupyter", ["nbconvert", "--to", "notebook", "--execute", "--allow-errors",
                    "--ExecutePreprocessor.timeout=600", "--output-dir", outDir, Path.Combine(copies, name + ".ipynb")], fixture.Root, TimeSpan.FromMinutes(12));
                string executed = Path.Combine(outDir, name + ".ipynb");
                Assert.True(exit == 0 && File.Exists(executed), $"jupyter nbconvert failed (exit {exit}):\n{log}");
                return ExecutedNotebooks.Read(executed, notebook);
            }
            default:
            {
                string app = NotebookApps.Write([dib], outDir, fixture.Root)[0];
                var (exit, log) = await RunAsync("dotnet", ["run", app], fixture.Root, TimeSpan.FromMinutes(10));
                Assert.True(exit == 0, $"dotnet run {Path.GetFileName(app)} failed (exit {exit}):\n{log}");
                Assert.True(File.Exists(Path.Combine(outDir, "html", name + ".html")), "the app wrote no report");
                return ExecutedNotebooks.Read(Path.Combine(outDir, "executed", name + ".ipynb"), notebook);
            }
        }
    }

    /// <summary>Why a host cannot run here (its tool is missing), or null.</summary>
    internal static string? Missing(NotebookHost host) => host switch
    {
        NotebookHost.KernelProtocol when !ToolRestored("microsoft.dotnet-interactive") => "the dotnet-interactive tool is not restored (dotnet tool restore)",
        NotebookHost.DotnetRepl when !ToolRestored("dotnet-repl") => "the dotnet-repl tool is not restored (dotnet tool restore)",
        NotebookHost.Jupyter when !OnPath("jupyter") => "Jupyter is not installed (apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel, then dotnet interactive jupyter install)",
        NotebookHost.Jupyter when !JupyterHasDotnetKernel() => "Jupyter has no .NET (C#) kernel (dotnet interactive jupyter install)",
        _ => null,
    };

    private static bool ToolRestored(string package)
    {
        string manifest = File.ReadAllText(Path.Combine(NotebookFixture.FindRoot(), ".config", "dotnet-tools.json"));
        var version = System.Text.RegularExpressions.Regex.Match(manifest, $"\"{package}\"\\s*:\\s*{{\\s*\"version\"\\s*:\\s*\"([^\"]+)\"");
        string home = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return version.Success && Directory.Exists(Path.Combine(home, package, version.Groups[1].Value));
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, program)));

    private static bool JupyterHasDotnetKernel()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("jupyter", "kernelspec list") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            string list = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return list.Contains(".net-csharp", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    private static async Task<(int Exit, string Log)> RunAsync(string program, string[] arguments, string folder, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in arguments) start.ArgumentList.Add(a);
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList()) start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_INTERACTIVE_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cancel.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout.TotalSeconds:0} s\n{await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}

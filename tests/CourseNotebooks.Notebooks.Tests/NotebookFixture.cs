using System.Diagnostics;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>
/// Shared by every notebook test: builds the course library into artifacts/notebook-lib once per test run (the
/// folder the notebooks' <c>#r</c> lines point at; an incremental build, so it stays fresh after engine edits), then
/// runs each notebook at most once and keeps the run (and its kernel) for every test that reads it.
/// </summary>
public sealed class NotebookFixture : IAsyncLifetime
{
    private readonly Dictionary<string, Task<NotebookRun>> _runs = [];
    private readonly SemaphoreSlim _lock = new(1, 1);
    private Task? _build;

    /// <summary>The repository root (the folder holding CourseNotebooks.sln).</summary>
    public string Root { get; } = FindRoot();

    /// <summary>Generous budgets: a test fails on a wrong value, not on a slow machine.</summary>
    public NotebookRunOptions Options { get; } = new() { CellTimeout = TimeSpan.FromMinutes(5), NotebookTimeout = TimeSpan.FromMinutes(20) };

    /// <summary>Builds the course library into artifacts/notebook-lib (once per test run), without running a notebook.</summary>
    public async Task BuildLibraryOnceAsync()
    {
        Task build;
        await _lock.WaitAsync();
        try { build = _build ??= BuildLibraryAsync(); }
        finally { _lock.Release(); }
        await build;
    }

    /// <summary>Runs notebooks/<paramref name="name"/>.dib (once), after the library is built.</summary>
    public async Task<NotebookRun> RunAsync(string name)
    {
        Task<NotebookRun> run;
        await _lock.WaitAsync();
        try
        {
            _build ??= BuildLibraryAsync();
            if (!_runs.TryGetValue(name, out run!))
            {
                run = RunAfterBuildAsync(name);
                _runs[name] = run;
            }
        }
        finally { _lock.Release(); }
        return await run;
    }

    private async Task<NotebookRun> RunAfterBuildAsync(string name)
    {
        await _build!;
        return await NotebookRunner.RunFileAsync(Path.Combine(Root, "notebooks", name + ".dib"), Options);
    }

    private async Task BuildLibraryAsync()
    {
        // As environment/build-library: the charts (with the engine, the course and the exercises they reference), the
        // kernel bridge and the audio reader of notebook 08.
        foreach (string name in new[] { "CourseNotebooks.Charts", "CourseNotebooks.Interactive", "CourseNotebooks.Audio" })
            await BuildIntoLibraryAsync(Path.Combine(Root, "lib", name, name + ".csproj"));
    }

    private async Task BuildIntoLibraryAsync(string project)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { "build", project, "-c", "Release", "-o", Path.Combine(Root, "artifacts", "notebook-lib"), "--nologo", "-v", "quiet" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        // The test host inherits MSBuild's variables from `dotnet test`; a nested build must not see them.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"building the notebook library failed (exit {process.ExitCode}):\n{await stdout}\n{await stderr}");
    }

    internal static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CourseNotebooks.sln"))) return dir.FullName;
        throw new InvalidOperationException($"CourseNotebooks.sln not found above {AppContext.BaseDirectory}");
    }

    /// <inheritdoc />
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var run in _runs.Values)
            if (run.IsCompletedSuccessfully) (await run).Dispose();
    }
}

/// <summary>Notebooks run one at a time (console capture and formatters are process-wide) and share one fixture.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookCollection : ICollectionFixture<NotebookFixture>
{
    public const string Name = "notebooks";
}

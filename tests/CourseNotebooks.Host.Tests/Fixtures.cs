using CourseNotebooks.Host;

namespace CourseNotebooks.Host.Tests;

/// <summary>Paths of the fixture notebooks copied beside the test assembly, and a run helper.</summary>
internal static class Fixtures
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    public static Task<NotebookRun> RunAsync(string name, NotebookRunOptions? options = null) =>
        NotebookRunner.RunFileAsync(Path(name), options);
}

/// <summary>The kernel captures the console and sets global formatters: host tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelCollection
{
    public const string Name = "kernel";
}

using System.Text.Json;
using CourseNotebooks.Cli;
using CourseNotebooks.Host;

namespace CourseNotebooks.Host.Tests;

/// <summary>The `course` command end to end, in-process, on a scratch course folder holding fixture notebooks.</summary>
[Collection(KernelCollection.Name)]
public sealed class CourseCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("course-cli-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public CourseCommandTests()
    {
        File.WriteAllText(Path.Combine(_root, "CourseNotebooks.sln"), "");
        Directory.CreateDirectory(Path.Combine(_root, "notebooks"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void AddNotebook(string fixture, string? name = null) =>
        File.Copy(Fixtures.Path(fixture), Path.Combine(_root, "notebooks", name ?? fixture));

    private void AddLibrary()
    {
        string lib = Path.Combine(_root, CourseCommand.LibraryFolder);
        Directory.CreateDirectory(lib);
        foreach (string dll in CourseCommand.LibraryAssemblies) File.WriteAllText(Path.Combine(lib, dll), "");
    }

    private Task<int> Course(params string[] args) => CourseCommand.RunAsync([.. args, "--root", _root], _out, _err);

    [Fact]
    public async Task Run_BrokenNotebook_ExitsNonZero_AndSummaryNamesTheCell_WhileOthersStillGetResults()
    {
        AddLibrary();
        AddNotebook("broken.dib", "a-broken.dib");
        AddNotebook("good.dib", "b-good.dib");

        int exit = await Course("run");

        Assert.Equal(1, exit);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_root, "out", "summary.json")));
        Assert.False(summary.RootElement.GetProperty("passed").GetBoolean());
        var notebooks = summary.RootElement.GetProperty("notebooks").EnumerateArray().ToList();
        Assert.Equal(["a-broken", "b-good"], notebooks.Select(n => n.GetProperty("name").GetString()));
        Assert.Equal(3, notebooks[0].GetProperty("firstFailedCell").GetInt32());
        Assert.Contains("cell 3 (code cell 2): InvalidOperationException: deliberate failure in cell 3", notebooks[0].GetProperty("firstError").GetString());
        Assert.True(notebooks[1].GetProperty("passed").GetBoolean());

        Assert.Contains("| a-broken | FAILED |", File.ReadAllText(Path.Combine(_root, "out", "summary.md")));
        Assert.True(File.Exists(Path.Combine(_root, "out", "executed", "b-good.ipynb")));
        Assert.Contains("deliberate failure in cell 3", File.ReadAllText(Path.Combine(_root, "out", "html", "a-broken.html")));
        Assert.Contains("[1/2] a-broken: cell 2/3", _out.ToString());
        Assert.Contains("[1/2] a-broken: FAILED: cell 3", _out.ToString());
    }

    [Fact]
    public async Task Run_WithoutTheLibrary_SaysHowToBuildIt()
    {
        AddNotebook("good.dib");

        Assert.Equal(1, await Course("run"));
        Assert.Contains("library not built", _err.ToString());
        Assert.Contains(CourseCommand.BuildLibraryCommand, _err.ToString());
    }

    [Fact]
    public async Task Run_UnknownNotebookName_IsAUsageError()
    {
        AddLibrary();
        AddNotebook("good.dib");

        Assert.Equal(2, await Course("run", "--notebooks", "nope*"));
        Assert.Contains("no notebook matches 'nope*'", _err.ToString());
        Assert.Contains("good", _err.ToString());
    }

    [Fact]
    public async Task Run_SubsetByGlob_RunsOnlyThoseNotebooks()
    {
        AddLibrary();
        AddNotebook("good.dib", "01-good.dib");
        AddNotebook("broken.dib", "02-broken.dib");

        Assert.Equal(0, await Course("run", "--notebooks", "01*"));
        var summary = RunSummary.FromJson(File.ReadAllText(Path.Combine(_root, "out", "summary.json")));
        Assert.Equal(["01-good"], summary.Notebooks.Select(n => n.Name));
    }

    [Fact]
    public async Task Run_UnparseableDib_IsReportedAsANotebookThatDidNotRun()
    {
        AddLibrary();
        File.WriteAllText(Path.Combine(_root, "notebooks", "bad.dib"), "#!meta\n\n{ not json");

        int exit = await Course("run");

        var summary = RunSummary.FromJson(File.ReadAllText(Path.Combine(_root, "out", "summary.json")));
        var bad = Assert.Single(summary.Notebooks);
        Assert.Equal(1, exit);
        Assert.False(bad.Passed);
        Assert.Contains("bad.dib", bad.FirstError);
    }

    [Fact]
    public async Task Convert_WritesIpynbCopies()
    {
        AddNotebook("good.dib");

        Assert.Equal(0, await Course("convert"));
        string json = File.ReadAllText(Path.Combine(_root, "out", "ipynb", "good.ipynb"));
        var cells = JsonDocument.Parse(json).RootElement.GetProperty("cells").EnumerateArray().ToList();
        Assert.Equal(5, cells.Count);
        Assert.Equal(["cell-1", "cell-2", "cell-3", "cell-4", "cell-5"], cells.Select(c => c.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task NoArguments_PrintsUsage()
    {
        Assert.Equal(2, await CourseCommand.RunAsync([], _out, _err));
        Assert.Contains("usage:", _err.ToString());
        Assert.Contains("course run", _err.ToString());
    }
}

using CourseNotebooks.Host;

namespace CourseNotebooks.Host.Tests;

[Collection(KernelCollection.Name)]
public sealed class NotebookRunnerTests
{
    [Fact]
    public async Task GoodNotebook_RecordsOutputsReturnValueAndVariables()
    {
        using var run = await Fixtures.RunAsync("good.dib");

        Assert.True(run.Succeeded, run.FirstFailure?.Describe());
        Assert.Equal(5, run.Cells.Count);
        Assert.Equal([1, 2, 3, 4, 5], run.Cells.Select(c => c.Index));
        Assert.Equal([null, 1, 2, null, 3], run.Cells.Select(c => c.Cell.CodeOrdinal));

        Assert.Equal("hello from the notebook\n", run.Cells[1].StandardOutput.Replace("\r\n", "\n"));
        Assert.Equal(42.5, Assert.IsType<double>(run.Cells[2].ReturnValue));
        Assert.Equal("42.5", run.Cells[2].Outputs.Single(o => o.Kind == OutputKind.ReturnValue).TextOf("text/plain"));

        Assert.Equal(CellStatus.Skipped, run.Cells[3].Status);
        Assert.Contains("fsharp", run.Cells[3].SkipReason);

        var shown = Assert.Single(run.Cells[4].Outputs, o => o.Kind == OutputKind.Display);
        Assert.Equal("shown with display", shown.Value);

        Assert.Equal(42, run.GetVariable<int>("answer"));
        Assert.True(run.TryGetVariable<int[]>("squares", out var squares));
        Assert.Equal([1, 4, 9, 16], squares);
        Assert.False(run.TryGetVariable<int>("noSuchVariable", out _));
    }

    [Fact]
    public async Task UpdatedDisplay_IsRecordedOnce_WithItsLastValue()
    {
        using var run = await Fixtures.RunAsync("progress.dib");

        Assert.True(run.Succeeded, run.FirstFailure?.Describe());
        var shown = Assert.Single(run.CodeCells.Single().Outputs, o => o.Kind == OutputKind.Display);
        Assert.Equal("epoch 3 of 3", shown.Value);
    }

    [Fact]
    public async Task OutputLimit_CutsConsoleOutputBeforeTheKernelKeepsIt()
    {
        // 500 lines of 100,000 characters: 100 MB of UTF-16 if the kernel kept it. The cell measures the memory that
        // is still reachable at its end, while the kernel's command result would still hold every printed line.
        const string text = """
            #!csharp
            long before = GC.GetTotalMemory(forceFullCollection: true);
            for (int i = 0; i < 500; i++) Console.WriteLine(new string('x', 100_000));
            Console.Error.WriteLine("after the flood");
            long retained = GC.GetTotalMemory(forceFullCollection: true) - before;

            #!csharp
            Console.WriteLine("next cell");
            """;
        var notebook = NotebookDocument.Parse(text, ".dib");
        using var run = await NotebookRunner.RunAsync(notebook, new NotebookRunOptions { MaxOutputCharsPerCell = 250_000 });

        Assert.True(run.Succeeded, run.FirstFailure?.Describe());
        long retained = run.GetVariable<long>("retained");
        Assert.True(retained < 20_000_000, $"the printing cell still held {retained:N0} bytes at its end");
        var flood = run.CodeCells.First();
        Assert.Equal(250_000, flood.Outputs.Where(o => o.Kind == OutputKind.StandardOutput).Sum(o => o.TextOf("text/plain")!.Length));
        string note = flood.Outputs[^1].TextOf("text/plain")!;
        Assert.Contains("output truncated", note);
        long newline = Environment.NewLine.Length;
        long expectedDropped = 500 * (100_000 + newline) - 250_000 + "after the flood".Length + newline;
        Assert.Contains($"{expectedDropped:N0} characters beyond the limit of 250,000", note);
        // The next cell has its own budget.
        Assert.Equal("next cell", run.CodeCells.Last().StandardOutput.Trim());
    }

    [Fact]
    public async Task CellThatThrows_IsReportedWithItsNumber_AndLaterCellsStillRun()
    {
        using var run = await Fixtures.RunAsync("broken.dib");

        Assert.False(run.Succeeded);
        var failure = Assert.IsType<CellResult>(run.FirstFailure);
        Assert.Equal(3, failure.Index);
        Assert.Equal(CellStatus.Failed, failure.Status);
        Assert.Equal("InvalidOperationException", failure.ErrorName);
        Assert.StartsWith("cell 3 (code cell 2): InvalidOperationException: deliberate failure in cell 3", failure.Error);

        Assert.Equal(CellStatus.Ok, run.Cells[3].Status);
        Assert.Equal("2", run.Cells[3].StandardOutput.Trim());
    }

    [Fact]
    public async Task CompileError_FailsTheCell_WithTheCompilerMessage()
    {
        using var run = await Fixtures.RunAsync("compile-error.dib");

        Assert.False(run.Succeeded);
        Assert.Equal(CellStatus.Ok, run.Cells[0].Status);
        var failure = Assert.IsType<CellResult>(run.FirstFailure);
        Assert.Equal(2, failure.Index);
        Assert.Equal("CompilationError", failure.ErrorName);
        Assert.Contains("CS0029", failure.Error);
        Assert.StartsWith("cell 2: ", failure.Error);
        // y never came into being, so cell 3 fails on its own account.
        Assert.Equal(CellStatus.Failed, run.Cells[2].Status);
    }

    [Fact]
    public async Task CellThatNeverEnds_TimesOut_AndLaterCellsAreSkipped()
    {
        var options = new NotebookRunOptions { CellTimeout = TimeSpan.FromSeconds(2) };
        var started = DateTime.UtcNow;
        using var run = await Fixtures.RunAsync("infinite-loop.dib", options);

        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
        Assert.False(run.Succeeded);
        Assert.Equal([CellStatus.Ok, CellStatus.TimedOut, CellStatus.Skipped], run.Cells.Select(c => c.Status));
        Assert.Equal("cell 2 did not finish within the cell time limit of 2 s", run.Cells[1].Error);
        Assert.Equal("not run: cell 2 timed out", run.Cells[2].SkipReason);
    }

    [Fact]
    public async Task NotebookTimeout_StopsTheRunAtTheCellThatUsesItUp()
    {
        var options = new NotebookRunOptions { CellTimeout = TimeSpan.FromMinutes(1), NotebookTimeout = TimeSpan.FromSeconds(3) };
        using var run = await Fixtures.RunAsync("infinite-loop.dib", options);

        var failure = Assert.IsType<CellResult>(run.FirstFailure);
        Assert.Equal(CellStatus.TimedOut, failure.Status);
        Assert.Contains("notebook time limit of 3 s", failure.Error);
    }

    [Fact]
    public async Task NugetReference_FailsItsCell_SayingWhy_AndLaterCellsStillRun()
    {
        using var run = await Fixtures.RunAsync("nuget-reference.dib");

        var failure = Assert.IsType<CellResult>(run.FirstFailure);
        Assert.Equal(1, failure.Index);
        Assert.Equal("UnsupportedDirective", failure.ErrorName);
        Assert.StartsWith("cell 1: #r \"nuget: MathNet.Numerics, 5.0.0\": NuGet references are not supported by the course runner", failure.Error);
        // The next cell runs (and fails on its own account: the package is not there).
        Assert.Equal(CellStatus.Failed, run.Cells[1].Status);
        Assert.Equal("CompilationError", run.Cells[1].ErrorName);
    }

    [Fact]
    public async Task CompileError_NamesLineColumnAndCode_WithoutAFilePath()
    {
        var notebook = NotebookDocument.Parse("#!csharp\nint x = 1;\nstring y = x;", ".dib");
        using var run = await NotebookRunner.RunAsync(notebook);

        Assert.StartsWith("cell 1: (2,12): error CS0029: Cannot implicitly convert type 'int' to 'string'", run.FirstFailure!.Error);
    }

    [Fact]
    public async Task MissingVariable_MessageNamesVariableAndNotebook()
    {
        using var run = await Fixtures.RunAsync("broken.dib");

        var e = Assert.Throws<KeyNotFoundException>(() => run.GetVariable<int>("missing"));
        Assert.Contains("'missing'", e.Message);
        Assert.Contains("broken", e.Message);
        Assert.Contains("cell 3", e.Message);
    }

    [Fact]
    public async Task CurrentDirectory_IsTheNotebookFolderDuringTheRun_AndRestoredAfter()
    {
        string before = Environment.CurrentDirectory;
        var notebook = NotebookDocument.Parse("#!csharp\nvar cwd = System.Environment.CurrentDirectory;", ".dib", Fixtures.Path("inline.dib"));
        using var run = await NotebookRunner.RunAsync(notebook);

        Assert.Equal(Path.GetDirectoryName(Fixtures.Path("inline.dib")), run.GetVariable<string>("cwd"));
        Assert.Equal(before, Environment.CurrentDirectory);
    }
}

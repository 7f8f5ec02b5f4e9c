using CourseNotebooks.Engine;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>What every lecture notebook must do: run clean, and carry at least two exercises whose reference
/// solutions pass their own checks and are marked for stripping.</summary>
[Collection(NotebookCollection.Name)]
public sealed class AllNotebooksTests(NotebookFixture fixture)
{
    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(NotebookFixture.FindRoot(), "notebooks"), "*.dib").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(path));
        return data;
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_RunsWithoutAnyFailedCell(string name)
    {
        var run = await fixture.RunAsync(name);
        NotebookAssertions.AllCellsSucceeded(run);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_HasAtLeastTwoExercises_WhoseSolutionsPassTheirChecks(string name)
    {
        var run = await fixture.RunAsync(name);
        var verdicts = NotebookAssertions.Verdicts(run);
        Assert.True(verdicts.Count >= 2, $"{name} has {verdicts.Count} exercise checks");
        Assert.All(verdicts, v => Assert.True(v.Correct, v.Message));
        int solutionCells = run.CodeCells.Count(c => c.Cell.Source.Contains(Exercise.BeginSolution, StringComparison.Ordinal));
        Assert.True(solutionCells >= verdicts.Count, $"{name}: {verdicts.Count} checks but {solutionCells} cells with a solution region");
        foreach (var cell in run.CodeCells.Where(c => c.Cell.Source.Contains(Exercise.BeginSolution, StringComparison.Ordinal)))
            Assert.Equal(
                cell.Cell.Source.Split('\n').Count(l => l.Trim() == Exercise.BeginSolution),
                cell.Cell.Source.Split('\n').Count(l => l.Trim() == Exercise.EndSolution));
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_FirstCodeCell_LoadsTheLibraryAndFixesTheSeed(string name)
    {
        var run = await fixture.RunAsync(name);
        string setup = run.CodeCells.First().Cell.Source;
        Assert.Contains("#r \"../artifacts/notebook-lib/CourseNotebooks.Engine.dll\"", setup);
        Assert.Contains("Seed", setup);
        Assert.DoesNotContain("/work/", string.Concat(run.CodeCells.Select(c => c.Cell.Source)));
    }
}

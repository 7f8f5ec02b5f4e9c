using CourseNotebooks.Engine;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>The student release: solutions removed, and each unanswered exercise fails at its own cell only.</summary>
[Collection(NotebookCollection.Name)]
public sealed class StudentReleaseNotebookTests(NotebookFixture fixture)
{
    [Fact]
    public void ReleaseMarkers_AreTheOnesTheEngineDocuments()
    {
        Assert.Equal(Exercise.BeginSolution, StudentRelease.BeginSolution);
        Assert.Equal(Exercise.EndSolution, StudentRelease.EndSolution);
    }

    [Fact]
    public async Task ReleasedNotebook04_FailsExactlyInItsExerciseCells_WithTheExercisePlaceholder()
    {
        await fixture.RunAsync("04-backprop-pooling");        // builds the library once, if not yet built
        string path = Path.Combine(fixture.Root, "notebooks", "04-backprop-pooling.dib");
        string original = File.ReadAllText(path);
        // Parsed with the original path, so the released text runs from notebooks/ like the original.
        var released = NotebookDocument.Parse(StudentRelease.StripSolutions(original, path), ".dib", path);
        using var run = await NotebookRunner.RunAsync(released, fixture.Options);

        var exerciseCells = run.CodeCells.Where(c => c.Cell.Source.Contains(StudentRelease.Placeholder, StringComparison.Ordinal)).ToList();
        Assert.Equal(StudentRelease.CountSolutions(original), exerciseCells.Count);
        Assert.All(exerciseCells, c =>
        {
            Assert.Equal(CellStatus.Failed, c.Status);
            Assert.Contains("NotImplementedException", c.Error);
        });
        Assert.All(run.CodeCells.Except(exerciseCells), c => Assert.Equal(CellStatus.Ok, c.Status));
    }
}

using CourseNotebooks.Grading;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>
/// The student release of the notebooks whose build-it exercise is used afterwards (issue 24): the cells that call
/// the student's function fail with the stub's NotImplementedException, as the exercise cells do, and every other
/// cell still runs.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class BuildItReleaseTests(NotebookFixture fixture)
{
    [Theory]
    [InlineData("03-backprop-conv", "ConvBackward(")]
    [InlineData("07-training-on-real-data", "MomentumStep(")]
    [InlineData("16-optimizer-comparison", "AdamStep(", "YourAdamPath(")]
    public async Task Release_FailsOnlyWhereTheStudentsCodeIsCalled_AndEveryOtherCellRuns(string notebook, params string[] studentFunctions)
    {
        await fixture.RunAsync(notebook);        // builds the library once, if not yet built
        string path = Path.Combine(fixture.Root, "notebooks", notebook + ".dib");
        string original = File.ReadAllText(path);
        var released = NotebookDocument.Parse(StudentRelease.StripSolutions(original, path), ".dib", path);
        using var run = await NotebookRunner.RunAsync(released, fixture.Options);

        var exerciseCells = ExerciseMarkup.Parse(released, released: true)
            .SelectMany(e => e.CheckCells.Append(e.ExerciseCell)).Select(c => c.Index).ToHashSet();
        // The cells after the exercise that use the student's function: they may fail, and only with the stub's exception.
        var usingCells = run.CodeCells.Where(c => !exerciseCells.Contains(c.Cell.Index) && studentFunctions.Any(f => c.Cell.Source.Contains(f, StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(usingCells);
        Assert.All(usingCells, c => Assert.True(c.Status == CellStatus.Ok || (c.Error ?? "").Contains("NotImplementedException", StringComparison.Ordinal),
            $"cell {c.Cell.Index}: {c.Error}"));
        Assert.Contains(usingCells, c => c.Status == CellStatus.Failed);
        var others = run.CodeCells.Where(c => !exerciseCells.Contains(c.Cell.Index) && !usingCells.Contains(c)).ToList();
        Assert.All(others, c => Assert.True(c.Status == CellStatus.Ok, $"cell {c.Cell.Index} failed in the release: {c.Error}"));
    }
}

using CourseNotebooks.Exercises;
using CourseNotebooks.Grading;
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
        Assert.Equal(Exercise.ExerciseMarker, ExerciseMarkup.ExerciseMarker);
        Assert.Equal(Exercise.CheckMarker, ExerciseMarkup.CheckMarker);
        Assert.Equal(Exercise.HiddenMarker, ExerciseMarkup.HiddenMarker);
    }

    [Fact]
    public async Task ReleasedNotebook04_FailsOnlyInItsExercisesCells_AndEveryOtherCellRuns()
    {
        await fixture.RunAsync("04-backprop-pooling");        // builds the library once, if not yet built
        string path = Path.Combine(fixture.Root, "notebooks", "04-backprop-pooling.dib");
        string original = File.ReadAllText(path);
        var exercises = ExerciseMarkup.Parse(NotebookDocument.Load(path));
        // Parsed with the original path, so the released text runs from notebooks/ like the original.
        var released = NotebookDocument.Parse(StudentRelease.StripSolutions(original, path), ".dib", path);
        using var run = await NotebookRunner.RunAsync(released, fixture.Options);

        var stubs = run.CodeCells.Where(c => c.Cell.Source.Contains(StudentRelease.Placeholder, StringComparison.Ordinal)).ToList();
        Assert.Equal(StudentRelease.CountSolutions(original), stubs.Count);
        // A stub makes its own exercise fail (in the exercise cell, or in its check when the stub sits in a method).
        var releasedExercises = ExerciseMarkup.Parse(released, released: true);
        foreach (var exercise in releasedExercises)
        {
            var own = run.CodeCells.Where(c => c.Cell.Index == exercise.ExerciseCell.Index || exercise.CheckCells.Any(k => k.Index == c.Cell.Index)).ToList();
            Assert.Contains(own, c => c.Status == CellStatus.Failed && (c.Error ?? "").Contains("NotImplementedException", StringComparison.Ordinal)
                || c.Status == CellStatus.Failed && c.Cell.Source.Contains(StudentRelease.Placeholder, StringComparison.Ordinal));
        }
        var exerciseCells = releasedExercises.SelectMany(e => e.CheckCells.Append(e.ExerciseCell)).Select(c => c.Index).ToHashSet();
        Assert.All(run.CodeCells.Where(c => !exerciseCells.Contains(c.Cell.Index)), c => Assert.Equal(CellStatus.Ok, c.Status));
        Assert.Equal(exercises.Select(e => e.Name), releasedExercises.Select(e => e.Name));
    }

    [Fact]
    public void Release_WritesDibAndIpynb_WhosePathsResolveFromTheReleaseFolder()
    {
        string outDir = Path.Combine(Path.GetTempPath(), "course-release-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(fixture.Root, "notebooks", "01-convolution.dib");
            StudentRelease.Write(path, outDir);
            string dib = File.ReadAllText(Path.Combine(outDir, "01-convolution.dib"));
            string expected = Path.GetRelativePath(outDir, Path.Combine(fixture.Root, "artifacts", "notebook-lib", "CourseNotebooks.Engine.dll")).Replace('\\', '/');
            Assert.Contains($"#r \"{expected}\"", dib);
            Assert.Contains(expected, File.ReadAllText(Path.Combine(outDir, "01-convolution.ipynb")));
            Assert.DoesNotContain(ExerciseMarkup.HiddenMarker, dib);
        }
        finally { if (Directory.Exists(outDir)) Directory.Delete(outDir, true); }
    }
}

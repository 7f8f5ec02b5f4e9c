using CourseNotebooks.Grading;
using CourseNotebooks.Host;
using CourseNotebooks.Exercises;

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
    public async Task Notebook_Exercises_HaveNamedChecksThatTheReferenceSolutionPasses(string name)
    {
        var run = await fixture.RunAsync(name);
        var exercises = ExerciseMarkup.Parse(run.Notebook);
        Assert.True(exercises.Count >= 2, $"{name} has {exercises.Count} exercises");
        foreach (var exercise in exercises)
        {
            Assert.Empty(exercise.ForbiddenUses());
            foreach (var check in exercise.CheckCells)
            {
                var verdict = Assert.IsType<Verdict>(Result(run, check).ReturnValue);
                Assert.Equal(exercise.Name, verdict.Name);
                Assert.True(verdict.Correct, verdict.Message);
            }
            foreach (var hidden in exercise.HiddenCells)
            {
                var probes = Assert.IsType<ProbeRun>(Result(run, hidden).ReturnValue);
                Assert.Equal(exercise.Name, probes.Name);
                Assert.All(probes.Values, v => Assert.Null(v.Error));
                Assert.True(Exercise.Compare(probes, probes).Correct);
            }
        }
        // Every verdict the notebook shows comes from a check cell of a declared exercise.
        Assert.Equal(exercises.Sum(e => e.CheckCells.Count), NotebookAssertions.Verdicts(run).Count);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void ReleasedNotebook_HasNoSolutionNoHiddenCheckAndNoLibraryCallInItsChecks(string name)
    {
        string path = Path.Combine(fixture.Root, "notebooks", name + ".dib");
        var exercises = ExerciseMarkup.Parse(NotebookDocument.Load(path));
        string released = StudentRelease.StripSolutions(File.ReadAllText(path), path);
        Assert.DoesNotContain(ExerciseMarkup.HiddenMarker, released);
        Assert.DoesNotContain("Exercise.Probe", released);
        foreach (var exercise in exercises)
        {
            foreach (string line in exercise.Solution.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 8))
                Assert.DoesNotContain(line, released);
            // Public checks compare hashes: they call no library type that could compute the answer.
            foreach (var check in exercise.CheckCells)
                Assert.Matches(@"^(?!.*\b(new\s+(Conv2d|MaxPool2d|AvgPool2d|Linear)|ConvArithmetic|ConvMatrix|ConvSymbolic|ParameterCount|MultiplyAdds)\b)", check.Source.Replace('\n', ' '));
        }
    }

    /// <summary>One setup cell, the same in every notebook apart from its seed, so a student meets one map of the library.</summary>
    [Fact]
    public void SetupCell_IsTheSameInEveryNotebook_ApartFromTheSeed()
    {
        var names = Directory.GetFiles(Path.Combine(fixture.Root, "notebooks"), "*.dib").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        var setups = names.ToDictionary(name => name!, name =>
        {
            var notebook = NotebookDocument.Load(Path.Combine(fixture.Root, "notebooks", name + ".dib"));
            return System.Text.RegularExpressions.Regex.Replace(notebook.CodeCells.First().Source, @"const int Seed = \d+;", "const int Seed = N;");
        });
        string first = setups.Values.First();
        Assert.All(setups, setup => Assert.True(setup.Value == first, $"{setup.Key}: its setup cell differs from {setups.Keys.First()}'s"));
    }

    /// <summary>
    /// A course, not a collection: every notebook opens (right after its title and setup) with what the student will be
    /// able to do and what it assumes (earlier notebooks by number, and the time it takes), and ends, after its last
    /// code cell, with its takeaways and where to read further (papers with their year). The student release keeps both.
    /// </summary>
    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_CourseFrame_OpensWithObjectivesAndPrerequisites_EndsWithTakeawaysAndReading(string name)
    {
        string path = Path.Combine(fixture.Root, "notebooks", name + ".dib");
        AssertCourseFrame(name, NotebookDocument.Load(path), released: false);
        AssertCourseFrame(name + " (student release)", NotebookDocument.Parse(StudentRelease.StripSolutions(File.ReadAllText(path), path), ".dib", path), released: true);

        // The README's table of notebooks gives the same estimate as the notebook.
        var notebook = NotebookDocument.Load(path);
        string before = Section(notebook.Cells.First(c => c.IsMarkdown && c.Source.Contains(BeforeHeading, StringComparison.Ordinal)).Source, BeforeHeading);
        string minutes = System.Text.RegularExpressions.Regex.Match(before, @"(\d+)\s+minutes").Groups[1].Value;
        string row = File.ReadAllLines(Path.Combine(fixture.Root, "README.md")).Single(l => l.StartsWith($"| `{name}` |", StringComparison.Ordinal));
        Assert.True(row.EndsWith($"| about {minutes} min |", StringComparison.Ordinal), $"{name}: the README's table should give 'about {minutes} min', as the notebook does");
    }

    private const string ObjectivesHeading = "## What you will be able to do", BeforeHeading = "## Before you start",
        TakeawaysHeading = "## Takeaways", ReadingHeading = "## Further reading";

    private void AssertCourseFrame(string name, NotebookDocument notebook, bool released)
    {
        var cells = notebook.Cells;
        NotebookCell Holding(string heading)
        {
            var holders = cells.Where(c => c.IsMarkdown && c.Source.Split('\n').Any(l => l.TrimEnd() == heading)).ToList();
            Assert.True(holders.Count == 1, $"{name}: {holders.Count} markdown cells have the heading '{heading}' (one should)");
            return holders[0];
        }
        var objectives = Holding(ObjectivesHeading);
        var before = Holding(BeforeHeading);
        var takeaways = Holding(TakeawaysHeading);
        var reading = Holding(ReadingHeading);

        // The opening: near the top (after the title and the setup cell) and before the first exercise.
        Assert.True(objectives.Index <= 4 && before.Index <= 4, $"{name}: the objectives and prerequisites are in cells {objectives.Index} and {before.Index}, not among the first four");
        var exercises = ExerciseMarkup.Parse(notebook, released);
        int firstExercise = Math.Min(exercises.Select(e => e.ExerciseCell.Index).DefaultIfEmpty(int.MaxValue).Min(),
            cells.FirstOrDefault(c => c.IsMarkdown && c.Source.TrimStart().StartsWith("## Exercises", StringComparison.Ordinal))?.Index ?? int.MaxValue);
        Assert.True(before.Index < firstExercise, $"{name}: 'Before you start' (cell {before.Index}) comes after the first exercise (cell {firstExercise})");
        Assert.InRange(Bullets(Section(objectives.Source, ObjectivesHeading)), 3, 5);
        string prerequisites = Section(before.Source, BeforeHeading);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(prerequisites, @"\d+\s+minutes"), $"{name}: 'Before you start' gives no time in minutes");
        int own = int.Parse(notebook.Name[..2], System.Globalization.CultureInfo.InvariantCulture);
        var available = Directory.GetFiles(Path.Combine(fixture.Root, "notebooks"), "*.dib").Select(f => Path.GetFileName(f)[..2]).ToHashSet();
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(prerequisites, @"\b[Nn]otebooks? (\d{2})\b"))
        {
            Assert.True(available.Contains(m.Groups[1].Value), $"{name}: 'Before you start' names notebook {m.Groups[1].Value}, which does not exist");
            Assert.True(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) < own, $"{name}: 'Before you start' names notebook {m.Groups[1].Value}, which comes later");
        }

        // The close: after every code cell, the takeaways and then the reading.
        int lastCode = cells.Where(c => c.IsCode).Select(c => c.Index).DefaultIfEmpty(0).Max();
        Assert.True(takeaways.Index > lastCode && reading.Index >= takeaways.Index, $"{name}: takeaways (cell {takeaways.Index}) and further reading (cell {reading.Index}) must follow the last code cell ({lastCode})");
        Assert.True(cells.Skip(lastCode).All(c => c.IsMarkdown), $"{name}: only markdown follows the last code cell");
        Assert.InRange(Bullets(Section(takeaways.Source, TakeawaysHeading)), 3, 6);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(Section(reading.Source, ReadingHeading), @"\b(19|20)\d{2}\b"), $"{name}: 'Further reading' names no year");
    }

    /// <summary>The lines of <paramref name="source"/> under <paramref name="heading"/>, up to the next heading of any level.</summary>
    private static string Section(string source, string heading)
        => string.Join('\n', source.Split('\n').SkipWhile(l => l.TrimEnd() != heading).Skip(1).TakeWhile(l => !l.StartsWith('#')));

    /// <summary>Top-level list items ("- ", "* " or "1. " at the start of a line).</summary>
    private static int Bullets(string section)
        => section.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^([-*]|\d+\.)\s"));

    private static CellResult Result(NotebookRun run, NotebookCell cell) => run.Cells.Single(c => c.Cell.Index == cell.Index);

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_FirstCodeCell_LoadsTheLibraryAndFixesTheSeed(string name)
    {
        var run = await fixture.RunAsync(name);
        string setup = run.CodeCells.First().Cell.Source;
        // Every assembly the course command checks for is loaded: the engine, the course, the exercises, the charts.
        foreach (string assembly in Cli.CourseCommand.LibraryAssemblies)
            Assert.Contains($"#r \"../artifacts/notebook-lib/{assembly}\"", setup);
        Assert.Contains("Seed", setup);
        Assert.DoesNotContain("/work/", string.Concat(run.CodeCells.Select(c => c.Cell.Source)));
        // Nothing comes from a package feed: a first run offline works as well as any other.
        Assert.DoesNotContain("#r \"nuget:", string.Concat(run.CodeCells.Select(c => c.Cell.Source)));
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_Charts_ShowAsTheCoursesHtml_AndAsPlotlyJson(string name)
    {
        var run = await fixture.RunAsync(name);
        var charts = run.Cells.SelectMany(c => c.Outputs).Where(o => o.TextOf(Charts.Charts.PlotlyMimeType) is not null).ToList();
        if (run.CodeCells.Any(c => c.Cell.Source.Contains("Charts.", StringComparison.Ordinal))) Assert.NotEmpty(charts);
        Assert.All(charts, chart =>
        {
            string html = chart.TextOf("text/html") ?? "";
            Assert.StartsWith("<div id=\"course-chart-", html);
            Assert.Contains("Plotly.newPlot(", html);
        });
    }
}

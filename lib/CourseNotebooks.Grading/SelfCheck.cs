using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>What the self-check found for one exercise or written answer.</summary>
/// <param name="Name">The exercise's or answer's name.</param>
/// <param name="Points">Its points.</param>
/// <param name="Written">True for a written answer (scored by a TA).</param>
/// <param name="State">ok, missing, unanswered, fails (its cell fails), forbidden (it names an API the exercise forbids),
/// check-failed (the public check says not yet), or answered (a written answer, for a TA).</param>
/// <param name="Detail">In words, for the student.</param>
public sealed record CheckLine(string Name, int Points, bool Written, string State, string Detail);

/// <summary>The self-check of one notebook.</summary>
/// <param name="Notebook">The course notebook it was checked against.</param>
/// <param name="Lines">One per exercise and written answer, in the notebook's order.</param>
/// <param name="FirstFailure">The first cell that failed outside the exercises (setup, lecture), or null.</param>
/// <param name="Seconds">Time the run took.</param>
public sealed record CheckReport(string Notebook, IReadOnlyList<CheckLine> Lines, string? FirstFailure, double Seconds)
{
    /// <summary>Ready to hand in: every exercise and answer is there and every cell ran (right or wrong).</summary>
    public bool Ready => FirstFailure is null && Lines.All(l => l.State is "ok" or "check-failed" or "answered");

    /// <summary>The report as one screen of text.</summary>
    public string ToText()
    {
        var text = new StringBuilder($"check: {Notebook} ({Seconds:0.0} s; the public checks only, never the hidden tests)\n\n");
        int width = Math.Max(10, Lines.Select(l => l.Name.Length).DefaultIfEmpty(0).Max());
        foreach (var line in Lines)
            text.Append($"  {Mark(line.State)} {line.Name.PadRight(width)} {line.Points,2} pt{(line.Points == 1 ? " " : "s")}  {line.Detail}\n");
        if (FirstFailure is not null) text.Append($"\n  ✘ the notebook does not run through: {FirstFailure}\n");
        var auto = Lines.Where(l => !l.Written).ToList();
        var written = Lines.Where(l => l.Written).ToList();
        var zero = Lines.Where(l => l.State is "missing" or "unanswered" or "fails" or "forbidden").ToList();
        text.Append($"\nWill be graded: {auto.Count} exercise(s), {auto.Sum(l => l.Points)} points, by hidden tests on inputs you have not seen (a passing public check is a good sign, not a promise)");
        if (written.Count > 0) text.Append($"; {written.Count} written answer(s), {written.Sum(l => l.Points)} points, read and scored by a TA");
        text.Append(".\n");
        text.Append(zero.Count == 0 ? "Will not be graded: nothing outside the exercise and answer cells counts (the grader uses the course's own cells for the rest).\n"
            : $"Scores 0 as it stands: {string.Join(", ", zero.Select(l => $"{l.Name} ({l.State})"))}. Nothing outside the exercise and answer cells counts.\n");
        text.Append(Ready ? "Ready to hand in.\n" : "Not ready: fix the lines marked ✘ above.\n");
        return text.ToString();
    }

    private static string Mark(string state) => state switch
    {
        "ok" or "answered" => "✔",
        "check-failed" => "~",
        _ => "✘",
    };
}

/// <summary>
/// The student's check before handing in (nbgrader's validate, otter's check): finds the course notebook the file
/// answers, checks that every exercise and written-answer cell is there under its name, runs the notebook as the
/// student has it with the course's own public check cells (never a hidden one: hidden and rubric cells are removed
/// before anything runs), and says what will and will not be graded. The student's own code, on the student's own
/// machine: it runs in this process, as <c>course run</c> does.
/// </summary>
public static partial class SelfCheck
{
    /// <summary>Checks <paramref name="path"/> against the course notebooks of <paramref name="notebooksFolder"/>.</summary>
    /// <param name="path">The student's notebook (.dib or .ipynb).</param>
    /// <param name="notebooksFolder">The course's notebooks (the TA's or the release: only names, points and public
    /// checks are read from them).</param>
    /// <param name="libraryFolder">The built course library: every <c>#r</c> of one of its assemblies is pointed there,
    /// so the notebook runs wherever the student keeps it.</param>
    /// <param name="cellTimeout">Longest time one cell may run.</param>
    /// <exception cref="NotebookFormatException">The file cannot be read, or matches no course notebook.</exception>
    public static async Task<CheckReport> RunAsync(string path, string notebooksFolder, string libraryFolder, TimeSpan cellTimeout)
    {
        var student = SubmittedWork.ReadSubmission(Path.GetFullPath(path));
        string course = Match(student, path, notebooksFolder);
        var source = NotebookDocument.Load(course);
        var exercises = ExerciseMarkup.Parse(source, released: !source.CodeCells.Any(c => ExerciseMarkup.IsHidden(c.Source)));
        var answers = WrittenAnswers.Parse(source, released: true);
        var releasedAnswers = answers.ToDictionary(a => a.Name, WrittenAnswers.Released, StringComparer.Ordinal);
        var checks = exercises.ToDictionary(e => e.Name, e => e.CheckCells);

        // The run: the student's cells in their order, hidden and rubric cells and written answers left out, each
        // exercise followed by the course's public checks of it (the student's own check cells are replaced).
        var cells = new List<(string Kernel, string Source)>();
        var checkCellOf = new Dictionary<int, string>();
        var exerciseCellOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var cell in student.Cells)
        {
            if (!cell.IsCode) { cells.Add((cell.KernelName, cell.Source)); continue; }
            if (ExerciseMarkup.IsHidden(cell.Source) || WrittenAnswers.IsWritten(cell.Source) || ExerciseMarkup.CheckName(cell.Source) is not null) continue;
            cells.Add((cell.KernelName, PointAtLibrary(cell.Source, libraryFolder)));
            if (ExerciseMarkup.ExerciseName(cell.Source) is { } name && checks.TryGetValue(name, out var mine))
            {
                exerciseCellOf[name] = cells.Count;   // 1-based index of the cell just added
                foreach (var check in mine)
                {
                    cells.Add((NotebookDocument.CSharpKernel, check.Source));
                    checkCellOf[cells.Count] = name;
                }
            }
        }
        var run = await NotebookRunner.RunAsync(NotebookDocument.FromCells(student.Name, cells, Path.GetFullPath(path)),
            new NotebookRunOptions { CellTimeout = cellTimeout, NotebookTimeout = cellTimeout * Math.Max(4, cells.Count) });

        var byName = student.Cells.Where(c => SubmittedWork.NameOf(c) is not null).GroupBy(c => SubmittedWork.NameOf(c)!).ToDictionary(g => g.Key, g => g.Last());
        var lines = new List<CheckLine>();
        var order = source.Cells.Select(SubmittedWork.NameOf).OfType<string>().ToList();
        foreach (string name in order)
        {
            if (exercises.FirstOrDefault(e => e.Name == name) is { } spec)
                lines.Add(Judge(spec, byName.GetValueOrDefault(name), exerciseCellOf.TryGetValue(name, out int at) ? run.Cells[at - 1] : null,
                    run.Cells.Where(c => checkCellOf.GetValueOrDefault(c.Index) == name).ToList()));
            else if (answers.FirstOrDefault(a => a.Name == name) is { } answer)
            {
                var cell = byName.GetValueOrDefault(name);
                lines.Add(cell is null
                    ? new CheckLine(name, answer.Points, true, "missing", $"no cell starts with '{WrittenAnswers.AnswerMarker}{name} ...': copy it back from the release")
                    : WrittenAnswers.AnswerText(cell.Source, releasedAnswers[name]).Length == 0
                        ? new CheckLine(name, answer.Points, true, "unanswered", "written answer still empty")
                        : new CheckLine(name, answer.Points, true, "answered", "written answer: a TA will read and score it"));
            }
        }
        var named = exerciseCellOf.Values.Concat(checkCellOf.Keys).ToHashSet();
        var failure = run.Cells.FirstOrDefault(c => c.Cell.IsCode && !named.Contains(c.Index) && c.Status is CellStatus.Failed or CellStatus.TimedOut);
        return new CheckReport(Path.GetFileNameWithoutExtension(course), lines, failure is null ? null : FirstLine(failure.Describe()), run.Elapsed.TotalSeconds);
    }

    private static CheckLine Judge(ExerciseSpec spec, NotebookCell? cell, CellResult? ran, IReadOnlyList<CellResult> checks)
    {
        if (cell is null)
            return new CheckLine(spec.Name, spec.Points, false, "missing", $"no cell starts with '{ExerciseMarkup.ExerciseMarker}{spec.Name} ...': copy it back from the release");
        if (cell.Source.Contains(StudentRelease.Placeholder, StringComparison.Ordinal))
            return new CheckLine(spec.Name, spec.Points, false, "unanswered", "not answered yet (the release's placeholder line is still there)");
        if (ran is { Status: CellStatus.Failed or CellStatus.TimedOut })
            return new CheckLine(spec.Name, spec.Points, false, "fails", $"the cell fails: {FirstLine(ran.Describe())}");
        if (spec.ForbiddenUses(CodeOnly(cell.Source)) is { Count: > 0 } forbidden)
            return new CheckLine(spec.Name, spec.Points, false, "forbidden", $"calls {string.Join(", ", forbidden)}, which this exercise asks you not to use: it would score 0");
        var verdicts = checks.Select(Verdict).ToList();
        if (verdicts.Count == 0)
            return new CheckLine(spec.Name, spec.Points, false, "ok", "runs (this exercise has no public check)");
        if (verdicts.All(v => v.Correct == true))
            return new CheckLine(spec.Name, spec.Points, false, "ok", "public check passed");
        var first = verdicts.First(v => v.Correct != true);
        return new CheckLine(spec.Name, spec.Points, false, "check-failed", $"public check: {first.Message}");
    }

    /// <summary>The cell's code without comments or strings (the header names the forbidden APIs; a comment may too):
    /// its tokens, a space apart except around member access.</summary>
    private static string CodeOnly(string source)
    {
        var code = new StringBuilder();
        string previous = "";
        foreach (var token in SyntaxFactory.ParseTokens(source))
        {
            string text = token.IsKind(SyntaxKind.StringLiteralToken) ? "\"\"" : token.Text;
            if (code.Length > 0 && text != "." && previous != ".") code.Append(' ');
            code.Append(text);
            previous = text;
        }
        return code.ToString();
    }

    /// <summary>A public check's verdict (the engine's Exercise.Verdict, read by name: the notebook loads its own copy of the engine).</summary>
    private static (bool? Correct, string Message) Verdict(CellResult check)
    {
        if (check.Status != CellStatus.Ok) return (false, $"the check cell fails: {FirstLine(check.Describe())}");
        object? value = check.ReturnValue;
        if (value?.GetType().GetProperty("Correct")?.GetValue(value) is bool correct)
            return (correct, FirstLine(value.ToString() ?? ""));
        return (null, "the check gave no verdict");
    }

    /// <summary>The course notebook a file answers: most shared exercise or answer names, else its name in the file's.</summary>
    private static string Match(NotebookDocument student, string path, string notebooksFolder)
    {
        if (!Directory.Exists(notebooksFolder)) throw new NotebookFormatException(path, $"no course notebooks at {notebooksFolder}");
        var names = student.Cells.Select(SubmittedWork.NameOf).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var all = Directory.GetFiles(notebooksFolder, "*.dib").Order(StringComparer.Ordinal).ToList();
        var best = all.Select(n => (Path: n, Shared: NotebookDocument.Load(n).Cells.Select(SubmittedWork.NameOf).Count(x => x is not null && names.Contains(x))))
            .OrderByDescending(x => x.Shared).FirstOrDefault();
        if (best.Shared > 0) return best.Path;
        string stem = Path.GetFileNameWithoutExtension(path);
        return all.FirstOrDefault(n => stem.Contains(Path.GetFileNameWithoutExtension(n), StringComparison.OrdinalIgnoreCase))
            ?? throw new NotebookFormatException(path, $"matches none of the course's notebooks in {notebooksFolder}: it has no exercise cell of theirs ('{ExerciseMarkup.ExerciseMarker}name ...') and its file name holds no notebook's name");
    }

    /// <summary>Every <c>#r "…/X.dll"</c> of an assembly the library folder has, pointed at the library folder.</summary>
    internal static string PointAtLibrary(string code, string libraryFolder) =>
        Reference().Replace(code, m =>
        {
            string file = Path.GetFileName(m.Groups["path"].Value);
            string built = Path.Combine(libraryFolder, file);
            return File.Exists(built) ? m.Groups["head"].Value + Path.GetFullPath(built).Replace('\\', '/') + "\"" : m.Value;
        });

    private static string FirstLine(string text)
    {
        string line = text.Split('\n')[0].Trim();
        return line.Length <= 160 ? line : line[..160] + "...";
    }

    [GeneratedRegex("""^(?<head>[ \t]*#r[ \t]+")(?!nuget:)(?<path>[^"\r\n]+)"(?=[ \t]*\r?$)""", RegexOptions.Multiline)]
    private static partial Regex Reference();
}

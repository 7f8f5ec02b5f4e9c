using System.Text.RegularExpressions;
using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>
/// A written answer as the TA's notebook declares it: free text or a derivation, read and scored by a TA (never by
/// the autograder).
/// </summary>
/// <param name="Name">Stable name (lower-case words joined by hyphens), unique among the notebook's exercises and answers.</param>
/// <param name="Points">Points a TA can give.</param>
/// <param name="Cell">The TA's answer cell (markdown or code).</param>
/// <param name="Reference">The reference answer: the text of its solution region.</param>
/// <param name="Rubric">The rubric: the text of the <c>// RUBRIC name</c> cell after its first line (empty when there is none).</param>
public sealed record AnswerSpec(string Name, int Points, NotebookCell Cell, string Reference, string Rubric);

/// <summary>
/// The markup of written answers. A cell whose first line is <c>// ANSWER name (N points)</c>, markdown or code, is
/// where the student writes; in the TA's notebook its reference answer sits between <c>// BEGIN SOLUTION</c> and
/// <c>// END SOLUTION</c>, which the student release replaces by one prompt line (<see cref="MarkdownPrompt"/> or
/// <see cref="CodePrompt"/>), so the answer is released empty. A cell whose first line is <c>// RUBRIC name</c> holds
/// the TA's rubric and is removed from the release, as hidden checks are. The grader never runs an answer cell: its
/// text goes to the TA's review page (<c>course review</c>), and the TA's score to the gradebook.
/// </summary>
public static partial class WrittenAnswers
{
    /// <summary>First-line prefix of an answer cell: <c>// ANSWER name (N points)</c>.</summary>
    public const string AnswerMarker = "// ANSWER ";

    /// <summary>First-line prefix of a rubric cell: <c>// RUBRIC name</c> (never released).</summary>
    public const string RubricMarker = "// RUBRIC ";

    /// <summary>What the solution region of a markdown answer cell becomes in the student release.</summary>
    public const string MarkdownPrompt = "*Write your answer here, in place of this line.*";

    /// <summary>What the solution region of a code answer cell becomes in the student release (a comment: the cell still runs).</summary>
    public const string CodePrompt = "// Write your answer here, in place of this line (a TA reads it; the grader does not run it).";

    /// <summary>The written answers of <paramref name="notebook"/>, in cell order.</summary>
    /// <param name="notebook">The TA's notebook, or a student release (<paramref name="released"/>: no solution regions).</param>
    /// <param name="released">True for a student release: the reference answers and rubrics are not there.</param>
    /// <exception cref="NotebookFormatException">A header does not parse, a name repeats (or is an exercise's too), a
    /// rubric names no answer, or an answer cell of the TA's has not exactly one solution region.</exception>
    public static IReadOnlyList<AnswerSpec> Parse(NotebookDocument notebook, bool released = false)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        string file = notebook.FilePath ?? notebook.Name;
        var exercises = notebook.CodeCells.Select(c => ExerciseMarkup.ExerciseName(c.Source)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var answers = new List<(NotebookCell Cell, string Name, int Points)>();
        var rubrics = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var cell in notebook.Cells.Where(c => c.IsCode || c.IsMarkdown))
        {
            string first = FirstLine(cell.Source);
            if (first.StartsWith(AnswerMarker, StringComparison.Ordinal))
            {
                var m = Header().Match(first);
                if (!m.Success)
                    throw new NotebookFormatException(file, $"{cell.Label}: '{first}' is not '{AnswerMarker}name (N points)'");
                string name = m.Groups["name"].Value;
                if (answers.Any(a => a.Name == name) || exercises.Contains(name))
                    throw new NotebookFormatException(file, $"{cell.Label}: the name '{name}' is used twice (answers and exercises share one set of names)");
                answers.Add((cell, name, int.Parse(m.Groups["points"].Value, System.Globalization.CultureInfo.InvariantCulture)));
            }
            else if (first.StartsWith(RubricMarker, StringComparison.Ordinal))
            {
                string name = first[RubricMarker.Length..].Trim();
                rubrics[name] = rubrics.TryGetValue(name, out string? more) ? more + "\n\n" + Body(cell.Source) : Body(cell.Source);
            }
        }
        if (rubrics.Keys.FirstOrDefault(r => answers.All(a => a.Name != r)) is { } orphan)
            throw new NotebookFormatException(file, $"a rubric cell names '{orphan}', which no '{AnswerMarker.Trim()}' cell declares");
        return [.. answers.Select(a => new AnswerSpec(a.Name, a.Points, a.Cell, released ? "" : ReferenceOf(a.Cell, a.Name, file),
            rubrics.GetValueOrDefault(a.Name, "")))];
    }

    /// <summary>The answer name of an answer cell (null for any other cell, or a header that does not parse).</summary>
    public static string? AnswerName(string cellSource) =>
        Header().Match(FirstLine(cellSource)) is { Success: true } m ? m.Groups["name"].Value : null;

    /// <summary>True for an answer or rubric cell: cells the grading run leaves out.</summary>
    public static bool IsWritten(string cellSource)
    {
        string first = FirstLine(cellSource);
        return first.StartsWith(AnswerMarker, StringComparison.Ordinal) || first.StartsWith(RubricMarker, StringComparison.Ordinal);
    }

    /// <summary>True for a rubric cell (removed from the student release).</summary>
    public static bool IsRubric(string cellSource) => FirstLine(cellSource).StartsWith(RubricMarker, StringComparison.Ordinal);

    /// <summary>
    /// What a student wrote in an answer cell: the lines of the cell that its released version does not have (the
    /// header, the question and the prompt line are the release's), trimmed. Empty when the student wrote nothing.
    /// A line the student copied from the question is not counted as written; a TA sees the whole cell on the review page.
    /// </summary>
    /// <param name="cellSource">The student's cell.</param>
    /// <param name="released">The cell as the release has it (<see cref="Released"/>).</param>
    public static string AnswerText(string cellSource, string released)
    {
        var given = released.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal);
        var lines = Body(cellSource).Split('\n').Where(l => !given.Contains(l.Trim()) && l.Trim() is not (MarkdownPrompt or CodePrompt));
        return string.Join("\n", lines).Trim();
    }

    /// <summary>The answer cell as the student release has it (the reference answer replaced by the prompt line).</summary>
    public static string Released(AnswerSpec answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (!answer.Cell.IsMarkdown) return StudentRelease.StripSolutions(answer.Cell.Source, answer.Name);
        // The release tells a markdown cell by its header.
        string stripped = StudentRelease.StripSolutions("#!markdown\n" + answer.Cell.Source, answer.Name);
        return stripped[(stripped.IndexOf('\n') + 1)..];
    }

    /// <summary>The cell after its first non-empty line (the marker), trimmed.</summary>
    private static string Body(string source)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        int header = Array.FindIndex(lines, l => l.Trim().Length > 0);
        return header < 0 ? "" : string.Join("\n", lines[(header + 1)..]).Trim();
    }

    private static string ReferenceOf(NotebookCell cell, string name, string file)
    {
        var lines = cell.Source.Replace("\r\n", "\n").Split('\n');
        int[] begins = [.. Enumerable.Range(0, lines.Length).Where(i => lines[i].Trim() == StudentRelease.BeginSolution)];
        int[] ends = [.. Enumerable.Range(0, lines.Length).Where(i => lines[i].Trim() == StudentRelease.EndSolution)];
        if (begins.Length != 1 || ends.Length != 1 || ends[0] < begins[0])
            throw new NotebookFormatException(file, $"answer '{name}' ({cell.Label}) needs exactly one region for its reference answer, found {begins.Length} '{StudentRelease.BeginSolution}' and {ends.Length} '{StudentRelease.EndSolution}'");
        return string.Join("\n", lines[(begins[0] + 1)..ends[0]]).Trim();
    }

    private static string FirstLine(string source)
        => source.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";

    [GeneratedRegex(@"^// ANSWER (?<name>[a-z0-9]+(?:-[a-z0-9]+)*) \((?<points>[0-9]+) points?\)$")]
    private static partial Regex Header();
}

using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>
/// Makes the student release of a notebook: every solution region (the lines from <c>// BEGIN SOLUTION</c> to
/// <c>// END SOLUTION</c>, inclusive) is replaced by one line that throws, so an exercise left unanswered fails
/// loudly at its own cell while every other cell still runs. The replacement is a throw statement, so solutions
/// are written as statements: the cell declares <c>int answer;</c> above the region and the region assigns it
/// (a throw expression would not compile as a declaration's initializer). Hidden check cells (first line
/// <c>// HIDDEN name</c>, see <see cref="ExerciseMarkup"/>) and rubric cells (<c>// RUBRIC name</c>) are removed
/// whole: they belong to the grader. In a written answer's cell (<c>// ANSWER name</c>, see <see cref="WrittenAnswers"/>)
/// the region becomes a prompt line instead of a throw: the answer is released empty.
/// </summary>
public static class StudentRelease
{
    /// <summary>The line that opens a solution region (the engine's Exercise.BeginSolution).</summary>
    public const string BeginSolution = "// BEGIN SOLUTION";

    /// <summary>The line that closes a solution region.</summary>
    public const string EndSolution = "// END SOLUTION";

    /// <summary>What a solution region becomes in the student release.</summary>
    public const string Placeholder = "throw new NotImplementedException(\"Exercise: replace this line with your answer.\");";

    /// <summary>
    /// The notebook text with every solution region replaced by <see cref="Placeholder"/>, indented like the
    /// region's first line.
    /// </summary>
    /// <param name="text">The notebook file's text (.dib).</param>
    /// <param name="fileName">Named in errors.</param>
    /// <exception cref="NotebookFormatException">A region is not closed, or an end marker has no start.</exception>
    public static string StripSolutions(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = RemoveHiddenCells(text);
        string newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var result = new List<string>(lines.Length);
        int openedAt = -1;
        string? indent = null;
        // The cell being read (a .dib header line starts one; text without headers is one cell): its kernel, and
        // whether its first line marks a written answer.
        bool markdown = false, answer = false, firstSeen = false;
        for (int i = 0; i < lines.Length; i++)
        {
            string trimmed = lines[i].Trim();
            if (openedAt < 0 && IsCellHeader(lines[i]))
                (markdown, answer, firstSeen) = (trimmed == "#!markdown", false, false);
            else if (openedAt < 0 && !firstSeen && trimmed.Length > 0)
                (answer, firstSeen) = (trimmed.StartsWith(WrittenAnswers.AnswerMarker, StringComparison.Ordinal), true);
            if (trimmed == BeginSolution)
            {
                if (openedAt >= 0)
                    throw new NotebookFormatException(fileName, $"line {i + 1}: a solution region starts inside the one opened at line {openedAt + 1}");
                openedAt = i;
                indent = null;
            }
            else if (trimmed == EndSolution)
            {
                if (openedAt < 0) throw new NotebookFormatException(fileName, $"line {i + 1}: '{EndSolution}' without a '{BeginSolution}' before it");
                string placeholder = !answer ? Placeholder : markdown ? WrittenAnswers.MarkdownPrompt : WrittenAnswers.CodePrompt;
                result.Add((indent ?? lines[openedAt][..^lines[openedAt].TrimStart().Length]) + placeholder);
                openedAt = -1;
            }
            else if (openedAt >= 0)
                indent ??= trimmed.Length == 0 ? null : lines[i][..^lines[i].TrimStart().Length];
            else
                result.Add(lines[i]);
        }
        if (openedAt >= 0) throw new NotebookFormatException(fileName, $"line {openedAt + 1}: the solution region is never closed with '{EndSolution}'");
        return string.Join(newline, result);
    }

    /// <summary>
    /// The .dib text without its hidden check and rubric cells: each cell runs from its <c>#!kernel</c> line to the next
    /// one, and a cell whose first non-empty line starts with <c>// HIDDEN </c> or <c>// RUBRIC </c> is dropped with its header.
    /// </summary>
    public static string RemoveHiddenCells(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var kept = new List<string>(lines.Count);
        int start = 0;
        while (start < lines.Count)
        {
            int end = start + 1;
            while (end < lines.Count && !IsCellHeader(lines[end])) end++;
            var cell = lines.GetRange(start, end - start);
            string body = string.Join("\n", cell.Skip(1));
            bool hidden = IsCellHeader(cell[0]) && (ExerciseMarkup.IsHidden(body) || WrittenAnswers.IsRubric(body));
            if (!hidden) kept.AddRange(cell);
            start = end;
        }
        return string.Join(newline, kept);
    }

    /// <summary>A .dib cell header: <c>#!</c> and a kernel name alone on the line (<c>#!csharp</c>, <c>#!markdown</c>, <c>#!meta</c>).</summary>
    private static bool IsCellHeader(string line)
        => line.Length > 2 && line.StartsWith("#!", StringComparison.Ordinal) && line.Skip(2).All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '-');

    /// <summary>Number of solution regions in <paramref name="text"/>.</summary>
    public static int CountSolutions(string text)
        => text.Split('\n').Count(l => l.Trim() == BeginSolution);

    /// <summary>
    /// Writes the student release of the notebook at <paramref name="path"/> into <paramref name="outDir"/>, as .dib
    /// and as .ipynb (atomically), with relative <c>#r</c> paths rewritten to resolve from <paramref name="outDir"/>.
    /// Returns the number of solution regions removed.
    /// </summary>
    public static int Write(string path, string outDir)
    {
        var source = NotebookDocument.Load(path);
        string name = Path.GetFileNameWithoutExtension(path);
        Directory.CreateDirectory(outDir);
        string stripped = NotebookConverter.RebaseReferences(StripSolutions(File.ReadAllText(path), path),
            Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFullPath(outDir));
        AtomicFile.WriteAllText(Path.Combine(outDir, name + ".dib"), stripped);
        // Parsed as if it sat in the release folder: its #r paths are already right for that folder.
        NotebookConverter.WriteJupyter(NotebookDocument.Parse(stripped, ".dib", Path.Combine(Path.GetFullPath(outDir), name + ".dib")),
            Path.Combine(outDir, name + ".ipynb"));
        return source.Cells.Sum(c => CountSolutions(c.Source));
    }
}

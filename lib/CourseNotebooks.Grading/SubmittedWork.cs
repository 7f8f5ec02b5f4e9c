using System.Text;
using System.Text.Json;
using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>One exercise or written-answer cell of a submission, as the student wrote it.</summary>
/// <param name="Name">The exercise's or answer's name.</param>
/// <param name="Written">True for a written answer (<c>// ANSWER</c>), false for a code exercise.</param>
/// <param name="Source">For an exercise, the whole cell; for a written answer, what the student wrote
/// (<see cref="WrittenAnswers.AnswerText"/>: the question and the prompt left out). Empty when the cell is missing.</param>
/// <param name="Present">False when the submission has no cell of that name.</param>
public sealed record SubmittedCell(string Name, bool Written, string Source, bool Present);

/// <summary>
/// What one submission holds that a TA reads rather than the grader runs: its exercise and answer cells, and when it
/// was handed in. Written by <c>course autograde</c> to <c>submitted/STUDENT/NOTEBOOK.json</c> beside the results, and
/// read by the review page, the gradebook (written answers, late work) and the similarity report, none of which then
/// needs the submissions folder.
/// </summary>
/// <param name="Student">The student's id.</param>
/// <param name="Notebook">The course notebook it answers.</param>
/// <param name="File">The submission file, relative to the submissions folder.</param>
/// <param name="Sha256">The file's SHA-256 (as in its <see cref="SubmissionResult"/>).</param>
/// <param name="SubmittedAt">When it was handed in, or null when not known.</param>
/// <param name="TimeSource">Where <paramref name="SubmittedAt"/> comes from: "manifest" (the collection step's
/// manifest.csv) or "file time" (the file's modification time, which a copy can change).</param>
/// <param name="Cells">One per exercise and written answer of the TA's notebook, in its order.</param>
public sealed record SubmittedWork(string Student, string Notebook, string File, string Sha256, DateTimeOffset? SubmittedAt,
    string TimeSource, IReadOnlyList<SubmittedCell> Cells)
{
    /// <summary>The folder under the grading folder.</summary>
    public const string FolderName = "submitted";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The cell of that name, or null.</summary>
    public SubmittedCell? Cell(string name) => Cells.FirstOrDefault(c => c.Name == name);

    /// <summary>Where it is stored under <paramref name="gradingFolder"/>.</summary>
    public static string PathOf(string gradingFolder, string student, string notebook) =>
        Path.Combine(gradingFolder, FolderName, SubmissionFiles.FileNameOf(student), SubmissionFiles.FileNameOf(notebook) + ".json");

    /// <summary>
    /// Reads the exercise and answer cells of a graded submission and writes them atomically to the grading folder.
    /// The last cell of a name counts, as in grading. Returns null (and writes nothing) for a submission that was
    /// refused, matched no notebook, could not be read, or changed since it was graded (its checksum differs).
    /// </summary>
    /// <param name="result">The submission's grading result.</param>
    /// <param name="submissions">The submissions folder.</param>
    /// <param name="notebooks">The TA's notebooks.</param>
    /// <param name="manifest">Submission times from the collection step (may be empty).</param>
    /// <param name="gradingFolder">Where results are.</param>
    public static SubmittedWork? Collect(SubmissionResult result, string submissions, IReadOnlyList<string> notebooks,
        SubmissionManifest manifest, string gradingFolder)
    {
        string? ta = notebooks.FirstOrDefault(n => Path.GetFileNameWithoutExtension(n) == result.Notebook);
        if (ta is null || result.File.Length == 0 || result.Sha256.Length == 0) return null;
        string path = Path.Combine(submissions, result.File);
        NotebookDocument student;
        try
        {
            if (SubmissionFiles.Sha256(path) != result.Sha256) return null;
            student = ReadSubmission(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotebookFormatException) { return null; }

        var source = NotebookDocument.Load(ta);
        var byName = new Dictionary<string, NotebookCell>(StringComparer.Ordinal);
        foreach (var cell in student.Cells)
            if (NameOf(cell) is { } name) byName[name] = cell;   // the last one wins
        var written = WrittenAnswers.Parse(source).ToDictionary(a => a.Name, WrittenAnswers.Released, StringComparer.Ordinal);
        var cells = new List<SubmittedCell>();
        foreach (var cell in source.Cells)
        {
            if (NameOf(cell) is not { } name) continue;
            bool isWritten = written.TryGetValue(name, out string? released);
            if (byName.TryGetValue(name, out var mine))
                cells.Add(new SubmittedCell(name, isWritten, isWritten ? WrittenAnswers.AnswerText(mine.Source, released!) : mine.Source.Replace("\r\n", "\n"), true));
            else
                cells.Add(new SubmittedCell(name, isWritten, "", false));
        }
        var (time, from) = manifest.TimeOf(result.Student, result.Notebook) is { } listed
            ? (listed, "manifest")
            : ((DateTimeOffset?)new DateTimeOffset(System.IO.File.GetLastWriteTimeUtc(path), TimeSpan.Zero), "file time");
        var work = new SubmittedWork(result.Student, result.Notebook, result.File, result.Sha256, time, from, cells);
        AtomicFile.WriteAllText(PathOf(gradingFolder, result.Student, result.Notebook), JsonSerializer.Serialize(work, Json));
        return work;
    }

    /// <summary>The stored submission of one student and notebook, or null.</summary>
    public static SubmittedWork? Read(string gradingFolder, string student, string notebook)
    {
        string path = PathOf(gradingFolder, student, notebook);
        if (SubmissionFiles.KindOf(path) != EntryKind.File) return null;
        try { return JsonSerializer.Deserialize<SubmittedWork>(System.IO.File.ReadAllText(path)); }
        catch (JsonException) { return null; }
    }

    /// <summary>Every stored submission under <paramref name="gradingFolder"/>, by student then notebook.</summary>
    /// <exception cref="FormatException">A file is damaged (the message names it).</exception>
    public static IReadOnlyList<SubmittedWork> ReadAll(string gradingFolder)
    {
        string folder = Path.Combine(gradingFolder, FolderName);
        if (!Directory.Exists(folder)) return [];
        return [.. Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories)
            .Where(f => SubmissionFiles.KindOf(f) == EntryKind.File)
            .Select(f =>
            {
                try { return JsonSerializer.Deserialize<SubmittedWork>(System.IO.File.ReadAllText(f)) ?? throw new FormatException("empty"); }
                catch (JsonException e) { throw new FormatException($"{f}: not a stored submission: {e.Message}", e); }
            })
            .OrderBy(w => w.Student, StringComparer.Ordinal).ThenBy(w => w.Notebook, StringComparer.Ordinal)];
    }

    /// <summary>The exercise or answer name of a cell (an exercise only in a code cell), or null.</summary>
    internal static string? NameOf(NotebookCell cell) =>
        (cell.IsCode ? ExerciseMarkup.ExerciseName(cell.Source) : null) ?? WrittenAnswers.AnswerName(cell.Source);

    /// <summary>A submission file as the grader reads it: a regular file, a byte-order mark and CRLF tolerated.</summary>
    internal static NotebookDocument ReadSubmission(string path)
    {
        byte[] bytes = SubmissionFiles.ReadRegularFile(path);
        if (bytes.Length == 0) throw new NotebookFormatException(path, "the file is empty");
        if (bytes.Take(4096).Contains((byte)0)) throw new NotebookFormatException(path, "the file is binary, not a notebook");
        string text = new UTF8Encoding(false).GetString(bytes).TrimStart('\uFEFF').Replace("\r\n", "\n");
        return NotebookDocument.Parse(text, Path.GetExtension(path), path);
    }
}

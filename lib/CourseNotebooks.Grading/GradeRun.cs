using System.Text.Json;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>
/// What one run of a grading notebook produced, per exercise: the probe values its hidden cells returned (as the
/// JSON the course's display library writes under <see cref="ProbeMimeType"/>), or why there are none. Written by
/// the process that ran the student's code, read by the grader, which alone holds the expected values.
/// </summary>
/// <param name="Probes">Exercise name to the probe run's JSON.</param>
/// <param name="ExerciseErrors">Exercise name to the first error of the student's exercise cell.</param>
/// <param name="HiddenErrors">Exercise name to the error of its hidden cell (it did not return probe values).</param>
/// <param name="TimedOut">The exercise whose cell was running when the cell time limit ran out, if any.</param>
/// <param name="Completed">True when every cell ran (ok or failed); false when a time limit stopped the run.</param>
public sealed record AttemptResult(
    IReadOnlyDictionary<string, string> Probes,
    IReadOnlyDictionary<string, string> ExerciseErrors,
    IReadOnlyDictionary<string, string> HiddenErrors,
    string? TimedOut,
    bool Completed)
{
    /// <summary>The mime type the display library gives probe runs (the exercise protocol's ProbeRun.MimeType).</summary>
    public const string ProbeMimeType = "application/vnd.course.probes+json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>As JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads <see cref="ToJson"/>'s output.</summary>
    /// <exception cref="FormatException">Not an attempt result.</exception>
    public static AttemptResult FromJson(string json)
    {
        try { return JsonSerializer.Deserialize<AttemptResult>(json) ?? throw new FormatException("empty attempt result"); }
        catch (JsonException e) { throw new FormatException($"not an attempt result: {e.Message}", e); }
    }
}

/// <summary>
/// The grading side that runs inside the student's process (the hidden <c>course grade-run</c> command): runs the
/// grading notebook with per-cell time and output limits, records before each cell which one is starting (so a
/// process that dies mid-cell can be blamed on the right exercise), and writes an <see cref="AttemptResult"/>.
/// Nothing here knows an expected value.
/// </summary>
public static class GradeRun
{
    /// <summary>Runs <paramref name="notebookPath"/> and writes the result to <paramref name="resultPath"/>.</summary>
    /// <param name="notebookPath">The grading notebook (.dib).</param>
    /// <param name="resultPath">Where the <see cref="AttemptResult"/> JSON goes (written atomically).</param>
    /// <param name="progressPath">A file that gets one line, the code cell ordinal, as each cell starts.</param>
    /// <param name="cellTimeout">Longest time one cell may run.</param>
    /// <param name="maxOutputChars">Most output characters a cell keeps.</param>
    public static async Task RunAsync(string notebookPath, string resultPath, string progressPath, TimeSpan cellTimeout, long maxOutputChars)
    {
        var notebook = NotebookDocument.Load(notebookPath);
        using var progress = new StreamWriter(progressPath, append: false) { AutoFlush = true };
        var options = new NotebookRunOptions
        {
            CellTimeout = cellTimeout,
            NotebookTimeout = TimeSpan.FromDays(1),   // the grader's wall-time limit is the real bound
            MaxOutputCharsPerCell = maxOutputChars,
            Progress = (ordinal, _) => progress.WriteLine(ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        using var run = await NotebookRunner.RunAsync(notebook, options);
        AtomicFile.WriteAllText(resultPath, Collect(run).ToJson());
    }

    /// <summary>The probe values and errors of a finished run, by exercise.</summary>
    public static AttemptResult Collect(NotebookRun run)
    {
        var probes = new Dictionary<string, string>(StringComparer.Ordinal);
        var exerciseErrors = new Dictionary<string, string>(StringComparer.Ordinal);
        var hiddenErrors = new Dictionary<string, string>(StringComparer.Ordinal);
        string? timedOut = null;
        foreach (var cell in run.CodeCells)
        {
            string? exercise = ExerciseMarkup.ExerciseName(cell.Cell.Source);
            string? hidden = ExerciseMarkup.HiddenName(cell.Cell.Source);
            if (cell.Status == CellStatus.TimedOut) timedOut ??= exercise ?? hidden ?? $"(not an exercise: {cell.Cell.Label})";
            if (exercise is not null && cell.Status == CellStatus.Failed)
                exerciseErrors[exercise] = FirstLine(WithoutCellLabel(cell.Error ?? "failed", cell.Cell.Label));
            if (hidden is null) continue;
            string? json = ProbeJson(cell);
            if (cell.Status == CellStatus.Ok && json is not null) probes[hidden] = json;
            else hiddenErrors[hidden] = cell.Status switch
            {
                CellStatus.Ok => "the hidden check returned no probe values",
                CellStatus.Skipped => cell.SkipReason ?? "not run",
                _ => FirstLine(cell.Error ?? cell.Status.ToString()),
            };
        }
        return new AttemptResult(probes, exerciseErrors, hiddenErrors, timedOut, timedOut is null);
    }

    /// <summary>
    /// The probe run a hidden cell returned, as JSON: asked of the returned object itself (the exercise protocol's
    /// ProbeRun, recognised by its full type name: the notebook's #r loads its own copy of that assembly, and a student's
    /// own type of that name does not pass), else read from the output under <see cref="AttemptResult.ProbeMimeType"/>.
    /// </summary>
    private static string? ProbeJson(CellResult cell)
    {
        if (cell.ReturnValue is { } value && value.GetType().FullName == typeof(ProbeRun).FullName
            && value.GetType().GetMethod("ToJson", Type.EmptyTypes)?.Invoke(value, null) is string json)
            return json;
        return cell.Outputs.Select(o => o.TextOf(AttemptResult.ProbeMimeType)).LastOrDefault(t => t is not null);
    }

    /// <summary>The error without the runner's "cell N:" prefix, which numbers the grading notebook, not the student's.</summary>
    private static string WithoutCellLabel(string error, string label) =>
        error.StartsWith(label + ": ", StringComparison.Ordinal) ? error[(label.Length + 2)..] : error;

    private static string FirstLine(string text)
    {
        string line = text.Split('\n')[0].Trim();
        return line.Length <= 300 ? line : line[..300] + "...";
    }
}

using System.Text.Json;

namespace CourseNotebooks.Grading;

/// <summary>The grade of one exercise in one submission.</summary>
/// <param name="Name">The exercise's name.</param>
/// <param name="Points">Points earned: the points of every group whose hidden probes all pass (all or nothing for an
/// exercise without groups).</param>
/// <param name="MaxPoints">Points it is worth.</param>
/// <param name="Status">passed, partial (some groups passed), failed, error (the student's cell failed), missing,
/// forbidden, timeout, crashed or unreadable.</param>
/// <param name="Reason">For the student: what went wrong, never an expected value (empty when passed).</param>
/// <param name="Groups">For an exercise with probe groups: each group's points and status.</param>
/// <param name="Review">What a TA decided (a written answer's comment, or an override and its reason), or null; set
/// when the gradebook is written (<see cref="CourseGrades"/>), never by the autograder.</param>
public sealed record ExerciseGrade(string Name, double Points, int MaxPoints, string Status, string Reason, IReadOnlyList<GroupGrade>? Groups = null,
    string? Review = null);

/// <summary>The grade of one group of hidden probes.</summary>
/// <param name="Group">The group's name.</param>
/// <param name="Points">Points earned (all of them when every probe of the group passed).</param>
/// <param name="MaxPoints">Points it is worth.</param>
/// <param name="Status">passed or failed.</param>
/// <param name="Reason">What failed (probe numbers and kinds, never an expected value).</param>
public sealed record GroupGrade(string Group, double Points, int MaxPoints, string Status, string Reason);

/// <summary>
/// The result of grading one student's notebook, written atomically as one file per submission so a grader that is
/// killed keeps what it finished, and a restart skips submissions whose file and checksum are unchanged.
/// </summary>
/// <param name="Student">The student's id: the submission folder's name, or the file's name without extension.</param>
/// <param name="Notebook">The course notebook it was graded against.</param>
/// <param name="File">The submission file, relative to the submissions folder (empty when nothing was found).</param>
/// <param name="Sha256">The submission file's SHA-256 (a changed file is graded again).</param>
/// <param name="ReferenceSha256">The TA notebook's SHA-256 (a changed reference grades everything again).</param>
/// <param name="Exercises">One grade per exercise of the notebook, in its order.</param>
/// <param name="Problems">What went wrong with the submission as a whole, for the TA's summary.</param>
/// <param name="Seconds">Wall time spent on it.</param>
/// <param name="Attempts">Runs needed (more than one when an exercise timed out or crashed its process).</param>
/// <param name="Sandboxed">True when its code ran inside bubblewrap.</param>
/// <param name="Late">How late it was and its penalty, where the course file gives the notebook a deadline; set when
/// the gradebook is written (<see cref="CourseGrades"/>), never by the autograder.</param>
public sealed record SubmissionResult(string Student, string Notebook, string File, string Sha256, string ReferenceSha256,
    IReadOnlyList<ExerciseGrade> Exercises, IReadOnlyList<string> Problems, double Seconds, int Attempts, bool Sandboxed,
    LateWork? Late = null)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Points earned in this notebook.</summary>
    public double Points => Exercises.Sum(e => e.Points);

    /// <summary>Points after the late penalty.</summary>
    public double FinalPoints => Points * (1 - (Late?.Penalty ?? 0));

    /// <summary>Points available in this notebook.</summary>
    public int MaxPoints => Exercises.Sum(e => e.MaxPoints);

    /// <summary>As JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads <see cref="ToJson"/>'s output.</summary>
    /// <exception cref="FormatException">Not a submission result.</exception>
    public static SubmissionResult FromJson(string json)
    {
        try { return JsonSerializer.Deserialize<SubmissionResult>(json) ?? throw new FormatException("empty result"); }
        catch (JsonException e) { throw new FormatException($"not a submission result: {e.Message}", e); }
    }
}

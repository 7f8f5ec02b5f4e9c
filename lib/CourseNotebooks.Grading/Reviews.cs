using System.Text.Json;
using System.Text.Json.Serialization;
using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>What a TA's review decides.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ReviewKind>))]
public enum ReviewKind
{
    /// <summary>The score of a written answer, with a comment for the student.</summary>
    Written,
    /// <summary>An autograded exercise's score replaced by the TA's, with the reason.</summary>
    Override,
}

/// <summary>A TA's score for one exercise of one student's notebook.</summary>
/// <param name="Student">The student's id.</param>
/// <param name="Notebook">The notebook.</param>
/// <param name="Exercise">The exercise or written answer.</param>
/// <param name="Kind">A written answer's score, or an override of the autograder's.</param>
/// <param name="Points">The points given (0 to the exercise's points).</param>
/// <param name="Comment">For the student: the comment on a written answer, or why the autograder's score was
/// replaced (required for an override).</param>
/// <param name="Saved">When it was saved.</param>
/// <param name="AnswerSha256">The SHA-256 of the submission file it was given for: a review of a file since replaced
/// is shown as such.</param>
public sealed record TaReview(string Student, string Notebook, string Exercise, ReviewKind Kind, double Points, string Comment,
    DateTimeOffset Saved, string AnswerSha256);

/// <summary>
/// The TAs' reviews, one file per student, notebook and exercise under <c>reviews/</c> beside the results, each
/// written atomically: two TAs saving different exercises never touch one file, and a reader never sees half a
/// review. Saving again replaces the review (the last save wins).
/// </summary>
/// <param name="gradingFolder">The grading folder (out/grading).</param>
public sealed class ReviewStore(string gradingFolder)
{
    /// <summary>The folder under the grading folder.</summary>
    public const string FolderName = "reviews";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Where reviews are.</summary>
    public string Folder => Path.Combine(gradingFolder, FolderName);

    /// <summary>Saves a review, checking it first.</summary>
    /// <param name="review">The review.</param>
    /// <param name="maxPoints">The exercise's points.</param>
    /// <exception cref="ArgumentException">Points outside 0..<paramref name="maxPoints"/> or not a multiple of 0.25, or an
    /// override without a reason (the message says which).</exception>
    public void Save(TaReview review, int maxPoints)
    {
        ArgumentNullException.ThrowIfNull(review);
        if (!double.IsFinite(review.Points) || review.Points < 0 || review.Points > maxPoints)
            throw new ArgumentException($"points for {review.Exercise} must be between 0 and {maxPoints}, got {review.Points}");
        if (review.Points * 4 != Math.Round(review.Points * 4))
            throw new ArgumentException($"points for {review.Exercise} are given in quarters, got {review.Points}");
        if (review.Kind == ReviewKind.Override && string.IsNullOrWhiteSpace(review.Comment))
            throw new ArgumentException($"overriding the autograder's score of {review.Exercise} needs a reason for the student");
        AtomicFile.WriteAllText(PathOf(review.Student, review.Notebook, review.Exercise), JsonSerializer.Serialize(review, Json));
    }

    /// <summary>Removes a review (the exercise goes back to awaiting review, or to the autograder's score).</summary>
    public void Delete(string student, string notebook, string exercise)
    {
        string path = PathOf(student, notebook, exercise);
        if (SubmissionFiles.KindOf(path) == EntryKind.File) File.Delete(path);
    }

    /// <summary>Every review, by student, notebook and exercise.</summary>
    /// <exception cref="FormatException">A review file is damaged (the message names it).</exception>
    public IReadOnlyList<TaReview> All()
    {
        if (!Directory.Exists(Folder)) return [];
        return [.. Directory.EnumerateFiles(Folder, "*.json", SearchOption.AllDirectories)
            .Where(f => SubmissionFiles.KindOf(f) == EntryKind.File)
            .Select(f =>
            {
                try { return JsonSerializer.Deserialize<TaReview>(File.ReadAllText(f)) ?? throw new FormatException($"{f}: empty review"); }
                catch (JsonException e) { throw new FormatException($"{f}: not a review: {e.Message}", e); }
            })
            .OrderBy(r => r.Student, StringComparer.Ordinal).ThenBy(r => r.Notebook, StringComparer.Ordinal).ThenBy(r => r.Exercise, StringComparer.Ordinal)];
    }

    /// <summary>The review of one exercise, or null.</summary>
    public TaReview? Find(string student, string notebook, string exercise)
    {
        string path = PathOf(student, notebook, exercise);
        if (SubmissionFiles.KindOf(path) != EntryKind.File) return null;
        return JsonSerializer.Deserialize<TaReview>(File.ReadAllText(path));
    }

    private string PathOf(string student, string notebook, string exercise) =>
        Path.Combine(Folder, SubmissionFiles.FileNameOf(student), SubmissionFiles.FileNameOf(notebook), SubmissionFiles.FileNameOf(exercise) + ".json");
}

using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>
/// The grades as the gradebook shows them: the autograder's results, with each notebook's written answers added (a TA's
/// score, or 0 and "awaiting review"), the TAs' overrides applied, and the late penalty of the course file set on each
/// submission. Nothing here changes a stored result: the gradebook is made again from the same files each time.
/// </summary>
public static class CourseGrades
{
    /// <summary>Status of a written answer no TA has scored yet (0 points until then).</summary>
    public const string AwaitingReview = "awaiting review";

    /// <summary>Status of a written answer a TA scored.</summary>
    public const string Reviewed = "reviewed";

    /// <summary>How the reason of a missing written answer starts (a missing exercise's says "no cell of this exercise").</summary>
    public const string NoAnswer = "no answer";

    /// <summary>Status of an autograded exercise whose score a TA replaced.</summary>
    public const string Overridden = "overridden";

    /// <summary>Combines results, submitted work, reviews and deadlines; the results come back in the same order.</summary>
    /// <param name="results">The autograder's results.</param>
    /// <param name="work">The submissions' exercise and answer cells and times (<see cref="SubmittedWork"/>).</param>
    /// <param name="reviews">The TAs' reviews.</param>
    /// <param name="notebooks">The TA's notebooks (for the written answers each one has, and the order of its exercises).</param>
    /// <param name="policy">Deadlines and the late policy.</param>
    public static IReadOnlyList<SubmissionResult> Apply(IReadOnlyList<SubmissionResult> results, IReadOnlyList<SubmittedWork> work,
        IReadOnlyList<TaReview> reviews, IReadOnlyList<string> notebooks, CoursePolicy policy)
    {
        var answersOf = new Dictionary<string, (IReadOnlyList<AnswerSpec> Answers, List<string> Order)>(StringComparer.Ordinal);
        foreach (string path in notebooks)
        {
            var source = NotebookDocument.Load(path);
            var order = source.Cells.Select(SubmittedWork.NameOf).OfType<string>().ToList();
            answersOf[Path.GetFileNameWithoutExtension(path)] = (WrittenAnswers.Parse(source), order);
        }
        var workOf = work.ToDictionary(w => (w.Student, w.Notebook));
        var reviewOf = reviews.ToDictionary(r => (r.Student, r.Notebook, r.Exercise));
        var combined = new List<SubmissionResult>(results.Count);
        foreach (var result in results)
        {
            if (result.Exercises.Count == 0 || !answersOf.TryGetValue(result.Notebook, out var notebook))
            {
                combined.Add(result);
                continue;
            }
            var submitted = workOf.GetValueOrDefault((result.Student, result.Notebook));
            if (submitted is not null && submitted.Sha256 != result.Sha256) submitted = null;   // collected from another file
            var grades = new List<ExerciseGrade>();
            foreach (var grade in result.Exercises)
                grades.Add(reviewOf.TryGetValue((result.Student, result.Notebook, grade.Name), out var review) && review.Kind == ReviewKind.Override
                    ? Override(grade, review, result.Sha256)
                    : grade);
            foreach (var answer in notebook.Answers)
                grades.Add(Written(answer, submitted?.Cell(answer.Name), reviewOf.GetValueOrDefault((result.Student, result.Notebook, answer.Name)), result.Sha256));
            var ordered = grades.OrderBy(g => notebook.Order.IndexOf(g.Name) is int i && i >= 0 ? i : int.MaxValue).ToList();
            var late = submitted is null ? null : policy.Judge(result.Student, result.Notebook, submitted.SubmittedAt, submitted.TimeSource);
            combined.Add(result with { Exercises = ordered, Late = late });
        }
        return combined;
    }

    /// <summary>
    /// Everything under a grading folder combined for the gradebook: the results, the submitted work, the reviews, with
    /// the TA's notebooks and the course file of <paramref name="notebooksFolder"/>.
    /// </summary>
    public static IReadOnlyList<SubmissionResult> Load(string gradingFolder, string notebooksFolder)
    {
        var notebooks = Directory.Exists(notebooksFolder) ? Directory.GetFiles(notebooksFolder, "*.dib").Order(StringComparer.Ordinal).ToList() : [];
        return Apply(Gradebook.Read(Path.Combine(gradingFolder, "results")), SubmittedWork.ReadAll(gradingFolder),
            new ReviewStore(gradingFolder).All(), notebooks, CoursePolicy.Load(notebooksFolder));
    }

    /// <summary>
    /// Writes the gradebook, feedback and summary (<see cref="Gradebook.Write"/>) and the similarity report from
    /// everything under <paramref name="gradingFolder"/>; returns the combined grades. What <c>course gradebook</c>,
    /// <c>course autograde</c> and each save on the review page do.
    /// </summary>
    /// <param name="gradingFolder">The grading folder.</param>
    /// <param name="notebooksFolder">The TA's notebooks (and course.json).</param>
    /// <param name="sandboxDescription">What isolation the runs had, or null to say it from the results.</param>
    /// <param name="similarity">Also write the similarity report (every pair of every exercise: the review page, which
    /// changes no code, leaves it out of each save).</param>
    public static IReadOnlyList<SubmissionResult> WriteGradebook(string gradingFolder, string notebooksFolder, string? sandboxDescription = null,
        bool similarity = true)
    {
        var grades = Load(gradingFolder, notebooksFolder);
        Gradebook.Write(grades, gradingFolder, sandboxDescription
            ?? (grades.All(r => r.Sandboxed) ? "Every submission ran in the bubblewrap sandbox" : "Some submissions ran without a sandbox"));
        if (!similarity) return grades;
        var notebooks = Directory.Exists(notebooksFolder) ? Directory.GetFiles(notebooksFolder, "*.dib").Order(StringComparer.Ordinal).ToList() : [];
        var work = SubmittedWork.ReadAll(gradingFolder);
        var options = new SimilarityOptions();
        Similarity.Write(Similarity.Find(work, notebooks, options), work, gradingFolder, options);
        return grades;
    }

    /// <summary>An autograded exercise with the TA's score in its place (unless the review was of an earlier file).</summary>
    private static ExerciseGrade Override(ExerciseGrade grade, TaReview review, string sha)
    {
        if (review.AnswerSha256 != sha)
            return grade with { Review = $"a TA's override ({Csv.Number(review.Points)} points, {review.Saved:yyyy-MM-dd}) was for an earlier file: not applied" };
        return grade with
        {
            Points = review.Points, Status = Overridden,
            Review = $"score set by a TA to {Csv.Number(review.Points)} of {grade.MaxPoints} (the autograder gave {Csv.Number(grade.Points)}, {grade.Status}): {review.Comment}",
        };
    }

    /// <summary>A written answer's grade: the TA's score, or 0 until then.</summary>
    private static ExerciseGrade Written(AnswerSpec answer, SubmittedCell? cell, TaReview? review, string sha)
    {
        if (review is { Kind: ReviewKind.Written } && review.AnswerSha256 == sha)
            return new ExerciseGrade(answer.Name, review.Points, answer.Points, Reviewed, "", Review: review.Comment);
        string? stale = review is { Kind: ReviewKind.Written }
            ? $"a TA's score ({Csv.Number(review.Points)} points, {review.Saved:yyyy-MM-dd}) was for an earlier file: to be reviewed again" : null;
        if (cell is null)
            return new ExerciseGrade(answer.Name, 0, answer.Points, "missing", $"{NoAnswer} could be read from the submission", Review: stale);
        if (!cell.Present)
            return new ExerciseGrade(answer.Name, 0, answer.Points, "missing", $"{NoAnswer} cell was found (its first line must stay '{WrittenAnswers.AnswerMarker}{answer.Name} ...')", Review: stale);
        if (cell.Source.Length == 0)
            return new ExerciseGrade(answer.Name, 0, answer.Points, "unanswered", "the answer cell is empty", Review: stale);
        return new ExerciseGrade(answer.Name, 0, answer.Points, AwaitingReview, "a TA has not scored this answer yet", Review: stale);
    }
}

using System.Text;
using System.Text.RegularExpressions;
using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>How a student's submission fills one exercise of the grading notebook.</summary>
public enum Submitted
{
    /// <summary>The student's cell of that name is used.</summary>
    Answered,
    /// <summary>No cell of that name: the released stub stands in, so the exercise scores zero as "missing".</summary>
    Missing,
    /// <summary>The student's cell calls an API the exercise forbids: it is not run, and the exercise scores zero.</summary>
    Forbidden,
    /// <summary>Left out on purpose: an earlier attempt timed out or crashed the process in this exercise.</summary>
    Stubbed,
}

/// <summary>One exercise of a grading notebook: what stands in its cell, and why.</summary>
/// <param name="Spec">The exercise as the TA's notebook declares it.</param>
/// <param name="How">Whether the student's cell, or a stub, is run.</param>
/// <param name="Note">For Forbidden, the APIs called; for Stubbed, what happened before.</param>
public sealed record GradedExercise(ExerciseSpec Spec, Submitted How, string? Note = null);

/// <summary>
/// The notebook a submission is graded with: the TA's own notebook, cell by cell, with each exercise cell replaced
/// by the student's cell of the same name and the public check cells left out. Everything else (the setup, the
/// lecture's cells, the hidden probes) is the TA's, so an edited, deleted or reordered check cell or any other
/// change to the student's notebook outside the exercise cells changes nothing. Student cells are found by the
/// exercise name on their first line, never by position; when a name appears more than once, the last such cell
/// (the one furthest down the student's notebook) is used.
/// </summary>
public sealed partial class GradingNotebook
{
    private GradingNotebook(string text, IReadOnlyList<GradedExercise> exercises)
    {
        Text = text;
        Exercises = exercises;
    }

    /// <summary>The grading notebook as .dib text, its <c>#r</c> paths resolving from the folder it is written to.</summary>
    public string Text { get; }

    /// <summary>The exercises, in the TA's order.</summary>
    public IReadOnlyList<GradedExercise> Exercises { get; }

    /// <summary>
    /// Builds the grading notebook for <paramref name="submission"/> (null: nothing readable was submitted, so every
    /// exercise is missing) against the TA's <paramref name="source"/>, to be written into <paramref name="targetFolder"/>.
    /// </summary>
    /// <param name="source">The TA's notebook with solutions and hidden checks.</param>
    /// <param name="submission">The student's notebook.</param>
    /// <param name="targetFolder">Where the grading notebook will be written (its relative <c>#r</c> paths are rebased).</param>
    /// <param name="stubbed">Exercises to leave out, with the reason (earlier attempts that timed out or crashed).</param>
    public static GradingNotebook Build(NotebookDocument source, NotebookDocument? submission, string targetFolder,
        IReadOnlyDictionary<string, string>? stubbed = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        string sourceFolder = Path.GetDirectoryName(source.FilePath ?? Path.GetFullPath(source.Name))!;
        var specs = ExerciseMarkup.Parse(source);
        var studentCells = new Dictionary<string, NotebookCell>(StringComparer.Ordinal);
        foreach (var cell in submission?.CodeCells ?? [])
            if (ExerciseMarkup.ExerciseName(cell.Source) is { } name) studentCells[name] = cell;   // the last one wins

        var exercises = new List<GradedExercise>();
        var text = new StringBuilder();
        foreach (var cell in source.CodeCells)
        {
            string code = cell.Source;
            if (ExerciseMarkup.CheckName(code) is not null) continue;
            if (specs.FirstOrDefault(s => s.ExerciseCell.Index == cell.Index) is { } spec)
            {
                GradedExercise graded;
                NotebookCell? student = null;
                if (stubbed is not null && stubbed.TryGetValue(spec.Name, out string? why))
                    graded = new GradedExercise(spec, Submitted.Stubbed, why);
                else if (!studentCells.TryGetValue(spec.Name, out student))
                    graded = new GradedExercise(spec, Submitted.Missing);
                else if (spec.ForbiddenUses(CodeWithoutComments(student.Source)) is { Count: > 0 } uses)
                    graded = new GradedExercise(spec, Submitted.Forbidden, string.Join(", ", uses));
                else
                    graded = new GradedExercise(spec, Submitted.Answered);
                exercises.Add(graded);
                code = graded.How == Submitted.Answered
                    ? student!.Source
                    : StudentRelease.StripSolutions(cell.Source, source.Name);
            }
            else
            {
                code = NotebookConverter.RebaseReferences(WithoutPackageReferences(code), sourceFolder, targetFolder);
                if (ExerciseMarkup.HiddenName(code) is not null) code = WithFullNames(code);
            }
            text.Append("#!csharp\n\n").Append(code.Replace("\r\n", "\n").TrimEnd('\n')).Append("\n\n");
        }
        return new GradingNotebook(text.ToString(), exercises);
    }

    /// <summary>
    /// A hidden cell calling the exercise protocol's <c>Exercise</c> by its full name: a student's cell that declares its own
    /// type named Exercise would otherwise stand in for it in every later cell.
    /// </summary>
    private static string WithFullNames(string code) => ExerciseCall().Replace(code, "global::CourseNotebooks.Exercises.Exercise.");

    [GeneratedRegex(@"(?<![\w.:])Exercise\.")]
    private static partial Regex ExerciseCall();

    /// <summary>
    /// A student's cell as code only: the header line (which names the forbidden APIs) and line comments go, so
    /// only what the cell would run is searched for forbidden calls.
    /// </summary>
    private static string CodeWithoutComments(string cell) =>
        string.Join("\n", cell.Replace("\r\n", "\n").Split('\n').Skip(1).Select(l => LineComment().Replace(l, "")));

    [GeneratedRegex(@"//.*$")]
    private static partial Regex LineComment();

    /// <summary>
    /// The cell without <c>#r "nuget: ..."</c> lines: grading runs with no network, and the packages notebooks
    /// pull that way only draw charts, which grading does not look at.
    /// </summary>
    private static string WithoutPackageReferences(string code) => NugetReference().Replace(code, "");

    [GeneratedRegex("""^[ \t]*#r[ \t]+"nuget:[^"\n]*"[ \t]*\r?\n?""", RegexOptions.Multiline)]
    private static partial Regex NugetReference();
}

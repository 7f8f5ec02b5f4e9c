using System.Text.RegularExpressions;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CourseNotebooks.Grading;

/// <summary>How a student's submission fills one exercise of the grading notebook.</summary>
public enum Submitted
{
    /// <summary>The student's cell of that name is used.</summary>
    Answered,
    /// <summary>No cell of that name: the released stub stands in, so the exercise scores zero as "missing".</summary>
    Missing,
    /// <summary>Left out on purpose: an earlier attempt timed out or crashed the process in this exercise.</summary>
    Stubbed,
}

/// <summary>One exercise of a grading notebook: what stands in its cell, and why.</summary>
/// <param name="Spec">The exercise as the TA's notebook declares it.</param>
/// <param name="How">Whether the student's cell, or a stub, is run.</param>
/// <param name="Note">For Stubbed, what happened before.</param>
public sealed record GradedExercise(ExerciseSpec Spec, Submitted How, string? Note = null);

/// <summary>
/// What a submission is graded with: the TA's own notebook, cell by cell, with each exercise cell replaced by the
/// student's cell of the same name and the public check cells left out, as a <see cref="GradingPlan"/> of cells (never
/// rebuilt as notebook text, so a student's cell cannot smuggle in a cell header and with it a cell of its own).
/// Everything else (the setup, the lecture's cells, the hidden probes) is the TA's, so an edited, deleted or
/// reordered check cell or any other change to the student's notebook outside the exercise cells changes nothing.
/// Student cells are found by the exercise name on their first line, never by position; when a name appears more
/// than once, the last such cell (the one furthest down the student's notebook) is used.
/// </summary>
public sealed partial class GradingNotebook
{
    private GradingNotebook(GradingPlan plan, IReadOnlyList<GradedExercise> exercises)
    {
        Plan = plan;
        Exercises = exercises;
    }

    /// <summary>The cells to run, with <c>#r</c> paths made absolute (the run resolves nothing relative to a folder of its own).</summary>
    public GradingPlan Plan { get; }

    /// <summary>The exercises, in the TA's order.</summary>
    public IReadOnlyList<GradedExercise> Exercises { get; }

    /// <summary>
    /// Builds the grading plan for <paramref name="submission"/> (null: nothing readable was submitted, so every
    /// exercise is missing) against the TA's <paramref name="source"/>.
    /// </summary>
    /// <param name="source">The TA's notebook with solutions and hidden checks (read from a file).</param>
    /// <param name="submission">The student's notebook.</param>
    /// <param name="limits">The run's limits, passed on in the plan.</param>
    /// <param name="stubbed">Exercises to leave out, with the reason (earlier attempts that timed out or crashed).</param>
    public static GradingNotebook Build(NotebookDocument source, NotebookDocument? submission, GradingLimits limits,
        IReadOnlyDictionary<string, string>? stubbed = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(limits);
        string sourceFolder = Path.GetDirectoryName(source.FilePath ?? Path.GetFullPath(source.Name))!;
        var specs = ExerciseMarkup.Parse(source);
        var studentCells = new Dictionary<string, NotebookCell>(StringComparer.Ordinal);
        foreach (var cell in submission?.CodeCells ?? [])
            if (ExerciseMarkup.ExerciseName(cell.Source) is { } name) studentCells[name] = cell;   // the last one wins

        var exercises = new List<GradedExercise>();
        var cells = new List<GradingCell>();
        foreach (var cell in source.CodeCells)
        {
            string code = cell.Source;
            if (ExerciseMarkup.CheckName(code) is not null) continue;
            if (WrittenAnswers.IsWritten(code)) continue;   // read by a TA, never run
            if (specs.FirstOrDefault(s => s.ExerciseCell.Index == cell.Index) is { } spec)
            {
                string stub = StudentRelease.StripSolutions(cell.Source, source.Name);
                GradedExercise graded;
                NotebookCell? student = null;
                if (stubbed is not null && stubbed.TryGetValue(spec.Name, out string? why))
                    graded = new GradedExercise(spec, Submitted.Stubbed, why);
                else if (!studentCells.TryGetValue(spec.Name, out student))
                    graded = new GradedExercise(spec, Submitted.Missing);
                else
                    graded = new GradedExercise(spec, Submitted.Answered);
                exercises.Add(graded);
                cells.Add(graded.How == Submitted.Answered
                    ? new GradingCell(GradingCellKind.Exercise, student!.Source.Replace("\r\n", "\n"), spec.Name, Stub: stub)
                    : new GradingCell(GradingCellKind.Notebook, stub));
            }
            else if (ExerciseMarkup.HiddenName(code) is { } hidden && specs.FirstOrDefault(s => s.Name == hidden) is { } owner)
            {
                string group = owner.Groups.First(g => g.Cells.Any(c => c.Index == cell.Index)).Key;
                cells.Add(new GradingCell(GradingCellKind.Hidden, WithFullNames(AbsoluteReferences(code, sourceFolder)), hidden, group, owner.Forbidden));
            }
            else
                cells.Add(new GradingCell(GradingCellKind.Notebook, AbsoluteReferences(WithoutPackageReferences(code), sourceFolder)));
        }
        return new GradingNotebook(new GradingPlan(cells, limits.CellTime.TotalSeconds, limits.OutputChars, limits.MemoryMegabytes), exercises);
    }

    /// <summary>The folders the plan's <c>#r</c> lines load from (the run must be able to read them).</summary>
    public IReadOnlyList<string> ReferenceFolders() =>
        [.. Plan.Cells.SelectMany(c => FileReference().Matches(c.Source).Select(m => Path.GetDirectoryName(m.Groups["path"].Value)!))
            .Where(Path.IsPathRooted).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// A hidden cell with every unqualified use of the protocol's <c>Exercise</c> made fully qualified, on the
    /// syntax tree (not the text): a student's cell that declares its own type named Exercise would otherwise stand in
    /// for it in every later cell.
    /// </summary>
    internal static string WithFullNames(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(kind: SourceCodeKind.Script));
        string full = "global::" + typeof(Exercise).FullName;
        var root = tree.GetRoot();
        var uses = root.DescendantNodes().OfType<IdentifierNameSyntax>()
            .Where(n => n.Identifier.ValueText == nameof(Exercise)
                        && n.Parent is MemberAccessExpressionSyntax access && access.Expression == n).ToList();
        return root.ReplaceNodes(uses, (old, _) => SyntaxFactory.ParseExpression(full).WithTriviaFrom(old)).ToFullString();
    }

    /// <summary>Relative <c>#r "file"</c> paths made absolute, from the TA notebook's folder.</summary>
    internal static string AbsoluteReferences(string code, string sourceFolder) =>
        FileReference().Replace(code, m => Path.IsPathRooted(m.Groups["path"].Value)
            ? m.Value
            : m.Groups["head"].Value + Path.GetFullPath(Path.Combine(sourceFolder, m.Groups["path"].Value)).Replace('\\', '/') + "\"");

    [GeneratedRegex("""^(?<head>[ \t]*#r[ \t]+")(?!nuget:)(?<path>[^"\r\n]+)"(?=[ \t]*\r?$)""", RegexOptions.Multiline)]
    private static partial Regex FileReference();

    /// <summary>
    /// The cell without <c>#r "nuget: ..."</c> lines: grading runs with no network, and the packages notebooks
    /// pull that way only draw charts, which grading does not look at.
    /// </summary>
    private static string WithoutPackageReferences(string code) => NugetReference().Replace(code, "");

    [GeneratedRegex("""^[ \t]*#r[ \t]+"nuget:[^"\n]*"[ \t]*\r?\n?""", RegexOptions.Multiline)]
    private static partial Regex NugetReference();
}

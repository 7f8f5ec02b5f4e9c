using System.Text;
using System.Text.Json;
using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>One exercise whose score changed when a submission was graded again.</summary>
/// <param name="Student">The student.</param>
/// <param name="Notebook">The notebook.</param>
/// <param name="Exercise">The exercise.</param>
/// <param name="Before">Points before.</param>
/// <param name="After">Points now.</param>
/// <param name="StatusBefore">Status before.</param>
/// <param name="StatusAfter">Status now.</param>
/// <param name="Why">What changed between the two gradings: the submission, the exercise's reference solution, its
/// hidden probes or their reference values, its points, its forbidden APIs, or the grader.</param>
public sealed record ScoreChange(string Student, string Notebook, string Exercise, double Before, double After, string StatusBefore,
    string StatusAfter, string Why);

/// <summary>
/// Explains a regrade: what the stored results said before <c>course autograde</c> ran and what they say after, per
/// exercise, with the reason read from what changed. The TA notebook each grading used is kept as
/// <c>reference/NAME.source.dib</c> (and its probe values in <c>reference/NAME.json</c>, the autograder's cache), so a
/// changed reference solution or hidden probe can be named exercise by exercise, group by group.
/// </summary>
public sealed class RegradeReport
{
    private readonly string _gradingFolder;
    private readonly Dictionary<(string Student, string Notebook), SubmissionResult> _before;
    private readonly Dictionary<string, NotebookState> _referenceBefore;

    private RegradeReport(string gradingFolder, Dictionary<(string, string), SubmissionResult> before, Dictionary<string, NotebookState> referenceBefore)
    {
        _gradingFolder = gradingFolder;
        _before = before;
        _referenceBefore = referenceBefore;
    }

    /// <summary>Reads what the grading folder holds before grading.</summary>
    public static RegradeReport Before(string gradingFolder, IReadOnlyList<string> notebooks)
    {
        var results = new Dictionary<(string, string), SubmissionResult>();
        string folder = Path.Combine(gradingFolder, "results");
        // Read as the autograder reads a stored result: regular files only (never blocking on a pipe), a damaged one
        // skipped (it is graded again, and its changes cannot be told).
        if (Directory.Exists(folder))
            foreach (string file in Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories).Where(f => SubmissionFiles.KindOf(f) == EntryKind.File))
            {
                try
                {
                    var result = SubmissionResult.FromJson(Encoding.UTF8.GetString(SubmissionFiles.ReadRegularFile(file)));
                    results[(result.Student, result.Notebook)] = result;
                }
                catch (Exception e) when (e is FormatException or IOException) { }
            }
        var references = new Dictionary<string, NotebookState>(StringComparer.Ordinal);
        foreach (string notebook in notebooks)
        {
            string name = Path.GetFileNameWithoutExtension(notebook);
            string copy = SourceCopy(gradingFolder, name);
            if (!File.Exists(copy)) continue;
            try { references[name] = NotebookState.Read(NotebookDocument.Parse(File.ReadAllText(copy), ".dib", copy), ProbeValues(gradingFolder, name)); }
            catch (NotebookFormatException) { }   // a damaged copy: the reason is then "unknown"
        }
        return new RegradeReport(gradingFolder, results, references);
    }

    /// <summary>
    /// The score changes between the results before and <paramref name="after"/>, and keeps the TA notebooks used now
    /// for the next regrade.
    /// </summary>
    public IReadOnlyList<ScoreChange> After(IReadOnlyList<SubmissionResult> after, IReadOnlyList<string> notebooks)
    {
        var referenceNow = new Dictionary<string, NotebookState>(StringComparer.Ordinal);
        foreach (string notebook in notebooks)
        {
            string name = Path.GetFileNameWithoutExtension(notebook);
            referenceNow[name] = NotebookState.Read(NotebookDocument.Load(notebook), ProbeValues(_gradingFolder, name));
        }
        var changes = new List<ScoreChange>();
        foreach (var now in after.OrderBy(r => r.Student, StringComparer.Ordinal).ThenBy(r => r.Notebook, StringComparer.Ordinal))
        {
            if (!_before.TryGetValue((now.Student, now.Notebook), out var was)) continue;
            foreach (var grade in now.Exercises)
            {
                var old = was.Exercises.FirstOrDefault(e => e.Name == grade.Name);
                double before = old?.Points ?? 0;
                if (old is not null && before == grade.Points && old.MaxPoints == grade.MaxPoints) continue;
                changes.Add(new ScoreChange(now.Student, now.Notebook, grade.Name, before, grade.Points, old?.Status ?? "(new exercise)", grade.Status,
                    Why(was, now, grade.Name, _referenceBefore.GetValueOrDefault(now.Notebook), referenceNow.GetValueOrDefault(now.Notebook))));
            }
        }
        foreach (string notebook in notebooks)
            AtomicFile.WriteAllText(SourceCopy(_gradingFolder, Path.GetFileNameWithoutExtension(notebook)), File.ReadAllText(notebook));
        return changes;
    }

    /// <summary>The changes as Markdown (also printed by the command): one line per exercise, then each student's total.</summary>
    public static string Markdown(IReadOnlyList<ScoreChange> changes)
    {
        var md = new StringBuilder("# Regrade\n\n");
        if (changes.Count == 0) return md.Append("No score changed.\n").ToString();
        var students = changes.GroupBy(c => c.Student).ToList();
        md.Append($"{students.Count} student{(students.Count == 1 ? "" : "s")}' scores changed.\n\n| student | notebook | exercise | before | after | change | why |\n| --- | --- | --- | ---: | ---: | ---: | --- |\n");
        foreach (var c in changes)
            md.Append($"| {Gradebook.Text(c.Student)} | {Gradebook.Text(c.Notebook)} | {c.Exercise} | {Csv.Number(c.Before)} ({c.StatusBefore}) | {Csv.Number(c.After)} ({c.StatusAfter}) | {Signed(c.After - c.Before)} | {Gradebook.Text(c.Why)} |\n");
        md.Append("\n| student | total change |\n| --- | ---: |\n");
        foreach (var s in students)
            md.Append($"| {Gradebook.Text(s.Key)} | {Signed(s.Sum(c => c.After - c.Before))} |\n");
        return md.ToString();
    }

    /// <summary>A change with its sign: +2, -0.5.</summary>
    public static string Signed(double delta) => (delta > 0 ? "+" : "") + Csv.Number(delta);

    private static string Why(SubmissionResult was, SubmissionResult now, string exercise, NotebookState? before, NotebookState? after)
    {
        var reasons = new List<string>();
        if (was.Sha256 != now.Sha256) reasons.Add("the submission file changed");
        string versionBefore = was.ReferenceSha256.Split('+').ElementAtOrDefault(1) ?? "", versionNow = now.ReferenceSha256.Split('+').ElementAtOrDefault(1) ?? "";
        if (versionBefore != versionNow) reasons.Add($"the grader changed (version {versionBefore} to {versionNow})");
        if (before is not null && after is not null)
        {
            var b = before.Exercises.GetValueOrDefault(exercise);
            var a = after.Exercises.GetValueOrDefault(exercise);
            if (b is null && a is not null) reasons.Add("the exercise is new in the TA notebook");
            else if (b is not null && a is not null)
            {
                if (b.Points != a.Points) reasons.Add($"its points changed ({b.Points} to {a.Points})");
                if (b.Solution != a.Solution) reasons.Add("its reference solution changed");
                if (b.Forbidden != a.Forbidden) reasons.Add($"its forbidden APIs changed ('{b.Forbidden}' to '{a.Forbidden}')");
                foreach (string group in a.Hidden.Keys.Union(b.Hidden.Keys).Order(StringComparer.Ordinal))
                {
                    string label = group == "all" ? "its hidden probes" : $"its hidden probes of group '{group}'";
                    if (b.Hidden.GetValueOrDefault(group) != a.Hidden.GetValueOrDefault(group)) reasons.Add($"{label} changed");
                    else if (b.Values.GetValueOrDefault(group) is { } vb && a.Values.GetValueOrDefault(group) is { } va && vb != va)
                        reasons.Add($"the reference values of {label} changed");
                }
            }
        }
        else if (was.ReferenceSha256 != now.ReferenceSha256) reasons.Add("the TA notebook changed (no copy of the earlier one to compare with)");
        return reasons.Count > 0 ? string.Join("; ", reasons)
            : "neither the submission nor the exercise's reference changed: the run itself went differently (a time limit, a crash, or a non-deterministic answer)";
    }

    private static string SourceCopy(string gradingFolder, string name) => Path.Combine(gradingFolder, "reference", name + ".source.dib");

    /// <summary>The probe values the autograder cached for a notebook ("exercise/group" to JSON), or none.</summary>
    private static Dictionary<string, string> ProbeValues(string gradingFolder, string name)
    {
        string cache = Path.Combine(gradingFolder, "reference", name + ".json");
        if (!File.Exists(cache)) return [];
        try
        {
            return File.ReadAllText(cache).Split('\n', 2) is [_, var json]
                ? JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [] : [];
        }
        catch (JsonException) { return []; }
    }

    /// <summary>What a TA notebook says about each exercise, in the terms a regrade is explained in.</summary>
    private sealed record NotebookState(IReadOnlyDictionary<string, ExerciseState> Exercises)
    {
        public static NotebookState Read(NotebookDocument notebook, Dictionary<string, string> values) =>
            new(ExerciseMarkup.Parse(notebook).ToDictionary(s => s.Name, s => new ExerciseState(s.Points, s.Solution.Trim(), string.Join(", ", s.Forbidden),
                s.Groups.ToDictionary(g => g.Key, g => string.Join("\n", g.Cells.Select(c => c.Source.Trim()))),
                s.Groups.Where(g => values.ContainsKey(s.Name + "/" + g.Key)).ToDictionary(g => g.Key, g => values[s.Name + "/" + g.Key]))));
    }

    private sealed record ExerciseState(int Points, string Solution, string Forbidden, Dictionary<string, string> Hidden, Dictionary<string, string> Values);
}

using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CourseNotebooks.Host;
using Markdig;

namespace CourseNotebooks.Grading;

/// <summary>
/// Merges per-submission results (from one grader or from many shards) into the gradebook (CSV and JSON: one row
/// per student, notebook and exercise), per-student feedback (Markdown and HTML) and the TA's summary. Reading
/// the results folder again gives the same files: merging is idempotent, and a result file per submission means
/// no duplicate rows. Written answers, TA overrides and late penalties are in the results it is given when they come
/// through <see cref="CourseGrades"/>: each row then says what a TA decided and how late the notebook was.
/// </summary>
public static class Gradebook
{
    /// <summary>The gradebook's CSV header.</summary>
    public const string CsvHeader = "student,notebook,exercise,points,max_points,status,reason,groups,review,late,penalty,final_points,seconds";

    /// <summary>Every result under <paramref name="resultsFolder"/>, by student then notebook.</summary>
    /// <exception cref="FormatException">A result file is damaged (the message names it).</exception>
    public static IReadOnlyList<SubmissionResult> Read(string resultsFolder)
    {
        if (!Directory.Exists(resultsFolder)) return [];
        // Regular files only, read without following links: a named pipe planted among the results would otherwise
        // block the merge for ever.
        return [.. Directory.EnumerateFiles(resultsFolder, "*.json", SearchOption.AllDirectories)
            .Where(f => SubmissionFiles.KindOf(f) == EntryKind.File)
            .Select(f =>
            {
                try { return SubmissionResult.FromJson(Encoding.UTF8.GetString(SubmissionFiles.ReadRegularFile(f))); }
                catch (FormatException e) { throw new FormatException($"{f}: {e.Message}", e); }
            })
            .OrderBy(r => r.Student, StringComparer.Ordinal).ThenBy(r => r.Notebook, StringComparer.Ordinal)];
    }

    /// <summary>Writes gradebook.csv, gradebook.json, feedback/STUDENT.md and .html, summary.md and summary.html.</summary>
    public static void Write(IReadOnlyList<SubmissionResult> results, string outDir, string sandboxDescription)
    {
        AtomicFile.WriteAllText(Path.Combine(outDir, "gradebook.csv"), Csv(results));
        AtomicFile.WriteAllText(Path.Combine(outDir, "gradebook.json"), JsonSerializer.Serialize(Rows(results), new JsonSerializerOptions { WriteIndented = true }));
        foreach (var student in results.GroupBy(r => r.Student))
        {
            string markdown = Feedback(student.Key, [.. student]);
            // One file per student id, one to one (SubmissionFiles.FileNameOf): no two students share feedback.
            string file = SubmissionFiles.FileNameOf(student.Key);
            AtomicFile.WriteAllText(Path.Combine(outDir, "feedback", file + ".md"), markdown);
            AtomicFile.WriteAllText(Path.Combine(outDir, "feedback", file + ".html"), Page($"Feedback: {student.Key}", Markdig.Markdown.ToHtml(markdown, Pipeline)));
        }
        string summary = Summary(results, sandboxDescription);
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.md"), summary);
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.html"),
            Page("Grading summary", ScoreHistogram(results) + Markdig.Markdown.ToHtml(summary, Pipeline)));
    }

    /// <summary>
    /// Markdown to HTML with raw HTML switched off: student ids, file names and error messages are the students' text,
    /// and must never become markup in the TA's browser (they are escaped as text, tags and all).
    /// </summary>
    private static readonly Markdig.MarkdownPipeline Pipeline = new Markdig.MarkdownPipelineBuilder().UsePipeTables().DisableHtml().Build();

    /// <summary>
    /// One row per student, notebook and exercise; a submission that was not graded at all (refused, or matching no
    /// notebook) gets one row of its own, with status "refused" or "unmatched", so the TA sees it.
    /// </summary>
    public static IReadOnlyList<Dictionary<string, object>> Rows(IReadOnlyList<SubmissionResult> results) =>
        [.. results.SelectMany(r => r.Exercises.Count == 0
            ? [new Dictionary<string, object>
              {
                  ["student"] = r.Student, ["notebook"] = r.Notebook, ["exercise"] = "(none)", ["points"] = 0.0, ["max_points"] = 0,
                  ["status"] = r.Notebook == "(refused)" ? "refused" : "unmatched", ["reason"] = string.Join("; ", r.Problems),
                  ["groups"] = "", ["review"] = "", ["late"] = "", ["penalty"] = 0.0, ["final_points"] = 0.0, ["seconds"] = Math.Round(r.Seconds, 1),
              }]
            : r.Exercises.Select(e => new Dictionary<string, object>
            {
                ["student"] = r.Student, ["notebook"] = r.Notebook, ["exercise"] = e.Name, ["points"] = e.Points,
                ["max_points"] = e.MaxPoints, ["status"] = e.Status, ["reason"] = e.Reason, ["groups"] = GroupsText(e),
                ["review"] = e.Review ?? "", ["late"] = r.Late?.Text ?? "", ["penalty"] = r.Late?.Penalty ?? 0.0,
                ["final_points"] = Math.Round(e.Points * (1 - (r.Late?.Penalty ?? 0)), 4),
                ["seconds"] = Math.Round(r.Seconds, 1),
            }))];

    /// <summary>An exercise's groups in one cell: "edge cases 0/1; values 2/2" (empty without groups).</summary>
    public static string GroupsText(ExerciseGrade grade) =>
        grade.Groups is { Count: > 0 } groups ? string.Join("; ", groups.Select(g => $"{g.Group} {Num(g.Points)}/{g.MaxPoints}")) : "";

    /// <summary>
    /// The gradebook as CSV (RFC 4180 quoting). A text cell that a spreadsheet would read as a formula (starting with
    /// =, +, -, @, a tab or a carriage return: a student id can) is prefixed with an apostrophe, as OWASP advises.
    /// </summary>
    public static string Csv(IReadOnlyList<SubmissionResult> results)
    {
        var csv = new StringBuilder(CsvHeader).Append('\n');
        foreach (var row in Rows(results))
            csv.AppendJoin(',', row.Values.Select(v => v is string text ? Quote(Defused(text)) : Quote(Convert.ToString(v, CultureInfo.InvariantCulture) ?? ""))).Append('\n');
        return csv.ToString();
    }

    /// <summary>Text a spreadsheet will not run: a leading formula character gets an apostrophe before it.</summary>
    public static string Defused(string text) => text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + text : text;

    /// <summary>A student's feedback: per notebook, every exercise with its points and what to look at.</summary>
    public static string Feedback(string student, IReadOnlyList<SubmissionResult> results)
    {
        var md = new StringBuilder($"# Feedback for {Text(student)}\n\n");
        foreach (var r in results)
        {
            md.Append($"## {Text(r.Notebook)}: {Num(r.FinalPoints)} of {r.MaxPoints} points\n\n");
            if (r.Late is { Penalty: > 0 } late)
                md.Append($"{Num(r.Points)} points before the late penalty: {Text(late.Text)}.\n\n");
            else if (r.Late is { } onTime)
                md.Append($"Handed in {Text(onTime.Text)}.\n\n");
            var autograded = r.Exercises.Where(e => e.Status is not (CourseGrades.AwaitingReview or CourseGrades.Reviewed or "unanswered") && !IsWrittenMissing(e)).ToList();
            bool all = autograded.Count > 0 && autograded.All(e => e.Status == "passed");
            md.Append(all ? "Every hidden test passed.\n\n"
                : $"{autograded.Count(e => e.Status == "passed")} of {autograded.Count} exercises passed their hidden tests.\n\n");
            md.Append("| exercise | points | result | what to look at |\n| --- | ---: | --- | --- |\n");
            foreach (var e in r.Exercises)
            {
                string look = e.Review is { Length: > 0 } review ? (e.Reason.Length > 0 ? $"{Cell(e.Reason)}; TA: {Cell(review)}" : $"TA: {Cell(review)}") : Cell(e.Reason);
                md.Append($"| {e.Name} | {Num(e.Points)} / {e.MaxPoints} | {e.Status} | {look} |\n");
                foreach (var g in e.Groups ?? [])
                    md.Append($"| &nbsp;&nbsp;{Cell(g.Group)} | {Num(g.Points)} / {g.MaxPoints} | {g.Status} | {Cell(g.Reason)} |\n");
            }
            foreach (string p in r.Problems.Where(p => p.StartsWith("unreadable", StringComparison.Ordinal) || p.StartsWith("ambiguous", StringComparison.Ordinal) || r.Exercises.Count == 0))
                md.Append($"\n{Text(p)}\n");
            md.Append('\n');
        }
        return md.ToString();
    }

    /// <summary>A written answer with no cell: reads as "missing" like an exercise, but has no hidden tests.</summary>
    private static bool IsWrittenMissing(ExerciseGrade e) => e.Status == "missing" && e.Reason.StartsWith(CourseGrades.NoAnswer, StringComparison.Ordinal);

    /// <summary>The TA's summary: totals, the exercises most often failed, and the submissions that need a look.</summary>
    public static string Summary(IReadOnlyList<SubmissionResult> results, string sandboxDescription)
    {
        var md = new StringBuilder("# Grading summary\n\n");
        var students = results.GroupBy(r => r.Student).ToList();
        md.Append($"{students.Count} students, {results.Count} graded notebooks. {sandboxDescription}.\n\n");
        md.Append("## Scores\n\nPoints after late penalties (before them in brackets, where a penalty applied).\n\n| student | points | of |\n| --- | ---: | ---: |\n");
        foreach (var s in students)
        {
            double before = s.Sum(r => r.Points), after = s.Sum(r => r.FinalPoints);
            md.Append($"| {Cell(s.Key)} | {Num(after)}{(after < before ? $" ({Num(before)})" : "")} | {s.Sum(r => r.MaxPoints)} |\n");
        }
        var awaiting = results.SelectMany(r => r.Exercises.Where(e => e.Status == CourseGrades.AwaitingReview).Select(e => (r.Notebook, e.Name)))
            .GroupBy(x => x).Select(g => $"{Text(g.Key.Notebook)}/{Text(g.Key.Name)}: {g.Count()}").ToList();
        md.Append("\n## Written answers awaiting a TA's review\n\n").Append(awaiting.Count == 0 ? "None.\n" : string.Join("\n", awaiting.Select(a => "- " + a)) + "\n");
        var late = results.Where(r => r.Late is { DaysLate: > 0 }).ToList();
        md.Append("\n## Late submissions\n\n");
        if (late.Count == 0) md.Append("None.\n");
        foreach (var r in late)
            md.Append($"- {Text(r.Student)} / {Text(r.Notebook)}: {Text(r.Late!.Text)}\n");
        md.Append("\n## Exercises by how many students failed them\n\n| exercise | notebook | failed | of |\n| --- | --- | ---: | ---: |\n");
        foreach (var g in results.SelectMany(r => r.Exercises.Select(e => (r.Notebook, e))).GroupBy(x => (x.Notebook, x.e.Name))
                     .Select(g => (g.Key.Notebook, g.Key.Name, Failed: g.Count(x => x.e.Status is not ("passed" or CourseGrades.Reviewed or CourseGrades.AwaitingReview)), Total: g.Count()))
                     .OrderByDescending(g => g.Failed).ThenBy(g => g.Name, StringComparer.Ordinal))
            md.Append($"| {Cell(g.Name)} | {Cell(g.Notebook)} | {g.Failed} | {g.Total} |\n");
        var attention = results.Where(r => r.Problems.Count > 0).ToList();
        md.Append("\n## Submissions that timed out, crashed, could not be read or were not graded\n\n");
        if (attention.Count == 0) md.Append("None.\n");
        foreach (var r in attention)
            md.Append($"- {Text(r.Student)} / {Text(r.Notebook)} ({Text(r.File)}): {Text(string.Join("; ", r.Problems))}\n");
        return md.ToString();
    }

    /// <summary>The distribution of students' total scores as an inline SVG bar chart (no script, no network).</summary>
    public static string ScoreHistogram(IReadOnlyList<SubmissionResult> results)
    {
        var totals = results.GroupBy(r => r.Student).Select(g => (Points: g.Sum(r => r.FinalPoints), Max: g.Sum(r => r.MaxPoints))).ToList();
        if (totals.Count == 0) return "";
        const int bins = 10, width = 600, height = 220, margin = 30;
        int[] counts = new int[bins];
        foreach (var t in totals) counts[Math.Min(bins - 1, t.Max == 0 ? 0 : (int)(t.Points / t.Max * bins))]++;
        int top = Math.Max(1, counts.Max());
        var svg = new StringBuilder($"<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height + margin}\" role=\"img\" aria-label=\"score distribution\">");
        double bar = (width - 2.0 * margin) / bins;
        for (int b = 0; b < bins; b++)
        {
            double h = (height - margin) * counts[b] / (double)top;
            double x = margin + b * bar, y = height - h;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.#}\" y=\"{y:0.#}\" width=\"{bar - 4:0.#}\" height=\"{h:0.#}\" fill=\"#4c78a8\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + bar / 2 - 2:0.#}\" y=\"{y - 4:0.#}\" font-size=\"12\" text-anchor=\"middle\">{counts[b]}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + bar / 2 - 2:0.#}\" y=\"{height + 16}\" font-size=\"11\" text-anchor=\"middle\">{b * 100 / bins}-{(b + 1) * 100 / bins}%</text>");
        }
        return svg.Append("</svg><figcaption>Students by share of points</figcaption></figure>\n").ToString();
    }

    private static string Page(string title, string body) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{WebUtility.HtmlEncode(title)}</title>
        <style>body {"{"} font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; {"}"} table {"{"} border-collapse: collapse; {"}"} td, th {"{"} border: 1px solid #d0d7de; padding: .2rem .5rem; {"}"}</style>
        </head><body>
        {body}
        </body></html>
        """;

    private static string Quote(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;

    /// <summary>Student-controlled text inside a table cell: escaped as markdown text, pipes and line breaks included.</summary>
    private static string Cell(string text) => Text(text).Replace("|", "\\|").Replace("\n", " ").Replace("\r", " ");

    /// <summary>
    /// Student-controlled text (ids, file names, messages) as literal markdown: every character markdown could read as
    /// syntax is backslash-escaped, so it shows as written (raw HTML is off in <see cref="Pipeline"/> as well).
    /// </summary>
    internal static string Text(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if ("\\`*_{}[]()<>#+-.!|~&\"'$=:".Contains(c)) escaped.Append('\\');
            escaped.Append(c == '\n' || c == '\r' ? ' ' : c);
        }
        return escaped.ToString();
    }

    private static string Num(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}

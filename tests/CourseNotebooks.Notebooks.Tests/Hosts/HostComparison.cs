using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CourseNotebooks.Display;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests.Hosts;

/// <summary>
/// What two runs of one notebook in two hosts must share, times aside: every code cell's status, its printed text,
/// and its shown values in order: charts by their figure JSON, the course's own values (tensors, tables, verdicts,
/// progress) by their text. Other values are compared by count only (each host has its own plain text for an int[]).
/// Times (seconds, milliseconds, images per second) are masked, and charts of times are compared by their traces'
/// names only.
/// </summary>
internal static partial class HostComparison
{
    public static IReadOnlyList<string> Differences(NotebookRun reference, NotebookRun other)
    {
        var problems = new List<string>();
        var ours = reference.CodeCells.ToList();
        var theirs = other.CodeCells.ToList();
        if (ours.Count != theirs.Count) return [$"{ours.Count} code cells against {theirs.Count}"];
        for (int i = 0; i < ours.Count; i++)
        {
            var (a, b) = (ours[i], theirs[i]);
            string where = a.Cell.Label;
            if ((a.Status == CellStatus.Ok) != (b.Status == CellStatus.Ok))
            {
                problems.Add($"{where}: {a.Status} here, {b.Status} there ({b.Error ?? a.Error})");
                continue;
            }
            string printedA = Mask(Streams(a)), printedB = Mask(Streams(b));
            if (printedA != printedB) problems.Add($"{where}: printed text differs:\n--- here\n{printedA}\n--- there\n{printedB}");
            var shownA = Collapsed(a.Outputs.Where(o => o.Kind is OutputKind.Display or OutputKind.ReturnValue && !KernelsOwn(o)));
            var shownB = Collapsed(b.Outputs.Where(o => o.Kind is OutputKind.Display or OutputKind.ReturnValue && !KernelsOwn(o)));
            if (shownA.Count != shownB.Count)
            {
                problems.Add($"{where}: {shownA.Count} values shown here, {shownB.Count} there");
                continue;
            }
            for (int j = 0; j < shownA.Count; j++)
            {
                string? chartA = shownA[j].TextOf(Charts.Charts.PlotlyMimeType), chartB = shownB[j].TextOf(Charts.Charts.PlotlyMimeType);
                if (chartA is not null || chartB is not null)
                {
                    if (chartA is null || chartB is null) problems.Add($"{where}: value {j + 1} is a chart in only one host");
                    else if (Figure(chartA) != Figure(chartB)) problems.Add($"{where}: chart {j + 1} differs");
                    continue;
                }
                if (shownA[j].Value is { } value && DisplayFormatters.TryRender(value, MimeTypes.PlainText) is not null)
                {
                    string textA = Mask(shownA[j].PlainText), textB = Mask(shownB[j].PlainText);
                    if (textA != textB) problems.Add($"{where}: value {j + 1} reads differently:\n--- here\n{textA}\n--- there\n{textB}");
                }
            }
        }
        return problems;
    }

    /// <summary>
    /// Displays with every redraw of one display reduced to its last: dotnet-repl's executed notebook keeps each
    /// update of a live display as an output of its own (a redraw starts with the same first line).
    /// </summary>
    private static List<CellOutput> Collapsed(IEnumerable<CellOutput> outputs)
    {
        var kept = new List<CellOutput>();
        foreach (var output in outputs)
        {
            if (kept.Count > 0 && output.Kind == OutputKind.Display && kept[^1].Kind == OutputKind.Display
                && output.TextOf(Charts.Charts.PlotlyMimeType) is null && FirstLine(output.PlainText) == FirstLine(kept[^1].PlainText))
                kept[^1] = output;
            else kept.Add(output);
        }
        return kept;
    }

    /// <summary>The script Jupyter's .NET kernel shows in the first cell it runs (its front-end bootstrap), not the notebook's.</summary>
    private static bool KernelsOwn(CellOutput output) =>
        output.TextOf("text/html")?.Contains("dotnet-interactive-this-cell", StringComparison.Ordinal) == true;

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private static string Streams(CellResult cell) =>
        string.Concat(cell.Outputs.Where(o => o.Kind == OutputKind.StandardOutput).Select(o => o.PlainText)).Replace("\r\n", "\n").TrimEnd();

    /// <summary>
    /// Text with its times and rates masked (they differ from run to run): numbers with a unit of time or rate, and the
    /// numbers in a text table's columns whose header names a time (TsneSeconds, SecondsToTarget, ...), which carry no unit.
    /// </summary>
    public static string Mask(string text) =>
        ShareOfATime().Replace(TimeOrRate().Replace(MaskTimeColumns(text.Replace("\r\n", "\n").TrimEnd()), "#"), "#");

    // A share printed right after a masked time ("takes #, 0.3 % of a training step") is a ratio of two times.
    [GeneratedRegex(@"(?<=#,\s)\d+(\.\d+)?\s?%")]
    private static partial Regex ShareOfATime();

    /// <summary>
    /// In every aligned text table (a header line over a line of dashes, as TextTable writes it), the numbers that lie
    /// within a time column: between the end of the header before it and the start of the header after it.
    /// </summary>
    private static string MaskTimeColumns(string text)
    {
        var lines = text.Split('\n');
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (lines[i + 1].Length < 3 || lines[i + 1].Any(c => c != '-')) continue;
            var headers = HeaderWord().Matches(lines[i]).ToList();
            var regions = new List<(int From, int To)>();
            for (int h = 0; h < headers.Count; h++)
                if (TimeHeader().IsMatch(headers[h].Value))
                    regions.Add((h == 0 ? 0 : headers[h - 1].Index + headers[h - 1].Length + 1,
                                 h + 1 < headers.Count ? headers[h + 1].Index - 1 : int.MaxValue));
            if (regions.Count == 0) continue;
            // The padding goes too: a time one digit longer shifts its row, or widens its column and the whole table.
            int row = i + 2;
            for (; row < lines.Length && lines[row].Trim().Length > 0; row++)
                lines[row] = Gap().Replace(Number().Replace(lines[row], m =>
                    regions.Any(r => m.Index >= r.From && m.Index + m.Length <= r.To) ? "#" : m.Value), "  ").Trim();
            lines[i] = Gap().Replace(lines[i], "  ").Trim();
            lines[i + 1] = "---";
            i = row - 1;
        }
        return string.Join('\n', lines);
    }

    [GeneratedRegex(" {2,}")]
    private static partial Regex Gap();

    // Header words are separated by at least two spaces (a header may hold one space).
    [GeneratedRegex(@"\S+(?: \S+)*")]
    private static partial Regex HeaderWord();

    // Columns of times, and of shares of a time (ShareOfTrainingStep).
    [GeneratedRegex(@"seconds|time|\bms\b|/s\b|per second|share", RegexOptions.IgnoreCase)]
    private static partial Regex TimeHeader();

    [GeneratedRegex(@"-?\d[\d,]*(\.\d+)?(E[+-]?\d+)?")]
    private static partial Regex Number();

    // A range of times ("1.3 to 1.8 s") carries its unit once, after the second number.
    [GeneratedRegex(@"(\d[\d,]*(\.\d+)?\s?(to|-|–)\s?)?\d[\d,]*(\.\d+)?\s?(ms|µs|s|seconds|min|images/s|steps/s|samples/s)\b")]
    private static partial Regex TimeOrRate();

    /// <summary>A figure's JSON, canonical; for a chart of times only its traces' names and kinds.</summary>
    private static string Figure(string json)
    {
        var figure = JsonNode.Parse(json)!;
        string layout = figure["layout"]?.ToJsonString() ?? "";
        if (Regex.IsMatch(layout, @"\((s|ms|seconds)\)|time \(|wall", RegexOptions.IgnoreCase))
            return string.Join(",", (figure["data"] as JsonArray ?? []).Select(t => $"{t?["type"]}:{t?["name"]}"));
        return figure.ToJsonString();
    }
}

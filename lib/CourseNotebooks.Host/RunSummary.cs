using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CourseNotebooks.Host;

/// <summary>One notebook's line in a run summary.</summary>
/// <param name="Name">Notebook name, e.g. "01-convolution".</param>
/// <param name="Passed">True when every C# cell ran Ok.</param>
/// <param name="Cells">Number of cells (all kernels).</param>
/// <param name="CodeCells">Number of C# cells.</param>
/// <param name="Failed">Cells that failed or timed out.</param>
/// <param name="Skipped">Cells not run (other kernels, or after a timeout).</param>
/// <param name="Seconds">Wall time of the notebook.</param>
/// <param name="FirstFailedCell">1-based index of the first failing cell, or null.</param>
/// <param name="FirstError">Message of the first failure (or why the notebook could not run), or null.</param>
public sealed record NotebookSummary(string Name, bool Passed, int Cells, int CodeCells, int Failed, int Skipped,
    double Seconds, int? FirstFailedCell, string? FirstError)
{
    /// <summary>The summary line of a finished run.</summary>
    public static NotebookSummary FromRun(NotebookRun run) => new(
        run.Notebook.Name, run.Succeeded, run.Cells.Count, run.CodeCells.Count(),
        run.Cells.Count(c => c.Status is CellStatus.Failed or CellStatus.TimedOut),
        run.Cells.Count(c => c.Status is CellStatus.Skipped),
        Math.Round(run.Elapsed.TotalSeconds, 2), run.FirstFailure?.Index, run.FirstFailure?.Describe());

    /// <summary>The summary line of a notebook that could not run at all (missing, unparseable).</summary>
    public static NotebookSummary NotRun(string name, string reason) => new(name, false, 0, 0, 0, 0, 0, null, reason);
}

/// <summary>The outcome of a whole course run: JSON for tools, a Markdown table for people.</summary>
public sealed record RunSummary(IReadOnlyList<NotebookSummary> Notebooks)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>True when every notebook passed.</summary>
    public bool Passed => Notebooks.All(n => n.Passed);

    /// <summary>JSON: { "passed": bool, "notebooks": [ {name, passed, cells, ...} ] }.</summary>
    public string ToJson() => JsonSerializer.Serialize(new { passed = Passed, notebooks = Notebooks }, Json) + "\n";

    /// <summary>Reads back what <see cref="ToJson"/> wrote.</summary>
    public static RunSummary FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        var list = document.RootElement.GetProperty("notebooks").Deserialize<List<NotebookSummary>>(Json) ?? [];
        return new RunSummary(list);
    }

    /// <summary>A Markdown table, one row per notebook, and a closing line with the count that passed.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("| notebook | result | cells | code cells | failed | skipped | time (s) | first error |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var n in Notebooks)
        {
            string error = (n.FirstError ?? "").Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");
            md.AppendLine($"| {n.Name} | {(n.Passed ? "passed" : "FAILED")} | {n.Cells} | {n.CodeCells} | {n.Failed} | {n.Skipped} | {n.Seconds:0.00} | {error} |");
        }
        md.AppendLine();
        md.AppendLine($"{Notebooks.Count(n => n.Passed)} of {Notebooks.Count} notebooks ran without error.");
        return md.ToString();
    }
}

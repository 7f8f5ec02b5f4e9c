using System.Text;

namespace CourseNotebooks.Course.Networks;

/// <summary>
/// Aligned plain-text tables, written once for every table the course prints: <see cref="ModelSummary"/>'s
/// <c>ToString</c> and the display library's tables (which add the HTML form). Columns are separated by two spaces,
/// with a rule under the header and above the footer rows; numbers are right-aligned. Introduced in notebook
/// 06-alexnet (the model summary).
/// Introduced in notebook 06-alexnet.
/// </summary>
public static class PlainTable
{
    /// <summary>Renders a table; every row is kept, however many there are.</summary>
    /// <param name="headers">Column headers.</param>
    /// <param name="rightAligned">Per column, true to right-align (numbers).</param>
    /// <param name="body">Body rows, one cell per column.</param>
    /// <param name="footer">Rows below a rule (totals); may be empty.</param>
    /// <param name="caption">A line above the table, or null.</param>
    /// <param name="note">A line below the table, or null.</param>
    /// <exception cref="ArgumentException">A row or the alignment flags do not have one entry per column.</exception>
    public static string Render(IReadOnlyList<string> headers, IReadOnlyList<bool> rightAligned, IEnumerable<IReadOnlyList<string>> body,
        IEnumerable<IReadOnlyList<string>>? footer = null, string? caption = null, string? note = null)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rightAligned);
        ArgumentNullException.ThrowIfNull(body);
        if (rightAligned.Count != headers.Count)
            throw new ArgumentException($"PlainTable: {headers.Count} headers but {rightAligned.Count} alignment flags.", nameof(rightAligned));
        var bodyRows = body.ToList();
        var footerRows = footer?.ToList() ?? [];
        foreach (var row in bodyRows.Concat(footerRows))
            if (row.Count != headers.Count)
                throw new ArgumentException($"PlainTable: a row has {row.Count} cells, the table has {headers.Count} columns ({string.Join(", ", headers)}).", nameof(body));

        var width = headers.Select(h => h.Length).ToArray();
        foreach (var row in bodyRows.Concat(footerRows))
            for (int c = 0; c < width.Length; c++) width[c] = Math.Max(width[c], row[c].Length);
        string Line(IReadOnlyList<string> cells) => string.Join("  ",
            cells.Select((cell, c) => rightAligned[c] ? cell.PadLeft(width[c]) : cell.PadRight(width[c]))).TrimEnd();
        string rule = new('-', width.Sum() + 2 * (width.Length - 1));

        var sb = new StringBuilder();
        if (caption is not null) sb.AppendLine(caption);
        sb.AppendLine(Line(headers)).AppendLine(rule);
        foreach (var row in bodyRows) sb.AppendLine(Line(row));
        if (footerRows.Count > 0)
        {
            sb.AppendLine(rule);
            foreach (var row in footerRows) sb.AppendLine(Line(row));
        }
        if (note is not null) sb.AppendLine(note);
        return sb.ToString().TrimEnd();
    }
}

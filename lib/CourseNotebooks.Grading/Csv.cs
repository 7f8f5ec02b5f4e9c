using System.Text;

namespace CourseNotebooks.Grading;

/// <summary>RFC 4180 CSV cells: splitting a line, and writing a cell a spreadsheet will not run as a formula.</summary>
internal static class Csv
{
    /// <summary>The cells of one line (quoted cells may hold commas and doubled quotes; a line break inside a quoted cell is not supported).</summary>
    public static List<string> Split(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString().TrimEnd('\r'));
        return cells;
    }

    /// <summary>A text cell: defused (<see cref="Gradebook.Defused"/>), then quoted where needed.</summary>
    public static string Text(string value) => Quote(Gradebook.Defused(value));

    /// <summary>Quoted when it holds a comma, a quote or a line break.</summary>
    public static string Quote(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;

    /// <summary>A number as CSV reads it everywhere: invariant culture, at most two decimals.</summary>
    public static string Number(double value) => value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
}

using System.Globalization;

namespace CourseNotebooks.Course.Data;

/// <summary>One year's winner of the ILSVRC classification task. Introduced in notebook 06-alexnet.</summary>
/// <param name="Year">The challenge year (2010 ... 2017).</param>
/// <param name="Team">The winning team, as the organisers name it (AlexNet's team is "SuperVision").</param>
/// <param name="Entry">What the entry was, in a few words.</param>
/// <param name="Top5ErrorPercent">Top-5 error on the test set, in percent: the share of images whose true class
/// is not among the model's five best guesses.</param>
/// <param name="Source">The publication the figure comes from (a key explained in data/README.md).</param>
public sealed record IlsvrcWinner(int Year, string Team, string Entry, double Top5ErrorPercent, string Source);

/// <summary>
/// The published winning results of the ImageNet challenge (data/ilsvrc/top5-winners.csv; sources in
/// data/README.md): the slide's "top-5 misclassification error rate" chart. Introduced in notebook 06-alexnet.
/// </summary>
public static class Ilsvrc
{
    /// <summary>The table's file, relative to the data folder.</summary>
    public const string Top5WinnersFile = "ilsvrc/top5-winners.csv";

    private const string Header = "year,team,entry,top5_error_percent,source";

    /// <summary>Every year's winner, in year order.</summary>
    /// <param name="dataDirectory">The data folder; by default <see cref="Datasets.FindDataDirectory"/>.</param>
    /// <exception cref="DataFileException">The file is missing, or a line is not a well-formed row (the message names the line).</exception>
    public static IReadOnlyList<IlsvrcWinner> Top5Winners(string? dataDirectory = null)
    {
        string path = Path.Combine(dataDirectory ?? Datasets.FindDataDirectory(), Top5WinnersFile);
        const string remedy = "restore it with `git checkout -- data/`";
        if (!File.Exists(path)) throw new DataFileException(path, "the file is missing", remedy);
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header)
            throw new DataFileException(path, $"expected the header \"{Header}\", found \"{(lines.Length == 0 ? "" : lines[0])}\"", remedy);
        var rows = new List<IlsvrcWinner>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            string[] cells = SplitCsv(lines[i]);
            if (cells.Length != 5
                || !int.TryParse(cells[0], NumberStyles.None, CultureInfo.InvariantCulture, out int year)
                || !double.TryParse(cells[3], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double error)
                || error is <= 0 or >= 100)
                throw new DataFileException(path, $"line {i + 1} is not \"year,team,entry,error in (0, 100),source\": {lines[i]}", remedy);
            if (rows.Count > 0 && year <= rows[^1].Year)
                throw new DataFileException(path, $"line {i + 1}: year {year} does not follow {rows[^1].Year}", remedy);
            rows.Add(new IlsvrcWinner(year, cells[1], cells[2], error, cells[4]));
        }
        return rows;
    }

    /// <summary>Splits one CSV line; a cell may be quoted to hold commas ("" is a quote inside it).</summary>
    private static string[] SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else cell.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(ch);
        }
        cells.Add(cell.ToString());
        return [.. cells];
    }
}

using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using CourseNotebooks.Course.Networks;

namespace CourseNotebooks.Charts;

/// <summary>
/// A table of already-formatted cells that renders the same way as aligned plain text (dotnet-repl, .ipynb text
/// fallbacks, summaries) and as an HTML table (VS Code, Jupyter, the reports): every row, never cut, numbers
/// right-aligned. The notebooks' per-layer tables, <see cref="CourseNotebooks.Course.Networks.ModelSummary"/> and arrays of
/// records are displayed through it (see <see cref="CourseDisplay"/>). Introduced in notebook 01-convolution.
/// </summary>
public sealed class TextTable
{
    /// <summary>The style of a numeric HTML cell: right-aligned, in figures of equal width.</summary>
    internal const string NumericCellStyle = "text-align:right;font-variant-numeric:tabular-nums";

    private readonly List<string[]> _rows = [];
    private int _footerRows;

    /// <summary>A table with these column headers; <paramref name="rightAligned"/> marks numeric columns.</summary>
    /// <exception cref="ArgumentException">The two arrays differ in length, or there are no columns.</exception>
    public TextTable(IReadOnlyList<string> headers, IReadOnlyList<bool>? rightAligned = null)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.Count == 0) throw new ArgumentException("TextTable: a table needs at least one column.", nameof(headers));
        if (rightAligned is not null && rightAligned.Count != headers.Count)
            throw new ArgumentException($"TextTable: {headers.Count} headers but {rightAligned.Count} alignment flags.", nameof(rightAligned));
        Headers = [.. headers];
        RightAligned = rightAligned is null ? new bool[headers.Count] : [.. rightAligned];
    }

    /// <summary>Column headers.</summary>
    public IReadOnlyList<string> Headers { get; }

    /// <summary>Per column: right-aligned (numbers) or left-aligned (text).</summary>
    public IReadOnlyList<bool> RightAligned { get; }

    /// <summary>Body rows, then footer rows, each with one cell per column.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows => _rows;

    /// <summary>An optional line above the table (for example the input shape of a model summary).</summary>
    public string? Caption { get; init; }

    /// <summary>An optional line below the table.</summary>
    public string? Note { get; init; }

    /// <summary>Adds a body row.</summary>
    /// <exception cref="ArgumentException">The row has another number of cells than the table has columns.</exception>
    public TextTable AddRow(params string[] cells)
    {
        if (_footerRows > 0) throw new InvalidOperationException("TextTable: body rows go before the footer rows.");
        _rows.Add(Checked(cells));
        return this;
    }

    /// <summary>Adds a footer row (totals), drawn below a rule and in bold in HTML.</summary>
    public TextTable AddFooter(params string[] cells)
    {
        _rows.Add(Checked(cells));
        _footerRows++;
        return this;
    }

    private string[] Checked(string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != Headers.Count)
            throw new ArgumentException($"TextTable: a row has {cells.Length} cells, the table has {Headers.Count} columns ({string.Join(", ", Headers)}).", nameof(cells));
        return [.. cells.Select(c => c ?? "")];
    }

    /// <summary>Aligned columns separated by two spaces, a rule under the header and above the footer.</summary>
    public string ToPlainText()
    {
        int body = _rows.Count - _footerRows;
        return PlainTable.Render(Headers, RightAligned, _rows.Take(body), _rows.Skip(body), Caption, Note);
    }

    /// <summary>An HTML table (cells escaped; numeric columns right-aligned in tabular figures).</summary>
    public string ToHtml()
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        string Align(int c) => RightAligned[c] ? $" style=\"{NumericCellStyle}\"" : " style=\"text-align:left\"";
        var sb = new StringBuilder("<div class=\"course-table\">");
        if (Caption is not null) sb.Append("<div>").Append(E(Caption)).Append("</div>");
        sb.Append("<table><thead><tr>");
        for (int c = 0; c < Headers.Count; c++) sb.Append("<th").Append(Align(c)).Append('>').Append(E(Headers[c])).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        int body = _rows.Count - _footerRows;
        for (int r = 0; r < _rows.Count; r++)
        {
            bool footer = r >= body;
            sb.Append(footer ? "<tr style=\"font-weight:bold;border-top:2px solid currentColor\">" : "<tr>");
            for (int c = 0; c < Headers.Count; c++) sb.Append("<td").Append(Align(c)).Append('>').Append(E(_rows[r][c])).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
        if (Note is not null) sb.Append("<div>").Append(E(Note)).Append("</div>");
        return sb.Append("</div>").ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToPlainText();

    /// <summary>
    /// A table with one row per item and one column per public instance property, in declaration order: what
    /// notebooks display when a cell ends with an array of anonymous objects or records.
    /// </summary>
    public static TextTable FromRecords(IEnumerable items, Type elementType)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(elementType);
        var properties = elementType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract").ToArray();
        var table = new TextTable([.. properties.Select(p => p.Name)], [.. properties.Select(p => IsNumeric(p.PropertyType))]);
        foreach (object? item in items)
            table.AddRow([.. properties.Select(p => item is null ? "" : Cell(p.GetValue(item)))]);
        return table;
    }

    /// <summary>
    /// True for the element types shown as tables: anonymous types and records (the notebooks' row types), whose
    /// properties are the columns.
    /// </summary>
    public static bool IsRecordLike(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.IsPrimitive || type == typeof(string) || type.IsEnum) return false;
        bool anonymous = type.IsDefined(typeof(CompilerGeneratedAttribute), false) && type.Name.Contains("AnonymousType", StringComparison.Ordinal);
        bool record = type.GetProperty("EqualityContract", BindingFlags.NonPublic | BindingFlags.Instance) is not null;
        return anonymous || record;
    }

    /// <summary>
    /// One cell's text, invariant culture: whole numbers with thousands separators, reals with up to six
    /// significant digits, arrays as "[a, b, c]" (shapes), true/false, empty for null.
    /// </summary>
    public static string Cell(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        int or long or short or byte or uint or ulong or ushort or sbyte => ((IFormattable)value).ToString("N0", CultureInfo.InvariantCulture),
        double d => Real(d),
        float f => Real(f),
        decimal m => m.ToString(CultureInfo.InvariantCulture),
        TimeSpan t => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(Cell)) + "]",
        _ => value.ToString() ?? "",
    };

    // Never the exponent form ("1.28469E+06"): thousands separators above 10,000, powers of ten below 0.0001.
    private static string Real(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value == Math.Floor(value) && Math.Abs(value) < 1e15)
            return value.ToString(Math.Abs(value) >= 1e4 ? "N0" : "G", CultureInfo.InvariantCulture);
        return NumberText.Readable(value, 6);
    }

    private static bool IsNumeric(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(uint)
            || type == typeof(ulong) || type == typeof(double) || type == typeof(float) || type == typeof(decimal) || type == typeof(TimeSpan);
    }
}

using System.IO.Compression;
using System.Text;

namespace CourseNotebooks.Course.Data;

/// <summary>One attribute (column) of an ARFF file: its name, its type ("string", "numeric", ...) and, for a nominal
/// attribute, its allowed values. Introduced in notebook 12-retrieval-with-codes.</summary>
/// <param name="Name">The attribute's name.</param>
/// <param name="Type">"string", "numeric", "real", "integer", "date" or "nominal".</param>
/// <param name="NominalValues">The allowed values of a nominal attribute (<c>{a,b,c}</c>), else empty.</param>
public sealed record ArffAttribute(string Name, string Type, IReadOnlyList<string> NominalValues);

/// <summary>
/// A dense ARFF file (weka's Attribute-Relation File Format) read as text: the relation name, the attributes, and one
/// row of values per instance (strings, unquoted and unescaped; null for a missing value <c>?</c>). Introduced in
/// notebook 12-retrieval-with-codes, which reads the Reuters-21578 stories of Debian's weka package with it.
/// </summary>
/// <remarks>
/// <para>Supported, as weka writes it: <c>%</c> comment lines, <c>@relation</c>, <c>@attribute NAME TYPE</c> with
/// TYPE string, numeric, real, integer, date or a nominal list <c>{v1,v2}</c>, then <c>@data</c> and one instance per
/// line, values separated by commas, quoted with ' or " where needed, with weka's backslash escapes (\n, \r, \t,
/// \', \", \\, \%). Keywords are case-insensitive. A file ending in .gz is decompressed first.</para>
/// <para>Not supported, and named in the error: sparse rows (<c>{index value, ...}</c>), relational attributes and
/// instance weights. Every problem throws a <see cref="DataFileException"/> naming the file, the line and what was
/// expected, with the caller's remedy. Nominal values are checked against their attribute's list.</para>
/// </remarks>
public sealed class Arff
{
    private Arff(string relation, IReadOnlyList<ArffAttribute> attributes, IReadOnlyList<string?[]> rows)
    {
        Relation = relation;
        Attributes = attributes;
        Rows = rows;
    }

    /// <summary>The <c>@relation</c> name.</summary>
    public string Relation { get; }

    /// <summary>The attributes, in column order.</summary>
    public IReadOnlyList<ArffAttribute> Attributes { get; }

    /// <summary>The instances: one value per attribute, null where the file has <c>?</c>.</summary>
    public IReadOnlyList<string?[]> Rows { get; }

    /// <summary>The column of the attribute named <paramref name="name"/> (ordinal, case-sensitive).</summary>
    /// <exception cref="ArgumentException">No attribute has that name.</exception>
    public int ColumnOf(string name)
    {
        for (int i = 0; i < Attributes.Count; i++)
            if (Attributes[i].Name == name) return i;
        throw new ArgumentException($"Arff: relation '{Relation}' has no attribute '{name}'; it has {string.Join(", ", Attributes.Select(a => a.Name))}.", nameof(name));
    }

    /// <summary>Reads the file at <paramref name="path"/> (gzip-compressed when it ends in .gz).</summary>
    /// <param name="path">The file.</param>
    /// <param name="remedy">What to do about a missing or bad file, for the error (e.g. "git checkout -- data/reuters").</param>
    /// <exception cref="DataFileException">The file is missing or not valid ARFF; the message names the line.</exception>
    public static Arff Read(string path, string remedy = "check where the file came from and copy or regenerate it")
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new DataFileException(full, "the file is missing", remedy);
        string text;
        try
        {
            using var file = File.OpenRead(full);
            using Stream stream = full.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            text = reader.ReadToEnd();
        }
        catch (InvalidDataException e)
        {
            throw new DataFileException(full, $"not a valid gzip file ({e.Message})", remedy, e);
        }
        return Parse(text, full, remedy);
    }

    /// <summary>Parses ARFF text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="DataFileException">Not valid ARFF; the message names the line.</exception>
    public static Arff Parse(string text, string source = "(text)", string remedy = "fix the ARFF text")
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] lines = text.Split('\n');
        string? relation = null;
        var attributes = new List<ArffAttribute>();
        var rows = new List<string?[]>();
        bool inData = false;
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].TrimEnd('\r');
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('%')) continue;
            DataFileException Bad(string problem) => new(source, $"line {n + 1}: {problem}", remedy);
            if (!inData)
            {
                var (keyword, rest) = SplitKeyword(trimmed);
                switch (keyword.ToLowerInvariant())
                {
                    case "@relation":
                        relation = Unquote(rest.Trim(), Bad);
                        break;
                    case "@attribute":
                        if (relation is null) throw Bad("@attribute before @relation");
                        attributes.Add(ParseAttribute(rest.Trim(), Bad));
                        break;
                    case "@data":
                        if (attributes.Count == 0) throw Bad("@data before any @attribute");
                        inData = true;
                        break;
                    default:
                        throw Bad($"expected @relation, @attribute or @data, found '{Shorten(trimmed)}'");
                }
                continue;
            }
            if (trimmed.StartsWith('{')) throw Bad("sparse ARFF rows ({index value, ...}) are not supported; expected a dense row");
            var values = SplitRow(trimmed, Bad);
            if (values.Count != attributes.Count)
                throw Bad($"expected {attributes.Count} values ({string.Join(", ", attributes.Select(a => a.Name))}), found {values.Count}");
            for (int c = 0; c < values.Count; c++)
                if (values[c] is string v && attributes[c].Type == "nominal" && !attributes[c].NominalValues.Contains(v))
                    throw Bad($"attribute '{attributes[c].Name}': expected one of {{{string.Join(",", attributes[c].NominalValues)}}}, found '{Shorten(v)}'");
            rows.Add(values.ToArray());
        }
        if (relation is null) throw new DataFileException(source, "no @relation line: not an ARFF file", remedy);
        if (!inData) throw new DataFileException(source, "no @data line: the file ends before its instances", remedy);
        return new Arff(relation, attributes, rows);
    }

    /// <inheritdoc />
    public override string ToString() => $"ARFF '{Relation}': {Rows.Count} instances of {Attributes.Count} attributes ({string.Join(", ", Attributes.Select(a => $"{a.Name} {a.Type}"))})";

    private static (string Keyword, string Remainder) SplitKeyword(string line)
    {
        int space = line.IndexOfAny([' ', '\t']);
        return space < 0 ? (line, "") : (line[..space], line[(space + 1)..]);
    }

    private static ArffAttribute ParseAttribute(string rest, Func<string, DataFileException> bad)
    {
        if (rest.Length == 0) throw bad("@attribute without a name");
        string name;
        string typeText;
        if (rest[0] is '\'' or '"')
        {
            int end = ClosingQuote(rest, 0);
            if (end < 0) throw bad("unterminated quoted attribute name");
            name = Unescape(rest[1..end]);
            typeText = rest[(end + 1)..].Trim();
        }
        else
        {
            var (n, t) = SplitKeyword(rest);
            name = n;
            typeText = t.Trim();
        }
        if (typeText.Length == 0) throw bad($"attribute '{name}' has no type");
        if (typeText.StartsWith('{'))
        {
            if (!typeText.EndsWith('}')) throw bad($"attribute '{name}': nominal list without a closing }}");
            var values = SplitRow(typeText[1..^1], bad).Select(v => v ?? "?").ToArray();
            return new ArffAttribute(name, "nominal", values);
        }
        string type = SplitKeyword(typeText).Keyword.ToLowerInvariant();
        if (type is not ("string" or "numeric" or "real" or "integer" or "date"))
            throw bad($"attribute '{name}': type '{Shorten(typeText)}' is not supported; expected string, numeric, real, integer, date or {{nominal values}}");
        return new ArffAttribute(name, type, []);
    }

    // Splits a data row (or a nominal list) at commas outside quotes; '?' unquoted is a missing value.
    private static List<string?> SplitRow(string row, Func<string, DataFileException> bad)
    {
        var values = new List<string?>();
        int i = 0;
        while (true)
        {
            while (i < row.Length && row[i] is ' ' or '\t') i++;
            if (i < row.Length && row[i] is '\'' or '"')
            {
                int end = ClosingQuote(row, i);
                if (end < 0) throw bad($"unterminated quoted value starting at column {i + 1}");
                values.Add(Unescape(row[(i + 1)..end]));
                i = end + 1;
                while (i < row.Length && row[i] is ' ' or '\t') i++;
                if (i < row.Length && row[i] != ',') throw bad($"expected a comma after the quoted value ending at column {end + 1}");
            }
            else
            {
                int comma = row.IndexOf(',', i);
                string raw = (comma < 0 ? row[i..] : row[i..comma]).Trim();
                if (raw.Length > 0 && raw[0] == '{') throw bad("sparse ARFF rows are not supported");
                values.Add(raw == "?" ? null : raw);
                i = comma < 0 ? row.Length : comma;
            }
            if (i >= row.Length) return values;
            i++; // past the comma
        }
    }

    private static int ClosingQuote(string s, int open)
    {
        char quote = s[open];
        for (int j = open + 1; j < s.Length; j++)
        {
            if (s[j] == '\\') { j++; continue; }
            if (s[j] == quote) return j;
        }
        return -1;
    }

    private static string Unquote(string s, Func<string, DataFileException> bad)
    {
        if (s.Length == 0 || s[0] is not ('\'' or '"')) return s;
        int end = ClosingQuote(s, 0);
        if (end < 0) throw bad("unterminated quoted name");
        return Unescape(s[1..end]);
    }

    // weka's Utils.unbackQuoteChars: \n \r \t \' \" \\ \% and the rest kept as written.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (int j = 0; j < s.Length; j++)
        {
            if (s[j] != '\\' || j + 1 == s.Length) { sb.Append(s[j]); continue; }
            char next = s[++j];
            sb.Append(next switch { 'n' => '\n', 'r' => '\r', 't' => '\t', '\'' or '"' or '\\' or '%' => next, _ => '\0' });
            if (next is not ('n' or 'r' or 't' or '\'' or '"' or '\\' or '%')) { sb.Length--; sb.Append('\\').Append(next); }
        }
        return sb.ToString();
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CourseNotebooks.Host;

/// <summary>One cell of a notebook as written, before any execution.</summary>
/// <param name="Index">1-based position among all cells (markdown included), as an editor numbers them.</param>
/// <param name="CodeOrdinal">1-based position among the C# cells, or null for any other kernel.</param>
/// <param name="KernelName">The cell's kernel as written in the file, e.g. "csharp" or "markdown".</param>
/// <param name="Source">The cell text.</param>
public sealed record NotebookCell(int Index, int? CodeOrdinal, string KernelName, string Source)
{
    /// <summary>True for the cells the runner executes (C#).</summary>
    public bool IsCode => CodeOrdinal is not null;

    /// <summary>True for markdown cells (rendered in reports, never executed).</summary>
    public bool IsMarkdown => KernelName == NotebookDocument.MarkdownKernel;

    /// <summary>"cell 3" or "cell 3 (code cell 2)": the words every message uses to point at a cell.</summary>
    public string Label => CodeOrdinal is int k && k != Index ? $"cell {Index} (code cell {k})" : $"cell {Index}";
}

/// <summary>A notebook read from a .dib (Polyglot) or .ipynb (Jupyter) file.</summary>
/// <remarks>
/// <para>Only C# cells run; markdown cells are kept for reports; cells of any other kernel (F#, PowerShell, ...) are
/// kept in order and reported as skipped, so cell numbers always match what an editor shows.</para>
/// <para>The two formats are read here, without the .NET Interactive Documents package (deprecated with its
/// kernel). A .dib is plain text: a line <c>#!kernel</c> (one of <see cref="KnownKernels"/>, alone on its line)
/// starts a cell, and a first <c>#!meta</c> block holds the notebook's JSON metadata. Any other line starting with
/// <c>#!</c> (a magic command such as <c>#!time</c>) is cell text. Blank lines around a cell's text are not part of
/// it. An .ipynb is nbformat 4 JSON; a code cell's kernel comes from its Polyglot metadata, else the notebook's
/// default (C#); raw cells are kept and skipped.</para>
/// </remarks>
public sealed partial class NotebookDocument
{
    /// <summary>Kernel name of executable cells.</summary>
    public const string CSharpKernel = "csharp";

    /// <summary>Kernel name of markdown cells.</summary>
    public const string MarkdownKernel = "markdown";

    /// <summary>
    /// The kernel names a .dib cell header may carry (Polyglot's kernels and their aliases): only these start a new
    /// cell, so <c>#!fsharp</c> opens an F# cell while <c>#!time</c> stays a line of C#.
    /// </summary>
    public static readonly IReadOnlySet<string> KnownKernels = new HashSet<string>(StringComparer.Ordinal)
    {
        "csharp", "c#", "C#", "fsharp", "f#", "F#", "pwsh", "powershell", "javascript", "js", "html", "sql", "kql",
        "mermaid", "http", "value", "markdown", "md",
    };

    private const string MetaHeader = "#!meta";

    /// <summary>The file the notebook was read from (absolute), or null when parsed from text.</summary>
    public string? FilePath { get; }

    /// <summary>The file name without extension, e.g. "01-convolution".</summary>
    public string Name { get; }

    /// <summary>All cells in file order.</summary>
    public IReadOnlyList<NotebookCell> Cells { get; }

    /// <summary>The C# cells in order.</summary>
    public IEnumerable<NotebookCell> CodeCells => Cells.Where(c => c.IsCode);

    private NotebookDocument(string? filePath, string name, IEnumerable<(string Kernel, string Source)> cells)
    {
        FilePath = filePath;
        Name = name;
        var list = new List<NotebookCell>();
        int code = 0;
        foreach (var (kernel, source) in cells)
        {
            string normal = NormalizeKernel(kernel);
            list.Add(new NotebookCell(list.Count + 1, normal == CSharpKernel ? ++code : null, normal, source));
        }
        Cells = list;
    }

    /// <summary>A notebook made of the given cells (kernel name, source), e.g. for tests and generated notebooks.</summary>
    public static NotebookDocument FromCells(string name, IEnumerable<(string Kernel, string Source)> cells, string? filePath = null)
        => new(filePath is null ? null : Path.GetFullPath(filePath), name, cells);

    /// <summary>Reads a .dib or .ipynb file (chosen by extension).</summary>
    /// <exception cref="NotebookFormatException">The file is missing, has another extension, or does not parse;
    /// the message names the file.</exception>
    public static NotebookDocument Load(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new NotebookFormatException(full, "file not found");
        string text;
        try { text = File.ReadAllText(full); }
        catch (IOException e) { throw new NotebookFormatException(full, e.Message, e); }
        catch (UnauthorizedAccessException e) { throw new NotebookFormatException(full, e.Message, e); }
        return Parse(text, Path.GetExtension(full), full);
    }

    /// <summary>Parses notebook text; <paramref name="extension"/> is ".dib" or ".ipynb".</summary>
    /// <exception cref="NotebookFormatException">The text does not parse as that format.</exception>
    public static NotebookDocument Parse(string text, string extension, string? filePath = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        string where = filePath ?? "(text)";
        var cells = extension.ToLowerInvariant() switch
        {
            ".dib" => ParseDib(text, where),
            ".ipynb" => ParseIpynb(text, where),
            ".cs" => ParseApp(text, where),
            _ => throw new NotebookFormatException(where, $"unknown notebook extension '{extension}' (expected .dib, .ipynb or an exported app's .cs)"),
        };
        string name = filePath is null ? "notebook" : Path.GetFileNameWithoutExtension(filePath);
        return new NotebookDocument(filePath is null ? null : Path.GetFullPath(filePath), name, cells);
    }

    /// <summary>True when <paramref name="line"/> starts a .dib cell: <c>#!</c> and a known kernel name alone on the line.</summary>
    public static bool IsDibCellHeader(string line)
    {
        string trimmed = line.TrimEnd('\r', ' ', '\t');
        return trimmed.StartsWith("#!", StringComparison.Ordinal) && (trimmed == MetaHeader || KnownKernels.Contains(trimmed[2..]));
    }

    /// <summary>
    /// The notebook as .dib text (a <c>#!meta</c> block naming the C# kernel, then each cell under its header).
    /// </summary>
    /// <exception cref="NotebookFormatException">A cell holds a line that would read as a cell header, which .dib
    /// cannot represent (it would split the cell).</exception>
    public string ToDib()
    {
        var dib = new StringBuilder();
        dib.Append(MetaHeader).Append("\n\n").Append("""{"kernelInfo":{"defaultKernelName":"csharp","items":[{"aliases":[],"name":"csharp"},{"aliases":[],"name":"markdown"}]}}""").Append("\n\n");
        foreach (var cell in Cells)
        {
            string source = cell.Source.Replace("\r\n", "\n");
            if (source.Split('\n').FirstOrDefault(IsDibCellHeader) is { } header)
                throw new NotebookFormatException(FilePath ?? Name, $"{cell.Label} holds the line '{header}', which a .dib would read as the start of another cell");
            dib.Append("#!").Append(cell.KernelName).Append("\n\n").Append(source.Trim('\n')).Append("\n\n");
        }
        return dib.ToString();
    }

    private static List<(string, string)> ParseDib(string text, string where)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var cells = new List<(string Kernel, List<string> Lines)>();
        string? kernel = null;
        List<string>? current = null;
        bool inMeta = false;
        List<string>? meta = null;
        foreach (string line in lines)
        {
            if (IsDibCellHeader(line))
            {
                string name = line.TrimEnd('\r', ' ', '\t')[2..];
                inMeta = name == "meta";
                if (inMeta) { current = null; meta = []; continue; }
                kernel = name;
                current = [];
                cells.Add((kernel, current));
                continue;
            }
            if (inMeta) { meta!.Add(line); continue; }
            if (current is null)
            {
                // Text before any header belongs to a C# cell, as in Polyglot.
                if (line.Trim().Length == 0) continue;
                kernel = CSharpKernel;
                current = [];
                cells.Add((kernel, current));
            }
            current.Add(line);
        }
        if (meta is not null && string.Join("\n", meta).Trim() is { Length: > 0 } json)
        {
            try { JsonNode.Parse(json); }
            catch (JsonException e) { throw new NotebookFormatException(where, $"does not parse as .dib: its #!meta block is not JSON ({e.Message})", e); }
        }
        return [.. cells.Select(c => (c.Kernel, TrimBlankLines(c.Lines)))];
    }

    private static string TrimBlankLines(List<string> lines)
    {
        int start = 0, end = lines.Count;
        while (start < end && lines[start].Trim().Length == 0) start++;
        while (end > start && lines[end - 1].Trim().Length == 0) end--;
        return string.Join("\n", lines.Skip(start).Take(end - start));
    }

    /// <summary>
    /// The cells of an exported notebook app (<see cref="NotebookApps"/>): each starts at a <c>//#!markdown</c> or
    /// <c>//#!csharp</c> line and ends at the next marker or <c>//#!end</c>; markdown loses its comment slashes, code its
    /// <c>Cell(N);</c> line.
    /// </summary>
    private static List<(string, string)> ParseApp(string text, string where)
    {
        var cells = new List<(string Kernel, List<string> Lines)>();
        List<string>? current = null;
        foreach (string raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            string line = raw.TrimEnd();
            if (line == NotebookApps.MarkdownMarker || line == NotebookApps.CodeMarker)
            {
                current = [];
                cells.Add((line == NotebookApps.MarkdownMarker ? MarkdownKernel : CSharpKernel, current));
                continue;
            }
            if (line == NotebookApps.EndMarker) { current = null; continue; }
            if (current is null) continue;
            bool markdown = cells[^1].Kernel == MarkdownKernel;
            if (markdown) current.Add(raw.StartsWith("// ", StringComparison.Ordinal) ? raw[3..] : raw.StartsWith("//", StringComparison.Ordinal) ? raw[2..] : raw);
            else if (current.Count == 0 && AppCellCall().IsMatch(line)) continue;
            else current.Add(raw);
        }
        if (cells.Count == 0) throw new NotebookFormatException(where, $"does not parse as a notebook app: no '{NotebookApps.CodeMarker}' or '{NotebookApps.MarkdownMarker}' line");
        return [.. cells.Select(c => (c.Kernel, TrimBlankLines(c.Lines)))];
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^Cell\(\d+\);$")]
    private static partial System.Text.RegularExpressions.Regex AppCellCall();

    private static List<(string, string)> ParseIpynb(string text, string where)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(text); }
        catch (JsonException e) { throw new NotebookFormatException(where, $"does not parse as .ipynb: {e.Message}", e); }
        if (root is not JsonObject notebook || notebook["cells"] is not JsonArray cells)
            throw new NotebookFormatException(where, "does not parse as .ipynb: expected a JSON object with a \"cells\" array");
        string defaultKernel = notebook["metadata"]?["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>() ?? CSharpKernel;
        var result = new List<(string, string)>();
        foreach (var (node, i) in cells.Select((n, i) => (n, i)))
        {
            if (node is not JsonObject cell)
                throw new NotebookFormatException(where, $"does not parse as .ipynb: cell {i + 1} is not an object");
            string type = cell["cell_type"]?.GetValue<string>() ?? throw new NotebookFormatException(where, $"does not parse as .ipynb: cell {i + 1} has no cell_type");
            string source = cell["source"] switch
            {
                JsonArray parts => string.Concat(parts.Select(p => p?.GetValue<string>() ?? "")),
                JsonValue value => value.GetValue<string>(),
                null => "",
                _ => throw new NotebookFormatException(where, $"does not parse as .ipynb: cell {i + 1}'s source is neither a string nor a list of strings"),
            };
            string kernel = type switch
            {
                "markdown" => MarkdownKernel,
                "code" => cell["metadata"]?["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
                          ?? cell["metadata"]?["dotnet_interactive"]?["language"]?.GetValue<string>()
                          ?? defaultKernel,
                _ => type,
            };
            result.Add((kernel, source.Replace("\r\n", "\n")));
        }
        return result;
    }

    private static string NormalizeKernel(string? kernel) => kernel?.ToLowerInvariant() switch
    {
        null or "" or "c#" => CSharpKernel,
        "md" => MarkdownKernel,
        "f#" => "fsharp",
        "powershell" => "pwsh",
        "js" => "javascript",
        var k => k,
    };
}

/// <summary>A notebook file is missing or does not parse. The message starts with the file path.</summary>
public sealed class NotebookFormatException : Exception
{
    /// <summary>The file (or "(text)") that failed.</summary>
    public string FilePath { get; }

    /// <summary>Creates the exception; the message reads "path: reason".</summary>
    public NotebookFormatException(string filePath, string reason, Exception? inner = null)
        : base($"{filePath}: {reason}", inner) => FilePath = filePath;
}

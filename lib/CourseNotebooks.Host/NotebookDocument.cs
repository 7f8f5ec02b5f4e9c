using Microsoft.DotNet.Interactive.Documents;

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
/// Only C# cells run; markdown cells are kept for reports; cells of any other kernel (F#, PowerShell, ...) are
/// kept in order and reported as skipped, so cell numbers always match what an editor shows.
/// </remarks>
public sealed class NotebookDocument
{
    /// <summary>Kernel name of executable cells.</summary>
    public const string CSharpKernel = "csharp";

    /// <summary>Kernel name of markdown cells.</summary>
    public const string MarkdownKernel = "markdown";

    /// <summary>The file the notebook was read from (absolute), or null when parsed from text.</summary>
    public string? FilePath { get; }

    /// <summary>The file name without extension, e.g. "01-convolution".</summary>
    public string Name { get; }

    /// <summary>All cells in file order.</summary>
    public IReadOnlyList<NotebookCell> Cells { get; }

    /// <summary>The C# cells in order.</summary>
    public IEnumerable<NotebookCell> CodeCells => Cells.Where(c => c.IsCode);

    /// <summary>The parsed document of the Documents package (used by the .ipynb converter).</summary>
    internal InteractiveDocument Document { get; }

    private NotebookDocument(string? filePath, string name, InteractiveDocument document)
    {
        FilePath = filePath;
        Name = name;
        Document = document;
        var cells = new List<NotebookCell>();
        int code = 0;
        foreach (var element in document.Elements)
        {
            string kernel = NormalizeKernel(element.KernelName);
            int? ordinal = kernel == CSharpKernel ? ++code : null;
            cells.Add(new NotebookCell(cells.Count + 1, ordinal, kernel, element.Contents ?? ""));
        }
        Cells = cells;
    }

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
        string where = filePath ?? "(text)";
        InteractiveDocument document;
        try
        {
            document = extension.ToLowerInvariant() switch
            {
                ".dib" => CodeSubmission.Parse(text, KnownKernels()),
                ".ipynb" => Microsoft.DotNet.Interactive.Documents.Jupyter.Notebook.Parse(text, KnownKernels()),
                _ => throw new NotebookFormatException(where, $"unknown notebook extension '{extension}' (expected .dib or .ipynb)"),
            };
        }
        catch (NotebookFormatException) { throw; }
        catch (Exception e)
        {
            throw new NotebookFormatException(where, $"does not parse as {extension}: {e.Message}", e);
        }
        string name = filePath is null ? "notebook" : Path.GetFileNameWithoutExtension(filePath);
        return new NotebookDocument(filePath is null ? null : Path.GetFullPath(filePath), name, document);
    }

    /// <summary>
    /// The kernels Polyglot Notebooks writes, so a .dib's "#!fsharp" or "#!pwsh" starts a new (skipped) cell
    /// instead of being read as C# text.
    /// </summary>
    internal static KernelInfoCollection KnownKernels()
    {
        var kernels = new KernelInfoCollection
        {
            new KernelInfo(CSharpKernel, "C#", ["c#", "C#"]),
            new KernelInfo("fsharp", "F#", ["f#", "F#"]),
            new KernelInfo("pwsh", "PowerShell", ["powershell"]),
            new KernelInfo("javascript", "JavaScript", ["js"]),
            new KernelInfo("html", "HTML", []),
            new KernelInfo("sql", "SQL", []),
            new KernelInfo("kql", "KQL", []),
            new KernelInfo("mermaid", "Mermaid", []),
            new KernelInfo("http", "HTTP", []),
            new KernelInfo("value", "Value", []),
            new KernelInfo(MarkdownKernel, "Markdown", ["md"]),
        };
        kernels.DefaultKernelName = CSharpKernel;
        return kernels;
    }

    private static string NormalizeKernel(string? kernel) => kernel?.ToLowerInvariant() switch
    {
        null or "" or "c#" => CSharpKernel,
        "md" => MarkdownKernel,
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

using System.Text.Json;
using System.Text.Json.Nodes;

namespace CourseNotebooks.Host;

/// <summary>
/// Writes a run as a Jupyter notebook (nbformat 4.5) with its outputs, so the executed notebook opens with its
/// results in VS Code, Jupyter or on GitHub.
/// </summary>
/// <remarks>
/// Output mapping: stdout/stderr become "stream" outputs (consecutive writes merged), display(...) becomes
/// "display_data", the last expression "execute_result", a failure or timeout an "error" output
/// (ename, evalue, traceback). Values keep every mime type the kernel produced (text/html and text/plain).
/// </remarks>
public static class ExecutedNotebookWriter
{
    /// <summary>The executed notebook as .ipynb JSON.</summary>
    public static string ToJson(NotebookRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var cells = new JsonArray();
        foreach (var cell in run.Cells)
            cells.Add(cell.Cell.IsMarkdown ? MarkdownCell(cell.Cell) : CodeCell(cell));
        var notebook = NotebookObject(cells);
        return notebook.ToJsonString(FileOptions) + "\n";
    }

    // As Jupyter writes notebooks (one-space indent, characters kept as they are): escaping every quote of a chart's
    // HTML as \u0022 and indenting its figure's numbers by depth made a chart-heavy notebook 1.7 times its content.
    private static readonly JsonSerializerOptions FileOptions = new()
    {
        WriteIndented = true,
        IndentSize = 1,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The notebook object around <paramref name="cells"/>: nbformat 4.5 with the .NET (C#) kernel.</summary>
    internal static JsonObject NotebookObject(JsonArray cells) => new()
    {
        ["cells"] = cells,
        ["metadata"] = new JsonObject
        {
            ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
            ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
            ["polyglot_notebook"] = new JsonObject
            {
                ["kernelInfo"] = new JsonObject
                {
                    ["defaultKernelName"] = NotebookDocument.CSharpKernel,
                    ["items"] = new JsonArray(
                        new JsonObject { ["aliases"] = new JsonArray(), ["name"] = NotebookDocument.CSharpKernel },
                        new JsonObject { ["aliases"] = new JsonArray(), ["name"] = NotebookDocument.MarkdownKernel }),
                },
            },
        },
        ["nbformat"] = 4,
        ["nbformat_minor"] = 5,
    };

    /// <summary>A code cell's metadata: its kernel, under the keys both Polyglot generations read.</summary>
    internal static JsonObject CellMetadata(string kernel) => new()
    {
        ["dotnet_interactive"] = new JsonObject { ["language"] = kernel },
        ["polyglot_notebook"] = new JsonObject { ["kernelName"] = kernel },
    };

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(NotebookRun run, string path) => AtomicFile.WriteAllText(path, ToJson(run));

    private static JsonObject MarkdownCell(NotebookCell cell) => new()
    {
        ["cell_type"] = "markdown",
        ["id"] = $"cell-{cell.Index}",
        ["metadata"] = new JsonObject(),
        ["source"] = Lines(cell.Source),
    };

    private static JsonObject CodeCell(CellResult result)
    {
        var cell = result.Cell;
        var outputs = new JsonArray();
        JsonObject? lastStream = null;
        foreach (var output in result.Outputs)
        {
            if (output.Kind is OutputKind.StandardOutput or OutputKind.StandardError && output.Value is null)
            {
                string name = output.Kind == OutputKind.StandardOutput ? "stdout" : "stderr";
                if (lastStream is not null && (string?)lastStream["name"] == name)
                {
                    // Merge consecutive writes into one stream output, as Jupyter shows them.
                    string merged = string.Concat(((JsonArray)lastStream["text"]!).Select(n => (string?)n)) + output.PlainText;
                    lastStream["text"] = Lines(merged);
                    continue;
                }
                lastStream = new JsonObject { ["output_type"] = "stream", ["name"] = name, ["text"] = Lines(output.PlainText) };
                outputs.Add(lastStream);
                continue;
            }
            lastStream = null;
            var data = new JsonObject();
            foreach (var format in output.Formats)
                if (MimeData(format) is { } value) data[format.MimeType] = value;
            outputs.Add(output.Kind == OutputKind.ReturnValue
                ? new JsonObject { ["output_type"] = "execute_result", ["execution_count"] = cell.CodeOrdinal, ["data"] = data, ["metadata"] = new JsonObject() }
                : new JsonObject { ["output_type"] = "display_data", ["data"] = data, ["metadata"] = new JsonObject() });
        }
        if (result.Status is CellStatus.Failed or CellStatus.TimedOut)
        {
            outputs.Add(new JsonObject
            {
                ["output_type"] = "error",
                ["ename"] = result.ErrorName ?? result.Status.ToString(),
                ["evalue"] = result.Error ?? "",
                ["traceback"] = new JsonArray(result.Error ?? ""),
            });
        }
        bool ran = result.Status is not CellStatus.Skipped;
        return new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = ran ? cell.CodeOrdinal : null,
            ["id"] = $"cell-{cell.Index}",
            ["metadata"] = CellMetadata(cell.KernelName),
            ["outputs"] = outputs,
            ["source"] = Lines(cell.Source),
        };
    }

    /// <summary>
    /// An output's data under one mime type. nbformat keeps JSON mime types (application/json, anything ending in
    /// +json, such as Plotly's figures) as JSON values, which is how Jupyter and VS Code find the figure to draw;
    /// every other type is a multi-line string.
    /// </summary>
    private static JsonNode? MimeData(FormattedText format)
    {
        if (format.MimeType != "application/json" && !format.MimeType.EndsWith("+json", StringComparison.Ordinal))
            return Lines(format.Text);
        // A formatter that wrote broken JSON must not cost the notebook its other outputs: that form is left out
        // and the output keeps its other renderings (every value has a text/plain one).
        try { return JsonNode.Parse(format.Text); }
        catch (JsonException) { return null; }
    }

    /// <summary>nbformat's multi-line string: a list of lines, each but the last keeping its "\n".</summary>
    internal static JsonArray Lines(string text)
    {
        var lines = new JsonArray();
        int start = 0;
        string normalized = text.Replace("\r\n", "\n");
        while (start < normalized.Length)
        {
            int end = normalized.IndexOf('\n', start);
            if (end < 0) { lines.Add(normalized[start..]); break; }
            lines.Add(normalized[start..(end + 1)]);
            start = end + 1;
        }
        return lines;
    }
}

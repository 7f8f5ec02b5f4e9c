using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CourseNotebooks.Host;

/// <summary>Turns a notebook into Jupyter's .ipynb without running it (for Jupyter users of a .dib course).</summary>
public static partial class NotebookConverter
{
    /// <summary>
    /// The notebook as .ipynb JSON (nbformat 4.5) with the .NET (C#) kernel as default and no outputs. When
    /// <paramref name="targetFolder"/> is given and the notebook was read from a file, relative <c>#r "path"</c> lines
    /// are rewritten to point at the same files from that folder: a kernel resolves them against the folder it starts
    /// in, which Jupyter makes the notebook's own folder, so a copy written elsewhere would otherwise load nothing.
    /// Every cell gets the id "cell-N" (N its 1-based position, as in <see cref="ExecutedNotebookWriter"/>, so both
    /// copies of a notebook name a cell alike).
    /// </summary>
    public static string ToJupyterJson(NotebookDocument notebook, string? targetFolder = null)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        string? sourceFolder = Path.GetDirectoryName(notebook.FilePath);
        string? target = targetFolder is null || sourceFolder is null ? null : Path.GetFullPath(targetFolder);
        var cells = new JsonArray();
        foreach (var cell in notebook.Cells)
        {
            string source = target is null ? cell.Source : RebaseReferences(cell.Source, sourceFolder!, target);
            cells.Add(cell.IsMarkdown
                ? new JsonObject
                {
                    ["cell_type"] = "markdown", ["id"] = $"cell-{cell.Index}", ["metadata"] = new JsonObject(),
                    ["source"] = ExecutedNotebookWriter.Lines(source),
                }
                : new JsonObject
                {
                    ["cell_type"] = "code", ["id"] = $"cell-{cell.Index}", ["execution_count"] = null,
                    ["metadata"] = ExecutedNotebookWriter.CellMetadata(cell.KernelName),
                    ["outputs"] = new JsonArray(), ["source"] = ExecutedNotebookWriter.Lines(source),
                });
        }
        var json = ExecutedNotebookWriter.NotebookObject(cells);
        // Relaxed escaping keeps quotes, apostrophes and non-ASCII text (×, ∗, ·) readable in an editor and a diff;
        // the file is a notebook, never embedded in HTML, where the default escaping would matter.
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    /// <summary>
    /// Writes the .ipynb copy of <paramref name="notebook"/> to <paramref name="path"/> (atomically), with relative
    /// <c>#r</c> paths rewritten for the copy's folder.
    /// </summary>
    public static void WriteJupyter(NotebookDocument notebook, string path) =>
        AtomicFile.WriteAllText(path, ToJupyterJson(notebook, Path.GetDirectoryName(Path.GetFullPath(path))));

    /// <summary>Rewrites relative <c>#r "file"</c> paths of <paramref name="source"/> (relative to <paramref name="sourceFolder"/>) so they
    /// point at the same files from <paramref name="targetFolder"/>.</summary>
    public static string RebaseReferences(string source, string sourceFolder, string targetFolder) =>
        FileReference().Replace(source, m =>
        {
            string reference = m.Groups["path"].Value;
            if (Path.IsPathRooted(reference)) return m.Value;
            string rebased = Path.GetRelativePath(targetFolder, Path.GetFullPath(Path.Combine(sourceFolder, reference))).Replace('\\', '/');
            return m.Groups["head"].Value + rebased + "\"";
        });

    /// <summary>A <c>#r "file"</c> directive at the start of a line (not <c>#r "nuget: ..."</c>).</summary>
    [GeneratedRegex("""^(?<head>[ \t]*#r[ \t]+")(?!nuget:)(?<path>[^"\r\n]+)"(?=[ \t]*\r?$)""", RegexOptions.Multiline)]
    private static partial Regex FileReference();
}

using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;

namespace CourseNotebooks.Host;

/// <summary>Turns a notebook into Jupyter's .ipynb without running it (for Jupyter users of a .dib course).</summary>
public static partial class NotebookConverter
{
    /// <summary>
    /// The notebook as .ipynb JSON with the .NET (C#) kernel as default. When <paramref name="targetFolder"/> is
    /// given and the notebook was read from a file, relative <c>#r "path"</c> lines are rewritten to point at the
    /// same files from that folder: a kernel resolves them against the folder it starts in, which Jupyter makes the
    /// notebook's own folder, so a copy written elsewhere would otherwise load nothing.
    /// </summary>
    public static string ToJupyterJson(NotebookDocument notebook, string? targetFolder = null)
    {
        string? sourceFolder = Path.GetDirectoryName(notebook.FilePath);
        if (targetFolder is null || sourceFolder is null)
            return WithCellIds(Notebook.ToJupyterJson(notebook.Document, NotebookDocument.CSharpKernel));
        string target = Path.GetFullPath(targetFolder);
        var copy = new InteractiveDocument(notebook.Document.Elements
            .Select(e => new InteractiveDocumentElement(RebaseReferences(e.Contents ?? "", sourceFolder, target), e.KernelName, e.Outputs)
            {
                Metadata = e.Metadata,
            })
            .ToList());
        foreach (var (key, value) in notebook.Document.Metadata) copy.Metadata[key] = value;
        return WithCellIds(Notebook.ToJupyterJson(copy, NotebookDocument.CSharpKernel));
    }

    /// <summary>
    /// Gives every cell of the .ipynb <paramref name="json"/> the id "cell-N" (N its 1-based position, as in
    /// <see cref="ExecutedNotebookWriter"/>, so both copies of a notebook name a cell alike) and declares nbformat 4.5.
    /// The Documents library writes 4.5 without ids, which nbformat 4.5 requires: Jupyter tools then fill in random
    /// ids when they open the file, and nbconvert warns that a missing id will become an error.
    /// </summary>
    internal static string WithCellIds(string json)
    {
        var notebook = JsonNode.Parse(json)?.AsObject()
            ?? throw new InvalidOperationException("the Documents library wrote an .ipynb that is JSON null, expected an object");
        var cells = notebook["cells"]?.AsArray()
            ?? throw new InvalidOperationException("the Documents library wrote an .ipynb without \"cells\", expected an array of cells");
        for (int i = 0; i < cells.Count; i++)
        {
            var cell = cells[i]!.AsObject();
            cell.Remove("id");
            // After cell_type, as ExecutedNotebookWriter writes it, so both copies read alike.
            cell.Insert(cell.IndexOf("cell_type") + 1, "id", $"cell-{i + 1}");
        }
        notebook["nbformat"] = 4;
        if ((notebook["nbformat_minor"]?.GetValue<int>() ?? 0) < 5) notebook["nbformat_minor"] = 5;
        // Relaxed escaping keeps quotes, apostrophes and non-ASCII text (×, ∗, ·) readable in an editor and a diff;
        // the file is a notebook, never embedded in HTML, where the default escaping would matter.
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return notebook.ToJsonString(options) + "\n";
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

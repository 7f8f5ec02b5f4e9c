using Microsoft.DotNet.Interactive.Documents.Jupyter;

namespace CourseNotebooks.Host;

/// <summary>Turns a notebook into Jupyter's .ipynb without running it (for Jupyter users of a .dib course).</summary>
public static class NotebookConverter
{
    /// <summary>The notebook as .ipynb JSON with the .NET (C#) kernel as default.</summary>
    public static string ToJupyterJson(NotebookDocument notebook) =>
        Notebook.ToJupyterJson(notebook.Document, NotebookDocument.CSharpKernel);

    /// <summary>Writes the .ipynb copy of <paramref name="notebook"/> to <paramref name="path"/> (atomically).</summary>
    public static void WriteJupyter(NotebookDocument notebook, string path) =>
        AtomicFile.WriteAllText(path, ToJupyterJson(notebook));
}

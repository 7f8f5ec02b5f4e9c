using System.Text.Json;
using CourseNotebooks.Host;

namespace CourseNotebooks.Host.Tests;

public sealed class NotebookDocumentTests
{
    [Fact]
    public void Dib_CellsKeepFileOrderKernelAndSource()
    {
        var notebook = NotebookDocument.Load(Fixtures.Path("good.dib"));

        Assert.Equal("good", notebook.Name);
        Assert.Equal(["markdown", "csharp", "csharp", "fsharp", "csharp"], notebook.Cells.Select(c => c.KernelName));
        Assert.Equal("answer + 0.5", notebook.Cells[2].Source.Trim());
        Assert.Equal("cell 5 (code cell 3)", notebook.Cells[4].Label);
        Assert.Equal(3, notebook.CodeCells.Count());
    }

    [Fact]
    public void MissingFile_MessageNamesTheFile()
    {
        var e = Assert.Throws<NotebookFormatException>(() => NotebookDocument.Load(Fixtures.Path("no-such.dib")));
        Assert.Contains("no-such.dib", e.Message);
        Assert.Contains("file not found", e.Message);
    }

    [Fact]
    public void UnparseableIpynb_MessageNamesTheFile()
    {
        var e = Assert.Throws<NotebookFormatException>(() => NotebookDocument.Load(Fixtures.Path("unparseable.ipynb")));
        Assert.StartsWith(Fixtures.Path("unparseable.ipynb") + ": does not parse as .ipynb", e.Message);
    }

    [Fact]
    public void UnknownExtension_IsRejected()
    {
        var e = Assert.Throws<NotebookFormatException>(() => NotebookDocument.Parse("x", ".txt", "/tmp/a.txt"));
        Assert.Contains("expected .dib, .ipynb or an exported app's .cs", e.Message);
    }

    [Fact]
    public void ConvertedIpynb_ReadsBackWithTheSameCells()
    {
        var notebook = NotebookDocument.Load(Fixtures.Path("good.dib"));
        string json = NotebookConverter.ToJupyterJson(notebook);
        var back = NotebookDocument.Parse(json, ".ipynb", "/tmp/good.ipynb");

        Assert.Equal(notebook.Cells.Select(c => (c.KernelName, c.Source.Trim())), back.Cells.Select(c => (c.KernelName, c.Source.Trim())));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("/course/out/ipynb")]
    public void ConvertedIpynb_EveryCellHasAnIdThatIsValidUniqueAndTheSameOnEveryConversion(string? targetFolder)
    {
        var notebook = NotebookDocument.Load(Fixtures.Path("good.dib"));

        using var json = JsonDocument.Parse(NotebookConverter.ToJupyterJson(notebook, targetFolder));
        var ids = json.RootElement.GetProperty("cells").EnumerateArray()
            .Select(c => c.TryGetProperty("id", out var id) ? id.GetString() : null).ToList();

        // nbformat 4.5: every cell has an id of 1 to 64 letters, digits, '-' or '_', unique in the notebook.
        Assert.Equal(4, json.RootElement.GetProperty("nbformat").GetInt32());
        Assert.True(json.RootElement.GetProperty("nbformat_minor").GetInt32() >= 5);
        Assert.All(ids, id => Assert.Matches("^[a-zA-Z0-9_-]{1,64}$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // The same ids as the executed copy (ExecutedNotebookWriter), whatever run wrote them.
        Assert.Equal(notebook.Cells.Select(c => $"cell-{c.Index}"), ids);
    }

    [Fact]
    public void ConvertedIpynb_InAnotherFolder_RebasesRelativeFileReferences_AndKeepsTheRest()
    {
        string dib = """
            #!csharp

            #r "../artifacts/lib/A.dll"
              #r "B.dll"
            #r "nuget: Some.Package, 1.0.0"
            #r "/abs/C.dll"
            var x = 1;
            """;
        var notebook = NotebookDocument.Parse(dib, ".dib", "/course/notebooks/n.dib");

        string json = NotebookConverter.ToJupyterJson(notebook, "/course/out/ipynb");
        string source = NotebookDocument.Parse(json, ".ipynb", "/course/out/ipynb/n.ipynb").Cells.Single().Source;

        Assert.Equal(["#r \"../../artifacts/lib/A.dll\"", "  #r \"../../notebooks/B.dll\"", "#r \"nuget: Some.Package, 1.0.0\"", "#r \"/abs/C.dll\"", "var x = 1;"],
            source.Trim().Split('\n').Select(l => l.TrimEnd('\r')));
    }
}

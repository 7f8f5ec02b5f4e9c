using CourseNotebooks.Host;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace CourseNotebooks.Host.Tests;

/// <summary>How an exported app shows a cell's last value: display(...) around the expression, comments kept outside it.</summary>
public sealed class NotebookAppsTests
{
    [Fact]
    public void LastValue_WithCommentsAroundIt_IsShownByACallThatCompiles()
    {
        // Notebook 03's hidden probe cell: a marker comment before the expression, a comment after its last token.
        const string cell = """
            // HIDDEN conv-backward: edge cases (1 point)
            Exercise.Probe("conv-backward",
                () => Run(1),      // one input
                () => Run(2))      // a non-square filter with padding
            """;
        string shown = NotebookApps.ShowLastValue(cell);

        Assert.StartsWith("// HIDDEN conv-backward: edge cases (1 point)\ndisplay(Exercise.Probe(", shown.Replace("\r\n", "\n"));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(shown, "// HIDDEN"));
        Assert.Contains("() => Run(2)));      // a non-square filter with padding", shown);
        var errors = CSharpSyntaxTree.ParseText(shown, new CSharpParseOptions(kind: SourceCodeKind.Script)).GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(errors);
    }

    [Fact]
    public void LastStatementWithASemicolon_IsLeftAsItIs()
    {
        const string cell = "var x = 1;\nConsole.WriteLine(x); // printed, not shown\n";
        Assert.Equal(cell, NotebookApps.ShowLastValue(cell));
    }
}

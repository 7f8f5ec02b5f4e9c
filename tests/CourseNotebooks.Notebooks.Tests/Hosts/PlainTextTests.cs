using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests.Hosts;

/// <summary>
/// What text-only hosts show, and what executed notebooks keep: every shown value has a plain-text form that reads
/// (a chart is one line naming its title and traces), never an object dump of Plotly.NET's F# types or an exception
/// text in place of a value.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class PlainTextTests(NotebookFixture fixture)
{
    [Theory]
    [MemberData(nameof(AllNotebooksTests.Notebooks), MemberType = typeof(AllNotebooksTests))]
    public async Task EveryShownValue_HasAShortPlainText_NeverAnObjectDump(string name)
    {
        var run = await fixture.RunAsync(name);
        foreach (var cell in run.CodeCells)
            foreach (var output in cell.Outputs.Where(o => o.Kind is OutputKind.Display or OutputKind.ReturnValue))
            {
                string plain = output.TextOf("text/plain") ?? "";
                string where = $"{name}, {cell.Cell.Label}";
                Assert.False(string.IsNullOrWhiteSpace(plain), $"{where}: a value with no plain text");
                foreach (string dump in new[] { "Plotly.NET", "GenericChart", "DynamicObj", "FSharp", "InvalidOperationException", "Microsoft.DotNet" })
                    Assert.DoesNotContain(dump, plain);
                if (output.TextOf(Charts.Charts.PlotlyMimeType) is not null)
                {
                    Assert.True(plain.Length <= 400 && !plain.Contains('\n'), $"{where}: a chart's plain text is {plain.Length} characters: {plain[..Math.Min(200, plain.Length)]}");
                }
            }
    }

    [Fact]
    public async Task ExecutedNotebook_OfTheChartiestNotebook_IsItsChartsTwiceAndLittleElse()
    {
        // Notebook 10 shows the most chart data. Each chart is kept twice on purpose (as HTML that draws it, for hosts
        // without a plotly renderer, and as its figure JSON); everything else together must stay small (executed by
        // the kernel it was 7.8 MB, most of it the charts' object dumps).
        var run = await fixture.RunAsync("10-autoencoder-vs-pca");
        long total = ExecutedNotebookWriter.ToJson(run).Length;
        long figures = run.Cells.SelectMany(c => c.Outputs).Sum(o => (long)(o.TextOf(Charts.Charts.PlotlyMimeType)?.Length ?? 0));
        Assert.True(total < 2 * figures + 1_500_000, $"10's executed notebook is {total:N0} characters for {figures:N0} of figure JSON");
    }
}

using System.Text.Json;
using CourseNotebooks.Engine;
using Plots = CourseNotebooks.Charts.Charts;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class ConvolutionNotebookTests(NotebookFixture fixture)
{
    private static readonly float[] SlideOutput = [12, 12, 17, 10, 17, 19, 9, 6, 14];

    [Fact]
    public async Task Notebook01_RunsWithoutError()
    {
        var run = await fixture.RunAsync("01-convolution");
        Assert.True(run.Succeeded, run.FirstFailure?.Describe());
    }

    [Fact]
    public async Task Notebook01_Output_IsTheSlideExample()
    {
        var run = await fixture.RunAsync("01-convolution");

        var output = run.GetVariable<Tensor<float>>("output");
        Assert.Equal([3, 3], output.Shape.ToArray());
        Assert.Equal(SlideOutput, output.Data);
    }

    [Fact]
    public async Task Notebook01_Heatmap_HoldsTheOutputValues_AndRendersAsAPlotlyChart()
    {
        var run = await fixture.RunAsync("01-convolution");

        var chartCell = run.CodeCells.Last();
        var chart = Assert.IsType<Plotly.NET.GenericChart>(chartCell.ReturnValue, exactMatch: false);
        using var figure = JsonDocument.Parse(Plots.ChartJson(chart));
        var z = figure.RootElement.GetProperty("data")[0].GetProperty("z");
        Assert.Equal(SlideOutput, z.EnumerateArray().SelectMany(row => row.EnumerateArray()).Select(v => v.GetSingle()));
        // Plotly.NET.Interactive's formatter (loaded from the package's kernel extension) drew it as HTML.
        var html = chartCell.Outputs.Single(o => o.Kind == OutputKind.ReturnValue).TextOf("text/html");
        Assert.Contains("Plotly.newPlot", html);
    }

    [Fact]
    public async Task Notebook01_FirstMarkdownCell_StatesTheOutputSizeFormula()
    {
        var run = await fixture.RunAsync("01-convolution");

        Assert.Contains(run.Cells, c => c.Cell.IsMarkdown && c.Cell.Source.Contains(@"W_{out} = \left\lfloor \frac{W_{in} + 2P - D\,(K - 1) - 1}{S} \right\rfloor + 1"));
    }
}

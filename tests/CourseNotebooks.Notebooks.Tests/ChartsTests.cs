using System.Text.Json;
using CourseNotebooks.Engine;
using Plots = CourseNotebooks.Charts.Charts;

namespace CourseNotebooks.Notebooks.Tests;

public sealed class ChartsTests
{
    private static JsonElement Figure(Plotly.NET.GenericChart chart) =>
        JsonDocument.Parse(Plots.ChartJson(chart)).RootElement;

    private static double[][] Z(JsonElement trace) =>
        trace.GetProperty("z").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    [Fact]
    public void Heatmap_OfA2DTensor_KeepsRowsInOrder_AndReversesTheYAxis()
    {
        var t = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var figure = Figure(Plots.Heatmap(t, "title"));

        Assert.Equal([[1.0, 2, 3], [4.0, 5, 6]], Z(figure.GetProperty("data")[0]));
        Assert.Equal("reversed", figure.GetProperty("layout").GetProperty("yaxis").GetProperty("autorange").GetString());
        Assert.Equal("title", figure.GetProperty("layout").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Heatmap_SmallGrid_IsAnnotatedWithEachValue()
    {
        var t = Tensor.FromArray(new double[,] { { 0.5, 2 }, { -1, 12345.678 } });
        var annotations = Figure(Plots.Heatmap(t)).GetProperty("layout").GetProperty("annotations");

        Assert.Equal(["0.5", "2", "-1", "1.235E+04"], annotations.EnumerateArray().Select(a => a.GetProperty("text").GetString()));
    }

    [Fact]
    public void Heatmap_LargeGrid_IsNotAnnotated_UnlessAsked()
    {
        var t = Tensor.Zeros<float>(20, 20);
        Assert.False(Figure(Plots.Heatmap(t)).GetProperty("layout").TryGetProperty("annotations", out _));
        Assert.Equal(400, Figure(Plots.Heatmap(t, annotate: true)).GetProperty("layout").GetProperty("annotations").GetArrayLength());
    }

    [Fact]
    public void Heatmap_OfAnNchwPlane_PicksThatPlane()
    {
        var t = Tensor.Arange<float>(2, 3, 2, 2);
        var z = Z(Figure(Plots.Heatmap(t, n: 1, c: 2)).GetProperty("data")[0]);

        // Plane (1, 2) starts at offset (1 * 3 + 2) * 4 = 20.
        Assert.Equal([[20.0, 21], [22.0, 23]], z);
    }

    [Fact]
    public void Heatmap_BadRankOrPlane_NamesTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Plots.Heatmap(Tensor.Zeros<float>(4)));
        Assert.Contains("[4]", e.Message);
        var p = Assert.Throws<ArgumentException>(() => Plots.Heatmap(Tensor.Zeros<float>(1, 2, 3, 3), c: 2));
        Assert.Contains("c=2", p.Message);
        Assert.Contains("[1, 2, 3, 3]", p.Message);
    }

    [Fact]
    public void Images_MakesOneGreyHeatmapPerImage_InAGrid()
    {
        var images = Tensor.Arange<float>(5, 1, 2, 2);
        var figure = Figure(Plots.Images(images, columns: 3));

        var data = figure.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(5, data.Count);
        Assert.Equal([[16.0, 17], [18.0, 19]], Z(data[4]));
        var grid = figure.GetProperty("layout").GetProperty("grid");
        Assert.Equal(2, grid.GetProperty("rows").GetInt32());
        Assert.Equal(3, grid.GetProperty("columns").GetInt32());
        var bad = Assert.Throws<ArgumentException>(() => Plots.Images(Tensor.Zeros<float>(2, 3, 4, 4)));
        Assert.Contains("[2, 3, 4, 4]", bad.Message);
    }

    [Fact]
    public void Lines_OneTracePerSeries_AgainstSteps()
    {
        var figure = Figure(Plots.Lines("loss", "epoch", "loss", ("train", [3.0, 2.0, 1.5]), ("test", [3.5, 2.5, 2.0])));

        var data = figure.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["train", "test"], data.Select(d => d.GetProperty("name").GetString()));
        Assert.Equal([1, 2, 3], data[0].GetProperty("x").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal([3.5, 2.5, 2.0], data[1].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal("epoch", figure.GetProperty("layout").GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Scatter2D_GroupsPointsByLabel()
    {
        var points = Tensor.FromArray(new float[,] { { 0, 1 }, { 2, 3 }, { 4, 5 } });
        var figure = Figure(Plots.Scatter2D(points, [1, 0, 1], labelNames: ["zero", "one"]));

        var data = figure.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["zero", "one"], data.Select(d => d.GetProperty("name").GetString()));
        Assert.Equal([0.0, 4.0], data[1].GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([1.0, 5.0], data[1].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        var e = Assert.Throws<ArgumentException>(() => Plots.Scatter2D(points, [1, 0]));
        Assert.Contains("3 points but 2 labels", e.Message);
    }
}

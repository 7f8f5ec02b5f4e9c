using System.Text.Json;
using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Optimizers;
using Plots = CourseNotebooks.Charts.Charts;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>The part-4 chart helpers (PathCharts.cs): what each figure carries, read back from its JSON.</summary>
public sealed class PathChartsTests
{
    private static JsonElement Figure(Plotly.NET.GenericChart chart) => JsonDocument.Parse(Plots.ChartJson(chart)).RootElement;

    private static double[] Numbers(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetDouble())];

    private static OptimizerPathResult Path(double alpha, double beta) =>
        OptimizerPath.Run(Surface2D.Quadratic(1, 10), (-1, 1), p => new Sgd<double>(p, alpha, momentum: beta), 10);

    [Fact]
    public void ContourWithPaths_CarriesTheGridThePathsAndTheMinimum_WithAxisTitles()
    {
        var surface = Surface2D.Quadratic(1, 10);
        var path = Path(0.1, 0.5);
        var figure = Figure(Plots.ContourWithPaths(surface, "t", [("p", path)], gridPoints: 5));
        var data = figure.GetProperty("data");
        Assert.Equal(3, data.GetArrayLength());
        Assert.Equal(surface.Value(-2, 1), data[0].GetProperty("z")[3][0].GetDouble(), 12);      // x[0] = −2, y[3] = 1
        Assert.Equal(path.X, Numbers(data[1].GetProperty("x")));
        Assert.Equal([0.0], Numbers(data[2].GetProperty("x")));
        Assert.Contains("w₁", figure.GetProperty("layout").GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
        // A precomputed grid of the wrong shape is refused.
        var bad = (new double[] { 0, 1 }, new double[] { 0, 1, 2 }, new double[2, 2]);
        Assert.Throws<ArgumentException>(() => Plots.ContourWithPaths(surface, "t", [("p", path)], grid: bad));
    }

    [Fact]
    public void RateMap_ClipsTheColoursButKeepsTheRates_AndDrawsTheCurves()
    {
        double[] alphas = [0.1, 0.2], betas = [0, 0.5, 0.9];
        var rates = new double[,] { { 0.5, 3.0 }, { 0.7, 0.9 }, { double.NaN, 1.1 } };
        var data = Figure(Plots.RateMap("t", alphas, betas, rates, 1.2, ("edge", [0.2, 0.3], [0, 0.5]))).GetProperty("data");
        Assert.Equal(1.2, data[0].GetProperty("z")[0][1].GetDouble());
        Assert.Equal(3.0, data[0].GetProperty("customdata")[0][1].GetDouble());
        Assert.Equal(1.2, data[0].GetProperty("z")[2][0].GetDouble());
        Assert.Equal([0.2, 0.3], Numbers(data[1].GetProperty("x")));
        Assert.Throws<ArgumentException>(() => Plots.RateMap("t", alphas, betas, new double[2, 3]));
    }

    [Fact]
    public void PathSlider_EachStepShowsItsOwnTracesOnly()
    {
        var surface = Surface2D.Quadratic(1, 10);
        var figure = Figure(Plots.PathSlider(surface, "t", "s: ",
        [
            ("a", [("a1", Path(0.1, 0)), ("a2", Path(0.1, 0.5))]),
            ("b", [("b1", Path(0.05, 0.9))]),
        ], active: 1, gridPoints: 5));
        var data = figure.GetProperty("data");
        Assert.Equal(5, data.GetArrayLength());                 // contour, a1, a2, b1, star
        Assert.False(data[1].GetProperty("visible").GetBoolean());
        Assert.True(data[3].GetProperty("visible").GetBoolean());
        var steps = figure.GetProperty("layout").GetProperty("sliders")[0].GetProperty("steps");
        Assert.Equal([true, true, true, false, true], steps[0].GetProperty("args")[0].GetProperty("visible").EnumerateArray().Select(v => v.GetBoolean()));
        Assert.Equal([true, false, false, true, true], steps[1].GetProperty("args")[0].GetProperty("visible").EnumerateArray().Select(v => v.GetBoolean()));
        Assert.Equal(1, figure.GetProperty("layout").GetProperty("sliders")[0].GetProperty("active").GetInt32());
        Assert.Throws<ArgumentException>(() => Plots.PathSlider(surface, "t", "s", [], 0));
        Assert.Throws<ArgumentException>(() => Plots.PathSlider(surface, "t", "s", [("a", [("a1", Path(0.1, 0))])], active: 1));
    }

    [Fact]
    public void LogLines_UsesALogAxis_AndStartOutcomes_GroupsTheStartsByOutcome()
    {
        var log = Figure(Plots.LogLines("t", "step", "distance", ("d", [0.0, 1, 2], [1.0, 0.1, 0.01])));
        Assert.Equal("log", log.GetProperty("layout").GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Throws<ArgumentException>(() => Plots.LogLines("t", "x", "y", ("d", [0.0], [1.0, 2.0])));

        (double X, double Y)[] starts = [(0, 0), (1, 1), (2, 2), (3, 3)];
        var data = Figure(Plots.StartOutcomes(Surface2D.Quadratic(1, 1), "t", starts, [1, -1, 1, 0], ["m0", "m1"])).GetProperty("data");
        Assert.Equal(3, data.GetArrayLength());
        Assert.Equal("no minimum reached", data[0].GetProperty("name").GetString());
        Assert.Equal([0.0, 2.0], Numbers(data[2].GetProperty("x")));
        Assert.Throws<ArgumentException>(() => Plots.StartOutcomes(Surface2D.Quadratic(1, 1), "t", starts, [0, 0, 0, 2], ["m0", "m1"]));
    }
}

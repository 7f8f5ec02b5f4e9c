using System.Text.Json;
using CourseNotebooks.Engine.Tensors;
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

        Assert.Equal(["0.5", "2", "-1", "12,346"], annotations.EnumerateArray().Select(a => a.GetProperty("text").GetString()));
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

    [Fact]
    public void Lines_WithExplicitX_PlotsEachSeriesAgainstItsOwnX()
    {
        var figure = Figure(Plots.Lines("accuracy", "epoch", "accuracy", ("train", [1.0, 2, 5], [0.5, 0.7, 0.9]), ("test", [2.0, 4], [0.6, 0.8])));

        var data = figure.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([1.0, 2, 5], data[0].GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([2.0, 4], data[1].GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([0.6, 0.8], data[1].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal("accuracy", figure.GetProperty("layout").GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
        var e = Assert.Throws<ArgumentException>(() => Plots.Lines(null, "x", "y", ("bad", [1.0, 2], [1.0])));
        Assert.Contains("2 x values but 1 y values", e.Message);
    }

    [Fact]
    public void Bars_OneBarTracePerSeries_GroupedByCategory()
    {
        var figure = Figure(Plots.Bars("accuracy per class", ["cat", "dog", "frog"], ("model A", [0.9, 0.8, 0.7]), ("model B", [0.6, 0.5, 0.4])));

        var data = figure.GetProperty("data").EnumerateArray().ToList();
        Assert.All(data, d => Assert.Equal("bar", d.GetProperty("type").GetString()));
        Assert.Equal(["model A", "model B"], data.Select(d => d.GetProperty("name").GetString()));
        Assert.Equal(["cat", "dog", "frog"], data[1].GetProperty("x").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal([0.6, 0.5, 0.4], data[1].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal("group", figure.GetProperty("layout").GetProperty("barmode").GetString());
        var e = Assert.Throws<ArgumentException>(() => Plots.Bars(null, ["a", "b"], ("short", [1.0])));
        Assert.Contains("1 values but there are 2 categories", e.Message);
    }

    private static readonly float[,] SlideInput =
    {
        { 3, 3, 2, 1, 0 },
        { 0, 0, 1, 3, 1 },
        { 3, 1, 2, 2, 3 },
        { 2, 0, 0, 2, 2 },
        { 2, 0, 0, 0, 1 },
    };

    private static readonly float[,] SlideKernel = { { 0, 1, 2 }, { 2, 2, 0 }, { 0, 1, 2 } };

    private static double?[][] NullableZ(JsonElement z) =>
        z.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble()).ToArray()).ToArray();

    [Fact]
    public void ConvolutionWalk_RevealsTheSlideOutputOnePositionPerSliderStep()
    {
        var figure = Figure(Plots.ConvolutionWalk(Tensor.FromArray(SlideInput), Tensor.FromArray(SlideKernel)));

        var steps = figure.GetProperty("layout").GetProperty("sliders")[0].GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(9, steps.Count);
        Assert.All(steps, s => Assert.Equal("update", s.GetProperty("method").GetString()));
        // The last step shows the whole output of the lecture's example; the second shows only its first two cells.
        var last = NullableZ(steps[8].GetProperty("args")[0].GetProperty("z")[0]);
        Assert.Equal([12.0, 12, 17, 10, 17, 19, 9, 6, 14], last.SelectMany(r => r).Select(v => v!.Value));
        var second = NullableZ(steps[1].GetProperty("args")[0].GetProperty("z")[0]);
        Assert.Equal([12.0, 12, null], second[0]);
        Assert.All(second.Skip(1).SelectMany(r => r), v => Assert.Null(v));
        Assert.Equal([1], steps[1].GetProperty("args")[2].EnumerateArray().Select(v => v.GetInt32()));
        // The title spells out the first window's products (row by row, input·kernel) and the engine's sum.
        Assert.Equal("y[0, 0] = 3·0 + 3·1 + 2·2 + 0·2 + 0·2 + 1·0 + 3·0 + 1·1 + 2·2 = 12",
            steps[0].GetProperty("args")[1].GetProperty("title.text").GetString());
        // The figure opens on step 0: same title, only the first output cell shown.
        Assert.Equal(steps[0].GetProperty("args")[1].GetProperty("title.text").GetString(),
            figure.GetProperty("layout").GetProperty("title").GetProperty("text").GetString());
        var initial = NullableZ(figure.GetProperty("data")[1].GetProperty("z"));
        Assert.Equal(12.0, initial[0][0]);
        Assert.Equal(1, initial.SelectMany(r => r).Count(v => v is not null));
    }

    [Fact]
    public void ConvolutionWalk_WithStrideAndPadding_DrawsThePaddingAndOutlinesTheWindowInPaddedCoordinates()
    {
        var figure = Figure(Plots.ConvolutionWalk(Tensor.FromArray(SlideInput), Tensor.FromArray(SlideKernel), stride: 2, padding: 1));

        // Padded input 7×7 with indices -1..5, a zero border around the slide's input.
        var input = figure.GetProperty("data")[0];
        Assert.Equal([-1, 0, 1, 2, 3, 4, 5], input.GetProperty("x").EnumerateArray().Select(v => v.GetInt32()));
        var z = Z(input);
        Assert.Equal(7, z.Length);
        Assert.All(z[0], v => Assert.Equal(0.0, v));
        Assert.Equal([0.0, 3, 3, 2, 1, 0, 0], z[1]);

        // Output floor((5 + 2 - 3) / 2) + 1 = 3 per side. Output (1, 2) is step 5; its window starts at padded
        // row 1*2 - 1 = 1, column 2*2 - 1 = 3, three cells wide, drawn from cell edges (index - 0.5).
        var steps = figure.GetProperty("layout").GetProperty("sliders")[0].GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(9, steps.Count);
        Assert.Equal("(1,2)", steps[5].GetProperty("label").GetString());
        var window = steps[5].GetProperty("args")[1].GetProperty("shapes")[0];
        Assert.Equal((2.5, 5.5, 0.5, 3.5), (window.GetProperty("x0").GetDouble(), window.GetProperty("x1").GetDouble(),
            window.GetProperty("y0").GetDouble(), window.GetProperty("y1").GetDouble()));
        var cell = steps[5].GetProperty("args")[1].GetProperty("shapes")[1];
        Assert.Equal(("x2", 1.5, 0.5), (cell.GetProperty("xref").GetString(), cell.GetProperty("x0").GetDouble(), cell.GetProperty("y0").GetDouble()));
        // y[0, 0] by hand: the window covers input rows 0..1, columns 0..1 with kernel rows/columns 1..2:
        // 3·2 + 3·0 + 0·1 + 0·2 = 6.
        Assert.EndsWith("= 6", steps[0].GetProperty("args")[1].GetProperty("title.text").GetString());
    }

    [Fact]
    public void ConvolutionWalk_RejectsInputsThatAreNot2D()
    {
        var e = Assert.Throws<ArgumentException>(() => Plots.ConvolutionWalk(Tensor.Zeros<float>(1, 5, 5), Tensor.FromArray(SlideKernel)));
        Assert.Contains("[1, 5, 5]", e.Message);
        var k = Assert.Throws<ArgumentException>(() => Plots.ConvolutionWalk(Tensor.FromArray(SlideInput), Tensor.Zeros<float>(9)));
        Assert.Contains("[9]", k.Message);
    }

    [Fact]
    public void MeansWithRuns_DrawsMeansWithErrorBars_TheRunsAsDots_OnTheGivenAxisRange()
    {
        var figure = Figure(Plots.MeansWithRuns("t", "accuracy (%)", ["a", "b"], [80, 81], [2, 0.5],
            [[79, 81], [80.5, 81, 81.5]], 0, 100, "mean ± 2 SE", "one seed"));
        var bars = figure.GetProperty("data")[0];
        Assert.Equal([80.0, 81], bars.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([2.0, 0.5], bars.GetProperty("error_y").GetProperty("array").EnumerateArray().Select(v => v.GetDouble()));
        var dots = figure.GetProperty("data")[1];
        Assert.Equal(["a", "a", "b", "b", "b"], dots.GetProperty("x").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal([79.0, 81, 80.5, 81, 81.5], dots.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([0.0, 100], figure.GetProperty("layout").GetProperty("yaxis").GetProperty("range").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Throws<ArgumentException>(() => Plots.MeansWithRuns("t", "y", ["a"], [1], [-1], [[1]], 0, 1));
        Assert.Throws<ArgumentException>(() => Plots.MeansWithRuns("t", "y", ["a"], [1], [1], [[1]], 1, 1));
    }

    [Fact]
    public void HeatmapRow_DrawsEachPanelOnItsOwnAxes_WithItsCaptionAndValues()
    {
        var a = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        var b = Tensor.Arange<double>(1, 1, 3, 3);
        var figure = Figure(Plots.HeatmapRow("two", ("left", a), ("right", b)));
        var data = figure.GetProperty("data");
        var layout = figure.GetProperty("layout");

        Assert.Equal(2, data.GetArrayLength());
        Assert.Equal([[1.0, 2], [3.0, 4]], Z(data[0]));
        Assert.Equal([[0.0, 1, 2], [3.0, 4, 5], [6.0, 7, 8]], Z(data[1]));
        Assert.Equal("x2", data[1].GetProperty("xaxis").GetString());
        Assert.Equal("y2", data[1].GetProperty("yaxis").GetString());
        Assert.Equal("reversed", layout.GetProperty("yaxis2").GetProperty("autorange").GetString());
        double leftEnd = layout.GetProperty("xaxis").GetProperty("domain")[1].GetDouble();
        double rightStart = layout.GetProperty("xaxis2").GetProperty("domain")[0].GetDouble();
        Assert.True(leftEnd < rightStart, $"panels overlap: {leftEnd} >= {rightStart}");
        Assert.Equal(["left", "right"], layout.GetProperty("annotations").EnumerateArray().Select(x => x.GetProperty("text").GetString()));
        Assert.Throws<ArgumentException>(() => Plots.HeatmapRow<double>("none"));
    }

    [Fact]
    public void WeightIndexGrid_GreysStructuralZerosWithoutText_AndColoursEachWeight()
    {
        int[,] index = { { 0, 1, -1 }, { -1, 0, 1 } };
        var figure = Figure(Plots.WeightIndexGrid(index, "pattern"));
        string json = figure.GetRawText();
        var zeros = figure.GetProperty("data")[0];
        var weights = figure.GetProperty("data")[1];
        double?[][] Cells(JsonElement trace) => trace.GetProperty("z").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble()).ToArray()).ToArray();

        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
        Assert.Equal([[null, null, 0.0], [0.0, null, null]], Cells(zeros));
        Assert.Equal([[1.0, 2.0, null], [null, 1.0, 2.0]], Cells(weights));
        Assert.Equal([["w1", "w2", ""], ["", "w1", "w2"]],
            weights.GetProperty("text").EnumerateArray().Select(r => r.EnumerateArray().Select(t => t.GetString()).ToArray()).ToArray());
        // Two weights, two colour bands, neither the zeros' grey.
        var bands = weights.GetProperty("colorscale").EnumerateArray().Select(stop => stop[1].GetString()).Distinct().ToArray();
        Assert.Equal(2, bands.Length);
        Assert.DoesNotContain(Plots.StructuralZeroColour, bands);
        Assert.All(zeros.GetProperty("colorscale").EnumerateArray(), stop => Assert.Equal(Plots.StructuralZeroColour, stop[1].GetString()));
        Assert.Equal("%{text}", weights.GetProperty("texttemplate").GetString());
    }

    [Fact]
    public void WeightIndexGrid_GivesEachCellRoomForItsLabel_AndDropsLabelsWhenTooWide()
    {
        var narrow = Figure(Plots.WeightIndexGrid(new int[9, 25]));
        Assert.True(narrow.GetProperty("layout").GetProperty("width").GetInt32() >= 25 * 30, "a 25-column grid needs about 30 px per label");
        Assert.True(narrow.GetProperty("data")[1].TryGetProperty("texttemplate", out _));

        var wide = Figure(Plots.WeightIndexGrid(new int[4, 60]));
        Assert.False(wide.GetProperty("data")[1].TryGetProperty("texttemplate", out _));
        Assert.True(wide.GetProperty("layout").GetProperty("width").GetInt32() <= 1600);
    }

    [Fact]
    public void ChartsLibrary_NamesNoFSharpCoreType()
    {
        // In dotnet-repl, dotnet-interactive and VS Code, Plotly.NET binds to the tools' FSharp.Core 10.0 while an
        // assembly loaded with #r gets FSharp.Core 10.1 from its folder: any F# type in our signatures or calls
        // (FSharpOption arguments, say) makes the call fail there with MissingMethodException.
        Assert.DoesNotContain(typeof(Plots).Assembly.GetReferencedAssemblies(), a => a.Name == "FSharp.Core");
    }
    [Fact]
    public void ChartsStaticFields_NameNoPlotlyOrFSharpType()
    {
        // The module initializer touches Charts before it has loaded Plotly.NET beside a kernel's FSharp.Core; a static
        // field of a Plotly.NET or F# type would load Plotly.NET first and break every chart in VS Code, Jupyter and
        // dotnet-repl (the host matrix caught one such field).
        var fields = typeof(Plots).GetFields(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic);
        Assert.NotEmpty(fields);
        foreach (var field in fields)
        {
            var types = new[] { field.FieldType }.Concat(field.FieldType.IsGenericType ? field.FieldType.GetGenericArguments() : []);
            foreach (var type in types)
                Assert.False(type.Assembly.GetName().Name is "Plotly.NET" or "FSharp.Core" or "DynamicObj" or "Giraffe.ViewEngine" or "Fable.Core",
                    $"Charts.{field.Name} is a {type.FullName}: keep Plotly.NET and F# types out of Charts' static fields");
        }
    }
}

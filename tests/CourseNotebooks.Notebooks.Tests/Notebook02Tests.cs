using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook02Tests(NotebookFixture fixture)
{
    private const string Name = "02-pooling";

    [Fact]
    public async Task ShiftedFeature_GivesTheSamePooledOutput()
    {
        var run = await fixture.RunAsync(Name);
        Assert.False(run.GetVariable<bool>("sameInput"));
        Assert.True(run.GetVariable<bool>("samePooled"));
        Assert.Equal([1f, 0, 0, 0], run.GetVariable<Tensor<float>>("pooledHere").Data);
    }

    // The notebook's poolings, in its order: none, average 2x2, max 2x2, max 4x4 (window and stride equal).
    private static readonly (int Window, bool Max)[] Poolings = [(1, true), (2, false), (2, true), (4, true)];

    [Fact]
    public async Task ShiftCorrelations_EqualAnIndependentRecomputation_OnTheFirstImages()
    {
        var run = await fixture.RunAsync(Name);
        var sample = run.GetVariable<Tensor<float>>("sample");
        int[] shifts = run.GetVariable<int[]>("shifts");
        double[][][] correlations = run.GetVariable<double[][][]>("correlations");
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], shifts);
        Assert.Equal(2000, sample.Size(0));
        Assert.Equal(Poolings.Length, correlations.Length);
        Assert.All(correlations, p => Assert.All(p, s => Assert.Equal(2000, s.Length)));
        for (int i = 0; i < 4; i++)
        {
            double[,] original = EdgeMap(sample, i, 0);
            for (int s = 0; s < shifts.Length; s++)
            {
                double[,] shifted = EdgeMap(sample, i, shifts[s]);
                for (int p = 0; p < Poolings.Length; p++)
                {
                    double expected = Pearson(Pool(original, Poolings[p]), Pool(shifted, Poolings[p]));
                    Assert.True(Math.Abs(expected - correlations[p][s][i]) < 1e-4,
                        $"image {i}, shift {shifts[s]}, pooling {p}: expected r = {expected}, the notebook has {correlations[p][s][i]}");
                }
            }
        }
    }

    [Fact]
    public async Task InvarianceTableAndChart_ShowTheMeanCorrelationOverAllImages()
    {
        var run = await fixture.RunAsync(Name);
        double[][][] correlations = run.GetVariable<double[][][]>("correlations");
        var rows = Rows.Of(run, "invariance");
        string[] columns = ["NoPooling", "AveragePool2x2", "MaxPool2x2", "MaxPool4x4"];
        using var figure = NotebookAssertions.ChartOf(run, "invarianceChart");
        var traces = figure.RootElement.GetProperty("data");
        Assert.Equal(["no pooling", "average pooling 2x2", "max pooling 2x2", "max pooling 4x4"],
            traces.EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(7, rows.Count);
        for (int p = 0; p < columns.Length; p++)
        {
            double[] y = [.. traces[p].GetProperty("y").EnumerateArray().Select(v => v.GetDouble())];
            for (int s = 0; s < rows.Count; s++)
            {
                double mean = correlations[p][s].Sum() / correlations[p][s].Length;
                Assert.Equal(mean, y[s], 1e-12);
                Assert.Equal(mean, Rows.Get<double>(rows[s], columns[p]), 0.0005 + 1e-12);    // shown to 3 decimals
            }
        }
        var layout = figure.RootElement.GetProperty("layout");
        Assert.Equal("correlation r", layout.GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("shift to the right (pixels)", layout.GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public async Task PooledMapsStayMoreSimilarForSmallShifts_AndTheInvarianceEndsOnceTheShiftExceedsTheWindow()
    {
        var run = await fixture.RunAsync(Name);
        double[][][] c = run.GetVariable<double[][][]>("correlations");
        double R(int p, int s) => c[p][s].Average();
        const int None = 0, Avg2 = 1, Max2 = 2, Max4 = 3;
        for (int p = 0; p < 4; p++) Assert.Equal(1.0, R(p, 0), 1e-9);          // no shift: identical maps
        foreach (int s in new[] { 1, 2 })
        {
            Assert.True(R(Max2, s) > R(None, s) + 0.1, $"shift {s}: max 2x2 r = {R(Max2, s)}, no pooling {R(None, s)}");
            Assert.True(R(Max4, s) > R(Max2, s) + 0.1, $"shift {s}: max 4x4 r = {R(Max4, s)}, max 2x2 {R(Max2, s)}");
            Assert.True(R(Avg2, s) > R(None, s), $"shift {s}: average 2x2 r = {R(Avg2, s)}, no pooling {R(None, s)}");
        }
        // Not a few lucky images: at one pixel, max pooling keeps more similarity for most of them.
        int wins = c[Max2][1].Zip(c[None][1]).Count(p => p.First > p.Second);
        Assert.Equal(wins, run.GetVariable<int>("maxBeatsNone"));
        Assert.True(wins > 0.9 * c[None][1].Length, $"max pooling more similar for {wins} images");
        // Within the window the similarity stays substantial; one pixel beyond it, it is gone (as the text says).
        foreach (var (p, window) in new[] { (Max2, 2), (Max4, 4) })
        {
            Assert.True(R(p, window - 1) > 0.3, $"window {window}, shift {window - 1}: r = {R(p, window - 1)}");
            Assert.True(R(p, window + 1) < 0.1, $"window {window}, shift {window + 1}: r = {R(p, window + 1)}");
        }
        Assert.True(R(None, 2) < 0.1);

        // The printed summary names the shifts at which r first drops below 0.1, as recomputed here.
        int?[] lostAt = run.GetVariable<int?[]>("lostAt");
        for (int p = 0; p < 4; p++)
        {
            int? first = Enumerable.Range(0, 7).Cast<int?>().FirstOrDefault(s => R(p, s!.Value) < 0.1);
            Assert.Equal(first, lostAt[p]);
        }
        string summary = run.GetVariable<string>("invarianceSummary");
        Assert.Contains($"at a shift of {lostAt[None]} pixels without pooling, {lostAt[Max2]} pixels with 2x2 max pooling and {lostAt[Max4]} pixels with 4x4 max pooling", summary);
        Assert.Contains($"{R(Max2, 1):F2} after 2x2 max pooling (higher for {wins:N0} of", summary);
        Assert.Contains(R(Avg2, 2) < R(Max2, 2) ? "keeps less than max pooling" : "keeps more than max pooling", summary);
    }

    [Fact]
    public async Task BackgroundShare_IsTheShareOfPositionsZeroInBothEdgeMaps_AtAOnePixelShift()
    {
        var run = await fixture.RunAsync(Name);
        var sample = run.GetVariable<Tensor<float>>("sample");
        long both = 0, all = 0;
        for (int i = 0; i < sample.Size(0); i++)
        {
            double[,] a = EdgeMap(sample, i, 0), b = EdgeMap(sample, i, 1);
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++, all++)
                    if (a[y, x] == 0 && b[y, x] == 0) both++;
        }
        // Float (notebook) and double (here) may disagree on an exact zero where a sum cancels: allow 1 %.
        Assert.Equal((double)both / all, run.GetVariable<double>("backgroundShare"), 0.01);
    }

    /// <summary>ReLU(Sobel x) of image <paramref name="n"/> of [N, 1, 28, 28] shifted right by <paramref name="shift"/>
    /// (zeros enter on the left), zero padding 1, cross-correlation as in Conv2d; written out in double.</summary>
    private static double[,] EdgeMap(Tensor<float> images, int n, int shift)
    {
        int h = images.Size(2), w = images.Size(3);
        double Pixel(int y, int x)
        {
            int source = x - shift;
            return y < 0 || y >= h || x < 0 || x >= w || source < 0 ? 0 : images.Data[(n * h + y) * w + source];
        }
        int[,] sobelX = { { -1, 0, 1 }, { -2, 0, 2 }, { -1, 0, 1 } };
        var map = new double[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double sum = 0;
                for (int u = 0; u < 3; u++)
                    for (int v = 0; v < 3; v++)
                        sum += sobelX[u, v] * Pixel(y + u - 1, x + v - 1);
                map[y, x] = Math.Max(0, sum);
            }
        return map;
    }

    /// <summary>Non-overlapping pooling (stride = window), flattened row by row; window 1 is no pooling.</summary>
    private static double[] Pool(double[,] map, (int Window, bool Max) pooling)
    {
        int k = pooling.Window, oh = map.GetLength(0) / k, ow = map.GetLength(1) / k;
        var result = new double[oh * ow];
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
            {
                var window = from u in Enumerable.Range(0, k) from v in Enumerable.Range(0, k) select map[i * k + u, j * k + v];
                result[i * ow + j] = pooling.Max ? window.Max() : window.Average();
            }
        return result;
    }

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double ab = a.Zip(b).Sum(p => (p.First - ma) * (p.Second - mb));
        return ab / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(x => (x - mb) * (x - mb)));
    }

    [Fact]
    public async Task ReductionTable_CountsValuesAndParameters_AsTheLibraryDoes()
    {
        var run = await fixture.RunAsync(Name);
        Assert.Equal(8L * 28 * 28, run.GetVariable<long>("valuesBefore"));
        Assert.Equal(8L * 14 * 14, run.GetVariable<long>("valuesAfter"));
        Assert.Equal(8L * 28 * 28 * 10 + 10, run.GetVariable<long>("headBefore"));
        Assert.Equal(8L * 14 * 14 * 10 + 10, run.GetVariable<long>("headAfter"));
    }
}

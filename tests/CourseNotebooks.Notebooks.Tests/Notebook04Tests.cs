using CourseNotebooks.Engine;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook04Tests(NotebookFixture fixture)
{
    private const string Name = "04-backprop-pooling";

    [Fact]
    public async Task SlideExample_MaxLocationsAndGradientUnpooling_AreAsOnTheSlide()
    {
        var run = await fixture.RunAsync(Name);
        Assert.Equal([4, 2, 9, 14], run.GetVariable<IndexTensor>("indices").Data);
        Assert.Equal([0f, 0, 0.5f, 0, 1.3f, 0, 0, 0, 0, 0.4f, 0, 0, 0, 0, 0.1f, 0], run.GetVariable<Tensor<float>>("routed").Data);
        using var figure = NotebookAssertions.ChartOf(run, "routedHeatmap");
        Assert.Equal(run.GetVariable<Tensor<float>>("routed").Data, NotebookAssertions.HeatmapValues(figure));
    }

    [Fact]
    public async Task AveragePoolBackward_SpreadsAQuarterOfEachWindowsGradient()
    {
        var run = await fixture.RunAsync(Name);
        var spread = run.GetVariable<Tensor<float>>("spread");
        float[] upstream = [1.3f, 0.5f, 0.4f, 0.1f];
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
                Assert.Equal(upstream[(r / 2) * 2 + c / 2] / 4, spread[r, c], 6);
    }

    [Fact]
    public async Task RealFeatureMap_SendsGradientToOneInputPerWindow_AndPassesTheGradientCheck()
    {
        var run = await fixture.RunAsync(Name);
        Assert.Equal(14 * 14, run.GetVariable<int>("winnerCount"));
        // Independently: windows whose maximum is positive are edge windows; in the others (all zeros) the gradient
        // goes to the top-left input.
        var map = run.GetVariable<Tensor<float>>("featureMap");
        var flat = run.GetVariable<float[]>("flatWinners");
        var edge = run.GetVariable<float[]>("edgeWinners");
        int edgeWindows = 0;
        for (int r = 0; r < 28; r += 2)
            for (int c = 0; c < 28; c += 2)
            {
                int[] cells = [r * 28 + c, r * 28 + c + 1, (r + 1) * 28 + c, (r + 1) * 28 + c + 1];
                float max = cells.Max(i => map.Data[i]);
                if (max > 0)
                {
                    edgeWindows++;
                    int winner = Assert.Single(cells, i => edge[i] == 1);
                    Assert.Equal(max, map.Data[winner]);
                    Assert.All(cells, i => Assert.Equal(0, flat[i]));
                }
                else
                {
                    Assert.Equal(1, flat[cells[0]]);
                    Assert.All(cells, i => Assert.Equal(0, edge[i]));
                }
            }
        Assert.Equal(edgeWindows, run.GetVariable<int>("edgeWindows"));
        Assert.Equal(196 - edgeWindows, run.GetVariable<int>("flatWindows"));
        Assert.InRange(edgeWindows, 20, 176);     // both kinds are in the picture
        Assert.True(run.GetVariable<double>("maxError") < 1e-6);
        Assert.True(run.GetVariable<double>("avgError") < 1e-6);
    }

    [Fact]
    public async Task MaxPoolBackwardExercise_ReferenceSolutionAgreesWithMaxPool2dOnTheHiddenInputs()
    {
        var run = await fixture.RunAsync(Name);
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().Single(p => p.Name == "max-pool-backward");
        var library = Exercise.Probe("max-pool-backward", () => LibraryBackward(6, 6, 41, 42), () => LibraryBackward(2, 8, 43, 44));
        Assert.True(Exercise.Compare(library, probes, tolerance: 1e-7).Correct);
    }

    /// <summary>dX of MaxPool2d(2) for the hidden cell's seeded inputs (same generator, same order).</summary>
    private static float[] LibraryBackward(int rows, int columns, int activationSeed, int upstreamSeed)
    {
        static Tensor<float> Grid(int r, int c, int seed)
        {
            var random = new Random(seed);
            var t = new Tensor<float>(1, 1, r, c);
            for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(2 * random.NextDouble() - 1);
            return t;
        }
        var pool = new MaxPool2d<float>(2);
        pool.Forward(Grid(rows, columns, activationSeed));
        return pool.Backward(Grid(rows / 2, columns / 2, upstreamSeed)).Data.ToArray();
    }
}

using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;

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

    [Fact]
    public async Task AvgPoolAndArgmaxExercises_ReferenceSolutionsAgreeWithTheLibraryOnTheHiddenInputs()
    {
        var run = await fixture.RunAsync(Name);
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(p => p.Name);

        // Average pooling: the library's AvgPool2d(k) backward of the same upstream grids.
        static float[] AvgBackward(int rows, int columns, int seed, int k)
        {
            var pool = new AvgPool2d<float>(k);
            pool.Forward(new Tensor<float>(1, 1, rows * k, columns * k));
            return pool.Backward(Tensor.FromArray(Exercise.RandomGrid(rows, columns, seed)).Reshape(1, 1, rows, columns)).Data.ToArray();
        }
        var avg = Exercise.Probe("avg-pool-backward", () => AvgBackward(3, 3, 45, 2), () => AvgBackward(2, 5, 46, 3), () => AvgBackward(1, 1, 47, 1));
        Assert.True(Exercise.Compare(avg, probes["avg-pool-backward"], tolerance: 1e-6).Correct);

        // Overlapping max pooling: MaxPool2d(k, stride) backward of a gradient of ones counts each input's wins.
        static float[] Wins(int rows, int columns, int seed, int k, int stride)
        {
            var pool = new MaxPool2d<float>(k, stride);
            var output = pool.Forward(Tensor.FromArray(Exercise.RandomGrid(rows, columns, seed)).Reshape(1, 1, rows, columns));
            return pool.Backward(Tensor.Full(1f, output.Shape.ToArray())).Data.ToArray();
        }
        var counts = Exercise.Probe("overlapping-argmax-count", () => Wins(5, 5, 48, 3, 1), () => Wins(6, 7, 49, 2, 1), () => Wins(7, 7, 50, 3, 2));
        Assert.True(Exercise.Compare(counts, probes["overlapping-argmax-count"]).Correct);
        // The public example: the slide's 1.2 wins two of the four overlapping windows.
        Assert.Equal(2, run.GetVariable<float[,]>("activations43") is var a ? Wins43(a)[0, 2] : -1);

        static int[,] Wins43(float[,] a)
        {
            var pool = new MaxPool2d<float>(3, 1);
            var output = pool.Forward(Tensor.FromArray(a).Reshape(1, 1, 4, 4));
            var grad = pool.Backward(Tensor.Full(1f, output.Shape.ToArray()));
            var result = new int[4, 4];
            for (int i = 0; i < 16; i++) result[i / 4, i % 4] = (int)grad.Data[i];
            return result;
        }
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

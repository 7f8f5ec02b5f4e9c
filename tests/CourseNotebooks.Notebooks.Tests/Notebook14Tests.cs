using System.Text.Json;
using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Exercises;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook14Tests(NotebookFixture fixture)
{
    private const string Name = "14-sgd-visualized";

    private static double[] Numbers(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetDouble())];

    [Fact]
    public async Task Bowl_PathsAreTheLibrarysSgdPaths_AndFollowTheClosedForm()
    {
        var run = await fixture.RunAsync(Name);
        double[] rates = run.GetVariable<double[]>("bowlRates");
        using var figure = NotebookAssertions.ChartOf(run, "bowlChart");
        var data = figure.RootElement.GetProperty("data");
        Assert.Equal(1 + rates.Length + 1, data.GetArrayLength());      // contour, the paths, the minimum
        for (int r = 0; r < rates.Length; r++)
        {
            double[] x = Numbers(data[1 + r].GetProperty("x")), y = Numbers(data[1 + r].GetProperty("y"));
            var expected = OptimizerPath.Run(Surface2D.Quadratic(1, 10), (-1.8, 1.2), p => new Sgd<double>(p, rates[r]), 30);
            Assert.Equal(expected.X, x);
            Assert.Equal(expected.Y, y);
            // Each axis shrinks by (1 − ηλ) per step: w₁ = −1.8 (1 − η)^k, w₂ = 1.2 (1 − 10η)^k.
            for (int k = 0; k < x.Length; k++)
            {
                Assert.Equal(-1.8 * Math.Pow(1 - rates[r], k), x[k], 1e-9);
                Assert.Equal(1.2 * Math.Pow(1 - 10 * rates[r], k), y[k], 1e-9);
            }
            bool grows = Math.Abs(1 - 10 * rates[r]) > 1;
            Assert.Equal(grows, Math.Sqrt(x[^1] * x[^1] + y[^1] * y[^1]) > Math.Sqrt(x[0] * x[0] + y[0] * y[0]));
        }
        Assert.Contains(rates, r => 10 * r > 2);
    }

    [Fact]
    public async Task Rosenbrock_PathAndLogContourAreTheLibrarys()
    {
        var run = await fixture.RunAsync(Name);
        var path = run.GetVariable<OptimizerPathResult>("rosenbrockPath");
        var expected = OptimizerPath.Run(Surface2D.Rosenbrock(), (-1.5, 2.5), p => new Sgd<double>(p, 0.001), 3000);
        Assert.Equal(expected.X, path.X);
        using var figure = NotebookAssertions.ChartOf(run, "rosenbrockChart");
        var data = figure.RootElement.GetProperty("data");
        Assert.Equal(path.Y, Numbers(data[1].GetProperty("y")));
        // The contour is log10(1 + f − min f) on the grid; f's grid minimum is 0 only if (1, 1) is a grid point, so compare differences.
        var x = Numbers(data[0].GetProperty("x"));
        var y = Numbers(data[0].GetProperty("y"));
        var z = data[0].GetProperty("z");
        var surface = Surface2D.Rosenbrock();
        double fMin = Enumerable.Range(0, y.Length).SelectMany(j => Enumerable.Range(0, x.Length).Select(i => surface.Value(x[i], y[j]))).Min();
        Assert.Equal(Math.Log10(1 + surface.Value(x[10], y[20]) - fMin), z[20][10].GetDouble(), 9);
        int valley = run.GetVariable<int>("stepsToValley");
        Assert.True(Math.Abs(path.Y[valley] - path.X[valley] * path.X[valley]) < 0.05);
        Assert.All(Enumerable.Range(0, valley), k => Assert.True(Math.Abs(path.Y[k] - path.X[k] * path.X[k]) >= 0.05));
        Assert.True(path.DistanceTo((1, 1))[^1] > 0.1);         // still on its way after 3,000 steps: the point of the picture
    }

    [Fact]
    public async Task Plane_PathsWalkTheProjectedRealGradients_AndTheContourIsTheNetworksLoss()
    {
        var run = await fixture.RunAsync(Name);
        var projection = run.GetVariable<LossProjection<float>>("projection");
        double[] gridA = run.GetVariable<double[]>("gridA");
        var planeLoss = run.GetVariable<double[,]>("planeLoss");
        var full = run.GetVariable<OptimizerPathResult>("fullBatchPath");
        var mini = run.GetVariable<OptimizerPathResult>("miniBatchPath");
        try
        {
            // The contour carries the loss grid, and the grid is the network's loss at those points.
            using var figure = NotebookAssertions.ChartOf(run, "planeChart");
            var data = figure.RootElement.GetProperty("data");
            Assert.Equal(planeLoss[3, 11], data[0].GetProperty("z")[3][11].GetDouble());
            Assert.Equal(gridA, Numbers(data[0].GetProperty("x")));
            Assert.Equal(projection.Loss(gridA[11], gridA[3]), planeLoss[3, 11], 1e-5);
            Assert.Equal(projection.Loss(gridA[0], gridA[16]), planeLoss[16, 0], 1e-5);
            Assert.Equal(full.X, Numbers(data[1].GetProperty("x")));
            Assert.Equal(mini.Y, Numbers(data[2].GetProperty("y")));

            // Each full-batch step is −η times the projected full gradient at the previous point.
            for (int k = 0; k < 5; k++)
            {
                var g = projection.Gradient(full.X[k], full.Y[k]);
                Assert.Equal(full.X[k] - 0.1 * g.Da, full.X[k + 1], 1e-4);
                Assert.Equal(full.Y[k] - 0.1 * g.Db, full.Y[k + 1], 1e-4);
            }
            // The mini-batch path is the library's run on the mini-batch surface (same seed, same batches), and differs from full batch.
            var again = OptimizerPath.Run(projection.MiniBatch(8, 14, extent: 1), (-0.8, 0.7), p => new Sgd<double>(p, 0.1), 60);
            Assert.Equal(mini.X, again.X);
            Assert.True(Math.Abs(mini.X[^1] - full.X[^1]) + Math.Abs(mini.Y[^1] - full.Y[^1]) > 1e-3);
            Assert.True(run.GetVariable<double>("miniJitter") > run.GetVariable<double>("fullJitter"));
            Assert.True(full.Loss[^1] < full.Loss[0] && mini.Loss[^1] < mini.Loss[0]);
        }
        finally
        {
            projection.Restore();
        }
    }

    [Fact]
    public async Task Wells_TheMinimaAreMinima_AndTheGlobalFractionsAreTheMeasuredOnes()
    {
        var run = await fixture.RunAsync(Name);
        var (wells, minima) = MoreSurfaces.Wells();
        Assert.Equal(4, minima.Length);
        foreach (var m in minima)
        {
            var (gx, gy) = wells.Gradient(m.X, m.Y);
            Assert.True(Math.Sqrt(gx * gx + gy * gy) < 1e-6);
            foreach (var (dx, dy) in new[] { (1e-3, 0.0), (-1e-3, 0.0), (0.0, 1e-3), (0.0, -1e-3) })
                Assert.True(wells.Value(m.X + dx, m.Y + dy) > m.Value);
        }
        int global = run.GetVariable<int>("globalIndex");
        Assert.Equal(minima.Min(m => m.Value), minima[global].Value);

        // Recomputed independently: for each start of the 15×15 grid, where plain gradient descent is after 400 steps.
        var starts = run.GetVariable<List<(double X, double Y)>>("starts");
        Assert.Equal(225, starts.Count);
        int reachedGlobal = 0;
        int[] plain = run.GetVariable<int[]>("reachedPlain");
        for (int s = 0; s < starts.Count; s++)
        {
            double x = starts[s].X, y = starts[s].Y;
            for (int k = 0; k < 400; k++)
            {
                var (gx, gy) = wells.Gradient(x, y);
                (x, y) = (x - 0.1 * gx, y - 0.1 * gy);
            }
            int nearest = Enumerable.Range(0, 4).MinBy(i => Math.Pow(minima[i].X - x, 2) + Math.Pow(minima[i].Y - y, 2));
            bool close = Math.Sqrt(Math.Pow(minima[nearest].X - x, 2) + Math.Pow(minima[nearest].Y - y, 2)) < 0.05;
            Assert.Equal(close ? nearest : -1, plain[s]);
            if (close && nearest == global) reachedGlobal++;
        }
        Assert.Equal(reachedGlobal / 225.0, run.GetVariable<double>("globalFractionPlain"), 12);
        Assert.InRange(reachedGlobal, 1, 224);                   // some starts miss the global minimum: suboptimal modes

        // The basin chart carries every start once, under the outcome it had.
        using var figure = NotebookAssertions.ChartOf(run, "basinChart");
        var data = figure.RootElement.GetProperty("data");
        Assert.Equal(225, data.EnumerateArray().Sum(t => t.GetProperty("x").GetArrayLength()));
        var outcomes = plain.Distinct().Order().ToArray();
        for (int t = 0; t < outcomes.Length; t++)
            Assert.Equal(plain.Count(o => o == outcomes[t]), data[t].GetProperty("x").GetArrayLength());

        // The six sample paths in the contour are the library's.
        using var wellsFigure = NotebookAssertions.ChartOf(run, "wellsChart");
        var samples = run.GetVariable<OptimizerPathResult[]>("samplePaths");
        for (int i = 0; i < samples.Length; i++)
            Assert.Equal(samples[i].X, Numbers(wellsFigure.RootElement.GetProperty("data")[1 + i].GetProperty("x")));
        Assert.True(samples.Select(p => MoreSurfaces.NearestMinimum(minima, p.End)).Distinct().Count() >= 3);
    }

    [Fact]
    public async Task Exercises_ReferenceSolutionsAgreeWithIndependentComputationsOnTheHiddenInputs()
    {
        var run = await fixture.RunAsync(Name);
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(p => p.Name);

        static double[] Project(double[] g, double[] d1, double[] d2)
        {
            var v = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(g);
            return [v.DotProduct(MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(d1)), v.DotProduct(MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(d2))];
        }
        static double[] Grid(int seed) => Exercise.RandomGrid(1, 50, seed).Cast<float>().Select(v => (double)v).ToArray();
        var projected = Exercise.Probe("projected-gradient",
            () => Project([0.5, 0.25, -1, 3], [1, 1, 1, 1], [0, -2, 0.5, 0.1]), () => Project([7], [-0.5], [0.25]),
            () => Project(Grid(141), Grid(142), Grid(143)));
        Assert.True(Exercise.Compare(projected, probes["projected-gradient"], tolerance: 1e-9).Correct);

        // Divergence, decided by running the library's Sgd for 2,000 steps.
        static int Diverges(double eta, double l1, double l2)
            => OptimizerPath.Run(Surface2D.Quadratic(l1, l2), (1, 1), p => new Sgd<double>(p, eta), 2000).Diverged ? 1 : 0;
        var diverges = Exercise.Probe("gd-diverges", () => Diverges(0.01, 1, 150), () => Diverges(0.02, 1, 50), () => Diverges(2.5, 1, 0.5), () => Diverges(0.3, 7, 2));
        Assert.True(Exercise.Compare(diverges, probes["gd-diverges"]).Correct);

        // The prediction's answer is a suboptimal minimum: the start is closer to minimum 1 than to the global one.
        long basin = run.GetVariable<long>("answer143");
        Assert.NotEqual(run.GetVariable<int>("globalIndex"), (int)basin);
        var (wells, minima) = MoreSurfaces.Wells();
        Assert.Equal(basin, MoreSurfaces.NearestMinimum(minima, MoreSurfaces.FindMinimum(wells, (-0.5, 0.5))));
    }
}

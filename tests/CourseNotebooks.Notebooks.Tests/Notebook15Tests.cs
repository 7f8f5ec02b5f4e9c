using System.Text.Json;
using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook15Tests(NotebookFixture fixture)
{
    private const string Name = "15-momentum";
    private static readonly (double X, double Y) Start = (-1.8, 1.2);

    private static double[] Numbers(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetDouble())];

    /// <summary>The closed form written out independently: larger root modulus of z² − (1 + β − αλ)z + β.</summary>
    private static double Rate(double alpha, double beta, double lambda)
    {
        double t = 1 + beta - alpha * lambda, d = t * t - 4 * beta;
        return d < 0 ? Math.Sqrt(beta) : Math.Max(Math.Abs(t + Math.Sqrt(d)), Math.Abs(t - Math.Sqrt(d))) / 2;
    }

    private static OptimizerPathResult Momentum(double alpha, double beta, int steps, double l1 = 1, double l2 = 10, (double X, double Y)? start = null)
        => OptimizerPath.Run(Surface2D.Quadratic(l1, l2), start ?? Start, p => new Sgd<double>(p, alpha, momentum: beta), steps);

    [Fact]
    public async Task SlideForm_EqualsSgd_ForAConstantRate_AndDiffersUnderASchedule()
    {
        var run = await fixture.RunAsync(Name);
        Assert.True(run.GetVariable<double>("slideVsTorch") < 1e-12);
        Assert.True(run.GetVariable<double>("slideVsTorchScheduled") > 1e-4);
    }

    [Fact]
    public async Task PathsChart_DrawsTheLibrarysSgdPaths_WithTheOptimalSettings()
    {
        var run = await fixture.RunAsync(Name);
        Assert.Equal(2.0 / 11, run.GetVariable<double>("gdAlpha"), 12);
        Assert.Equal(Math.Pow(2 / (1 + Math.Sqrt(10)), 2), run.GetVariable<double>("bestAlpha"), 12);
        Assert.Equal(Math.Pow((Math.Sqrt(10) - 1) / (Math.Sqrt(10) + 1), 2), run.GetVariable<double>("bestBeta"), 12);
        using var figure = NotebookAssertions.ChartOf(run, "pathsChart");
        var data = figure.RootElement.GetProperty("data");
        Assert.Equal("contour", data[0].GetProperty("type").GetString());
        var expected = new[] { Momentum(2.0 / 11, 0, 40), Momentum(run.GetVariable<double>("bestAlpha"), run.GetVariable<double>("bestBeta"), 40), Momentum(2.0 / 11, 0.9, 40) };
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i].X, Numbers(data[i + 1].GetProperty("x")));
            Assert.Equal(expected[i].Y, Numbers(data[i + 1].GetProperty("y")));
        }
        // The contour is f on the grid: ½(x² + 10 y²).
        var x = Numbers(data[0].GetProperty("x"));
        var y = Numbers(data[0].GetProperty("y"));
        var z = data[0].GetProperty("z");
        Assert.Equal(0.5 * (x[7] * x[7] + 10 * y[3] * y[3]), z[3][7].GetDouble(), 12);
        // Momentum with the optimal settings ends far closer than gradient descent.
        Assert.True(expected[1].DistanceTo((0, 0))[^1] < 1e-3 * expected[0].DistanceTo((0, 0))[^1]);
    }

    [Fact]
    public async Task Slider_EachStepShowsExactlyItsOwnLibraryPath()
    {
        var run = await fixture.RunAsync(Name);
        double[] alphas = run.GetVariable<double[]>("sliderAlphas"), betas = run.GetVariable<double[]>("sliderBetas");
        using var figure = NotebookAssertions.ChartOf(run, "sliderChart");
        var data = figure.RootElement.GetProperty("data");
        var steps = figure.RootElement.GetProperty("layout").GetProperty("sliders")[0].GetProperty("steps");
        Assert.Equal(alphas.Length * betas.Length, steps.GetArrayLength());
        Assert.Equal(1 + alphas.Length * betas.Length + 1, data.GetArrayLength());     // contour, one path per step, the star
        int s = 0;
        foreach (double beta in betas)
            foreach (double alpha in alphas)
            {
                var visible = steps[s].GetProperty("args")[0].GetProperty("visible").EnumerateArray().Select(v => v.GetBoolean()).ToArray();
                Assert.Equal(data.GetArrayLength(), visible.Length);
                Assert.True(visible[0] && visible[^1]);
                Assert.Equal([1 + s], Enumerable.Range(1, visible.Length - 2).Where(i => visible[i]));
                var expected = Momentum(alpha, beta, 40);
                Assert.Equal(expected.X, Numbers(data[1 + s].GetProperty("x")));
                Assert.Equal(expected.Y, Numbers(data[1 + s].GetProperty("y")));
                s++;
            }
        // Gradient descent at α = 0.21 > 2/λ₂ grows and leaves the picture (|w₂| > 2); momentum 0.5 at the same step converges.
        Assert.True(Math.Abs(Momentum(0.21, 0, 40).Y[^1]) > 2);
        Assert.True(Momentum(0.21, 0.5, 40).DistanceTo((0, 0))[^1] < 1e-3);
    }

    [Fact]
    public async Task RateMap_MeasuredRatesAgreeWithTheClosedForm_AndTheBoundaryIsWhereTheFormulaPutsIt()
    {
        var run = await fixture.RunAsync(Name);
        double[] alphas = run.GetVariable<double[]>("alphas"), betas = run.GetVariable<double[]>("betas");
        var measured = run.GetVariable<double[,]>("measured");
        using var figure = NotebookAssertions.ChartOf(run, "rateMap");
        var data = figure.RootElement.GetProperty("data");
        var custom = data[0].GetProperty("customdata");
        int checkedCells = 0, divergent = 0;
        for (int j = 0; j < betas.Length; j++)
            for (int i = 0; i < alphas.Length; i++)
            {
                Assert.Equal(measured[j, i], custom[j][i].GetDouble());
                double formula = Math.Max(Rate(alphas[i], betas[j], 1), Rate(alphas[i], betas[j], 10));
                if (formula < 0.995)
                {
                    Assert.True(Math.Abs(measured[j, i] - formula) < 0.01, $"α = {alphas[i]}, β = {betas[j]}: measured {measured[j, i]}, formula {formula}");
                    checkedCells++;
                }
                double margin = alphas[i] * 10 - (2 + 2 * betas[j]);
                if (Math.Abs(margin) > 0.02)
                {
                    Assert.Equal(margin > 0, measured[j, i] > 1);
                    if (margin > 0) divergent++;
                }
            }
        Assert.True(checkedCells > 1500 && divergent > 100, $"{checkedCells} convergent and {divergent} divergent cells checked");
        // The red curve is α = (2 + 2β)/λ₂ over the β axis.
        Assert.Equal(betas.Select(b => (2 + 2 * b) / 10), Numbers(data[1].GetProperty("x")), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(betas, Numbers(data[1].GetProperty("y")));
        Assert.True(run.GetVariable<double>("worstRateError") < 0.01);
        Assert.True(run.GetVariable<double>("worstBoundaryGap") <= alphas[1] - alphas[0] + 1e-12);
    }

    [Fact]
    public async Task CriticalDamping_IsTheFastestMeasuredMomentum()
    {
        var run = await fixture.RunAsync(Name);
        double critical = run.GetVariable<double>("criticalBeta");
        Assert.Equal(Math.Pow(1 - Math.Sqrt(0.1), 2), critical, 12);
        Assert.True(Math.Abs(run.GetVariable<double>("bestSweepBeta") - critical) <= 0.011);
        Assert.True(run.GetVariable<double>("sweepWorst") < 0.005);
        double[] betas = run.GetVariable<double[]>("sweepBetas");
        double[] measured = run.GetVariable<double[]>("sweepMeasured");
        for (int j = 0; j < betas.Length; j += 7)
            Assert.Equal(Rate(0.1, betas[j], 1), measured[j], 0.005);
        using var figure = NotebookAssertions.ChartOf(run, "dampingChart");
        Assert.Equal(measured, Numbers(figure.RootElement.GetProperty("data")[0].GetProperty("y")));
        // Under-damped (β above critical) overshoots: w₁ changes sign; over-damped and critical do not.
        var paths = run.GetVariable<OptimizerPathResult[]>("dampingPaths");
        Assert.True(paths[0].X.All(v => v >= 0) && paths[1].X.All(v => v >= -1e-12));
        Assert.Contains(paths[2].X, v => v < 0);
    }

    [Fact]
    public async Task OptimalSettings_MeasuredRatesMatchSqrtKappaAndKappaFormulas()
    {
        var run = await fixture.RunAsync(Name);
        foreach (var row in Rows.Of(run, "optimumRows"))
        {
            double kappa = Rows.Get<double>(row, "Kappa");
            Assert.Equal((kappa - 1) / (kappa + 1), Rows.Get<double>(row, "GdRateFormula"), 12);
            Assert.Equal((Math.Sqrt(kappa) - 1) / (Math.Sqrt(kappa) + 1), Rows.Get<double>(row, "MomentumRateFormula"), 12);
            Assert.Equal(Rows.Get<double>(row, "GdRateFormula"), Rows.Get<double>(row, "GdRateMeasured"), 0.005);
            Assert.Equal(Rows.Get<double>(row, "MomentumRateFormula"), Rows.Get<double>(row, "MomentumRateMeasured"), 0.005);
            int gdSteps = Rows.Get<int>(row, "GdStepsTo1e6"), momentumSteps = Rows.Get<int>(row, "MomentumStepsTo1e6");
            Assert.True(gdSteps > 0 && momentumSteps > 0 && momentumSteps < gdSteps);
        }
    }

    [Fact]
    public async Task RealNetwork_MomentumLowersTheLossAtTheSameLearningRate_AndTheChartCarriesTheBatchLosses()
    {
        var run = await fixture.RunAsync(Name);
        var losses = run.GetVariable<List<double[]>>("batchLosses");
        var final = run.GetVariable<double[]>("finalLosses");
        Assert.Equal(3, losses.Count);
        Assert.All(losses, l => Assert.Equal(2 * 63, l.Length));          // 2,000 images in batches of 32, 2 epochs
        for (int i = 0; i < 3; i++) Assert.Equal(losses[i].TakeLast(20).Average(), final[i], 12);
        Assert.True(final[1] < final[0]);
        Assert.All(losses, l => Assert.InRange(l[0], 1.5, 3.5));       // near ln 10 = 2.30 before training
        using var figure = NotebookAssertions.ChartOf(run, "networkChart");
        var data = figure.RootElement.GetProperty("data");
        for (int i = 0; i < 3; i++)
            Assert.Equal(losses[i].Chunk(10).Select(c => c.Average()).ToArray(), Numbers(data[i].GetProperty("y")), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public async Task Exercises_ReferenceSolutionsAgreeWithTheLibraryOnTheHiddenInputs()
    {
        var run = await fixture.RunAsync(Name);
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(p => p.Name);

        // One momentum step from (w, z) with gradient g, by the library's Sgd: a first step with gradient z sets the
        // buffer to z (starting at w + αz lands on w), the second with gradient g makes it βz + g and moves w.
        static double[] SgdStep(double w, double z, double g, double alpha, double beta)
        {
            var weight = new Parameter<double>("w", Tensor.FromArray(new[] { w + alpha * z }));
            var sgd = new Sgd<double>([weight], alpha, momentum: beta);
            weight.Grad.Data[0] = z;
            sgd.Step();
            weight.Grad.Data[0] = g;
            sgd.Step();
            return [weight.Value.Data[0], beta * z + g];
        }
        var step = Exercise.Probe("momentum-step", () => SgdStep(0.3, 0.0, -1.2, 0.05, 0.5), () => SgdStep(-2.0, 1.1, 0.7, 0.2, 0.99), () => SgdStep(4.0, 2.5, 0.0, 0.01, 0));
        Assert.True(Exercise.Compare(step, probes["momentum-step"], tolerance: 1e-9).Correct);

        var rate = Exercise.Probe("momentum-rate",
            () => MomentumTheory.Rate(0.02, 0.9, 1), () => MomentumTheory.Rate(0.3, 0.1, 10), () => MomentumTheory.Rate(0.35, 0.9, 10),
            () => MomentumTheory.Rate(0.01, 0.0, 50), () => MomentumTheory.Rate(0.5, 0.7, 7), () => MomentumTheory.Rate(0.1, 0.4675, 1));
        Assert.True(Exercise.Compare(rate, probes["momentum-rate"], tolerance: 1e-9).Correct);

        var stable = Exercise.Probe("largest-stable-step", () => MomentumTheory.DivergenceStepSize(0.8, 10));
        Assert.True(Exercise.Compare(stable, probes["largest-stable-step"], tolerance: 1e-9).Correct);
    }
}

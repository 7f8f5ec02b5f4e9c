using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Optimizers;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace CourseNotebooks.Course.Tests;

public class MomentumTheoryTests
{
    /// <summary>max |eigenvalue| of the iteration matrix, by MathNet's eigen-decomposition (independent of the closed form).</summary>
    private static double SpectralRadius(double[,] matrix)
        => Matrix<double>.Build.DenseOfArray(matrix).Evd().EigenValues.Max(e => e.Magnitude);

    [Fact]
    public void Rate_is_the_spectral_radius_of_the_iteration_matrix()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 500; trial++)
        {
            double alpha = 0.5 * random.NextDouble(), beta = 0.99 * random.NextDouble(), lambda = 20 * random.NextDouble();
            double expected = SpectralRadius(MomentumTheory.IterationMatrix(alpha, beta, lambda));
            Assert.Equal(expected, MomentumTheory.Rate(alpha, beta, lambda), 1e-9);
        }
    }

    [Fact]
    public void IterationMatrix_maps_z_and_w_as_one_Sgd_momentum_step_does()
    {
        // One step on f(w) = ½ λ w² from (z, w): z' = βz + λw, w' = w − αz'.
        double alpha = 0.07, beta = 0.6, lambda = 3, z = 0.4, w = -1.3;
        var r = MomentumTheory.IterationMatrix(alpha, beta, lambda);
        double zNext = r[0, 0] * z + r[0, 1] * w, wNext = r[1, 0] * z + r[1, 1] * w;
        Assert.Equal(beta * z + lambda * w, zNext, 1e-15);
        Assert.Equal(w - alpha * (beta * z + lambda * w), wNext, 1e-15);
    }

    [Fact]
    public void Complex_roots_have_rate_sqrt_beta_and_beta_zero_is_gradient_descent()
    {
        // (1 + β − αλ)² < 4β: complex roots.
        Assert.Equal(Math.Sqrt(0.81), MomentumTheory.Rate(0.1, 0.81, 5), 1e-12);
        Assert.True(MomentumTheory.Eigenvalues(0.1, 0.81, 5).Sigma1.Imaginary != 0);
        Assert.Equal(Math.Abs(1 - 0.15 * 10), MomentumTheory.Rate(0.15, 0, 10), 1e-12);
    }

    [Fact]
    public void Converges_exactly_where_the_rate_is_below_one_and_the_boundary_has_rate_one()
    {
        for (double beta = 0; beta < 0.99; beta += 0.07)
        {
            double edge = MomentumTheory.DivergenceStepSize(beta, 10);
            Assert.Equal((2 + 2 * beta) / 10, edge, 1e-15);
            Assert.Equal(1, MomentumTheory.Rate(edge, beta, 10), 1e-9);
            Assert.True(MomentumTheory.Converges(edge * 0.99, beta, 10));
            Assert.True(MomentumTheory.Rate(edge * 0.99, beta, 10) < 1);
            Assert.False(MomentumTheory.Converges(edge * 1.01, beta, 10));
            Assert.True(MomentumTheory.Rate(edge * 1.01, beta, 10) > 1);
        }
        Assert.False(MomentumTheory.Converges(0, 0.5, 10));
    }

    [Fact]
    public void CriticalMomentum_is_the_double_root_and_the_fastest_beta()
    {
        double alpha = 0.1, lambda = 1;
        double critical = MomentumTheory.CriticalMomentum(alpha, lambda);
        double trace = 1 + critical - alpha * lambda;
        Assert.Equal(0, trace * trace - 4 * critical, 1e-12);
        double best = MomentumTheory.Rate(alpha, critical, lambda);
        Assert.Equal(1 - Math.Sqrt(alpha * lambda), best, 1e-6);
        for (double beta = 0; beta < 0.99; beta += 0.01)
            Assert.True(MomentumTheory.Rate(alpha, beta, lambda) >= best - 1e-6, $"β = {beta} beats critical damping");
    }

    [Fact]
    public void Optimal_settings_give_the_published_rates_and_no_neighbour_is_faster()
    {
        double lmin = 1, lmax = 100, kappa = 100;
        var (alpha, beta, rate) = MomentumTheory.Optimal(lmin, lmax);
        Assert.Equal((Math.Sqrt(kappa) - 1) / (Math.Sqrt(kappa) + 1), rate, 1e-12);
        Assert.Equal(rate, MomentumTheory.Rate(alpha, beta, [lmin, lmax]), 1e-6);
        foreach (double da in new[] { -0.02, 0.02 })
            foreach (double db in new[] { -0.02, 0.0, 0.02 })
                Assert.True(MomentumTheory.Rate(alpha * (1 + da), beta * (1 + db), [lmin, lmax]) >= rate - 1e-9);
        var gd = MomentumTheory.OptimalGradientDescent(lmin, lmax);
        Assert.Equal((kappa - 1) / (kappa + 1), gd.Rate, 1e-12);
        Assert.Equal(gd.Rate, MomentumTheory.Rate(gd.Alpha, 0, [lmin, lmax]), 1e-12);
    }

    [Theory]
    [InlineData(0.05, 0.0)]
    [InlineData(0.1, 0.5)]
    [InlineData(0.15, 0.9)]
    [InlineData(0.19, 0.3)]
    [InlineData(0.25, 0.6)]
    public void MeasuredRate_of_an_Sgd_path_matches_the_closed_form(double alpha, double beta)
    {
        var path = OptimizerPath.Run(Surface2D.Quadratic(1, 10), (-1.5, 1), p => new Sgd<double>(p, alpha, momentum: beta), 300);
        Assert.Equal(MomentumTheory.Rate(alpha, beta, [1.0, 10.0]), MomentumTheory.MeasuredRate(path, (0, 0)), 0.01);
    }

    [Fact]
    public void MeasuredRate_of_an_exact_geometric_path_is_its_ratio_and_of_a_diverging_path_is_above_one()
    {
        double[] x = Enumerable.Range(0, 40).Select(k => Math.Pow(0.7, k)).ToArray();
        var geometric = new OptimizerPathResult("test", x, x.Select(v => -2 * v).ToArray(), new double[40], false);
        Assert.Equal(0.7, MomentumTheory.MeasuredRate(geometric, (0, 0)), 1e-12);
        var diverging = OptimizerPath.Run(Surface2D.Quadratic(1, 10), (1, 1), p => new Sgd<double>(p, 0.25), 300);
        Assert.True(diverging.Diverged);
        Assert.Equal(1.5, MomentumTheory.MeasuredRate(diverging, (0, 0)), 0.01);
        var exact = new OptimizerPathResult("test", [1, 0, 0, 0], [1, 0, 0, 0], new double[4], false);
        Assert.Equal(0, MomentumTheory.MeasuredRate(exact, (0, 0)));
    }

    [Fact]
    public void Bad_input_is_rejected_with_the_value_in_the_message()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => MomentumTheory.Rate(-0.1, 0.5, 1));
        Assert.Contains("-0.1", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentumTheory.Rate(0.1, double.NaN, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentumTheory.DivergenceStepSize(1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentumTheory.DivergenceStepSize(0.5, 0));
        Assert.Contains("αλ", Assert.Throws<ArgumentOutOfRangeException>(() => MomentumTheory.CriticalMomentum(0.5, 4)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentumTheory.Optimal(10, 1));
        Assert.Throws<ArgumentException>(() => MomentumTheory.Rate(0.1, 0.5, Array.Empty<double>()));
        Assert.Throws<ArgumentException>(() => MomentumTheory.MeasuredRate(new OptimizerPathResult("t", [1, 2], [1, 2], [0, 0], false), (0, 0)));
    }
}

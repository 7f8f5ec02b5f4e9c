using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;
using Xunit;

namespace CourseNotebooks.Course.Tests;

public class OptimizerPathTests
{
    public static TheoryData<string> SurfaceNames => new() { "quadratic", "rosenbrock", "beale", "saddle" };

    private static Surface2D ByName(string name) => name switch
    {
        "quadratic" => Surface2D.Quadratic(1, 10),
        "rosenbrock" => Surface2D.Rosenbrock(),
        "beale" => Surface2D.Beale(),
        _ => Surface2D.Saddle(),
    };

    [Theory]
    [MemberData(nameof(SurfaceNames))]
    public void Gradient_matches_central_differences(string name)
    {
        var surface = ByName(name);
        var random = new Random(7);
        const double h = 1e-6;
        for (int trial = 0; trial < 20; trial++)
        {
            double x = surface.View.XMin + (surface.View.XMax - surface.View.XMin) * random.NextDouble();
            double y = surface.View.YMin + (surface.View.YMax - surface.View.YMin) * random.NextDouble();
            var (dx, dy) = surface.Gradient(x, y);
            double ndx = (surface.Value(x + h, y) - surface.Value(x - h, y)) / (2 * h);
            double ndy = (surface.Value(x, y + h) - surface.Value(x, y - h)) / (2 * h);
            Assert.Equal(ndx, dx, 1e-5 * (1 + Math.Abs(ndx)));
            Assert.Equal(ndy, dy, 1e-5 * (1 + Math.Abs(ndy)));
        }
    }

    [Fact]
    public void Minima_are_zero_with_zero_gradient()
    {
        foreach (var surface in new[] { Surface2D.Quadratic(1, 10), Surface2D.Rosenbrock(), Surface2D.Beale() })
        {
            var (x, y) = surface.Minimum!.Value;
            Assert.Equal(0, surface.Value(x, y), 1e-12);
            var (dx, dy) = surface.Gradient(x, y);
            Assert.Equal(0, dx, 1e-12);
            Assert.Equal(0, dy, 1e-12);
        }
        Assert.Null(Surface2D.Saddle().Minimum);
    }

    [Fact]
    public void Sgd_path_is_the_closed_form_on_a_quadratic()
    {
        // Plain gradient descent on ½λx² multiplies x by (1 − ηλ) per step.
        var surface = Surface2D.Quadratic(1, 10);
        var path = OptimizerPath.Run(surface, (1.5, -1), p => new Sgd<double>(p, 0.05), 30);
        Assert.Equal(30, path.Steps);
        Assert.False(path.Diverged);
        for (int k = 0; k <= 30; k++)
        {
            Assert.Equal(1.5 * Math.Pow(1 - 0.05 * 1, k), path.X[k], 1e-12);
            Assert.Equal(-1 * Math.Pow(1 - 0.05 * 10, k), path.Y[k], 1e-12);
            Assert.Equal(surface.Value(path.X[k], path.Y[k]), path.Loss[k], 1e-15);
        }
    }

    [Fact]
    public void Momentum_path_follows_the_heavy_ball_recursion()
    {
        // z ← βz + g, w ← w − αz (PyTorch's form with dampening 0: the first step sets z = g).
        var surface = Surface2D.Quadratic(2, 5);
        double alpha = 0.1, beta = 0.8;
        var path = OptimizerPath.Run(surface, (1, 1), p => new Sgd<double>(p, alpha, momentum: beta), 40);
        double x = 1, y = 1, zx = 0, zy = 0;
        for (int k = 1; k <= 40; k++)
        {
            zx = beta * zx + 2 * x;
            zy = beta * zy + 5 * y;
            x -= alpha * zx;
            y -= alpha * zy;
            Assert.Equal(x, path.X[k], 1e-12);
            Assert.Equal(y, path.Y[k], 1e-12);
        }
    }

    [Fact]
    public void A_diverging_step_size_stops_the_path_at_the_last_finite_point()
    {
        // ηλ = 2.5 > 2: |1 − ηλ| = 1.5 per step, so |x| passes 1e6 after about 35 steps.
        var path = OptimizerPath.Run(Surface2D.Quadratic(1, 1), (1, 0), p => new Sgd<double>(p, 2.5), 200);
        Assert.True(path.Diverged);
        Assert.InRange(path.Steps, 30, 40);
        Assert.True(Math.Abs(path.X[^1]) <= 1e6);
    }

    [Fact]
    public void Noise_and_before_step_hooks_are_applied()
    {
        var surface = Surface2D.Quadratic(1, 1);
        var noisy = OptimizerPath.Run(surface, (1, 1), p => new Sgd<double>(p, 0.1), 3, gradientNoise: (_, g) => (g.Dx + 1, g.Dy));
        Assert.Equal(1 - 0.1 * 2, noisy.X[1], 1e-15);
        Assert.Equal(1 - 0.1 * 1, noisy.Y[1], 1e-15);
        var rates = new List<double>();
        OptimizerPath.Run(surface, (1, 1), p => new Sgd<double>(p, 0.1), 3, beforeStep: (o, k) => { o.LearningRate = 0.1 / (k + 1); rates.Add(o.LearningRate); });
        Assert.Equal(new[] { 0.1, 0.05, 0.1 / 3 }, rates);
    }

    [Fact]
    public void Bad_arguments_name_what_is_wrong()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerPath.Run(Surface2D.Saddle(), (0, 0), p => new Sgd<double>(p, 0.1), -1));
        Assert.Contains("got -1", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerPath.Run(Surface2D.Saddle(), (double.NaN, 0), p => new Sgd<double>(p, 0.1), 1));
        var other = new Parameter<double>("other", Tensor.Zeros<double>(2));
        Assert.Throws<ArgumentException>(() => OptimizerPath.Run(Surface2D.Saddle(), (0, 0), _ => new Sgd<double>([other], 0.1), 1));
        var q = Assert.Throws<ArgumentOutOfRangeException>(() => Surface2D.Quadratic(0, 1));
        Assert.Contains("λ₁", q.Message);
        Assert.Throws<ArgumentException>(() => new Surface2D("bad", (x, y) => 0, (x, y) => (0, 0), null, (1, 0, 0, 1)));
        var grid = Surface2D.Quadratic(1, 4).Grid(3);
        Assert.Equal(new[] { -2.0, 0, 2 }, grid.X);
        Assert.Equal(0.5 * (1 * 4 + 4 * 0), grid.Z[1, 0], 1e-15);   // x = −2, y = 0
    }
}

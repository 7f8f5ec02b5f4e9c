using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Tensors;
using Xunit;

namespace CourseNotebooks.Course.Tests;

public class LossProjectionTests
{
    private static (Sequential<double> Model, Tensor<double> X, int[] Y) SmallProblem()
    {
        var random = new Random(5);
        var model = new Sequential<double>(new Linear<double>(6, 5, seed: 1), new Tanh<double>(), new Linear<double>(5, 3, seed: 2));
        var x = Tensor.Randn<double>(random, 24, 6);
        var y = Enumerable.Range(0, 24).Select(_ => random.Next(3)).ToArray();
        return (model, x, y);
    }

    [Fact]
    public void Gradient_matches_central_differences_of_the_loss_in_double()
    {
        var (model, x, y) = SmallProblem();
        var projection = new LossProjection<double>(model, x, y, seed: 3);
        const double h = 1e-6;
        foreach (var (a, b) in new[] { (0.0, 0.0), (0.3, -0.7), (-0.9, 0.4) })
        {
            var g = projection.Gradient(a, b);
            Assert.Equal(projection.Loss(a, b), g.Loss, 12);
            double da = (projection.Loss(a + h, b) - projection.Loss(a - h, b)) / (2 * h);
            double db = (projection.Loss(a, b + h) - projection.Loss(a, b - h)) / (2 * h);
            Assert.Equal(da, g.Da, 6);
            Assert.Equal(db, g.Db, 6);
        }
    }

    [Fact]
    public void Directions_are_filter_normalised_and_leave_biases_alone()
    {
        var (model, x, y) = SmallProblem();
        var weights = model.Parameters().ToArray();
        var projection = new LossProjection<double>(model, x, y, seed: 3);
        var (d1, d2) = projection.Directions;
        for (int p = 0; p < weights.Length; p++)
        {
            var value = weights[p].Value;
            if (value.Rank < 2)
            {
                Assert.All(d1[p], v => Assert.Equal(0, v));
                continue;
            }
            int rows = value.Size(0), per = value.Length / rows;
            for (int r = 0; r < rows; r++)
            {
                double w = Math.Sqrt(Enumerable.Range(0, per).Sum(i => value.Data[r * per + i] * value.Data[r * per + i]));
                Assert.Equal(w, Math.Sqrt(Enumerable.Range(0, per).Sum(i => d1[p][r * per + i] * d1[p][r * per + i])), 10);
                Assert.Equal(w, Math.Sqrt(Enumerable.Range(0, per).Sum(i => d2[p][r * per + i] * d2[p][r * per + i])), 10);
            }
            Assert.NotEqual(d1[p], d2[p]);
        }
    }

    [Fact]
    public void Loss_at_the_origin_is_the_models_loss_and_Restore_puts_the_weights_back()
    {
        var (model, x, y) = SmallProblem();
        double before = new CrossEntropyLoss<double>().Forward(model.Forward(x), y);
        var saved = model.Parameters().Select(p => p.Value.Data.ToArray()).ToArray();
        var projection = new LossProjection<double>(model, x, y, seed: 3);
        Assert.Equal(before, projection.Loss(0, 0), 14);
        Assert.NotEqual(before, projection.Loss(0.5, 0.5));
        projection.Restore();
        var now = model.Parameters().Select(p => p.Value.Data).ToArray();
        for (int p = 0; p < saved.Length; p++) Assert.Equal(saved[p], now[p]);
    }

    [Fact]
    public void MiniBatch_gradients_of_one_pass_average_to_the_full_gradient()
    {
        var (model, x, y) = SmallProblem();
        var projection = new LossProjection<double>(model, x, y, seed: 3);
        var surface = projection.MiniBatch(6, seed: 9);             // 24 images: 4 batches make one pass
        var full = projection.Gradient(0.2, -0.1);
        double sa = 0, sb = 0;
        var seen = new List<(double, double)>();
        for (int k = 0; k < 4; k++)
        {
            var (da, db) = surface.Gradient(0.2, -0.1);
            sa += da;
            sb += db;
            seen.Add((da, db));
        }
        Assert.Equal(full.Da, sa / 4, 10);
        Assert.Equal(full.Db, sb / 4, 10);
        Assert.True(seen.Distinct().Count() == 4);                  // different batches, different gradients
        Assert.Equal(projection.Loss(0.2, -0.1), surface.Value(0.2, -0.1), 14);   // the value stays full-batch
    }

    [Fact]
    public void Bad_input_is_rejected_with_a_clear_message()
    {
        var (model, x, y) = SmallProblem();
        Assert.Contains("24", Assert.Throws<ArgumentException>(() => new LossProjection<double>(model, x, [0, 1], 3)).Message);
        var projection = new LossProjection<double>(model, x, y, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => projection.MiniBatch(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => projection.MiniBatch(25, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => projection.Gradient(0, 0, [0, 24]));
        Assert.Throws<ArgumentException>(() => projection.Gradient(0, 0, []));
    }
}

public class MoreSurfacesTests
{
    [Fact]
    public void Wells_gradient_matches_central_differences()
    {
        var (surface, _) = MoreSurfaces.Wells();
        var random = new Random(2);
        const double h = 1e-6;
        for (int trial = 0; trial < 50; trial++)
        {
            double x = -3 + 6 * random.NextDouble(), y = -3 + 6 * random.NextDouble();
            var (dx, dy) = surface.Gradient(x, y);
            Assert.Equal((surface.Value(x + h, y) - surface.Value(x - h, y)) / (2 * h), dx, 6);
            Assert.Equal((surface.Value(x, y + h) - surface.Value(x, y - h)) / (2 * h), dy, 6);
        }
    }

    [Fact]
    public void Wells_minima_are_stationary_lowest_nearby_and_the_deepest_is_the_global_minimum()
    {
        var (surface, minima) = MoreSurfaces.Wells();
        Assert.Equal(4, minima.Length);
        foreach (var m in minima)
        {
            var (gx, gy) = surface.Gradient(m.X, m.Y);
            Assert.True(Math.Sqrt(gx * gx + gy * gy) < 1e-6);
            Assert.Equal(surface.Value(m.X, m.Y), m.Value);
            for (int k = 0; k < 8; k++)
                Assert.True(surface.Value(m.X + 0.01 * Math.Cos(k * Math.PI / 4), m.Y + 0.01 * Math.Sin(k * Math.PI / 4)) > m.Value);
        }
        var deepest = minima.MinBy(m => m.Value);
        Assert.Equal((deepest.X, deepest.Y), surface.Minimum);
        // A dense grid finds nothing lower than the global minimum.
        for (double x = -3; x <= 3; x += 0.05)
            for (double y = -3; y <= 3; y += 0.05)
                Assert.True(surface.Value(x, y) >= deepest.Value - 1e-12);
    }

    [Fact]
    public void FindMinimum_and_NearestMinimum()
    {
        var bowl = Surface2D.Quadratic(1, 10);
        var m = MoreSurfaces.FindMinimum(bowl, (1.5, -1));
        Assert.True(Math.Abs(m.X) < 1e-8 && Math.Abs(m.Y) < 1e-9);
        (double X, double Y, double Value)[] minima = [(0, 0, 0), (1, 0, -1)];
        Assert.Equal(1, MoreSurfaces.NearestMinimum(minima, (0.99, 0.01)));
        Assert.Equal(-1, MoreSurfaces.NearestMinimum(minima, (0.5, 0)));
        Assert.Equal(0, MoreSurfaces.NearestMinimum(minima, (0.5, 0), radius: 0.6));
    }

    [Fact]
    public void Bad_wells_are_rejected()
    {
        Assert.Contains("depth -1", Assert.Throws<ArgumentException>(() => MoreSurfaces.Wells(wells: [(0, 0, -1, 1)])).Message);
        Assert.Throws<ArgumentException>(() => MoreSurfaces.Wells(wells: []));
        Assert.Throws<ArgumentException>(() => MoreSurfaces.Wells(bowl: -0.1));
        Assert.Throws<InvalidOperationException>(() => MoreSurfaces.FindMinimum(Surface2D.Saddle(), (1, 0.1), maxSteps: 50));
    }
}

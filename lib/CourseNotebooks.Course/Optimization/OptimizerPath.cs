using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Optimization;

/// <summary>
/// Runs a real optimizer of the library on a <see cref="Surface2D"/> and records the path it walks: the two
/// weights are one <see cref="Parameter{T}"/> of shape [2] in double, the surface supplies the exact gradient,
/// and the optimizer's own <see cref="Optimizer{T}.Step"/> moves it, so the paths drawn in the notebooks are the
/// optimizers' paths, not a re-derivation. Introduced in notebook 14-sgd-visualized (used again in 15-momentum).
/// </summary>
public static class OptimizerPath
{
    /// <summary>
    /// Starts at <paramref name="start"/>, takes up to <paramref name="steps"/> steps and returns the points
    /// visited, start included (length steps + 1 unless the path diverged). The path stops early when a value
    /// becomes non-finite or leaves ±<paramref name="divergenceLimit"/> (a diverging step size), so the last
    /// point is the last finite one.
    /// </summary>
    /// <param name="surface">The loss surface.</param>
    /// <param name="start">The starting weights (x, y).</param>
    /// <param name="makeOptimizer">Builds the optimizer over the given parameters, e.g.
    /// <c>p =&gt; new Sgd&lt;double&gt;(p, 0.1, momentum: 0.9)</c>.</param>
    /// <param name="steps">Number of steps, ≥ 0.</param>
    /// <param name="gradientNoise">Optional: adds noise to each gradient (mini-batch noise); receives the step
    /// index (0-based) and the exact gradient and returns the gradient to use.</param>
    /// <param name="beforeStep">Optional: called with the optimizer and the step index before each step (a
    /// learning-rate schedule, for example).</param>
    /// <param name="divergenceLimit">Absolute value beyond which the path counts as diverged.</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative step count, or a non-finite start.</exception>
    public static OptimizerPathResult Run(Surface2D surface, (double X, double Y) start,
        Func<IEnumerable<Parameter<double>>, Optimizer<double>> makeOptimizer, int steps,
        Func<int, (double Dx, double Dy), (double Dx, double Dy)>? gradientNoise = null,
        Action<Optimizer<double>, int>? beforeStep = null, double divergenceLimit = 1e6)
    {
        ArgumentNullException.ThrowIfNull(surface);
        ArgumentNullException.ThrowIfNull(makeOptimizer);
        if (steps < 0)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"OptimizerPath.Run: the number of steps must be >= 0, got {steps}.");
        if (!double.IsFinite(start.X) || !double.IsFinite(start.Y))
            throw new ArgumentOutOfRangeException(nameof(start), start, $"OptimizerPath.Run: the start must be finite, got ({start.X}, {start.Y}).");

        var weights = new Parameter<double>("xy", Tensor.FromArray(new[] { start.X, start.Y }));
        var optimizer = makeOptimizer([weights]);
        if (optimizer.Parameters.Count != 1 || !ReferenceEquals(optimizer.Parameters[0], weights))
            throw new ArgumentException("OptimizerPath.Run: the optimizer must be built over the parameter it is given (one parameter of shape [2]).", nameof(makeOptimizer));

        var xs = new List<double>(steps + 1) { start.X };
        var ys = new List<double>(steps + 1) { start.Y };
        var losses = new List<double>(steps + 1) { surface.Value(start.X, start.Y) };
        bool diverged = false;
        var w = weights.Value.Data;
        var g = weights.Grad.Data;
        for (int step = 0; step < steps; step++)
        {
            var gradient = surface.Gradient(w[0], w[1]);
            if (gradientNoise is not null) gradient = gradientNoise(step, gradient);
            g[0] = gradient.Dx;
            g[1] = gradient.Dy;
            beforeStep?.Invoke(optimizer, step);
            optimizer.Step();
            double loss = surface.Value(w[0], w[1]);
            if (!double.IsFinite(w[0]) || !double.IsFinite(w[1]) || Math.Abs(w[0]) > divergenceLimit || Math.Abs(w[1]) > divergenceLimit || !double.IsFinite(loss))
            {
                diverged = true;
                break;
            }
            xs.Add(w[0]);
            ys.Add(w[1]);
            losses.Add(loss);
        }
        return new OptimizerPathResult(optimizer.Name, xs.ToArray(), ys.ToArray(), losses.ToArray(), diverged);
    }
}

/// <summary>
/// A recorded optimizer path: the points (X[k], Y[k]) after k steps (k = 0 is the start), the loss at each, and
/// whether the run stopped because it diverged.
/// Introduced in notebook 14-sgd-visualized.
/// </summary>
/// <param name="Optimizer">The optimizer's name, e.g. "Sgd".</param>
/// <param name="X">x after each step, start first.</param>
/// <param name="Y">y after each step, start first.</param>
/// <param name="Loss">f(X[k], Y[k]).</param>
/// <param name="Diverged">True when the path left the finite range before its last step.</param>
public sealed record OptimizerPathResult(string Optimizer, double[] X, double[] Y, double[] Loss, bool Diverged)
{
    /// <summary>Number of steps taken (points − 1).</summary>
    public int Steps => X.Length - 1;

    /// <summary>The last point reached.</summary>
    public (double X, double Y) End => (X[^1], Y[^1]);

    /// <summary>Euclidean distance of each point from <paramref name="target"/> (e.g. the surface's minimum).</summary>
    public double[] DistanceTo((double X, double Y) target)
    {
        var d = new double[X.Length];
        for (int k = 0; k < d.Length; k++) d[k] = Math.Sqrt((X[k] - target.X) * (X[k] - target.X) + (Y[k] - target.Y) * (Y[k] - target.Y));
        return d;
    }
}

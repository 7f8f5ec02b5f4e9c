namespace CourseNotebooks.Course.Optimization;

/// <summary>
/// Loss surfaces beyond the standard test functions of <see cref="Surface2D"/>: a landscape with several minima of
/// different depth, for the lecture's "suboptimal modes" (where a path ends depends on where it starts), with the
/// tools to find its minima and to say which one a path reached. Introduced in notebook 14-sgd-visualized.
/// </summary>
public static class MoreSurfaces
{
    /// <summary>
    /// Gaussian wells in a shallow bowl: f(x, y) = c·(x² + y²) − Σₖ dₖ·exp(−((x − xₖ)² + (y − yₖ)²) / (2 sₖ²)),
    /// with the default four wells of depths 2.0, 1.4, 1.2 and 1.0 (the first the global minimum) in the view
    /// [−3, 3]². Each well has one minimum near its centre (shifted a little by the bowl and the other wells); the
    /// bowl keeps every path inside. The minima are found by <see cref="FindMinimum"/> from the centres, the deepest
    /// is the surface's <see cref="Surface2D.Minimum"/>.
    /// </summary>
    /// <param name="bowl">c ≥ 0, the curvature of the bowl.</param>
    /// <param name="wells">(xₖ, yₖ, dₖ, sₖ) per well: centre, depth &gt; 0 and width &gt; 0; null for the default four.</param>
    /// <returns>The surface, and its minima (one per well, in the order of the wells) with their values.</returns>
    /// <exception cref="ArgumentException">No wells, or a depth or width that is not positive.</exception>
    public static (Surface2D Surface, (double X, double Y, double Value)[] Minima) Wells(double bowl = 0.05,
        IReadOnlyList<(double X, double Y, double Depth, double Width)>? wells = null)
    {
        var w = wells?.ToArray() ?? [(1.5, 1.0, 2.0, 0.6), (-1.5, 1.3, 1.4, 0.7), (0.3, -1.6, 1.2, 0.6), (-1.5, -1.2, 1.0, 0.55)];
        if (w.Length == 0) throw new ArgumentException("MoreSurfaces.Wells: at least one well is needed, got 0.", nameof(wells));
        foreach (var well in w)
            if (!(well.Depth > 0) || !(well.Width > 0))
                throw new ArgumentException($"MoreSurfaces.Wells: every depth and width must be positive, got depth {well.Depth}, width {well.Width}.", nameof(wells));
        if (!(bowl >= 0)) throw new ArgumentException($"MoreSurfaces.Wells: the bowl's curvature must be >= 0, got {bowl}.", nameof(bowl));
        double Value(double x, double y)
        {
            double f = bowl * (x * x + y * y);
            foreach (var (cx, cy, d, s) in w) f -= d * Math.Exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * s * s));
            return f;
        }
        (double, double) Gradient(double x, double y)
        {
            double gx = 2 * bowl * x, gy = 2 * bowl * y;
            foreach (var (cx, cy, d, s) in w)
            {
                double e = d * Math.Exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * s * s)) / (s * s);
                gx += e * (x - cx);
                gy += e * (y - cy);
            }
            return (gx, gy);
        }
        var probe = new Surface2D("wells", Value, Gradient, null, (-3, 3, -3, 3));
        var minima = w.Select(well => FindMinimum(probe, (well.X, well.Y))).Select(m => (m.X, m.Y, Value(m.X, m.Y))).ToArray();
        var deepest = minima.MinBy(m => m.Item3);
        var surface = new Surface2D($"{w.Length} wells in a bowl", Value, Gradient, (deepest.X, deepest.Y), (-3, 3, -3, 3));
        return (surface, minima);
    }

    /// <summary>
    /// The local minimum that plain gradient descent with a small step reaches from <paramref name="start"/>,
    /// to a gradient norm below <paramref name="tolerance"/> or until no step lowers f any more (f flat to rounding):
    /// the step is halved whenever a step would not lower f, so
    /// it converges on any smooth surface whose sublevel set around the start is bounded.
    /// </summary>
    /// <exception cref="InvalidOperationException">No convergence within <paramref name="maxSteps"/> steps.</exception>
    public static (double X, double Y) FindMinimum(Surface2D surface, (double X, double Y) start, double tolerance = 1e-9, int maxSteps = 200_000)
    {
        ArgumentNullException.ThrowIfNull(surface);
        double x = start.X, y = start.Y, step = 0.1, f = surface.Value(x, y);
        for (int k = 0; k < maxSteps; k++)
        {
            var (gx, gy) = surface.Gradient(x, y);
            if (Math.Sqrt(gx * gx + gy * gy) < tolerance) return (x, y);
            double nx = x - step * gx, ny = y - step * gy, nf = surface.Value(nx, ny);
            if (nf >= f)
            {
                // Too long a step: halve it. When even a tiny step no longer lowers f, f is flat to rounding here
                // (near a minimum f varies by less than its last bit), and this is the minimum as far as double can tell.
                step /= 2;
                if (step < 1e-15) return (x, y);
                continue;
            }
            (x, y, f) = (nx, ny, nf);
            step = Math.Min(step * 1.1, 1);
        }
        throw new InvalidOperationException($"MoreSurfaces.FindMinimum: no convergence from ({start.X}, {start.Y}) on '{surface.Name}' within {maxSteps} steps.");
    }

    /// <summary>
    /// Which minimum a point is at: the index of the nearest of <paramref name="minima"/> when it is closer than
    /// <paramref name="radius"/>, otherwise −1 (still on the way, or diverged).
    /// </summary>
    public static int NearestMinimum(IReadOnlyList<(double X, double Y, double Value)> minima, (double X, double Y) point, double radius = 0.05)
    {
        ArgumentNullException.ThrowIfNull(minima);
        int best = -1;
        double bestDistance = radius;
        for (int i = 0; i < minima.Count; i++)
        {
            double d = Math.Sqrt((minima[i].X - point.X) * (minima[i].X - point.X) + (minima[i].Y - point.Y) * (minima[i].Y - point.Y));
            if (d < bestDistance) { best = i; bestDistance = d; }
        }
        return best;
    }
}

namespace CourseNotebooks.Course.Optimization;

/// <summary>
/// A smooth loss surface of two weights (x, y) with its exact gradient, in double: the landscapes on which the
/// part-4 notebooks draw optimizer paths as contour plots. Each surface knows its global minimum and a view
/// (the rectangle worth drawing). Introduced in notebook 14-sgd-visualized (used again in 15-momentum).
/// </summary>
/// <remarks>
/// The standard test functions are written as their published formulas: Rosenbrock (a = 1, b = 100, minimum 0 at
/// (1, 1)), Beale (minimum 0 at (3, 0.5)), the saddle x² − y² (no minimum; the origin is a saddle point) and the
/// axis-aligned quadratic ½(λ₁x² + λ₂y²) whose eigenvalues λ₁, λ₂ set the condition number κ = λ₂/λ₁ that the
/// momentum analysis is about. Values and gradients are exact (no finite differences); the tests check each
/// gradient against central differences.
/// </remarks>
public sealed class Surface2D
{
    private readonly Func<double, double, double> _value;
    private readonly Func<double, double, (double Dx, double Dy)> _gradient;

    /// <summary>A surface from its value and gradient functions.</summary>
    /// <param name="name">Shown in chart titles, e.g. "Rosenbrock".</param>
    /// <param name="value">f(x, y).</param>
    /// <param name="gradient">(∂f/∂x, ∂f/∂y) at (x, y).</param>
    /// <param name="minimum">The global minimum's location, or null when f has none (a saddle).</param>
    /// <param name="view">The rectangle to draw: (xMin, xMax, yMin, yMax), each min below its max.</param>
    /// <exception cref="ArgumentException">The view is empty or not finite.</exception>
    public Surface2D(string name, Func<double, double, double> value, Func<double, double, (double Dx, double Dy)> gradient,
        (double X, double Y)? minimum, (double XMin, double XMax, double YMin, double YMax) view)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(gradient);
        if (!(view.XMin < view.XMax) || !(view.YMin < view.YMax) || !double.IsFinite(view.XMax - view.XMin) || !double.IsFinite(view.YMax - view.YMin))
            throw new ArgumentException(FormattableString.Invariant(
                $"Surface2D '{name}': the view must have xMin < xMax and yMin < yMax, finite; got x [{view.XMin}, {view.XMax}], y [{view.YMin}, {view.YMax}]."), nameof(view));
        Name = name;
        _value = value;
        _gradient = gradient;
        Minimum = minimum;
        View = view;
    }

    /// <summary>The surface's name.</summary>
    public string Name { get; }

    /// <summary>Where the global minimum is, or null when there is none.</summary>
    public (double X, double Y)? Minimum { get; }

    /// <summary>The rectangle worth drawing.</summary>
    public (double XMin, double XMax, double YMin, double YMax) View { get; }

    /// <summary>f(x, y).</summary>
    public double Value(double x, double y) => _value(x, y);

    /// <summary>(∂f/∂x, ∂f/∂y) at (x, y).</summary>
    public (double Dx, double Dy) Gradient(double x, double y) => _gradient(x, y);

    /// <summary>
    /// f on a regular grid over <see cref="View"/> (or the given ranges), for contour plots: <c>Z[j, i]</c> is
    /// f(X[i], Y[j]), rows along y as Plotly's contour expects.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 points per axis.</exception>
    public (double[] X, double[] Y, double[,] Z) Grid(int pointsPerAxis = 101)
    {
        if (pointsPerAxis < 2)
            throw new ArgumentOutOfRangeException(nameof(pointsPerAxis), pointsPerAxis, $"Surface2D '{Name}': the grid needs at least 2 points per axis, got {pointsPerAxis}.");
        var xs = new double[pointsPerAxis];
        var ys = new double[pointsPerAxis];
        for (int i = 0; i < pointsPerAxis; i++)
        {
            xs[i] = View.XMin + (View.XMax - View.XMin) * i / (pointsPerAxis - 1);
            ys[i] = View.YMin + (View.YMax - View.YMin) * i / (pointsPerAxis - 1);
        }
        var z = new double[pointsPerAxis, pointsPerAxis];
        for (int j = 0; j < pointsPerAxis; j++)
            for (int i = 0; i < pointsPerAxis; i++)
                z[j, i] = _value(xs[i], ys[j]);
        return (xs, ys, z);
    }

    /// <summary>
    /// ½(λ₁x² + λ₂y²): a quadratic bowl whose Hessian has eigenvalues λ₁ (along x) and λ₂ (along y); the
    /// condition number is max/min. Minimum 0 at the origin.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An eigenvalue is not positive and finite.</exception>
    public static Surface2D Quadratic(double lambda1, double lambda2, double extent = 2)
    {
        if (!(lambda1 > 0) || !double.IsFinite(lambda1))
            throw new ArgumentOutOfRangeException(nameof(lambda1), lambda1, "Surface2D.Quadratic: λ₁ must be positive and finite.");
        if (!(lambda2 > 0) || !double.IsFinite(lambda2))
            throw new ArgumentOutOfRangeException(nameof(lambda2), lambda2, "Surface2D.Quadratic: λ₂ must be positive and finite.");
        return new Surface2D(FormattableString.Invariant($"Quadratic (λ = {lambda1}, {lambda2})"),
            (x, y) => 0.5 * (lambda1 * x * x + lambda2 * y * y),
            (x, y) => (lambda1 * x, lambda2 * y),
            (0, 0), (-extent, extent, -extent, extent));
    }

    /// <summary>
    /// Rosenbrock's banana valley (a − x)² + b(y − x²)², minimum 0 at (a, a²). With a = 1, b = 100 the valley
    /// floor is easy to reach and hard to follow.
    /// </summary>
    public static Surface2D Rosenbrock(double a = 1, double b = 100)
        => new(FormattableString.Invariant($"Rosenbrock (a = {a}, b = {b})"),
            (x, y) => (a - x) * (a - x) + b * (y - x * x) * (y - x * x),
            (x, y) => (-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)),
            (a, a * a), (-2, 2, -1, 3));

    /// <summary>
    /// Beale's function (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)², minimum 0 at (3, 0.5), with flat
    /// plateaus and steep walls.
    /// </summary>
    public static Surface2D Beale()
        => new("Beale",
            (x, y) =>
            {
                double t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y * y, t3 = 2.625 - x + x * y * y * y;
                return t1 * t1 + t2 * t2 + t3 * t3;
            },
            (x, y) =>
            {
                double t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y * y, t3 = 2.625 - x + x * y * y * y;
                double dx = 2 * t1 * (y - 1) + 2 * t2 * (y * y - 1) + 2 * t3 * (y * y * y - 1);
                double dy = 2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y * y;
                return (dx, dy);
            },
            (3, 0.5), (-4.5, 4.5, -4.5, 4.5));

    /// <summary>
    /// The saddle x² − y²: the origin has zero gradient but is no minimum; a path started exactly on the x axis
    /// stays there, one started a little off it escapes along y.
    /// </summary>
    public static Surface2D Saddle()
        => new("Saddle x² − y²", (x, y) => x * x - y * y, (x, y) => (2 * x, -2 * y), null, (-2, 2, -2, 2));
}

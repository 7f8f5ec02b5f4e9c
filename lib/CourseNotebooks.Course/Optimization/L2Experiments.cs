using System.Numerics;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;

namespace CourseNotebooks.Course.Optimization;

/// <summary>
/// The measurements of notebook 18-sgd-parameters-and-l2: a quadratic bowl whose minimum is away from the origin (so
/// weight decay visibly moves the end point), where gradient descent with weight decay must end on it, how far apart
/// two optimizer paths run and how many steps a path needs to settle, the norm of a set of weights, and a training
/// loop that records training and validation loss after every epoch (the overfitting curves).
/// Introduced in notebook 18-sgd-parameters-and-l2.
/// </summary>
public static class L2Experiments
{
    /// <summary>
    /// ½(λ₁(x − cx)² + λ₂(y − cy)²): an axis-aligned quadratic bowl with Hessian eigenvalues λ₁ (along x) and λ₂
    /// (along y) and its minimum 0 at (cx, cy). Drawn over [−extent, extent]², which includes the origin, the point
    /// weight decay pulls towards.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An eigenvalue is not positive and finite, the centre is not
    /// finite, or the extent does not contain the centre.</exception>
    public static Surface2D ShiftedQuadratic(double lambda1, double lambda2, double centerX, double centerY, double extent = 2.5)
    {
        CheckEigenvalue(lambda1, nameof(lambda1));
        CheckEigenvalue(lambda2, nameof(lambda2));
        if (!double.IsFinite(centerX) || !double.IsFinite(centerY))
            throw new ArgumentOutOfRangeException(nameof(centerX), FormattableString.Invariant($"L2Experiments.ShiftedQuadratic: the centre must be finite, got ({centerX}, {centerY})."));
        if (!(extent > Math.Max(Math.Abs(centerX), Math.Abs(centerY))) || !double.IsFinite(extent))
            throw new ArgumentOutOfRangeException(nameof(extent), extent, FormattableString.Invariant($"L2Experiments.ShiftedQuadratic: the extent must be finite and exceed the centre's coordinates ({centerX}, {centerY}), got {extent}."));
        return new Surface2D(FormattableString.Invariant($"Quadratic (λ = {lambda1}, {lambda2}; minimum at ({centerX}, {centerY}))"),
            (x, y) => 0.5 * (lambda1 * (x - centerX) * (x - centerX) + lambda2 * (y - centerY) * (y - centerY)),
            (x, y) => (lambda1 * (x - centerX), lambda2 * (y - centerY)),
            (centerX, centerY), (-extent, extent, -extent, extent));
    }

    /// <summary>
    /// Where any convergent gradient method with weight decay wd ends on <see cref="ShiftedQuadratic"/>: the minimum
    /// of f + (wd/2)(x² + y²), which is (λ₁cx / (λ₁ + wd), λ₂cy / (λ₂ + wd)), pulled towards the origin.
    /// With wd = 0 it is the centre itself.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An eigenvalue is not positive and finite, or wd is negative or NaN.</exception>
    public static (double X, double Y) RegularizedMinimum(double lambda1, double lambda2, double centerX, double centerY, double weightDecay)
    {
        CheckEigenvalue(lambda1, nameof(lambda1));
        CheckEigenvalue(lambda2, nameof(lambda2));
        if (!(weightDecay >= 0))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, FormattableString.Invariant($"L2Experiments.RegularizedMinimum: weight decay must be >= 0, got {weightDecay}."));
        return (lambda1 * centerX / (lambda1 + weightDecay), lambda2 * centerY / (lambda2 + weightDecay));
    }

    /// <summary>
    /// The largest Euclidean distance between the two paths' points after the same number of steps, over the steps
    /// both reached: 0 for identical paths. Both must have the same length (neither diverged earlier than the other).
    /// </summary>
    /// <exception cref="ArgumentException">The paths have different numbers of points.</exception>
    public static double MaxDistance(OptimizerPathResult a, OptimizerPathResult b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.X.Length != b.X.Length)
            throw new ArgumentException($"L2Experiments.MaxDistance: the paths must have the same number of points, got {a.X.Length} ({a.Optimizer}) and {b.X.Length} ({b.Optimizer}).", nameof(b));
        double max = 0;
        for (int k = 0; k < a.X.Length; k++)
            max = Math.Max(max, Math.Sqrt((a.X[k] - b.X[k]) * (a.X[k] - b.X[k]) + (a.Y[k] - b.Y[k]) * (a.Y[k] - b.Y[k])));
        return max;
    }

    /// <summary>
    /// The first step k after which the path stays within <paramref name="tolerance"/> of
    /// <paramref name="target"/> for every later point it recorded; −1 when its last point is not within it (it
    /// never settled, or diverged). A path that oscillates in and out counts from its last entry.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The tolerance is not positive.</exception>
    public static int StepsToSettle(OptimizerPathResult path, (double X, double Y) target, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!(tolerance > 0))
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, FormattableString.Invariant($"L2Experiments.StepsToSettle: the tolerance must be positive, got {tolerance}."));
        if (path.Diverged) return -1;
        var distance = path.DistanceTo(target);
        if (!(distance[^1] <= tolerance)) return -1;
        int k = distance.Length - 1;
        while (k > 0 && distance[k - 1] <= tolerance) k--;
        return k;
    }

    /// <summary>√(Σ w²) over every element of the given parameters, summed in double (the L2 norm the penalty
    /// λ Σ W² squares). 0 for an empty list.</summary>
    public static double Norm<T>(IEnumerable<Parameter<T>> parameters) where T : unmanaged, IFloatingPointIeee754<T>
        => Math.Sqrt(L2Penalty.Value(parameters, lambda: 1));

    /// <summary>
    /// Trains <paramref name="model"/> with softmax cross-entropy over shuffled mini-batches (seeded), as
    /// <see cref="Training.Fit"/> does, and after every epoch measures the data loss and accuracy on the whole
    /// training set and on <paramref name="validation"/> (evaluation mode, see <see cref="Training.Evaluate"/>) and the norm
    /// of the parameters. Regularization comes from the optimizer (e.g. <see cref="Sgd{T}"/> with weightDecay).
    /// Epoch 0, the untrained model, is the first point.
    /// </summary>
    /// <param name="model">The network; its output must be logits [N, classes].</param>
    /// <param name="optimizer">Steps the parameters after each batch.</param>
    /// <param name="train">The (deliberately small) training set.</param>
    /// <param name="validation">Held-out images, never trained on.</param>
    /// <param name="epochs">Passes over <paramref name="train"/>, ≥ 0.</param>
    /// <param name="batchSize">Images per optimizer step.</param>
    /// <param name="seed">Seeds the shuffle.</param>
    /// <param name="onEpoch">Called with each epoch's measurements (for a live display).</param>
    /// <returns>epochs + 1 points, epoch 0 first.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Negative epochs or a batch size below 1.</exception>
    /// <exception cref="NonFiniteLossException">A batch loss is NaN or infinite.</exception>
    public static IReadOnlyList<ValidationCurvePoint> FitWithValidation(Module<float> model, Optimizer<float> optimizer,
        LabeledImages train, LabeledImages validation, int epochs, int batchSize, int seed, Action<ValidationCurvePoint>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"L2Experiments.FitWithValidation: epochs must be >= 0, got {epochs}.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"L2Experiments.FitWithValidation: the batch size must be >= 1, got {batchSize}.");
        using var reuse = ReusedBuffers.During(model);
        var loss = new CrossEntropyLoss<float> { ReuseBuffers = true };
        var loader = new DataLoader<float>(train.Images, train.Labels, batchSize, shuffle: true, seed: seed);
        var points = new List<ValidationCurvePoint>(epochs + 1);
        ValidationCurvePoint Measure(int epoch)
        {
            var (trainLoss, trainAccuracy) = Training.Evaluate(model, train);
            var (validationLoss, validationAccuracy) = Training.Evaluate(model, validation);
            var point = new ValidationCurvePoint(epoch, trainLoss, trainAccuracy, validationLoss, validationAccuracy, Norm(model.Parameters()));
            points.Add(point);
            onEpoch?.Invoke(point);
            return point;
        }
        Measure(0);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            Training.TrainEpoch(model, optimizer, loss, loader, epoch);
            Measure(epoch);
        }
        return points;
    }

    private static void CheckEigenvalue(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, FormattableString.Invariant($"L2Experiments: the eigenvalue {name} must be positive and finite, got {value}."));
    }
}

/// <summary>
/// One epoch of <see cref="L2Experiments.FitWithValidation"/>: data loss (mean cross-entropy, no penalty) and
/// accuracy on the whole training set and on the validation set, measured after the epoch in evaluation mode, and
/// the L2 norm √(Σw²) of all parameters. Epoch 0 is the untrained model. Introduced in notebook
/// 18-sgd-parameters-and-l2.
/// </summary>
public sealed record ValidationCurvePoint(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double WeightNorm)
{
    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant(
        $"epoch {Epoch}: training loss {TrainLoss:F4} ({TrainAccuracy:P1}), validation loss {ValidationLoss:F4} ({ValidationAccuracy:P1}), weight norm {WeightNorm:F2}");
}

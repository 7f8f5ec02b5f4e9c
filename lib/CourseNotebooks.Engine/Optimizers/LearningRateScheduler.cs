
namespace CourseNotebooks.Engine.Optimizers;

/// <summary>
/// A learning-rate schedule: remembers the optimizer's learning rate at creation as the base rate and, on each
/// <see cref="Step"/> (once per epoch, after the epoch's optimizer steps), sets the optimizer's learning rate to
/// <see cref="LearningRateAt"/> of the new epoch. Introduced in notebook 18-sgd-parameters-and-l2 (a step schedule under which the slide's momentum and PyTorch's part ways).
/// PyTorch: torch.optim.lr_scheduler.LRScheduler (last_epoch = -1 at creation, then one implicit step to epoch 0).
/// </summary>
/// <remarks>
/// Schedules here use the closed form of each rule (the rate is a function of the epoch and the base rate), which
/// is what PyTorch's chained form computes as long as nothing else changes the learning rate between steps.
/// </remarks>
public abstract class LearningRateScheduler
{
    /// <summary>Takes the optimizer's current learning rate as the base rate and starts at epoch 0.</summary>
    protected LearningRateScheduler(ILearningRateOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLearningRate = optimizer.LearningRate;
    }

    /// <summary>The optimizer whose learning rate is set.</summary>
    public ILearningRateOptimizer Optimizer { get; }

    /// <summary>The learning rate at epoch 0 (PyTorch: base_lrs[0], the group's initial_lr).</summary>
    public double BaseLearningRate { get; }

    /// <summary>The current epoch: 0 after construction, +1 per <see cref="Step"/>. PyTorch: last_epoch.</summary>
    public int Epoch { get; private set; }

    /// <summary>Advances one epoch and sets the optimizer's learning rate. PyTorch: scheduler.step().</summary>
    public void Step()
    {
        Epoch++;
        Optimizer.LearningRate = LearningRateAt(Epoch);
    }

    /// <summary>The learning rate the schedule gives for <paramref name="epoch"/> (≥ 0).</summary>
    public abstract double LearningRateAt(int epoch);
}

/// <summary>
/// Multiplies the learning rate by γ every <see cref="StepSize"/> epochs:
/// η(e) = η₀ · γ^⌊e / stepSize⌋. Introduced in notebook 18-sgd-parameters-and-l2.
/// PyTorch: torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma=0.1).
/// </summary>
public sealed class StepLR : LearningRateScheduler
{
    /// <summary>A step schedule on <paramref name="optimizer"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">stepSize ≤ 0 (PyTorch would divide by zero), γ negative or NaN.</exception>
    public StepLR(ILearningRateOptimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, $"StepLR: step size must be positive, got {stepSize}.");
        if (!(gamma >= 0))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, FormattableString.Invariant($"StepLR: gamma must be >= 0, got {gamma}."));
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The decay factor γ.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return BaseLearningRate * Math.Pow(Gamma, epoch / StepSize);
    }
}

/// <summary>
/// Cosine annealing from the base rate η₀ down to ηmin over tMax epochs:
/// η(e) = ηmin + (η₀ − ηmin) · (1 + cos(π e / tMax)) / 2. Past tMax the cosine continues, so the rate rises back
/// to η₀ at 2·tMax (period 2·tMax), as PyTorch's schedule does. Introduced in notebook 07-training-on-real-data (the schedule of its
/// training runs, stepped by the course's <c>Training.Fit</c> after each epoch).
/// PyTorch: torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min=0); this is its closed form
/// (_get_closed_form_lr); PyTorch's step() uses a recursive form that gives the same values up to rounding.
/// </summary>
public sealed class CosineAnnealingLR : LearningRateScheduler
{
    /// <summary>A cosine schedule on <paramref name="optimizer"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">tMax ≤ 0 (the formula divides by it).</exception>
    public CosineAnnealingLR(ILearningRateOptimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax <= 0)
            throw new ArgumentOutOfRangeException(nameof(tMax), tMax, $"CosineAnnealingLR: tMax must be positive, got {tMax}.");
        TMax = tMax;
        EtaMin = etaMin;
    }

    /// <summary>Half the period: epochs from η₀ to ηmin.</summary>
    public int TMax { get; }

    /// <summary>The lowest rate ηmin.</summary>
    public double EtaMin { get; }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return EtaMin + (BaseLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
    }
}

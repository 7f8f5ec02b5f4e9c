using System.Numerics;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;

namespace CourseNotebooks.Engine.Optimizers;

/// <summary>
/// What a learning-rate schedule needs from an optimizer: the learning rate it can read and set, independent of
/// the element type. Introduced in notebook 15-momentum (a learning rate changed between steps).
/// </summary>
public interface ILearningRateOptimizer
{
    /// <summary>The learning rate the next <see cref="Optimizer{T}.Step"/> uses.</summary>
    double LearningRate { get; set; }
}

/// <summary>
/// The common part of every optimizer: the list of parameters it updates, the learning rate (settable, so a
/// schedule can change it between steps), <see cref="Step"/> and <see cref="ZeroGrad"/>. The per-parameter
/// rule lives in <see cref="Update"/>. Hyperparameters are doubles and are converted to
/// <typeparamref name="T"/> once per step, so the same code runs in float32 for training and in double for tests.
/// Introduced in notebook 01-convolution (through <see cref="Sgd{T}"/>). PyTorch: torch.optim.Optimizer with a single
/// parameter group.
/// </summary>
/// <remarks>
/// Deviations from PyTorch, chosen on purpose: there are no parameter groups (one learning rate for all);
/// a parameter that appears twice is rejected (PyTorch only warns, then updates it twice); NaN hyperparameters
/// are rejected together with negative ones (PyTorch's "x &lt; 0" test lets NaN through);
/// <see cref="ZeroGrad"/> writes zeros (PyTorch's default sets .grad to None; here every gradient always exists,
/// so every parameter is updated on every step, including weight decay of parameters whose gradient is zero).
/// </remarks>
public abstract class Optimizer<T> : ILearningRateOptimizer where T : unmanaged, IFloatingPointIeee754<T>
{
    private double _learningRate;

    /// <summary>Collects the parameters (e.g. <c>model.Parameters()</c>) and checks the learning rate.</summary>
    /// <exception cref="ArgumentException">The list is empty or names a parameter twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is negative or NaN.</exception>
    protected Optimizer(IEnumerable<Parameter<T>> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        if (list.Count == 0)
            throw new ArgumentException($"{Name}: the parameter list is empty (expected at least one parameter, got 0).", nameof(parameters));
        var seen = new HashSet<Parameter<T>>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is null) throw new ArgumentNullException(nameof(parameters), $"{Name}: parameter {i} is null.");
            if (!seen.Add(list[i]))
                throw new ArgumentException($"{Name}: parameter {i} ('{list[i]}') appears more than once; it would be updated twice per step.", nameof(parameters));
        }
        Parameters = list;
        LearningRate = learningRate;
    }

    /// <summary>Name used in messages, e.g. "Sgd".</summary>
    public virtual string Name => _typeName ??= GetType().Name.Split('`')[0];

    // Built once: the name goes into every argument check, and a string per call would be garbage per step.
    private string? _typeName;

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Parameter<T>> Parameters { get; }

    /// <summary>
    /// The learning rate (η on the slides) used by the next <see cref="Step"/>; schedules such as
    /// <see cref="StepLR"/> set it once per epoch. PyTorch: optimizer.param_groups[0]["lr"].
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or NaN.</exception>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            CheckNonNegative(value, "learning rate");
            _learningRate = value;
        }
    }

    /// <summary>
    /// The code path of <see cref="Step"/>: the vector loop (default), or with <see cref="Implementation.Naive"/> the
    /// element-by-element reference in Reference/ (SgdReference, RmsPropReference, AdamReference), the algorithm box
    /// written as a plain loop. The tests hold the first to the second, bit for bit.
    /// </summary>
    public Implementation Implementation { get; set; } = Implementation.Fast;

    /// <summary>Number of completed <see cref="Step"/> calls (t in the algorithm boxes, after the step).</summary>
    public int StepCount { get; private set; }

    /// <summary>Updates every parameter once from its current gradient. PyTorch: optimizer.step().</summary>
    public void Step()
    {
        StepCount++;
        for (int i = 0; i < Parameters.Count; i++) Update(i, Parameters[i]);
    }

    /// <summary>Sets every parameter's gradient to zero. PyTorch: optimizer.zero_grad(set_to_none=False).</summary>
    public void ZeroGrad()
    {
        // An index loop: foreach over the IReadOnlyList would box its enumerator on every call.
        for (int i = 0; i < Parameters.Count; i++) Array.Clear(Parameters[i].Grad.Data);
    }

    /// <summary>
    /// Applies the rule to parameter <paramref name="index"/> (its state, such as a momentum buffer, is indexed
    /// the same way). <see cref="StepCount"/> already counts this step (t = 1 on the first call).
    /// </summary>
    protected abstract void Update(int index, Parameter<T> parameter);

    /// <summary>Per-parameter state arrays, created lazily with the parameter's length.</summary>
    protected T[] State(T[]?[] store, int index)
        => store[index] ??= new T[Parameters[index].Value.Length];

    /// <summary>Rejects negative and NaN hyperparameters with a message naming the optimizer and the value.</summary>
    protected void CheckNonNegative(double value, string what)
    {
        if (!(value >= 0))
            throw new ArgumentOutOfRangeException(what, value, FormattableString.Invariant($"{Name}: invalid {what}: expected a value >= 0, got {value}."));
    }
}

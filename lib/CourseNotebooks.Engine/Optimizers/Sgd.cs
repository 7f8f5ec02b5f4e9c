using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;

namespace CourseNotebooks.Engine.Optimizers;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, weight decay (L2) and Nesterov momentum,
/// exactly as torch.optim.SGD. Introduced in notebook 01-convolution, which trains its filters with it; momentum and
/// weight decay are the subject of the part-4 notebooks (every parameter, one at a time: 18-sgd-parameters-and-l2).
/// </summary>
/// <remarks>
/// <para>The algorithm (γ learning rate, μ momentum, τ dampening, λ weight decay), for each parameter θ and each
/// step t = 1, 2, ...:</para>
/// <code>
/// g ← ∇θ E                      (the parameter's Grad)
/// if maximize:  g ← −g
/// if λ ≠ 0:     g ← g + λ θ
/// if μ ≠ 0:
///     if t = 1: b ← g             (the buffer starts at the first gradient, not at 0)
///     else:     b ← μ b + (1 − τ) g
///     if nesterov: g ← g + μ b
///     else:        g ← b
/// θ ← θ − γ g
/// </code>
/// <para>Relation to the slide's formula Δw(t) = η ∂E/∂w + γ Δw(t−1), w ← w − Δw (see <see cref="SlideMomentum{T}"/>):
/// PyTorch keeps the velocity b in gradient units and multiplies by the learning rate afterwards, the slide keeps
/// the increment Δw already multiplied by η. With τ = 0 and a constant learning rate, Δw(t) = η b(t) for every t
/// (both start at the first gradient, since Δw(0) = 0), so the two produce the same weights. They differ when the
/// learning rate changes during training (PyTorch rescales all the accumulated velocity by the new rate, the slide
/// keeps old increments at their old rate) and when τ ≠ 0.</para>
/// <para>Weight decay λ is the gradient of the penalty (λ/2)·Σθ²; the slide's penalty λ·ΣW² (see
/// the course's <c>L2Penalty</c>) corresponds to weightDecay = 2λ.</para>
/// <para>PyTorch: torch.optim.SGD (maximize negates the gradient before weight decay, as in PyTorch 2.x).</para>
/// <para>The step is written twice with the same parameters: one vector operation run by Kernels/UpdateLoop.cs, and
/// element by element in Reference/SgdReference.cs (<see cref="Optimizer{T}.Implementation"/> = Naive), which the
/// tests hold the vector loop to, bit for bit.</para>
/// </remarks>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]?[] _momentumBuffers;

    /// <summary>Creates the optimizer and checks the arguments as PyTorch does.</summary>
    /// <param name="parameters">What to update, e.g. <c>model.Parameters()</c>.</param>
    /// <param name="learningRate">γ (η on the slides); required, ≥ 0.</param>
    /// <param name="momentum">μ ≥ 0 (0 = plain SGD).</param>
    /// <param name="dampening">τ: the share of the new gradient left out of the buffer (no range check, as in PyTorch).</param>
    /// <param name="weightDecay">λ ≥ 0, adds λθ to the gradient.</param>
    /// <param name="nesterov">Nesterov momentum; needs momentum &gt; 0 and dampening = 0.</param>
    /// <param name="maximize">Ascend instead of descend.</param>
    /// <exception cref="ArgumentOutOfRangeException">learningRate, momentum or weightDecay is negative (or NaN).</exception>
    /// <exception cref="ArgumentException">nesterov with momentum ≤ 0 or dampening ≠ 0; empty parameter list.</exception>
    public Sgd(IEnumerable<Parameter<T>> parameters, double learningRate, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(parameters, learningRate)
    {
        CheckNonNegative(momentum, "momentum");
        CheckNonNegative(weightDecay, "weight decay");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException(
                FormattableString.Invariant($"{Name}: Nesterov momentum requires momentum > 0 and dampening = 0, got momentum {momentum} and dampening {dampening}."),
                nameof(nesterov));
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        Maximize = maximize;
        _momentumBuffers = new T[]?[Parameters.Count];
    }

    /// <summary>μ.</summary>
    public double Momentum { get; }

    /// <summary>τ.</summary>
    public double Dampening { get; }

    /// <summary>λ (adds λθ to the gradient).</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the step uses g + μb instead of b.</summary>
    public bool Nesterov { get; }

    /// <summary>Whether the objective is maximized.</summary>
    public bool Maximize { get; }

    /// <inheritdoc />
    protected override void Update(int index, Parameter<T> parameter)
    {
        bool first = _momentumBuffers[index] is null;
        T[]? buffer = Momentum != 0 ? State(_momentumBuffers, index) : null;
        var step = new SgdStep(LearningRate, Momentum, Dampening, WeightDecay, Nesterov, Maximize, first);
        if (Implementation == Implementation.Naive) SgdReference.Step(parameter.Value.Data, parameter.Grad.Data, buffer, step);
        else StepFast(parameter.Value.Data, parameter.Grad.Data, buffer, step);
    }

    /// <summary>The step of one parameter as the vector loop (<see cref="UpdateLoop"/>), the same parameters as <see cref="SgdReference.Step{T}"/>.</summary>
    private static void StepFast(Span<T> theta, ReadOnlySpan<T> grad, Span<T> buffer, in SgdStep s)
    {
        T lr = T.CreateChecked(s.LearningRate), mu = T.CreateChecked(s.Momentum);
        T wd = T.CreateChecked(s.WeightDecay), keep = T.One - T.CreateChecked(s.Dampening);
        UpdateLoop.Run(theta, grad, buffer, default, default,
            new SgdUpdate(lr, mu, wd, keep, s.Maximize, s.WeightDecay != 0, !buffer.IsEmpty, s.FirstStep, s.Nesterov));
    }

    /// <summary>One element of the step, on whole vectors (see the remarks for the algorithm).</summary>
    private readonly record struct SgdUpdate(T Lr, T Mu, T Wd, T Keep, bool Maximize, bool HasWeightDecay, bool HasMomentum,
        bool FirstStep, bool Nesterov) : IElementUpdate<T>
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Apply(ref Vector<T> theta, Vector<T> grad, ref Vector<T> buffer, ref Vector<T> unused2, ref Vector<T> unused3)
        {
            var g = Maximize ? -grad : grad;
            if (HasWeightDecay) g += Wd * theta;
            if (HasMomentum)
            {
                buffer = FirstStep ? g : Mu * buffer + Keep * g;
                g = Nesterov ? g + Mu * buffer : buffer;
            }
            theta -= Lr * g;
        }
    }
}

/// <summary>
/// The settings of one SGD step, as the fast loop and the reference both take them: γ, μ, τ, λ, Nesterov, maximize,
/// and whether the momentum buffer starts at this step (it takes the gradient itself).
/// </summary>
internal readonly record struct SgdStep(double LearningRate, double Momentum, double Dampening, double WeightDecay, bool Nesterov, bool Maximize, bool FirstStep);

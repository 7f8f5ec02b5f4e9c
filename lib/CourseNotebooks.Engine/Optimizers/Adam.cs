using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;

namespace CourseNotebooks.Engine.Optimizers;

/// <summary>
/// The shared core of <see cref="Adam{T}"/> and <see cref="AdamW{T}"/>: running averages of the gradient (m) and
/// of its square (v), both bias-corrected, step γ·m̂/(√v̂ + ε). The two differ only in how weight decay enters.
/// Introduced in notebook 16-optimizer-comparison.
/// </summary>
/// <remarks>
/// The step is written twice with the same parameters: as one vector operation (AdamUpdate below, run over the
/// arrays by Kernels/UpdateLoop.cs) and element by element in Reference/AdamReference.cs, which
/// <see cref="Optimizer{T}.Implementation"/> = Naive runs and the tests hold the vector loop to, bit for bit.
/// </remarks>
public abstract class AdamBase<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]?[] _firstMoments;
    private readonly T[]?[] _secondMoments;
    private readonly T[]?[] _maxSecondMoments;
    private readonly bool _decoupledWeightDecay;

    private protected AdamBase(IEnumerable<Parameter<T>> parameters, double learningRate, (double Beta1, double Beta2) betas,
        double eps, double weightDecay, bool amsgrad, bool maximize, bool decoupledWeightDecay)
        : base(parameters, learningRate)
    {
        CheckNonNegative(eps, "epsilon");
        CheckBeta(betas.Beta1, 0);
        CheckBeta(betas.Beta2, 1);
        CheckNonNegative(weightDecay, "weight decay");
        Betas = betas;
        Eps = eps;
        WeightDecay = weightDecay;
        Amsgrad = amsgrad;
        Maximize = maximize;
        _decoupledWeightDecay = decoupledWeightDecay;
        _firstMoments = new T[]?[Parameters.Count];
        _secondMoments = new T[]?[Parameters.Count];
        _maxSecondMoments = new T[]?[Parameters.Count];
    }

    /// <summary>(β₁, β₂): smoothing of the gradient and of its square.</summary>
    public (double Beta1, double Beta2) Betas { get; }

    /// <summary>ε, added to √v̂ for numerical stability.</summary>
    public double Eps { get; }

    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the denominator uses the running maximum of v (AMSGrad).</summary>
    public bool Amsgrad { get; }

    /// <summary>Whether the objective is maximized.</summary>
    public bool Maximize { get; }

    /// <inheritdoc />
    protected override void Update(int index, Parameter<T> parameter)
    {
        T[] m = State(_firstMoments, index), v = State(_secondMoments, index);
        T[]? vMax = Amsgrad ? State(_maxSecondMoments, index) : null;
        var step = new AdamStep(LearningRate, Betas.Beta1, Betas.Beta2, Eps, WeightDecay, Maximize, _decoupledWeightDecay, StepCount);
        if (Implementation == Implementation.Naive) AdamReference.Step(parameter.Value.Data, parameter.Grad.Data, m, v, vMax, step);
        else StepFast(parameter.Value.Data, parameter.Grad.Data, m, v, vMax, step);
    }

    /// <summary>
    /// The step of one parameter as the vector loop (<see cref="UpdateLoop"/>), the same parameters as
    /// <see cref="AdamReference.Step{T}"/>: AMSGrad when a vMax span is given.
    /// </summary>
    private static void StepFast(Span<T> theta, ReadOnlySpan<T> grad, Span<T> m, Span<T> v, Span<T> vMax, in AdamStep s)
    {
        // The bias corrections are computed in double, as PyTorch computes them in Python floats.
        double bias1 = 1 - Math.Pow(s.Beta1, s.Step);
        double bias2 = 1 - Math.Pow(s.Beta2, s.Step);
        T stepSize = T.CreateChecked(s.LearningRate / bias1);
        T bias2Sqrt = T.CreateChecked(Math.Sqrt(bias2));
        T beta1 = T.CreateChecked(s.Beta1), beta2 = T.CreateChecked(s.Beta2);
        T eps = T.CreateChecked(s.Eps), wd = T.CreateChecked(s.WeightDecay);
        T decay = T.CreateChecked(1 - s.LearningRate * s.WeightDecay);
        UpdateLoop.Run(theta, grad, m, v, vMax, new AdamUpdate(
            stepSize, bias2Sqrt, beta1, T.One - beta1, beta2, T.One - beta2, new Vector<T>(eps), wd, decay,
            s.Maximize, s.WeightDecay != 0, s.Decoupled, !vMax.IsEmpty));
    }

    /// <summary>
    /// One element of the step: g (negated to maximize; plus λθ, or θ shrunk by 1 - γλ for AdamW), m ← β1 m + (1-β1) g,
    /// v ← β2 v + (1-β2) g², v̂ = max(v̂, v) with AMSGrad, θ ← θ - (γ/(1-β1^t)) m / (sqrt(v or v̂)/sqrt(1-β2^t) + ε).
    /// </summary>
    private readonly record struct AdamUpdate(T StepSize, T Bias2Sqrt, T Beta1, T OneMinusBeta1, T Beta2, T OneMinusBeta2,
        Vector<T> Eps, T Wd, T Decay, bool Maximize, bool HasWeightDecay, bool Decoupled, bool Amsgrad) : IElementUpdate<T>
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Apply(ref Vector<T> theta, Vector<T> grad, ref Vector<T> m, ref Vector<T> v, ref Vector<T> vMax)
        {
            var g = Maximize ? -grad : grad;
            if (HasWeightDecay)
            {
                if (Decoupled) theta *= Decay;
                else g += Wd * theta;
            }
            m = Beta1 * m + OneMinusBeta1 * g;
            v = Beta2 * v + OneMinusBeta2 * g * g;
            var second = v;
            if (Amsgrad)
            {
                vMax = Vector.Max(vMax, v);
                second = vMax;
            }
            theta -= StepSize * m / (Vector.SquareRoot(second) / Bias2Sqrt + Eps);
        }
    }

    private void CheckBeta(double beta, int position)
    {
        if (!(beta >= 0 && beta < 1))
            throw new ArgumentOutOfRangeException("betas", beta,
                FormattableString.Invariant($"{Name}: invalid beta at index {position}: expected 0 <= beta < 1, got {beta}."));
    }
}

/// <summary>
/// Adam: momentum on the gradient (m) and an RMSprop-style scale (v), both with bias correction so the first steps
/// are not shrunk by the zero start. Exactly as torch.optim.Adam. Introduced in notebook 16-optimizer-comparison.
/// </summary>
/// <remarks>
/// <para>The algorithm (γ learning rate, β₁, β₂, ε, λ weight decay), per parameter θ, with m = v = v_max = 0 and
/// t = 1, 2, ...:</para>
/// <code>
/// g ← ∇θ E;  if maximize: g ← −g
/// if λ ≠ 0:  g ← g + λ θ            (L2 through the gradient, like SGD's weight decay)
/// m ← β₁ m + (1 − β₁) g
/// v ← β₂ v + (1 − β₂) g²
/// if amsgrad: v_max ← max(v_max, v);  v ← v_max   (for the step only)
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// <para>This is m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), arranged as PyTorch's code does: ε is added after
/// the bias-corrected square root. With amsgrad the maximum is taken over the uncorrected v and then divided by the
/// current √(1−β₂ᵗ), as PyTorch's implementation does (its documentation's box takes the maximum of v̂).</para>
/// <para>PyTorch: torch.optim.Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=False,
/// maximize=False).</para>
/// </remarks>
public sealed class Adam<T> : AdamBase<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the optimizer and checks the arguments as PyTorch does.</summary>
    /// <param name="parameters">What to update.</param>
    /// <param name="learningRate">γ ≥ 0.</param>
    /// <param name="betas">(β₁, β₂), each in [0, 1); default (0.9, 0.999).</param>
    /// <param name="eps">ε ≥ 0.</param>
    /// <param name="weightDecay">λ ≥ 0, added to the gradient as λθ.</param>
    /// <param name="amsgrad">Use the running maximum of v.</param>
    /// <param name="maximize">Ascend instead of descend.</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative (or NaN) rate, ε or λ; a β outside [0, 1).</exception>
    public Adam(IEnumerable<Parameter<T>> parameters, double learningRate = 1e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(parameters, learningRate, betas ?? (0.9, 0.999), eps, weightDecay, amsgrad, maximize, decoupledWeightDecay: false)
    {
    }
}

/// <summary>
/// AdamW: Adam with decoupled weight decay, θ ← θ(1 − γλ) before the Adam step, instead of adding λθ to the
/// gradient (which Adam would then rescale per weight). Exactly as torch.optim.AdamW.
/// Introduced in notebook 16-optimizer-comparison beside <see cref="Adam{T}"/>, which that notebook races (no notebook
/// trains with it; 18-sgd-parameters-and-l2 shows the L2 penalty and SGD's coupled weight decay that AdamW decouples).
/// </summary>
/// <remarks>
/// <para>The algorithm is <see cref="Adam{T}"/>'s with the weight-decay line replaced by θ ← θ − γλθ (applied to θ
/// before the moments are updated; g is left unchanged).</para>
/// <para>PyTorch: torch.optim.AdamW(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01,
/// amsgrad=False, maximize=False).</para>
/// </remarks>
public sealed class AdamW<T> : AdamBase<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the optimizer and checks the arguments as PyTorch does.</summary>
    /// <param name="parameters">What to update.</param>
    /// <param name="learningRate">γ ≥ 0.</param>
    /// <param name="betas">(β₁, β₂), each in [0, 1); default (0.9, 0.999).</param>
    /// <param name="eps">ε ≥ 0.</param>
    /// <param name="weightDecay">λ ≥ 0 (default 0.01): θ shrinks by the factor 1 − γλ each step.</param>
    /// <param name="amsgrad">Use the running maximum of v.</param>
    /// <param name="maximize">Ascend instead of descend.</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative (or NaN) rate, ε or λ; a β outside [0, 1).</exception>
    public AdamW(IEnumerable<Parameter<T>> parameters, double learningRate = 1e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(parameters, learningRate, betas ?? (0.9, 0.999), eps, weightDecay, amsgrad, maximize, decoupledWeightDecay: true)
    {
    }
}

/// <summary>The settings of one Adam or AdamW step (t = <paramref name="Step"/>, counted from 1), as the fast loop and the
/// reference both take them; AMSGrad follows from whether a vMax span is given.</summary>
internal readonly record struct AdamStep(double LearningRate, double Beta1, double Beta2, double Eps, double WeightDecay, bool Maximize, bool Decoupled, int Step);

using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;

namespace CourseNotebooks.Engine.Optimizers;

/// <summary>
/// RMSprop: divides each gradient by a running root-mean-square of its recent values, so every weight gets its own
/// step size (the slides' "try rmsprop (with momentum?)"). Exactly as torch.optim.RMSprop.
/// Introduced in notebook 16-optimizer-comparison (used again in 17-learning-methods).
/// </summary>
/// <remarks>
/// <para>The algorithm (γ learning rate, α smoothing, ε, λ weight decay, μ momentum), per parameter θ, with
/// v = 0, ḡ = 0, b = 0 at the start:</para>
/// <code>
/// g ← ∇θ E;  if maximize: g ← −g
/// if λ ≠ 0:  g ← g + λ θ
/// v ← α v + (1 − α) g²
/// ṽ ← v;  if centered: ḡ ← α ḡ + (1 − α) g;  ṽ ← v − ḡ²
/// if μ &gt; 0: b ← μ b + g / (√ṽ + ε);  θ ← θ − γ b
/// else:     θ ← θ − γ g / (√ṽ + ε)
/// </code>
/// <para>ε is added after the square root (not inside it), and there is no bias correction: v starts at 0, so the
/// first steps are larger than later ones (the first step is γ·g/(√(1−α)|g| + ε) ≈ 10γ for α = 0.99).
/// Unlike <see cref="Sgd{T}"/>, the momentum buffer starts at 0.</para>
/// <para>PyTorch: torch.optim.RMSprop(params, lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0, momentum=0,
/// centered=False, maximize=False).</para>
/// <para>The step is written twice with the same parameters: one vector operation run by Kernels/UpdateLoop.cs, and
/// element by element in Reference/RmsPropReference.cs (<see cref="Optimizer{T}.Implementation"/> = Naive), which the
/// tests hold the vector loop to, bit for bit.</para>
/// </remarks>
public sealed class RmsProp<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]?[] _squareAverages;
    private readonly T[]?[] _gradientAverages;
    private readonly T[]?[] _momentumBuffers;

    /// <summary>Creates the optimizer and checks the arguments as PyTorch does.</summary>
    /// <exception cref="ArgumentOutOfRangeException">learningRate, eps, momentum, weightDecay or alpha is negative (or NaN).</exception>
    public RmsProp(IEnumerable<Parameter<T>> parameters, double learningRate = 0.01, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(parameters, learningRate)
    {
        CheckNonNegative(eps, "epsilon");
        CheckNonNegative(momentum, "momentum");
        CheckNonNegative(weightDecay, "weight decay");
        CheckNonNegative(alpha, "alpha");
        Alpha = alpha;
        Eps = eps;
        WeightDecay = weightDecay;
        Momentum = momentum;
        Centered = centered;
        Maximize = maximize;
        _squareAverages = new T[]?[Parameters.Count];
        _gradientAverages = new T[]?[Parameters.Count];
        _momentumBuffers = new T[]?[Parameters.Count];
    }

    /// <summary>α, the smoothing constant of the running averages.</summary>
    public double Alpha { get; }

    /// <summary>ε, added to √ṽ for numerical stability.</summary>
    public double Eps { get; }

    /// <summary>λ (adds λθ to the gradient).</summary>
    public double WeightDecay { get; }

    /// <summary>μ (0 = no momentum buffer).</summary>
    public double Momentum { get; }

    /// <summary>Whether the variance estimate subtracts the squared mean gradient.</summary>
    public bool Centered { get; }

    /// <summary>Whether the objective is maximized.</summary>
    public bool Maximize { get; }

    /// <inheritdoc />
    protected override void Update(int index, Parameter<T> parameter)
    {
        T[] v = State(_squareAverages, index);
        T[]? mean = Centered ? State(_gradientAverages, index) : null;
        T[]? buffer = Momentum > 0 ? State(_momentumBuffers, index) : null;
        var step = new RmsPropStep(LearningRate, Alpha, Eps, WeightDecay, Momentum, Maximize);
        if (Implementation == Implementation.Naive) RmsPropReference.Step(parameter.Value.Data, parameter.Grad.Data, v, mean, buffer, step);
        else StepFast(parameter.Value.Data, parameter.Grad.Data, v, mean, buffer, step);
    }

    /// <summary>The step of one parameter as the vector loop (<see cref="UpdateLoop"/>), the same parameters as <see cref="RmsPropReference.Step{T}"/>.</summary>
    private static void StepFast(Span<T> theta, ReadOnlySpan<T> grad, Span<T> v, Span<T> mean, Span<T> buffer, in RmsPropStep s)
    {
        T lr = T.CreateChecked(s.LearningRate), alpha = T.CreateChecked(s.Alpha), eps = T.CreateChecked(s.Eps);
        T wd = T.CreateChecked(s.WeightDecay), mu = T.CreateChecked(s.Momentum);
        UpdateLoop.Run(theta, grad, v, mean, buffer,
            new RmsPropUpdate(lr, alpha, T.One - alpha, new Vector<T>(eps), wd, mu, s.Maximize, s.WeightDecay != 0, !mean.IsEmpty, !buffer.IsEmpty));
    }
    private readonly record struct RmsPropUpdate(T Lr, T Alpha, T OneMinusAlpha, Vector<T> Eps, T Wd, T Mu, bool Maximize,
        bool HasWeightDecay, bool Centered, bool HasMomentum) : IElementUpdate<T>
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Apply(ref Vector<T> theta, Vector<T> grad, ref Vector<T> v, ref Vector<T> mean, ref Vector<T> buffer)
        {
            var g = Maximize ? -grad : grad;
            if (HasWeightDecay) g += Wd * theta;
            v = Alpha * v + OneMinusAlpha * g * g;
            var variance = v;
            if (Centered)
            {
                mean = Alpha * mean + OneMinusAlpha * g;
                variance -= mean * mean;
            }
            var scaled = g / (Vector.SquareRoot(variance) + Eps);
            if (HasMomentum)
            {
                buffer = Mu * buffer + scaled;
                theta -= Lr * buffer;
            }
            else theta -= Lr * scaled;
        }
    }
}

/// <summary>The settings of one RMSprop step, as the fast loop and the reference both take them (centred and momentum
/// follow from which state spans are given).</summary>
internal readonly record struct RmsPropStep(double LearningRate, double Alpha, double Eps, double WeightDecay, double Momentum, bool Maximize);

using System.Numerics;
using CourseNotebooks.Engine.Layers;

namespace CourseNotebooks.Engine.Optimizers;

/// <summary>
/// Momentum exactly as written on the lecture slide: Δw(t) = η ∂E/∂w + γ Δw(t−1), then w ← w − Δw(t), with
/// Δw(0) = 0. Introduced in notebook 15-momentum, which checks it against <see cref="Sgd{T}"/>.
/// </summary>
/// <remarks>
/// <para>The algorithm (η learning rate, γ momentum), for each weight w and each step:</para>
/// <code>
/// Δw ← η ∂E/∂w + γ Δw      (Δw starts at 0)
/// w  ← w − Δw
/// </code>
/// <para>With a constant learning rate this walks exactly the same path as <see cref="Sgd{T}"/> with momentum = γ,
/// dampening = 0: there Δw(t) = η b(t) because the velocity b starts at the first gradient. The two differ when η
/// changes during training: PyTorch multiplies the whole accumulated velocity by the new η, the slide's increment
/// keeps earlier gradients at the η they were taken with. The slide's form has no dampening.</para>
/// <para>PyTorch: no direct equivalent (torch.optim.SGD with momentum is the same while η is constant).</para>
/// </remarks>
public sealed class SlideMomentum<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]?[] _increments;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">What to update.</param>
    /// <param name="learningRate">η ≥ 0.</param>
    /// <param name="momentum">γ ≥ 0, the share of the previous increment carried over.</param>
    /// <exception cref="ArgumentOutOfRangeException">η or γ is negative (or NaN).</exception>
    public SlideMomentum(IEnumerable<Parameter<T>> parameters, double learningRate, double momentum)
        : base(parameters, learningRate)
    {
        CheckNonNegative(momentum, "momentum");
        Momentum = momentum;
        _increments = new T[]?[Parameters.Count];
    }

    /// <summary>γ.</summary>
    public double Momentum { get; }

    /// <inheritdoc />
    protected override void Update(int index, Parameter<T> parameter)
    {
        T eta = T.CreateChecked(LearningRate), gamma = T.CreateChecked(Momentum);
        T[] delta = State(_increments, index);
        var w = parameter.Value.Data;
        var grad = parameter.Grad.Data;
        for (int i = 0; i < w.Length; i++)
        {
            delta[i] = eta * grad[i] + gamma * delta[i];
            w[i] -= delta[i];
        }
    }
}

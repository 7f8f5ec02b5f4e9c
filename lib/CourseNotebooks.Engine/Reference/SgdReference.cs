using System.Numerics;
using CourseNotebooks.Engine.Optimizers;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// The step of <see cref="Sgd{T}"/> written as its algorithm box, one element at a time (torch.optim.SGD's order of
/// operations). What the optimizer runs with <see cref="Runtime.Implementation.Naive"/>; its vector loop (Sgd.StepFast
/// with the same parameters, through Kernels/UpdateLoop.cs) is held to it bit for bit by the tests. Read it beside
/// notebooks 15-momentum and 18-sgd-parameters-and-l2.
/// </summary>
internal static class SgdReference
{
    /// <summary>
    /// g ← ∇θ (negated to maximize) + λθ; with momentum b ← g on the first step, else μ b + (1 − τ) g, and g ← g + μ b
    /// (Nesterov) or b; θ ← θ − γ g. The buffer span is empty without momentum.
    /// </summary>
    public static void Step<T>(Span<T> theta, ReadOnlySpan<T> grad, Span<T> buffer, in SgdStep s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = T.CreateChecked(s.LearningRate), mu = T.CreateChecked(s.Momentum);
        T wd = T.CreateChecked(s.WeightDecay), keep = T.One - T.CreateChecked(s.Dampening);
        for (int i = 0; i < theta.Length; i++)
        {
            T g = s.Maximize ? -grad[i] : grad[i];
            if (s.WeightDecay != 0) g += wd * theta[i];
            if (!buffer.IsEmpty)
            {
                buffer[i] = s.FirstStep ? g : mu * buffer[i] + keep * g;
                g = s.Nesterov ? g + mu * buffer[i] : buffer[i];
            }
            theta[i] -= lr * g;
        }
    }
}

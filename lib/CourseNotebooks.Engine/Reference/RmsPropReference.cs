using System.Numerics;
using CourseNotebooks.Engine.Optimizers;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// The step of <see cref="RmsProp{T}"/> written as its algorithm box, one element at a time (torch.optim.RMSprop's
/// order of operations). What the optimizer runs with <see cref="Runtime.Implementation.Naive"/>; its vector loop
/// (RmsProp.StepFast with the same parameters, through Kernels/UpdateLoop.cs) is held to it bit for bit by the tests.
/// Read it beside notebook 16-optimizer-comparison.
/// </summary>
internal static class RmsPropReference
{
    /// <summary>
    /// g ← ∇θ (negated to maximize) + λθ; v ← α v + (1 − α) g²; centred (a mean span given): m ← α m + (1 − α) g and
    /// the variance v − m²; step g / (√variance + ε), through a momentum buffer b ← μ b + step when one is given;
    /// θ ← θ − γ (b or step).
    /// </summary>
    public static void Step<T>(Span<T> theta, ReadOnlySpan<T> grad, Span<T> v, Span<T> mean, Span<T> buffer, in RmsPropStep s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = T.CreateChecked(s.LearningRate), alpha = T.CreateChecked(s.Alpha), eps = T.CreateChecked(s.Eps);
        T wd = T.CreateChecked(s.WeightDecay), mu = T.CreateChecked(s.Momentum);
        for (int i = 0; i < theta.Length; i++)
        {
            T g = s.Maximize ? -grad[i] : grad[i];
            if (s.WeightDecay != 0) g += wd * theta[i];
            v[i] = alpha * v[i] + (T.One - alpha) * g * g;
            T variance = v[i];
            if (!mean.IsEmpty)
            {
                mean[i] = alpha * mean[i] + (T.One - alpha) * g;
                variance -= mean[i] * mean[i];
            }
            T scaled = g / (T.Sqrt(variance) + eps);
            if (!buffer.IsEmpty)
            {
                buffer[i] = mu * buffer[i] + scaled;
                theta[i] -= lr * buffer[i];
            }
            else theta[i] -= lr * scaled;
        }
    }
}

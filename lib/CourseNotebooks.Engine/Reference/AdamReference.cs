using System.Numerics;
using CourseNotebooks.Engine.Optimizers;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// The step of <see cref="Adam{T}"/> and <see cref="AdamW{T}"/> written as the algorithm box, one element at a time,
/// in torch.optim.Adam's arrangement: the bias corrections computed once per step in double (as PyTorch computes them
/// in Python floats), ε added after the corrected square root. What the optimizers run with
/// <see cref="Runtime.Implementation.Naive"/>; their vector loop (AdamBase.StepFast with the same parameters, through
/// Kernels/UpdateLoop.cs) is held to it bit for bit by the tests. Read it beside notebook 16-optimizer-comparison.
/// </summary>
internal static class AdamReference
{
    /// <summary>
    /// g ← ∇θ (negated to maximize); weight decay: θ ← θ(1 − γλ) for AdamW, g ← g + λθ for Adam; m ← β₁ m + (1 − β₁) g;
    /// v ← β₂ v + (1 − β₂) g²; with AMSGrad (a vMax span given) vMax ← max(vMax, v), used in place of v;
    /// θ ← θ − (γ / (1 − β₁ᵗ)) m / (√v / √(1 − β₂ᵗ) + ε).
    /// </summary>
    public static void Step<T>(Span<T> theta, ReadOnlySpan<T> grad, Span<T> m, Span<T> v, Span<T> vMax, in AdamStep s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double bias1 = 1 - Math.Pow(s.Beta1, s.Step);
        double bias2 = 1 - Math.Pow(s.Beta2, s.Step);
        T stepSize = T.CreateChecked(s.LearningRate / bias1);
        T bias2Sqrt = T.CreateChecked(Math.Sqrt(bias2));
        T beta1 = T.CreateChecked(s.Beta1), beta2 = T.CreateChecked(s.Beta2);
        T eps = T.CreateChecked(s.Eps), wd = T.CreateChecked(s.WeightDecay);
        T decay = T.CreateChecked(1 - s.LearningRate * s.WeightDecay);
        for (int i = 0; i < theta.Length; i++)
        {
            T g = s.Maximize ? -grad[i] : grad[i];
            if (s.WeightDecay != 0)
            {
                if (s.Decoupled) theta[i] *= decay;
                else g += wd * theta[i];
            }
            m[i] = beta1 * m[i] + (T.One - beta1) * g;
            v[i] = beta2 * v[i] + (T.One - beta2) * g * g;
            T second = v[i];
            if (!vMax.IsEmpty)
            {
                vMax[i] = T.Max(vMax[i], v[i]);
                second = vMax[i];
            }
            theta[i] -= stepSize * m[i] / (T.Sqrt(second) / bias2Sqrt + eps);
        }
    }
}

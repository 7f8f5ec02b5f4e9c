using System.Numerics;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;

namespace CourseNotebooks.Course.Optimization;

/// <summary>
/// The slide's L2 regularization: modified loss = loss + λ Σ W², written out explicitly (value and gradient) so a
/// notebook can show that it is the same as weight decay. Introduced in notebook 18-sgd-parameters-and-l2.
/// </summary>
/// <remarks>
/// The gradient of λ Σ W² is 2λW, so adding the penalty and then taking a plain SGD step equals
/// <see cref="Sgd{T}"/> with weightDecay = 2λ (PyTorch's weight_decay adds λ'θ, the gradient of (λ'/2)Σθ²).
/// Usually only weights are penalized, not biases: pass the parameters you mean.
/// PyTorch: no module; the same as adding lam * sum(p.pow(2)) to the loss, or weight_decay = 2 * lam.
/// </remarks>
public static class L2Penalty
{
    /// <summary>λ Σ W² over all elements of <paramref name="parameters"/>, summed in double.</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ is negative or NaN.</exception>
    public static double Value<T>(IEnumerable<Parameter<T>> parameters, double lambda) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckLambda(lambda);
        double sum = 0;
        foreach (var p in parameters)
            foreach (var w in p.Value.Data)
            {
                double v = double.CreateChecked(w);
                sum += v * v;
            }
        return lambda * sum;
    }

    /// <summary>Adds the penalty's gradient 2λW into each parameter's Grad (call after Backward, before Step).</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ is negative or NaN.</exception>
    public static void AddGradient<T>(IEnumerable<Parameter<T>> parameters, double lambda) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckLambda(lambda);
        T twoLambda = T.CreateChecked(2 * lambda);
        foreach (var p in parameters)
        {
            var w = p.Value.Data;
            var g = p.Grad.Data;
            for (int i = 0; i < w.Length; i++) g[i] += twoLambda * w[i];
        }
    }

    private static void CheckLambda(double lambda)
    {
        if (!(lambda >= 0))
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, FormattableString.Invariant($"L2Penalty: λ must be >= 0, got {lambda}."));
    }
}

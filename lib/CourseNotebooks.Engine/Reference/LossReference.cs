using System.Numerics;
using CourseNotebooks.Engine.Losses;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// The vectorised parts of the losses, written as plain loops: the reduction's sum, the softmax of one row (behind
/// <see cref="CrossEntropyLoss{T}"/> and <see cref="Softmax"/>), and the binary cross-entropy with logits
/// (<see cref="BCEWithLogitsLoss{T}"/>) and its gradient. What the losses run with
/// <see cref="Runtime.Implementation.Naive"/>; each fast twin (TensorPrimitives.Sum, Softmax.Row, the vectorised
/// BCE in BCEWithLogitsLoss.cs) takes the same parameters and is held to these by the tests.
/// </summary>
internal static class LossReference
{
    /// <summary>The sum of the values, accumulated in double (TensorPrimitives.Sum adds in T, in vector order).</summary>
    public static T Sum<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (var v in values) sum += double.CreateTruncating(v);
        return T.CreateTruncating(sum);
    }

    /// <summary>
    /// p = softmax(row), computed as exp(x − max) / Σ exp(x − max) so that no exponential overflows; returns
    /// log Σ exp(x) = max + log Σ exp(x − max). A NaN in the row makes every probability NaN.
    /// </summary>
    public static T SoftmaxRow<T>(ReadOnlySpan<T> row, Span<T> probabilities) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = T.NegativeInfinity;
        foreach (var v in row) if (v > max || T.IsNaN(v)) max = v;
        T sum = T.Zero;
        for (int j = 0; j < row.Length; j++)
        {
            probabilities[j] = T.Exp(row[j] - max);
            sum += probabilities[j];
        }
        for (int j = 0; j < row.Length; j++) probabilities[j] /= sum;
        return max + T.Log(sum);
    }

    /// <summary>
    /// Without weights: l = (1 − y) softplus(x) + y softplus(−x), the negative log-likelihood of y under σ(x), with
    /// softplus(z) = log(1 + e^z) written as max(z, 0) + log(1 + e^(−|z|)) so that it never overflows.
    /// </summary>
    public static void BinaryCrossEntropyWithLogits<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> losses) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) losses[i] = (T.One - y[i]) * Softplus(x[i]) + y[i] * Softplus(-x[i]);
    }

    /// <summary>Without weights: dX = g · ((1 − y) σ(x) − y σ(−x)) = g · (σ(x) − y).</summary>
    public static void BinaryCrossEntropyWithLogitsGradient<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> lossGradient, Span<T> dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
            dX[i] = lossGradient[i] * ((T.One - y[i]) * ActivationReference.Sigmoid(x[i]) - y[i] * ActivationReference.Sigmoid(-x[i]));
    }

    /// <summary>softplus(z) = log(1 + exp(z)) = max(z, 0) + log(1 + exp(−|z|)).</summary>
    public static T Softplus<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => T.Max(z, T.Zero) + Kernels.PreciseMath.Log1P(T.Exp(-T.Abs(z)));
}

using System.Numerics;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// The element-wise activations (<see cref="Layers.ReLU{T}"/>, <see cref="Layers.LeakyReLU{T}"/>, <see cref="Layers.Sigmoid{T}"/>,
/// <see cref="Layers.Tanh{T}"/>) and their derivatives, one element at a time. What the layers run with
/// <see cref="Runtime.Implementation.Naive"/>; their fast paths (span operations in each layer's file, the same
/// parameters) are held to these by the tests. Backward gets the input x and the output y, so each derivative uses
/// whichever is natural: σ' = y(1 − y), tanh' = 1 − y², ReLU' from the sign of y, LeakyReLU' from the sign of x.
/// At NaN both follow PyTorch: ReLU passes the gradient (its mask is y &lt;= 0), LeakyReLU scales it by the slope.
/// </summary>
internal static class ActivationReference
{
    /// <summary>y = max(0, x); a NaN stays NaN, as in PyTorch.</summary>
    public static void ReLU<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > T.Zero || T.IsNaN(x[i]) ? x[i] : T.Zero;
    }

    /// <summary>
    /// dX = 0 where y &lt;= 0, else dY: PyTorch's threshold_backward(grad, result, 0), so a NaN (y = NaN, not &lt;= 0)
    /// passes its gradient.
    /// </summary>
    public static void ReLUBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dY, Span<T> dX) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) dX[i] = y[i] <= T.Zero ? T.Zero : dY[i];
    }

    /// <summary>y = x for x &gt; 0, else slope · x.</summary>
    public static void LeakyReLU<T>(ReadOnlySpan<T> x, Span<T> y, T negativeSlope) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > T.Zero ? x[i] : negativeSlope * x[i];
    }

    /// <summary>dX = dY for x &gt; 0, else slope · dY (a NaN x: slope · dY, as PyTorch's leaky_relu_backward).</summary>
    public static void LeakyReLUBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dY, Span<T> dX, T negativeSlope) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dX[i] = x[i] > T.Zero ? dY[i] : negativeSlope * dY[i];
    }

    /// <summary>y = σ(x) element by element (<see cref="Sigmoid{T}(T)"/>).</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = Sigmoid(x[i]);
    }

    /// <summary>σ(x) = 1 / (1 + e^(−x)), written as e^x / (1 + e^x) for x &lt; 0 so that e^(−x) never overflows.</summary>
    public static T Sigmoid<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x >= T.Zero) return T.One / (T.One + T.Exp(-x));
        T e = T.Exp(x);
        return e / (T.One + e);
    }

    /// <summary>dX = dY · y (1 − y).</summary>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dY, Span<T> dX) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) dX[i] = dY[i] * y[i] * (T.One - y[i]);
    }

    /// <summary>y = tanh(x).</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.Tanh(x[i]);
    }

    /// <summary>dX = dY · (1 − y²).</summary>
    public static void TanhBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dY, Span<T> dX) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) dX[i] = dY[i] * (T.One - y[i] * y[i]);
    }
}

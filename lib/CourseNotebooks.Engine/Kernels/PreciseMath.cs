using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// The vectorised elementwise functions the engine uses, with their relative precision kept where
/// System.Numerics.Tensors' versions lose it (measured with TensorPrimitives 10.0.15, float and double alike):
/// <list type="bullet">
/// <item>tanh near 0: TensorPrimitives.Tanh is off by about 8 ulp at |x| = 0.1, hundreds of ulp at 0.005, returns
/// −0 for x = 1e-8 in float and a wrong-signed −6e-8 for x = 1e-20; below |x| = 0.55 the scalar T.Tanh (within 2 ulp
/// everywhere) is used instead.</item>
/// <item>sigmoid of very negative x: 1 / (1 + exp(−x)) underflows to 0 once exp(−x) overflows (x &lt; −88.7 in
/// float) although σ(x) is still a representable (subnormal) number; below x = −40, σ(x) = eˣ / (1 + eˣ) equals eˣ
/// to the last bit, which is used instead.</item>
/// <item>log(1 + z) for small z: both TensorPrimitives.LogP1 and .NET's scalar LogP1 compute log(1 + z) directly,
/// which loses everything below z ≈ 1e-7 (float) and returns 0 for z = 1e-17 (double); <see cref="Log1P{T}(T)"/>
/// uses the correction log(u)·z/(u − 1) with u = 1 + z (exact when u − 1 = z is exact, accurate to a few ulp
/// otherwise).</item>
/// </list>
/// Exp (softmax), Add, Multiply, Sum and the other arithmetic calls were checked the same way and are within
/// 1 ulp; the tests sweep every function here from 1 down to the subnormals in both precisions.
/// </summary>
internal static class PreciseMath
{
    // Below this |x| TensorPrimitives.Tanh is more than 3 ulp off (measured); the scalar tanh is used there.
    private const double TanhScalarBelow = 0.55;

    // Below this x, σ(x) = eˣ to the last bit in float and double (eˣ < 1e-17).
    private const double SigmoidIsExpBelow = -40;

    /// <summary>y = tanh(x), vectorised, exact to a few ulp for every x including tiny and subnormal ones.</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty) return;
        TensorPrimitives.Tanh(x, y);
        T limit = T.CreateTruncating(TanhScalarBelow);
        for (int i = 0; i < x.Length; i++)
            if (T.Abs(x[i]) < limit) y[i] = T.Tanh(x[i]);
    }

    /// <summary>y = σ(x) = 1 / (1 + e⁻ˣ), vectorised, with the subnormal tail for very negative x.</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty) return;   // TensorPrimitives.Sigmoid rejects empty spans.
        TensorPrimitives.Sigmoid(x, y);
        T limit = T.CreateTruncating(SigmoidIsExpBelow);
        for (int i = 0; i < x.Length; i++)
            if (x[i] < limit) y[i] = T.Exp(x[i]);
    }

    /// <summary>log(1 + z) with full relative precision for small z (z &gt; −1).</summary>
    public static T Log1P<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T u = T.One + z;
        T uMinusOne = u - T.One;
        // u − 1 = 0: z is below half an ulp of 1, and log(1 + z) = z to the last bit.
        if (uMinusOne == T.Zero) return z;
        if (T.IsInfinity(u)) return u;
        // log(u) is exact for the rounded u; scaling by z / (u − 1) undoes the rounding of 1 + z.
        return T.Log(u) * (z / uMinusOne);
    }

    /// <summary>
    /// y = log(1 + z), element by element with <see cref="Log1P{T}(T)"/>'s precision; log(u) vectorised. z and y must
    /// not overlap (the correction reads z after y holds log(1 + z)).
    /// </summary>
    public static void Log1P<T>(ReadOnlySpan<T> z, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (z.IsEmpty) return;
        if (z.Overlaps(y)) throw new ArgumentException("PreciseMath.Log1P: the input and output spans overlap.", nameof(y));
        TensorPrimitives.Add(z, T.One, y);
        TensorPrimitives.Log<T>(y, y);
        for (int i = 0; i < z.Length; i++)
        {
            T uMinusOne = (T.One + z[i]) - T.One;
            if (uMinusOne == T.Zero) y[i] = z[i];
            else if (T.IsFinite(y[i])) y[i] *= z[i] / uMinusOne;
        }
    }
}

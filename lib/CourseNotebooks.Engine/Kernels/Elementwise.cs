using System.Numerics;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// The vector loops the activations need that TensorPrimitives lacks: a per-element choice on the sign of
/// a reference value, dst[i] = reference[i] &gt; 0 ? ifPositive[i] : ifNotPositive[i], and ReLU's mask with 0.
/// </summary>
internal static class Elementwise
{
    /// <summary>
    /// dst[i] = reference[i] &lt;= 0 ? 0 : values[i] (ReLU's backward); writes every element of dst. A NaN reference
    /// is not &lt;= 0, so its value passes: PyTorch's mask (threshold_backward), not "reference &gt; 0".
    /// </summary>
    public static void ZeroWhereNotAboveZero<T>(ReadOnlySpan<T> reference, ReadOnlySpan<T> values, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; i <= reference.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var mask = Vector.LessThanOrEqual(new Vector<T>(reference.Slice(i)), Vector<T>.Zero);
                Vector.ConditionalSelect(mask, Vector<T>.Zero, new Vector<T>(values.Slice(i))).CopyTo(destination.Slice(i));
            }
        }
        for (; i < reference.Length; i++)
            destination[i] = reference[i] <= T.Zero ? T.Zero : values[i];
    }

    /// <summary>
    /// dst[i] = reference[i] &gt; 0 ? ifPositive[i] : ifNotPositive[i] (LeakyReLU); a NaN reference takes ifNotPositive.
    /// </summary>
    public static void SelectPositive<T>(ReadOnlySpan<T> reference, ReadOnlySpan<T> ifPositive, ReadOnlySpan<T> ifNotPositive, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; i <= reference.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var mask = Vector.GreaterThan(new Vector<T>(reference.Slice(i)), Vector<T>.Zero);
                Vector.ConditionalSelect(mask, new Vector<T>(ifPositive.Slice(i)), new Vector<T>(ifNotPositive.Slice(i)))
                    .CopyTo(destination.Slice(i));
            }
        }
        for (; i < reference.Length; i++)
            destination[i] = reference[i] > T.Zero ? ifPositive[i] : ifNotPositive[i];
    }
}

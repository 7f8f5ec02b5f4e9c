using System.Numerics;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// The vector loops the activations need that TensorPrimitives lacks: a per-element choice on the sign of
/// a reference value, dst[i] = reference[i] &gt; 0 ? ifPositive[i] : ifNotPositive[i], and its special case with 0.
/// </summary>
internal static class Elementwise
{
    /// <summary>dst[i] = reference[i] &gt; 0 ? values[i] : 0 (ReLU's backward); writes every element of dst.</summary>
    public static void MaskPositive<T>(ReadOnlySpan<T> reference, ReadOnlySpan<T> values, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; i <= reference.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var mask = Vector.GreaterThan(new Vector<T>(reference.Slice(i)), Vector<T>.Zero);
                Vector.ConditionalSelect(mask, new Vector<T>(values.Slice(i)), Vector<T>.Zero).CopyTo(destination.Slice(i));
            }
        }
        for (; i < reference.Length; i++)
            destination[i] = reference[i] > T.Zero ? values[i] : T.Zero;
    }

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

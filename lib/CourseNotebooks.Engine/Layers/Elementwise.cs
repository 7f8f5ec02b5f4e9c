using System.Numerics;

namespace CourseNotebooks.Engine;

/// <summary>
/// The one vector loop the activations need that TensorPrimitives lacks: a per-element choice on the sign of
/// a reference value, dst[i] = reference[i] &gt; 0 ? ifPositive[i] : ifNotPositive[i].
/// </summary>
internal static class Elementwise
{
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

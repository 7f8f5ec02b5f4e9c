using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CourseNotebooks.Engine;

/// <summary>
/// AVX-512 kernels for the plain 2x2 / stride 2 pool on float planes (<see cref="MaxPool2d{T}"/>, <see cref="AvgPool2d{T}"/>):
/// one step reads 16 inputs of a window row pair (8 windows) and writes 8 outputs. Rows whose output count is not a
/// multiple of 8 end with a step shifted back to overlap the previous one: it recomputes a few outputs to the same
/// bits, so no scalar tail is needed. Each kernel does one plane; <see cref="PlaneLoop"/> spreads planes over threads.
/// The kernels are compiled fully optimised from their first call: a whole pooling call takes tens of microseconds, so
/// tiered compilation would run the slow first-tier code for thousands of planes (hundreds of calls) before promoting it.
/// </summary>
/// <remarks>
/// Every kernel gives the bits of the layer's naive reference: max pooling picks with the same rule in the same order
/// (top pair, bottom pair, then bottom over top: equal to the row-major scan, first maximum wins, last NaN wins), and
/// average pooling adds in the reference's order ((a + b) + c) + d before dividing.
/// </remarks>
internal static class Pool2x2Vector
{
    /// <summary>Windows per step.</summary>
    private const int Step = 8;

    /// <summary>Whether the kernels run here: AVX-512 present and a row holds at least one full step of windows.</summary>
    public static bool Applies(int ow) => Avx512F.IsSupported && ow >= Step;

    /// <summary>
    /// Permutation indices over (top row 16 lanes, bottom row 16 lanes): the left taps of 8 windows, top then bottom
    /// ([a0..a7 | c0..c7]); the right taps are these + 1 ([b0..b7 | d0..d7]).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> LeftTaps() =>
        Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);

    /// <summary>Each of 8 window values twice, to cover the window's two columns: [0, 0, 1, 1, ..., 7, 7].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Doubled() =>
        Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);

    /// <summary>
    /// Max pool of one plane: <paramref name="src"/> from <paramref name="inBase"/> (h x w), outputs and flat
    /// in-plane argmax offsets from <paramref name="outBase"/> (oh x ow, 2*oh &lt;= h, 2*ow &lt;= w, ow &gt;= 8).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxForward(float[] src, int inBase, int w, float[] dst, int[] indices, int outBase, int oh, int ow)
    {
        ref float s = ref MemoryMarshal.GetArrayDataReference(src);
        ref float d = ref MemoryMarshal.GetArrayDataReference(dst);
        ref int ix = ref MemoryMarshal.GetArrayDataReference(indices);
        var left = LeftTaps();
        var right = left + Vector512<int>.One;
        // In-plane offset of each left tap relative to the step's first input: columns 0, 2, .., 14 of the top row, then of the bottom row.
        var leftOffsets = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, w, w + 2, w + 4, w + 6, w + 8, w + 10, w + 12, w + 14);
        for (int i = 0; i < oh; i++)
        {
            int top = 2 * i * w, o = outBase + i * ow;
            for (int j0 = 0; j0 < ow; j0 += Step)
            {
                int j = Math.Min(j0, ow - Step);
                int at = top + 2 * j;
                var upper = Vector512.LoadUnsafe(ref s, (nuint)(inBase + at));
                var lower = Vector512.LoadUnsafe(ref s, (nuint)(inBase + at + w));
                var a = Avx512F.PermuteVar16x32x2(upper, left, lower);
                var b = Avx512F.PermuteVar16x32x2(upper, right, lower);
                var aAt = Vector512.Create(at) + leftOffsets;
                // Right tap over left tap when larger or NaN: [top pair winners | bottom pair winners].
                var take = Vector512.GreaterThan(b, a) | ~Vector512.Equals(b, b);
                var pair = Vector512.ConditionalSelect(take, b, a);
                var pairAt = Vector512.ConditionalSelect(take.AsInt32(), aAt + Vector512<int>.One, aAt);
                // Bottom winner over top winner by the same rule.
                var t = pair.GetLower();
                var u = pair.GetUpper();
                var take2 = Vector256.GreaterThan(u, t) | ~Vector256.Equals(u, u);
                Vector256.ConditionalSelect(take2, u, t).StoreUnsafe(ref d, (nuint)(o + j));
                Vector256.ConditionalSelect(take2.AsInt32(), pairAt.GetUpper(), pairAt.GetLower()).StoreUnsafe(ref ix, (nuint)(o + j));
            }
        }
    }

    /// <summary>
    /// Max pool backward of one plane: each input of a covered window row pair gets its window's gradient if it is
    /// the window's argmax, else 0 (windows do not overlap, so nothing adds up). Inputs no window covers are left alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackward(float[] dOut, int[] indices, int outBase, int oh, int ow, float[] dIn, int inBase, int w)
    {
        ref float g = ref MemoryMarshal.GetArrayDataReference(dOut);
        ref int ix = ref MemoryMarshal.GetArrayDataReference(indices);
        ref float dx = ref MemoryMarshal.GetArrayDataReference(dIn);
        var doubled = Doubled();
        var columns = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        for (int i = 0; i < oh; i++)
        {
            int top = 2 * i * w, o = outBase + i * ow;
            for (int j0 = 0; j0 < ow; j0 += Step)
            {
                int j = Math.Min(j0, ow - Step);
                int at = top + 2 * j;
                var grad = Avx512F.PermuteVar16x32(Vector256.LoadUnsafe(ref g, (nuint)(o + j)).ToVector512Unsafe(), doubled);
                var argmax = Avx512F.PermuteVar16x32(Vector256.LoadUnsafe(ref ix, (nuint)(o + j)).ToVector512Unsafe(), doubled);
                var topAt = Vector512.Create(at) + columns;
                // '+ 0' as the reference's 0 += gradient: a -0 gradient lands as +0, the same bits.
                var upper = (Vector512.Equals(argmax, topAt).AsSingle() & grad) + Vector512<float>.Zero;
                var lower = (Vector512.Equals(argmax, topAt + Vector512.Create(w)).AsSingle() & grad) + Vector512<float>.Zero;
                upper.StoreUnsafe(ref dx, (nuint)(inBase + at));
                lower.StoreUnsafe(ref dx, (nuint)(inBase + at + w));
            }
        }
    }

    /// <summary>Average pool of one plane: ((a + b) + c) + d over each window, divided by <paramref name="divisor"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgForward(float[] src, int inBase, int w, float[] dst, int outBase, int oh, int ow, float divisor)
    {
        ref float s = ref MemoryMarshal.GetArrayDataReference(src);
        ref float d = ref MemoryMarshal.GetArrayDataReference(dst);
        var left = LeftTaps();
        var right = left + Vector512<int>.One;
        var div = Vector256.Create(divisor);
        for (int i = 0; i < oh; i++)
        {
            int top = inBase + 2 * i * w, o = outBase + i * ow;
            for (int j0 = 0; j0 < ow; j0 += Step)
            {
                int j = Math.Min(j0, ow - Step);
                var upper = Vector512.LoadUnsafe(ref s, (nuint)(top + 2 * j));
                var lower = Vector512.LoadUnsafe(ref s, (nuint)(top + 2 * j + w));
                var a = Avx512F.PermuteVar16x32x2(upper, left, lower);
                var b = Avx512F.PermuteVar16x32x2(upper, right, lower);
                var sum = a.GetLower() + b.GetLower() + a.GetUpper() + b.GetUpper();
                (sum / div).StoreUnsafe(ref d, (nuint)(o + j));
            }
        }
    }

    /// <summary>Average pool backward of one plane: each window's gradient / divisor written to its four inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgBackward(float[] dOut, int outBase, int oh, int ow, float[] dIn, int inBase, int w, float divisor)
    {
        ref float g = ref MemoryMarshal.GetArrayDataReference(dOut);
        ref float dx = ref MemoryMarshal.GetArrayDataReference(dIn);
        var doubled = Doubled();
        var div = Vector256.Create(divisor);
        for (int i = 0; i < oh; i++)
        {
            int top = inBase + 2 * i * w, o = outBase + i * ow;
            for (int j0 = 0; j0 < ow; j0 += Step)
            {
                int j = Math.Min(j0, ow - Step);
                var share = Avx512F.PermuteVar16x32((Vector256.LoadUnsafe(ref g, (nuint)(o + j)) / div).ToVector512Unsafe(), doubled);
                share.StoreUnsafe(ref dx, (nuint)(top + 2 * j));
                share.StoreUnsafe(ref dx, (nuint)(top + 2 * j + w));
            }
        }
    }
}

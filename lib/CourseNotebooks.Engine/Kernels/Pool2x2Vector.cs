using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>How a plain 2x2 / stride 2 float pool runs: the scalar loop of its layer, or the vector kernel at one width.</summary>
internal enum Pool2x2Kernel
{
    /// <summary>The layer's own scalar loop (double, Half, rows narrower than every accelerated width, no SIMD).</summary>
    Scalar,

    /// <summary>128-bit vectors (SSE, ARM64 NEON): 4 windows per step.</summary>
    Vector128,

    /// <summary>256-bit vectors (AVX2): 8 windows per step.</summary>
    Vector256,

    /// <summary>512-bit vectors (AVX-512): 16 windows per step.</summary>
    Vector512,
}

/// <summary>
/// Vector kernels for the plain 2x2 / stride 2 pool on float planes (<see cref="MaxPool2d{T}"/>, <see cref="AvgPool2d{T}"/>),
/// written once over the vector width (<see cref="IVectorWidth{TVec, T}"/>) and run at 512, 256 or 128 bits: AVX-512,
/// AVX2, SSE-only x64 and ARM64 (NEON) all take a vector path. With W floats per vector, one step reads two vectors of a
/// top row and two of the bottom row (2W inputs each, W windows), splits each pair into its left and right taps
/// (<c>Evens</c>, <c>Odds</c>) and writes one vector of W outputs; the backward kernels spread one vector of W window
/// gradients over 2W inputs per row (<c>InterleaveLower</c>, <c>InterleaveUpper</c> of the vector with itself).
/// Rows whose output count is not a multiple of W end with a step shifted back to overlap the previous one: it
/// recomputes a few outputs to the same bits, so no scalar tail is needed. Each kernel does one plane;
/// <see cref="PlaneLoop"/> spreads planes over threads.
/// </summary>
/// <remarks>
/// <para>Which width: the widest one accelerated here whose W fits in the row's output count (<see cref="For{T}"/>).
/// A 14-wide LeNet output on an AVX-512 machine therefore runs at 256 bits, 8 windows per step (two steps per row,
/// overlapping by 2), rather than at 128 bits or not at all; rows narrower than 4 windows keep the scalar loop.</para>
/// <para>Every kernel gives the bits of the layer's naive reference: max pooling picks with the same rule in the same
/// order (top pair, bottom pair, then bottom over top, the right or later value winning when greater or NaN: equal to
/// the row-major scan, first maximum wins, last NaN wins) and selects the argmax offset with the same masks; average
/// pooling adds in the reference's order ((a + b) + c) + d before dividing.</para>
/// <para>The kernels are compiled fully optimised from their first call (AggressiveOptimization on the per-plane entry
/// points and on each generic kernel, which every width's instantiation inherits): a whole pooling call takes tens of
/// microseconds, so tiered compilation would run the slow first-tier code for thousands of planes (hundreds of calls)
/// before promoting it. Each instantiation is its own native code (struct type arguments are never shared); checked
/// with DOTNET_JitDisasm on a Release build: FullOpts, every width operation inlined, no call in the loops, the
/// offset vectors folded to constants.</para>
/// </remarks>
internal static unsafe class Pool2x2Vector
{
    /// <summary>
    /// The kernel for a row of <paramref name="ow"/> outputs: the widest accelerated width whose vector holds at most
    /// <paramref name="ow"/> floats, or <see cref="Pool2x2Kernel.Scalar"/> when none does or <typeparamref name="T"/> is not float.
    /// </summary>
    public static Pool2x2Kernel For<T>(int ow)
    {
        if (typeof(T) != typeof(float)) return Pool2x2Kernel.Scalar;
        if (Supported(Pool2x2Kernel.Vector512) && ow >= Vector512<float>.Count) return Pool2x2Kernel.Vector512;
        if (Supported(Pool2x2Kernel.Vector256) && ow >= Vector256<float>.Count) return Pool2x2Kernel.Vector256;
        if (Supported(Pool2x2Kernel.Vector128) && ow >= Vector128<float>.Count) return Pool2x2Kernel.Vector128;
        return Pool2x2Kernel.Scalar;
    }

    /// <summary>Whether <paramref name="kernel"/> is a vector kernel that runs as real vector code here.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Supported(Pool2x2Kernel kernel) => kernel switch
    {
        Pool2x2Kernel.Vector512 => Width512<float>.IsAccelerated,
        Pool2x2Kernel.Vector256 => Width256<float>.IsAccelerated,
        Pool2x2Kernel.Vector128 => Width128<float>.IsAccelerated,
        _ => false,
    };

    /// <summary>Windows per step of a vector kernel (floats per vector).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Windows(Pool2x2Kernel kernel) => kernel switch
    {
        Pool2x2Kernel.Vector512 => Vector512<float>.Count,
        Pool2x2Kernel.Vector256 => Vector256<float>.Count,
        Pool2x2Kernel.Vector128 => Vector128<float>.Count,
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "not a vector kernel"),
    };

    /// <summary>
    /// Makes every unchecked load and store of a kernel call in range, once per plane: a kernel that runs here, at
    /// least one step of windows in the row (ow &gt;= W), 2*ow &lt;= w, the 2*oh input rows inside the input buffer from
    /// inBase and the oh x ow outputs inside the output buffers from outBase.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Check(Pool2x2Kernel kernel, int inLength, int inBase, int w, int outLength, int outBase, int oh, int ow, string caller)
    {
        // Inlined into each entry point, where the first call is already fully optimised; the throws stay out of line.
        if (!Supported(kernel))
            ThrowUnsupported(kernel, caller);
        if (ow < Windows(kernel) || 2 * ow > w || oh < 0 || inBase < 0 || outBase < 0
            || (oh > 0 && ((long)inBase + (long)(2 * oh - 1) * w + 2 * ow > inLength || (long)outBase + (long)oh * ow > outLength)))
            ThrowDoesNotFit(kernel, caller, oh, ow, w);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowUnsupported(Pool2x2Kernel kernel, string caller) =>
        throw new InvalidOperationException($"Pool2x2Vector.{caller}: {kernel} does not run on this machine.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDoesNotFit(Pool2x2Kernel kernel, string caller, int oh, int ow, int w) =>
        throw new ArgumentException($"Pool2x2Vector.{caller}: the plane (oh {oh}, ow {ow}, w {w}) does not fit the buffers or the {kernel} step.");

    /// <summary>
    /// Max pool of one plane: <paramref name="src"/> from <paramref name="inBase"/> (rows of <paramref name="w"/>), outputs
    /// and flat in-plane argmax offsets from <paramref name="outBase"/> (oh x ow, 2*oh &lt;= h, 2*ow &lt;= w, ow at least the
    /// kernel's step).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxForward(Pool2x2Kernel kernel, float[] src, int inBase, int w, float[] dst, int[] indices, int outBase, int oh, int ow)
    {
        Check(kernel, src.Length, inBase, w, Math.Min(dst.Length, indices.Length), outBase, oh, ow, nameof(MaxForward));
        fixed (float* s = src, d = dst)
        fixed (int* ix = indices)
        {
            switch (kernel)
            {
                case Pool2x2Kernel.Vector512: MaxForward<Width512<float>, Vector512<float>>(s + inBase, w, d + outBase, ix + outBase, oh, ow); break;
                case Pool2x2Kernel.Vector256: MaxForward<Width256<float>, Vector256<float>>(s + inBase, w, d + outBase, ix + outBase, oh, ow); break;
                default: MaxForward<Width128<float>, Vector128<float>>(s + inBase, w, d + outBase, ix + outBase, oh, ow); break;
            }
        }
    }

    /// <summary>
    /// Max pool of one plane at one width, <paramref name="src"/> and the outputs at the plane's start. Per step: left
    /// and right taps of the top row (a, b) and of the bottom row (c, d), then three picks by the reference's rule.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxForward<TW, TVec>(float* src, int w, float* dst, int* indices, int oh, int ow)
        where TW : IVectorWidth<TVec, float> where TVec : unmanaged
    {
        int n = TW.Count;
        // In-plane offsets of each window's four taps relative to the step's first input: columns 0, 2, 4, .. (a),
        // one to the right (b), one row down (c), both (d).
        var offA = TW.IntAdd(TW.IntIndices, TW.IntIndices);
        var offB = TW.IntAdd(offA, TW.IntBroadcast(1));
        var offC = TW.IntAdd(offA, TW.IntBroadcast(w));
        var offD = TW.IntAdd(offC, TW.IntBroadcast(1));
        for (int i = 0; i < oh; i++)
        {
            int top = 2 * i * w, o = i * ow;
            for (int j0 = 0; j0 < ow; j0 += n)
            {
                int j = Math.Min(j0, ow - n);
                int at = top + 2 * j;
                float* upper = src + at, lower = upper + w;
                var u0 = TW.Load(upper);
                var u1 = TW.Load(upper + n);
                var l0 = TW.Load(lower);
                var l1 = TW.Load(lower + n);
                var a = TW.Evens(u0, u1);
                var b = TW.Odds(u0, u1);
                var c = TW.Evens(l0, l1);
                var d = TW.Odds(l0, l1);
                // The later value over the earlier one when greater or NaN: within the top pair, the bottom pair, then bottom over top.
                var takeB = TW.Or(TW.GreaterThan(b, a), TW.IsNaN(b));
                var takeD = TW.Or(TW.GreaterThan(d, c), TW.IsNaN(d));
                var topMax = TW.ConditionalSelect(takeB, b, a);
                var bottomMax = TW.ConditionalSelect(takeD, d, c);
                var takeBottom = TW.Or(TW.GreaterThan(bottomMax, topMax), TW.IsNaN(bottomMax));
                TW.Store(TW.ConditionalSelect(takeBottom, bottomMax, topMax), dst + o + j);
                var topAt = TW.ConditionalSelect(takeB, offB, offA);
                var bottomAt = TW.ConditionalSelect(takeD, offD, offC);
                TW.IntStore(TW.IntAdd(TW.ConditionalSelect(takeBottom, bottomAt, topAt), TW.IntBroadcast(at)), indices + o + j);
            }
        }
    }

    /// <summary>
    /// Max pool backward of one plane: each input of a covered window row pair gets its window's gradient if it is the
    /// window's argmax (offsets as <see cref="MaxForward(Pool2x2Kernel, float[], int, int, float[], int[], int, int, int)"/>
    /// wrote them), else 0 (windows do not overlap, so nothing adds up). Inputs no window covers are left alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackward(Pool2x2Kernel kernel, float[] dOut, int[] indices, int outBase, int oh, int ow, float[] dIn, int inBase, int w)
    {
        Check(kernel, dIn.Length, inBase, w, Math.Min(dOut.Length, indices.Length), outBase, oh, ow, nameof(MaxBackward));
        fixed (float* g = dOut, dx = dIn)
        fixed (int* ix = indices)
        {
            switch (kernel)
            {
                case Pool2x2Kernel.Vector512: MaxBackward<Width512<float>, Vector512<float>>(g + outBase, ix + outBase, oh, ow, dx + inBase, w); break;
                case Pool2x2Kernel.Vector256: MaxBackward<Width256<float>, Vector256<float>>(g + outBase, ix + outBase, oh, ow, dx + inBase, w); break;
                default: MaxBackward<Width128<float>, Vector128<float>>(g + outBase, ix + outBase, oh, ow, dx + inBase, w); break;
            }
        }
    }

    /// <summary>Max pool backward of one plane at one width: per step, W gradients and argmax offsets each doubled to cover 2W inputs of both rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxBackward<TW, TVec>(float* dOut, int* indices, int oh, int ow, float* dIn, int w)
        where TW : IVectorWidth<TVec, float> where TVec : unmanaged
    {
        int n = TW.Count;
        var zero = TW.Broadcast(0f);
        var columns0 = TW.IntIndices;
        var columns1 = TW.IntAdd(columns0, TW.IntBroadcast(n));
        var down = TW.IntBroadcast(w);
        for (int i = 0; i < oh; i++)
        {
            int top = 2 * i * w, o = i * ow;
            for (int j0 = 0; j0 < ow; j0 += n)
            {
                int j = Math.Min(j0, ow - n);
                int at = top + 2 * j;
                var grad = TW.Load(dOut + o + j);
                var argmax = TW.IntLoad(indices + o + j);
                // [g0, g0, g1, g1, ..]: each window's gradient and argmax over its two columns.
                var grad0 = TW.InterleaveLower(grad, grad);
                var grad1 = TW.InterleaveUpper(grad, grad);
                var argmax0 = TW.InterleaveLower(argmax, argmax);
                var argmax1 = TW.InterleaveUpper(argmax, argmax);
                var at0 = TW.IntAdd(TW.IntBroadcast(at), columns0);
                var at1 = TW.IntAdd(TW.IntBroadcast(at), columns1);
                float* upper = dIn + at, lower = upper + w;
                // '+ 0' as the reference's 0 += gradient: a -0 gradient lands as +0, the same bits.
                TW.Store(TW.Add(TW.And(TW.IntEquals(argmax0, at0), grad0), zero), upper);
                TW.Store(TW.Add(TW.And(TW.IntEquals(argmax1, at1), grad1), zero), upper + n);
                TW.Store(TW.Add(TW.And(TW.IntEquals(argmax0, TW.IntAdd(at0, down)), grad0), zero), lower);
                TW.Store(TW.Add(TW.And(TW.IntEquals(argmax1, TW.IntAdd(at1, down)), grad1), zero), lower + n);
            }
        }
    }

    /// <summary>Average pool of one plane: ((a + b) + c) + d over each window, divided by <paramref name="divisor"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgForward(Pool2x2Kernel kernel, float[] src, int inBase, int w, float[] dst, int outBase, int oh, int ow, float divisor)
    {
        Check(kernel, src.Length, inBase, w, dst.Length, outBase, oh, ow, nameof(AvgForward));
        fixed (float* s = src, d = dst)
        {
            switch (kernel)
            {
                case Pool2x2Kernel.Vector512: AvgForward<Width512<float>, Vector512<float>>(s + inBase, w, d + outBase, oh, ow, divisor); break;
                case Pool2x2Kernel.Vector256: AvgForward<Width256<float>, Vector256<float>>(s + inBase, w, d + outBase, oh, ow, divisor); break;
                default: AvgForward<Width128<float>, Vector128<float>>(s + inBase, w, d + outBase, oh, ow, divisor); break;
            }
        }
    }

    /// <summary>Average pool of one plane at one width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AvgForward<TW, TVec>(float* src, int w, float* dst, int oh, int ow, float divisor)
        where TW : IVectorWidth<TVec, float> where TVec : unmanaged
    {
        int n = TW.Count;
        var div = TW.Broadcast(divisor);
        for (int i = 0; i < oh; i++)
        {
            float* top = src + 2 * i * w;
            float* o = dst + i * ow;
            for (int j0 = 0; j0 < ow; j0 += n)
            {
                int j = Math.Min(j0, ow - n);
                float* upper = top + 2 * j, lower = upper + w;
                var u0 = TW.Load(upper);
                var u1 = TW.Load(upper + n);
                var l0 = TW.Load(lower);
                var l1 = TW.Load(lower + n);
                var sum = TW.Add(TW.Add(TW.Add(TW.Evens(u0, u1), TW.Odds(u0, u1)), TW.Evens(l0, l1)), TW.Odds(l0, l1));
                TW.Store(TW.Divide(sum, div), o + j);
            }
        }
    }

    /// <summary>Average pool backward of one plane: each window's gradient / divisor written to its four inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgBackward(Pool2x2Kernel kernel, float[] dOut, int outBase, int oh, int ow, float[] dIn, int inBase, int w, float divisor)
    {
        Check(kernel, dIn.Length, inBase, w, dOut.Length, outBase, oh, ow, nameof(AvgBackward));
        fixed (float* g = dOut, dx = dIn)
        {
            switch (kernel)
            {
                case Pool2x2Kernel.Vector512: AvgBackward<Width512<float>, Vector512<float>>(g + outBase, oh, ow, dx + inBase, w, divisor); break;
                case Pool2x2Kernel.Vector256: AvgBackward<Width256<float>, Vector256<float>>(g + outBase, oh, ow, dx + inBase, w, divisor); break;
                default: AvgBackward<Width128<float>, Vector128<float>>(g + outBase, oh, ow, dx + inBase, w, divisor); break;
            }
        }
    }

    /// <summary>Average pool backward of one plane at one width: W shares, each doubled over its window's two columns, written to both rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AvgBackward<TW, TVec>(float* dOut, int oh, int ow, float* dIn, int w, float divisor)
        where TW : IVectorWidth<TVec, float> where TVec : unmanaged
    {
        int n = TW.Count;
        var div = TW.Broadcast(divisor);
        for (int i = 0; i < oh; i++)
        {
            float* top = dIn + 2 * i * w;
            float* g = dOut + i * ow;
            for (int j0 = 0; j0 < ow; j0 += n)
            {
                int j = Math.Min(j0, ow - n);
                var share = TW.Divide(TW.Load(g + j), div);
                var share0 = TW.InterleaveLower(share, share);
                var share1 = TW.InterleaveUpper(share, share);
                float* upper = top + 2 * j, lower = upper + w;
                TW.Store(share0, upper);
                TW.Store(share1, upper + n);
                TW.Store(share0, lower);
                TW.Store(share1, lower + n);
            }
        }
    }
}

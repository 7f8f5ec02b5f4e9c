using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CourseNotebooks.Engine;

/// <summary>
/// Direct stride-1 convolution on a "padded grid", the fast path of <see cref="ConvCore"/> for stride 1 (the
/// lecture's LeNet and VGG-style layers). Small channel counts (C = 1 or 8, OutC = 8 or 16) make im2col + GEMM a
/// poor GEMM shape (M = 8, K = 25) whose packing costs as much as the multiply; this path needs no im2col at all.
/// </summary>
/// <remarks>
/// <para>The trick: copy the input into a zero-padded buffer [C, Hp, Wp] (Hp = H + 2PH, Wp = W + 2PW) and compute
/// the output on the grid q = i * Wp + j (all Wp columns of each output row, not only the OW valid ones). Then the
/// input of tap (c, kh, kw) for output q sits at q + offset(c, kh, kw) with offset = c*Hp*Wp + kh*DH*Wp + kw*DW:
/// one contiguous run of memory for all outputs, so a tap is one vector load per 16 outputs and the kernel is a
/// register-tiled sum over taps, like a GEMM micro-kernel reading B straight from the image. The grid columns
/// j &gt;= OW (and the tail up to a whole tile) are computed but thrown away: OW/Wp of the work is useful
/// (28/32 for LeNet's first layer, 56/58 at 56x56).</para>
/// <para>The backward data pass of a stride-1 convolution is again one (the "full" correlation with the kernel
/// flipped and its channel axes swapped, padding DH(KH-1) - PH), and the weight gradient is a dot product of the
/// output gradient, placed on the same grid with zeros in the extra columns, with each tap's run of the padded
/// input, so all three passes share the layout.</para>
/// </remarks>
internal static class ConvDirect
{
    /// <summary>Vectors of outputs per register tile.</summary>
    private const int TileVectors = 4;

    /// <summary>Output channels per register tile.</summary>
    private const int TileChannels = 4;

    /// <summary>Whether the direct path runs here: it is written for 512-bit vectors.</summary>
    public static bool Supported<T>() where T : unmanaged => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported;

    /// <summary>Values per vector.</summary>
    public static int Lanes<T>() where T : unmanaged => Vector512<T>.Count;

    /// <summary>Outputs per register tile: grid lengths are rounded up to a multiple of this.</summary>
    public static int Tile<T>() where T : unmanaged => TileVectors * Vector512<T>.Count;

    /// <summary>Grid geometry of one stride-1 correlation: padded input plane Hp x Wp, grid length Q (rounded up to a tile).</summary>
    public readonly record struct Grid(int Channels, int Hp, int Wp, int OH, int OW, int Q, int InputLength)
    {
        /// <summary>
        /// The grid for an input [channels, h, w] padded by (ph, pw), kernel (kh, kw) with dilation (dh, dw).
        /// InputLength covers the farthest read of the last tile (the buffer's tail past the planes is zero).
        /// </summary>
        public static Grid For<T>(int channels, int h, int w, int ph, int pw, int kh, int kw, int dh, int dw) where T : unmanaged
        {
            int hp = h + 2 * ph, wp = w + 2 * pw;
            int oh = hp - dh * (kh - 1), ow = wp - dw * (kw - 1);
            int tile = Tile<T>();
            int q = (oh * wp + tile - 1) / tile * tile;
            int lastOffset = (channels - 1) * hp * wp + (kh - 1) * dh * wp + (kw - 1) * dw;
            return new Grid(channels, hp, wp, oh, ow, q, Math.Max(channels * hp * wp, lastOffset + q));
        }

        /// <summary>Fills <paramref name="offsets"/> (length channels*kh*kw) with each tap's offset in the padded input.</summary>
        public void TapOffsets(int kh, int kw, int dh, int dw, Span<int> offsets)
        {
            int r = 0;
            for (int c = 0; c < Channels; c++)
                for (int a = 0; a < kh; a++)
                    for (int b = 0; b < kw; b++) offsets[r++] = c * Hp * Wp + a * dh * Wp + b * dw;
        }
    }

    /// <summary>
    /// Writes src [channels, h, w] into dst with channel stride <paramref name="channelStride"/>, row stride
    /// <paramref name="rowStride"/>, shifted by (top, left), and zeros everywhere else in dst.
    /// </summary>
    public static void Place<T>(ReadOnlySpan<T> src, int channels, int h, int w, Span<T> dst, int channelStride, int rowStride, int top, int left)
        where T : unmanaged
    {
        dst.Clear();
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < h; i++)
                src.Slice((c * h + i) * w, w).CopyTo(dst.Slice(c * channelStride + (top + i) * rowStride + left, w));
    }

    /// <summary>The valid part of a grid [channels, Q] (rows of width rowStride) into dst [channels, oh, ow], plus bias per channel.</summary>
    public static void Extract<T>(ReadOnlySpan<T> grid, int channels, int q, int rowStride, int oh, int ow, ReadOnlySpan<T> bias, Span<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int c = 0; c < channels; c++)
        {
            T b = bias.IsEmpty ? T.Zero : bias[c];
            for (int i = 0; i < oh; i++)
            {
                var from = grid.Slice(c * q + i * rowStride, ow);
                var to = dst.Slice((c * oh + i) * ow, ow);
                if (bias.IsEmpty) from.CopyTo(to);
                else System.Numerics.Tensors.TensorPrimitives.Add(from, b, to);
            }
        }
    }

    /// <summary>
    /// y[o, q] = sum over r of w[o * taps + r] * x[offsets[r] + q], for o &lt; outChannels and q &lt; grid.Q
    /// (taps = offsets.Length). x holds at least grid.InputLength values, y at least outChannels * grid.Q.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Correlate<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> offsets, ReadOnlySpan<T> w, int outChannels, int q, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int taps = offsets.Length, lanes = Vector512<T>.Count, tile = TileVectors * lanes;
        int maxOffset = 0;
        foreach (int o in offsets) maxOffset = Math.Max(maxOffset, o);
        // The loads below are unchecked: these checks make every one of them in range.
        if (q % tile != 0 || x.Length < maxOffset + q || w.Length < outChannels * taps || y.Length < outChannels * q)
            throw new ArgumentException("ConvDirect.Correlate: buffer sizes do not fit the grid.");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T wr = ref MemoryMarshal.GetReference(w);
        ref T yr = ref MemoryMarshal.GetReference(y);
        ref int offr = ref MemoryMarshal.GetReference(offsets);
        int o0 = 0;
        // Weight rows outer: a block of TileChannels rows (taps * 4 values) stays in L1 while the tiles stream by.
        for (; o0 + TileChannels <= outChannels; o0 += TileChannels)
        {
            ref T w0 = ref Unsafe.Add(ref wr, o0 * taps);
            ref T w1 = ref Unsafe.Add(ref w0, taps);
            ref T w2 = ref Unsafe.Add(ref w1, taps);
            ref T w3 = ref Unsafe.Add(ref w2, taps);
            for (int q0 = 0; q0 < q; q0 += tile)
            {
                Vector512<T> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector512<T> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector512<T> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector512<T> a30 = default, a31 = default, a32 = default, a33 = default;
                for (int r = 0; r < taps; r++)
                {
                    ref T xs = ref Unsafe.Add(ref xr, Unsafe.Add(ref offr, r) + q0);
                    var x0 = Vector512.LoadUnsafe(ref xs);
                    var x1 = Vector512.LoadUnsafe(ref xs, (nuint)lanes);
                    var x2 = Vector512.LoadUnsafe(ref xs, (nuint)(2 * lanes));
                    var x3 = Vector512.LoadUnsafe(ref xs, (nuint)(3 * lanes));
                    var v = Vector512.Create(Unsafe.Add(ref w0, r));
                    a00 = Fma(x0, v, a00); a01 = Fma(x1, v, a01);
                    a02 = Fma(x2, v, a02); a03 = Fma(x3, v, a03);
                    v = Vector512.Create(Unsafe.Add(ref w1, r));
                    a10 = Fma(x0, v, a10); a11 = Fma(x1, v, a11);
                    a12 = Fma(x2, v, a12); a13 = Fma(x3, v, a13);
                    v = Vector512.Create(Unsafe.Add(ref w2, r));
                    a20 = Fma(x0, v, a20); a21 = Fma(x1, v, a21);
                    a22 = Fma(x2, v, a22); a23 = Fma(x3, v, a23);
                    v = Vector512.Create(Unsafe.Add(ref w3, r));
                    a30 = Fma(x0, v, a30); a31 = Fma(x1, v, a31);
                    a32 = Fma(x2, v, a32); a33 = Fma(x3, v, a33);
                }
                Store(ref Unsafe.Add(ref yr, o0 * q + q0), lanes, a00, a01, a02, a03);
                Store(ref Unsafe.Add(ref yr, (o0 + 1) * q + q0), lanes, a10, a11, a12, a13);
                Store(ref Unsafe.Add(ref yr, (o0 + 2) * q + q0), lanes, a20, a21, a22, a23);
                Store(ref Unsafe.Add(ref yr, (o0 + 3) * q + q0), lanes, a30, a31, a32, a33);
            }
        }
        // Leftover rows (outChannels not a multiple of 4) one at a time.
        for (; o0 < outChannels; o0++)
        {
            ref T w0 = ref Unsafe.Add(ref wr, o0 * taps);
            for (int q0 = 0; q0 < q; q0 += tile)
            {
                Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int r = 0; r < taps; r++)
                {
                    ref T xs = ref Unsafe.Add(ref xr, Unsafe.Add(ref offr, r) + q0);
                    var v = Vector512.Create(Unsafe.Add(ref w0, r));
                    a0 = Fma(Vector512.LoadUnsafe(ref xs), v, a0);
                    a1 = Fma(Vector512.LoadUnsafe(ref xs, (nuint)lanes), v, a1);
                    a2 = Fma(Vector512.LoadUnsafe(ref xs, (nuint)(2 * lanes)), v, a2);
                    a3 = Fma(Vector512.LoadUnsafe(ref xs, (nuint)(3 * lanes)), v, a3);
                }
                Store(ref Unsafe.Add(ref yr, o0 * q + q0), lanes, a0, a1, a2, a3);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(ref T at, int lanes, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, Vector512<T> v3)
        where T : unmanaged
    {
        v0.StoreUnsafe(ref at);
        v1.StoreUnsafe(ref at, (nuint)lanes);
        v2.StoreUnsafe(ref at, (nuint)(2 * lanes));
        v3.StoreUnsafe(ref at, (nuint)(3 * lanes));
    }

    /// <summary>
    /// The weight gradient on the grid: dW[o, r] += sum over q' &lt; q of dy[o, q'] * x[offsets[r] + q']. dy holds zeros
    /// outside the valid outputs, so the extra grid columns add nothing. With <paramref name="vectorSums"/> the result
    /// stays in vector form: acc holds one vector per weight (vector index o * taps + r) and the lanes are summed once
    /// at the end (<see cref="AddLaneSums{T}"/>), not once per image, which pays off on small grids (a few hundred
    /// outputs: the horizontal sums would cost as much as the multiply-adds). Without it acc is dW itself: on large
    /// grids the sums are cheap and a vector per weight would be megabytes of accumulator traffic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGradient<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> offsets, ReadOnlySpan<T> dy, int outChannels, int q, Span<T> acc, bool vectorSums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int taps = offsets.Length, lanes = Vector512<T>.Count;
        int width = vectorSums ? lanes : 1;
        int maxOffset = 0;
        foreach (int o in offsets) maxOffset = Math.Max(maxOffset, o);
        if (q % lanes != 0 || x.Length < maxOffset + q || dy.Length < outChannels * q || acc.Length < outChannels * taps * width)
            throw new ArgumentException("ConvDirect.WeightGradient: buffer sizes do not fit the grid.");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(dy);
        ref T ar = ref MemoryMarshal.GetReference(acc);
        int o0 = 0;
        // 4 output channels x 4 taps per register tile: 8 loads feed 16 FMAs.
        for (; o0 + 4 <= outChannels; o0 += 4)
        {
            ref T d0 = ref Unsafe.Add(ref dr, o0 * q);
            ref T d1 = ref Unsafe.Add(ref d0, q);
            ref T d2 = ref Unsafe.Add(ref d1, q);
            ref T d3 = ref Unsafe.Add(ref d2, q);
            int r0 = 0;
            for (; r0 + 4 <= taps; r0 += 4)
            {
                ref T x0r = ref Unsafe.Add(ref xr, offsets[r0]);
                ref T x1r = ref Unsafe.Add(ref xr, offsets[r0 + 1]);
                ref T x2r = ref Unsafe.Add(ref xr, offsets[r0 + 2]);
                ref T x3r = ref Unsafe.Add(ref xr, offsets[r0 + 3]);
                Vector512<T> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector512<T> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector512<T> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector512<T> a30 = default, a31 = default, a32 = default, a33 = default;
                for (nuint i = 0; i < (nuint)q; i += (nuint)lanes)
                {
                    var x0 = Vector512.LoadUnsafe(ref x0r, i); var x1 = Vector512.LoadUnsafe(ref x1r, i);
                    var x2 = Vector512.LoadUnsafe(ref x2r, i); var x3 = Vector512.LoadUnsafe(ref x3r, i);
                    var g = Vector512.LoadUnsafe(ref d0, i);
                    a00 = Fma(g, x0, a00); a01 = Fma(g, x1, a01);
                    a02 = Fma(g, x2, a02); a03 = Fma(g, x3, a03);
                    g = Vector512.LoadUnsafe(ref d1, i);
                    a10 = Fma(g, x0, a10); a11 = Fma(g, x1, a11);
                    a12 = Fma(g, x2, a12); a13 = Fma(g, x3, a13);
                    g = Vector512.LoadUnsafe(ref d2, i);
                    a20 = Fma(g, x0, a20); a21 = Fma(g, x1, a21);
                    a22 = Fma(g, x2, a22); a23 = Fma(g, x3, a23);
                    g = Vector512.LoadUnsafe(ref d3, i);
                    a30 = Fma(g, x0, a30); a31 = Fma(g, x1, a31);
                    a32 = Fma(g, x2, a32); a33 = Fma(g, x3, a33);
                }
                Accumulate(ref Unsafe.Add(ref ar, (o0 * taps + r0) * width), vectorSums, a00, a01, a02, a03);
                Accumulate(ref Unsafe.Add(ref ar, ((o0 + 1) * taps + r0) * width), vectorSums, a10, a11, a12, a13);
                Accumulate(ref Unsafe.Add(ref ar, ((o0 + 2) * taps + r0) * width), vectorSums, a20, a21, a22, a23);
                Accumulate(ref Unsafe.Add(ref ar, ((o0 + 3) * taps + r0) * width), vectorSums, a30, a31, a32, a33);
            }
            for (int o = o0; o < o0 + 4; o++)
                for (int r = r0; r < taps; r++)
                    Dot(ref Unsafe.Add(ref dr, o * q), ref Unsafe.Add(ref xr, offsets[r]), q, ref Unsafe.Add(ref ar, (o * taps + r) * width), vectorSums);
        }
        for (; o0 < outChannels; o0++)
            for (int r = 0; r < taps; r++)
                Dot(ref Unsafe.Add(ref dr, o0 * q), ref Unsafe.Add(ref xr, offsets[r]), q, ref Unsafe.Add(ref ar, (o0 * taps + r) * width), vectorSums);
    }

    /// <summary>dw[i] += the sum of the lanes of vector i of acc (the end of <see cref="WeightGradient{T}"/>'s accumulation).</summary>
    public static void AddLaneSums<T>(ReadOnlySpan<T> acc, Span<T> dw) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Vector512<T>.Count;
        for (int i = 0; i < dw.Length; i++) dw[i] += Vector512.Sum(Vector512.Create(acc.Slice(i * lanes, lanes)));
    }

    /// <summary>Adds four accumulators to four consecutive weights: lane-wise (four vectors at <paramref name="at"/>) or summed (four values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<T>(ref T at, bool vectorSums, Vector512<T> s0, Vector512<T> s1, Vector512<T> s2, Vector512<T> s3)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (vectorSums)
        {
            nuint lanes = (nuint)Vector512<T>.Count;
            (Vector512.LoadUnsafe(ref at) + s0).StoreUnsafe(ref at);
            (Vector512.LoadUnsafe(ref at, lanes) + s1).StoreUnsafe(ref at, lanes);
            (Vector512.LoadUnsafe(ref at, 2 * lanes) + s2).StoreUnsafe(ref at, 2 * lanes);
            (Vector512.LoadUnsafe(ref at, 3 * lanes) + s3).StoreUnsafe(ref at, 3 * lanes);
            return;
        }
        at += Vector512.Sum(s0);
        Unsafe.Add(ref at, 1) += Vector512.Sum(s1);
        Unsafe.Add(ref at, 2) += Vector512.Sum(s2);
        Unsafe.Add(ref at, 3) += Vector512.Sum(s3);
    }

    /// <summary>x * y + z in one rounding (the generic Vector512.FusedMultiplyAdd exists only for float and double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        return x * y + z;
    }

    /// <summary>acc += the products of a and b over length elements: lane-wise into one vector, or summed into one value.</summary>
    private static void Dot<T>(ref T a, ref T b, int length, ref T acc, bool vectorSums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sum = Vector512<T>.Zero;
        for (nuint i = 0; i < (nuint)length; i += (nuint)Vector512<T>.Count)
            sum = Fma(Vector512.LoadUnsafe(ref a, i), Vector512.LoadUnsafe(ref b, i), sum);
        if (vectorSums) (Vector512.LoadUnsafe(ref acc) + sum).StoreUnsafe(ref acc);
        else acc += Vector512.Sum(sum);
    }
}

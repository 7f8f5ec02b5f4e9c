using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// How a convolution runs: im2col + GEMM (any stride, any element type), or the direct stride-1 kernel at one
/// vector width. <see cref="ConvCore{T}"/> picks one per layer shape (its DirectKernel method holds the rule).
/// </summary>
internal enum ConvKernel
{
    /// <summary>Unfold the input (im2col) and multiply with the GEMM.</summary>
    Im2Col,

    /// <summary>The direct kernel on 128-bit vectors (SSE, ARM64 NEON).</summary>
    Direct128,

    /// <summary>The direct kernel on 256-bit vectors (AVX2).</summary>
    Direct256,

    /// <summary>The direct kernel on 512-bit vectors (AVX-512).</summary>
    Direct512,
}

/// <summary>
/// Direct stride-1 convolution on a "padded grid", the fast path of <see cref="ConvCore{T}"/> for stride 1 (the
/// lecture's LeNet and VGG-style layers). Small channel counts (C = 1 or 8, OutC = 8 or 16) make im2col + GEMM a
/// poor GEMM shape (M = 8, K = 25) whose packing costs as much as the multiply; this path needs no im2col at all.
/// </summary>
/// <remarks>
/// <para>The trick: copy the input into a zero-padded buffer [C, Hp, Wp] (Hp = H + 2PH, Wp = W + 2PW) and compute
/// the output on the grid q = i * Wp + j (all Wp columns of each output row, not only the OW valid ones). Then the
/// input of tap (c, kh, kw) for output q sits at q + offset(c, kh, kw) with offset = c*Hp*Wp + kh*DH*Wp + kw*DW:
/// one contiguous run of memory for all outputs, so a tap is one vector load per vector of outputs and the kernel is a
/// register-tiled sum over taps, like a GEMM micro-kernel reading B straight from the image. The grid columns
/// j &gt;= OW (and the tail up to a whole tile) are computed but thrown away: OW/Wp of the work is useful
/// (28/32 for LeNet's first layer, 56/58 at 56x56).</para>
/// <para>The backward data pass of a stride-1 convolution is again one (the "full" correlation with the kernel
/// flipped and its channel axes swapped, padding DH(KH-1) - PH), and the weight gradient is a dot product of the
/// output gradient, placed on the same grid with zeros in the extra columns, with each tap's run of the padded
/// input, so all three passes share the layout.</para>
/// <para>Every kernel is written once over the vector width (<see cref="IVectorWidth{TVec, T}"/>) and runs at 512,
/// 256 or 128 bits (<see cref="ConvKernel"/>). The register tile is 4 output channels by 4 vectors where the CPU
/// has 32 vector registers (AVX-512, ARM64) and 4 by 3 where it has 16 (AVX2, SSE): 12 accumulators, 3 input
/// vectors and the broadcast weight fill the 16 without spilling. The grid is rounded up to whole tiles, so there is
/// no tail along it; leftover channels and taps (counts not a multiple of 4) run one at a time.</para>
/// </remarks>
internal static unsafe class ConvDirect
{
    /// <summary>Output channels per register tile, at every width.</summary>
    private const int TileChannels = 4;

    /// <summary>Whether <paramref name="kernel"/> is a direct kernel that runs as real vector code here for <typeparamref name="T"/>.</summary>
    public static bool Supported<T>(ConvKernel kernel) where T : unmanaged, IFloatingPointIeee754<T> => kernel switch
    {
        ConvKernel.Direct512 => Width512<T>.IsAccelerated,
        ConvKernel.Direct256 => Width256<T>.IsAccelerated,
        ConvKernel.Direct128 => Width128<T>.IsAccelerated,
        _ => false,
    };

    /// <summary>The widest direct kernel this machine runs for <typeparamref name="T"/>, or Im2Col when no width is accelerated (Half, no SIMD).</summary>
    public static ConvKernel Widest<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        Width512<T>.IsAccelerated ? ConvKernel.Direct512
        : Width256<T>.IsAccelerated ? ConvKernel.Direct256
        : Width128<T>.IsAccelerated ? ConvKernel.Direct128
        : ConvKernel.Im2Col;

    /// <summary>Values per vector of a direct kernel.</summary>
    public static int Lanes<T>(ConvKernel kernel) where T : unmanaged, IFloatingPointIeee754<T> => kernel switch
    {
        ConvKernel.Direct512 => Width512<T>.Count,
        ConvKernel.Direct256 => Width256<T>.Count,
        ConvKernel.Direct128 => Width128<T>.Count,
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "not a direct kernel"),
    };

    /// <summary>Outputs per register tile of a direct kernel: grid lengths are rounded up to a multiple of this.</summary>
    public static int Tile<T>(ConvKernel kernel) where T : unmanaged, IFloatingPointIeee754<T> => kernel switch
    {
        ConvKernel.Direct512 => TileVectors<Width512<T>, Vector512<T>, T>() * Width512<T>.Count,
        ConvKernel.Direct256 => TileVectors<Width256<T>, Vector256<T>, T>() * Width256<T>.Count,
        ConvKernel.Direct128 => TileVectors<Width128<T>, Vector128<T>, T>() * Width128<T>.Count,
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "not a direct kernel"),
    };

    /// <summary>
    /// Vectors of outputs per register tile (and taps per weight-gradient tile): 4 x 4 accumulators with 32
    /// registers, 4 x 3 with 16. A JIT-time constant per width. Measured on AVX2 against im2col in the same run: the
    /// 4 x 4 tile there (spilling) was 1.2-1.5x slower than 4 x 3 on the lecture's shapes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TileVectors<TW, TVec, T>()
        where TW : IVectorWidth<TVec, T> where TVec : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
        => TW.Registers >= 32 ? 4 : 3;

    /// <summary>
    /// Grid geometry of one stride-1 correlation at one vector width: padded input plane Hp x Wp, grid length Q
    /// (rounded up to a tile of that width).
    /// </summary>
    public readonly record struct Grid(ConvKernel Kernel, int Channels, int Hp, int Wp, int OH, int OW, int Q, int InputLength)
    {
        /// <summary>
        /// The grid for an input [channels, h, w] padded by (ph, pw), kernel (kh, kw) with dilation (dh, dw), for the
        /// direct kernel <paramref name="kernel"/>. InputLength covers the farthest read of the last tile (the buffer's
        /// tail past the planes is zero).
        /// </summary>
        public static Grid For<T>(ConvKernel kernel, int channels, int h, int w, int ph, int pw, int kh, int kw, int dh, int dw)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            int hp = h + 2 * ph, wp = w + 2 * pw;
            int oh = hp - dh * (kh - 1), ow = wp - dw * (kw - 1);
            int tile = Tile<T>(kernel);
            int q = (oh * wp + tile - 1) / tile * tile;
            int lastOffset = (channels - 1) * hp * wp + (kh - 1) * dh * wp + (kw - 1) * dw;
            return new Grid(kernel, channels, hp, wp, oh, ow, q, Math.Max(channels * hp * wp, lastOffset + q));
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
    /// (taps = offsets.Length), at the grid's vector width. x holds at least grid.InputLength values, y at least
    /// outChannels * grid.Q.
    /// </summary>
    public static void Correlate<T>(in Grid grid, ReadOnlySpan<T> x, ReadOnlySpan<int> offsets, ReadOnlySpan<T> w, int outChannels, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int taps = offsets.Length, q = grid.Q;
        int maxOffset = 0;
        foreach (int o in offsets) maxOffset = Math.Max(maxOffset, o);
        // The loads in the kernels are unchecked: these checks make every one of them in range.
        if (q % Tile<T>(grid.Kernel) != 0 || x.Length < maxOffset + q || w.Length < outChannels * taps || y.Length < outChannels * q)
            throw new ArgumentException("ConvDirect.Correlate: buffer sizes do not fit the grid.");
        fixed (T* px = x, pw = w, py = y)
        fixed (int* po = offsets)
        {
            switch (grid.Kernel)
            {
                case ConvKernel.Direct512: Correlate<Width512<T>, Vector512<T>, T>(px, po, taps, pw, outChannels, q, py); break;
                case ConvKernel.Direct256: Correlate<Width256<T>, Vector256<T>, T>(px, po, taps, pw, outChannels, q, py); break;
                default: Correlate<Width128<T>, Vector128<T>, T>(px, po, taps, pw, outChannels, q, py); break;
            }
        }
    }

    /// <summary>
    /// The correlation at one width: per block of 4 output channels and tile of outputs, each tap loads the tile's
    /// input vectors once and broadcasts 4 weights, 4 x V independent multiply-adds (V = 4 or 3 vectors).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Correlate<TW, TVec, T>(T* x, int* offsets, int taps, T* w, int outChannels, int q, T* y)
        where TW : IVectorWidth<TVec, T> where TVec : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = TW.Count;
        bool four = TileVectors<TW, TVec, T>() == 4;
        int tile = TileVectors<TW, TVec, T>() * lanes;
        int o0 = 0;
        // Weight rows outer: a block of TileChannels rows (taps * 4 values) stays in L1 while the tiles stream by.
        for (; o0 + TileChannels <= outChannels; o0 += TileChannels)
        {
            T* w0 = w + (nint)o0 * taps, w1 = w0 + taps, w2 = w1 + taps, w3 = w2 + taps;
            for (int q0 = 0; q0 < q; q0 += tile)
            {
                TVec a00 = default, a01 = default, a02 = default, a03 = default;
                TVec a10 = default, a11 = default, a12 = default, a13 = default;
                TVec a20 = default, a21 = default, a22 = default, a23 = default;
                TVec a30 = default, a31 = default, a32 = default, a33 = default;
                for (int r = 0; r < taps; r++)
                {
                    T* xs = x + offsets[r] + q0;
                    var x0 = TW.Load(xs);
                    var x1 = TW.Load(xs + lanes);
                    var x2 = TW.Load(xs + 2 * lanes);
                    var x3 = four ? TW.Load(xs + 3 * lanes) : default;
                    var v = TW.Broadcast(w0[r]);
                    a00 = TW.MultiplyAdd(x0, v, a00); a01 = TW.MultiplyAdd(x1, v, a01); a02 = TW.MultiplyAdd(x2, v, a02);
                    if (four) a03 = TW.MultiplyAdd(x3, v, a03);
                    v = TW.Broadcast(w1[r]);
                    a10 = TW.MultiplyAdd(x0, v, a10); a11 = TW.MultiplyAdd(x1, v, a11); a12 = TW.MultiplyAdd(x2, v, a12);
                    if (four) a13 = TW.MultiplyAdd(x3, v, a13);
                    v = TW.Broadcast(w2[r]);
                    a20 = TW.MultiplyAdd(x0, v, a20); a21 = TW.MultiplyAdd(x1, v, a21); a22 = TW.MultiplyAdd(x2, v, a22);
                    if (four) a23 = TW.MultiplyAdd(x3, v, a23);
                    v = TW.Broadcast(w3[r]);
                    a30 = TW.MultiplyAdd(x0, v, a30); a31 = TW.MultiplyAdd(x1, v, a31); a32 = TW.MultiplyAdd(x2, v, a32);
                    if (four) a33 = TW.MultiplyAdd(x3, v, a33);
                }
                T* y0 = y + (nint)o0 * q + q0;
                StoreTile<TW, TVec, T>(y0, lanes, four, a00, a01, a02, a03);
                StoreTile<TW, TVec, T>(y0 + q, lanes, four, a10, a11, a12, a13);
                StoreTile<TW, TVec, T>(y0 + 2 * q, lanes, four, a20, a21, a22, a23);
                StoreTile<TW, TVec, T>(y0 + 3 * q, lanes, four, a30, a31, a32, a33);
            }
        }
        // Leftover rows (outChannels not a multiple of 4) one at a time.
        for (; o0 < outChannels; o0++)
        {
            T* w0 = w + (nint)o0 * taps;
            for (int q0 = 0; q0 < q; q0 += tile)
            {
                TVec a0 = default, a1 = default, a2 = default, a3 = default;
                for (int r = 0; r < taps; r++)
                {
                    T* xs = x + offsets[r] + q0;
                    var v = TW.Broadcast(w0[r]);
                    a0 = TW.MultiplyAdd(TW.Load(xs), v, a0);
                    a1 = TW.MultiplyAdd(TW.Load(xs + lanes), v, a1);
                    a2 = TW.MultiplyAdd(TW.Load(xs + 2 * lanes), v, a2);
                    if (four) a3 = TW.MultiplyAdd(TW.Load(xs + 3 * lanes), v, a3);
                }
                StoreTile<TW, TVec, T>(y + (nint)o0 * q + q0, lanes, four, a0, a1, a2, a3);
            }
        }
    }

    /// <summary>Stores one channel's row of a tile: 4 vectors, or the first 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTile<TW, TVec, T>(T* at, int lanes, bool four, TVec v0, TVec v1, TVec v2, TVec v3)
        where TW : IVectorWidth<TVec, T> where TVec : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        TW.Store(v0, at);
        TW.Store(v1, at + lanes);
        TW.Store(v2, at + 2 * lanes);
        if (four) TW.Store(v3, at + 3 * lanes);
    }

    /// <summary>
    /// The weight gradient on the grid: dW[o, r] += sum over q' &lt; q of dy[o, q'] * x[offsets[r] + q']. dy holds zeros
    /// outside the valid outputs, so the extra grid columns add nothing. With <paramref name="vectorSums"/> the result
    /// stays in vector form: acc holds one vector (of the grid's width) per weight (vector index o * taps + r) and the
    /// lanes are summed once at the end (<see cref="AddLaneSums{T}"/>), not once per image, which pays off on small
    /// grids (a few hundred outputs: the horizontal sums would cost as much as the multiply-adds). Without it acc is
    /// dW itself: on large grids the sums are cheap and a vector per weight would be megabytes of accumulator traffic.
    /// </summary>
    public static void WeightGradient<T>(in Grid grid, ReadOnlySpan<T> x, ReadOnlySpan<int> offsets, ReadOnlySpan<T> dy, int outChannels, Span<T> acc, bool vectorSums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int taps = offsets.Length, q = grid.Q;
        int width = vectorSums ? Lanes<T>(grid.Kernel) : 1;
        int maxOffset = 0;
        foreach (int o in offsets) maxOffset = Math.Max(maxOffset, o);
        if (q % Lanes<T>(grid.Kernel) != 0 || x.Length < maxOffset + q || dy.Length < outChannels * q || acc.Length < outChannels * taps * width)
            throw new ArgumentException("ConvDirect.WeightGradient: buffer sizes do not fit the grid.");
        fixed (T* px = x, pd = dy, pa = acc)
        fixed (int* po = offsets)
        {
            switch (grid.Kernel)
            {
                case ConvKernel.Direct512: WeightGradient<Width512<T>, Vector512<T>, T>(px, po, taps, pd, outChannels, q, pa, vectorSums); break;
                case ConvKernel.Direct256: WeightGradient<Width256<T>, Vector256<T>, T>(px, po, taps, pd, outChannels, q, pa, vectorSums); break;
                default: WeightGradient<Width128<T>, Vector128<T>, T>(px, po, taps, pd, outChannels, q, pa, vectorSums); break;
            }
        }
    }

    /// <summary>
    /// The weight gradient at one width: 4 output channels x V taps per register tile (V = 4 or 3, as the
    /// correlation's vectors), so V + 4 loads feed 4V multiply-adds; leftover taps and channels as single dot products.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradient<TW, TVec, T>(T* x, int* offsets, int taps, T* dy, int outChannels, int q, T* acc, bool vectorSums)
        where TW : IVectorWidth<TVec, T> where TVec : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = TW.Count, width = vectorSums ? lanes : 1;
        int tapTile = TileVectors<TW, TVec, T>();
        bool four = tapTile == 4;
        int o0 = 0;
        for (; o0 + TileChannels <= outChannels; o0 += TileChannels)
        {
            T* d0 = dy + (nint)o0 * q, d1 = d0 + q, d2 = d1 + q, d3 = d2 + q;
            int r0 = 0;
            for (; r0 + tapTile <= taps; r0 += tapTile)
            {
                T* x0r = x + offsets[r0], x1r = x + offsets[r0 + 1], x2r = x + offsets[r0 + 2];
                T* x3r = four ? x + offsets[r0 + 3] : x0r;
                TVec a00 = default, a01 = default, a02 = default, a03 = default;
                TVec a10 = default, a11 = default, a12 = default, a13 = default;
                TVec a20 = default, a21 = default, a22 = default, a23 = default;
                TVec a30 = default, a31 = default, a32 = default, a33 = default;
                for (nint i = 0; i < q; i += lanes)
                {
                    var x0 = TW.Load(x0r + i); var x1 = TW.Load(x1r + i); var x2 = TW.Load(x2r + i);
                    var x3 = four ? TW.Load(x3r + i) : default;
                    var g = TW.Load(d0 + i);
                    a00 = TW.MultiplyAdd(g, x0, a00); a01 = TW.MultiplyAdd(g, x1, a01); a02 = TW.MultiplyAdd(g, x2, a02);
                    if (four) a03 = TW.MultiplyAdd(g, x3, a03);
                    g = TW.Load(d1 + i);
                    a10 = TW.MultiplyAdd(g, x0, a10); a11 = TW.MultiplyAdd(g, x1, a11); a12 = TW.MultiplyAdd(g, x2, a12);
                    if (four) a13 = TW.MultiplyAdd(g, x3, a13);
                    g = TW.Load(d2 + i);
                    a20 = TW.MultiplyAdd(g, x0, a20); a21 = TW.MultiplyAdd(g, x1, a21); a22 = TW.MultiplyAdd(g, x2, a22);
                    if (four) a23 = TW.MultiplyAdd(g, x3, a23);
                    g = TW.Load(d3 + i);
                    a30 = TW.MultiplyAdd(g, x0, a30); a31 = TW.MultiplyAdd(g, x1, a31); a32 = TW.MultiplyAdd(g, x2, a32);
                    if (four) a33 = TW.MultiplyAdd(g, x3, a33);
                }
                Accumulate<TW, TVec, T>(acc + ((nint)o0 * taps + r0) * width, width, vectorSums, four, a00, a01, a02, a03);
                Accumulate<TW, TVec, T>(acc + ((nint)(o0 + 1) * taps + r0) * width, width, vectorSums, four, a10, a11, a12, a13);
                Accumulate<TW, TVec, T>(acc + ((nint)(o0 + 2) * taps + r0) * width, width, vectorSums, four, a20, a21, a22, a23);
                Accumulate<TW, TVec, T>(acc + ((nint)(o0 + 3) * taps + r0) * width, width, vectorSums, four, a30, a31, a32, a33);
            }
            for (int o = o0; o < o0 + TileChannels; o++)
                for (int r = r0; r < taps; r++)
                    Dot<TW, TVec, T>(dy + (nint)o * q, x + offsets[r], q, acc + ((nint)o * taps + r) * width, vectorSums);
        }
        for (; o0 < outChannels; o0++)
            for (int r = 0; r < taps; r++)
                Dot<TW, TVec, T>(dy + (nint)o0 * q, x + offsets[r], q, acc + ((nint)o0 * taps + r) * width, vectorSums);
    }

    /// <summary>dw[i] += the sum of the lanes of vector i of acc (the end of <see cref="WeightGradient{T}"/>'s accumulation at <paramref name="kernel"/>'s width).</summary>
    public static void AddLaneSums<T>(ConvKernel kernel, ReadOnlySpan<T> acc, Span<T> dw) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Lanes<T>(kernel);
        if (acc.Length < dw.Length * lanes) throw new ArgumentException("ConvDirect.AddLaneSums: acc is shorter than one vector per weight.");
        fixed (T* pa = acc)
        {
            for (int i = 0; i < dw.Length; i++)
                dw[i] += kernel switch
                {
                    ConvKernel.Direct512 => Width512<T>.Sum(Width512<T>.Load(pa + (nint)i * lanes)),
                    ConvKernel.Direct256 => Width256<T>.Sum(Width256<T>.Load(pa + (nint)i * lanes)),
                    _ => Width128<T>.Sum(Width128<T>.Load(pa + (nint)i * lanes)),
                };
        }
    }

    /// <summary>Adds a tile row's 4 (or 3) accumulators to consecutive weights: lane-wise (vectors of <paramref name="width"/> values at <paramref name="at"/>) or summed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<TW, TVec, T>(T* at, int width, bool vectorSums, bool four, TVec s0, TVec s1, TVec s2, TVec s3)
        where TW : IVectorWidth<TVec, T> where TVec : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (vectorSums)
        {
            TW.Store(TW.Add(TW.Load(at), s0), at);
            TW.Store(TW.Add(TW.Load(at + width), s1), at + width);
            TW.Store(TW.Add(TW.Load(at + 2 * width), s2), at + 2 * width);
            if (four) TW.Store(TW.Add(TW.Load(at + 3 * width), s3), at + 3 * width);
            return;
        }
        at[0] += TW.Sum(s0);
        at[1] += TW.Sum(s1);
        at[2] += TW.Sum(s2);
        if (four) at[3] += TW.Sum(s3);
    }

    /// <summary>acc += the products of a and b over length elements (a multiple of the width): lane-wise into one vector, or summed into one value.</summary>
    private static void Dot<TW, TVec, T>(T* a, T* b, int length, T* acc, bool vectorSums)
        where TW : IVectorWidth<TVec, T> where TVec : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        TVec sum = default;
        for (nint i = 0; i < length; i += TW.Count)
            sum = TW.MultiplyAdd(TW.Load(a + i), TW.Load(b + i), sum);
        if (vectorSums) TW.Store(TW.Add(TW.Load(acc), sum), acc);
        else *acc += TW.Sum(sum);
    }
}

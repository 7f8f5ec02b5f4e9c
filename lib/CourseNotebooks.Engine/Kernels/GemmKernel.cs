using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// The blocked, packed GEMM behind <see cref="Gemm.Multiply{T}"/> (the GotoBLAS / BLIS structure). Arguments
/// are already checked by the caller.
/// </summary>
/// <remarks>
/// <para>Loop nest, outermost first: columns of C in blocks of NC; the K dimension in blocks of KC, where a
/// KC x NC block of op(B) is packed into NR-column panels; rows of C in blocks of MC, where an MC x KC block of
/// op(A) is packed into MR-row panels; then every NR-column panel times every MR-row panel is one call of the
/// micro-kernel, which keeps an MR x NR tile of C in registers for all KC steps. Packing puts exactly the
/// numbers the micro-kernel reads next to each other, so it streams through memory with unit stride no
/// matter how A and B are stored: transposes are handled there and cost nothing extra.</para>
/// <para>Block sizes: one B micro-panel (KC x NR, 32 KiB) stays in L1 while the MR-row panels of A
/// (MC x KC, 256 KiB) stream from the 1 MiB L2 (Zen 4/5 per-core caches: 32/48 KiB L1D, 1 MiB L2).</para>
/// <para>Edges: panels are zero-padded to MR and NR; a partial tile of C is computed into a scratch tile and
/// only its valid part is merged, so the micro-kernel never branches. beta is applied with the first K block
/// only, and beta = 0 never reads C (NaN in C does not leak through, as in BLAS).</para>
/// <para>Threads: a fixed partition of the columns (or rows, when C is tall) of C into one contiguous range per
/// thread, on the engine's kept workers (<see cref="WorkerPool"/>); each thread packs its own panels, so there is no
/// synchronisation inside the multiply. Products below <see cref="ParallelPolicy.GemmFlopsPerThread"/> stay on the calling thread, where
/// waking a worker would cost more than it saves.</para>
/// </remarks>
internal static unsafe class GemmKernel
{
    public static void Run<T>(bool transposeA, bool transposeB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunPlanned(Plan<T>.Value, transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// The same product with a chosen micro-kernel, so tests can check the AVX2 and scalar fallbacks on a machine
    /// that would pick AVX-512. The kind must be supported by the hardware and by <typeparamref name="T"/>.
    /// </summary>
    internal static void RunWithKernel<T>(KernelKind kind, bool transposeA, bool transposeB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunPlanned(Plan<T>.For(kind), transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    private static void RunPlanned<T>(Geometry plan, bool transposeA, bool transposeB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0) return;
        if (k == 0 || T.IsZero(alpha))
        {
            ScaleRows(c, m, n, ldc, beta);
            return;
        }

        fixed (T* pa = a, pb = b, pc = c)
        {
            var job = new Job<T>(plan, transposeA, transposeB, alpha, beta, pa, lda, pb, ldb, pc, ldc, k);
            int threads = ParallelPolicy.GemmThreads(2L * m * n * k);
            bool splitColumns = n >= m;
            int units = splitColumns ? (n + plan.NR - 1) / plan.NR : (m + plan.MR - 1) / plan.MR;
            threads = Math.Min(threads, units);
            if (threads <= 1)
            {
                job.Execute(0, m, 0, n);
                return;
            }

            RunParallel(job, threads, units, splitColumns ? plan.NR : plan.MR, splitColumns, m, n);
        }
    }

    /// <summary>
    /// A fixed split of C into <paramref name="threads"/> equal shares of whole panels (so each range starts on a
    /// panel boundary), run on the engine's kept worker threads (<see cref="WorkerPool"/>): no task or closure objects
    /// per call.
    /// </summary>
    private static void RunParallel<T>(Job<T> job, int threads, int units, int unit, bool splitColumns, int m, int n)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        WorkerPool.Run(units, threads, new PanelRange<T>(job, unit, splitColumns, m, n));

    /// <summary>One worker's panels [from, to) of C: columns when <see cref="SplitColumns"/>, else rows.</summary>
    private readonly record struct PanelRange<T>(Job<T> Job, int Unit, bool SplitColumns, int M, int N) : ISampleRange
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int worker, int from, int to)
        {
            int extent = SplitColumns ? N : M;
            int start = Math.Min(extent, from * Unit), end = Math.Min(extent, to * Unit);
            if (start >= end) return;
            if (SplitColumns) Job.Execute(0, M, start, end);
            else Job.Execute(start, end, 0, N);
        }
    }

    /// <summary>C = beta * C on the m x n window, with beta = 0 overwriting (so NaN in C is cleared).</summary>
    private static void ScaleRows<T>(Span<T> c, int m, int n, int ldc, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.One) return;
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (T.IsZero(beta)) row.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    /// <summary>Which micro-kernel runs and the block sizes that go with it, fixed per element type.</summary>
    internal enum KernelKind { Vector512, Vector256, Vector128, Scalar }

    private readonly record struct Geometry(KernelKind Kind, int MR, int NR, int KC, int MC, int NC);

    /// <summary>The micro-kernel this machine runs for <typeparamref name="T"/> and its tile rows (for tests and the benchmark).</summary>
    internal static (KernelKind Kind, int Rows) Chosen<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        (Plan<T>.Value.Kind, Plan<T>.Value.MR);

    private static class Plan<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static readonly Geometry Value = For(
            Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported ? KernelKind.Vector512
            : Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported ? KernelKind.Vector256
            : Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported ? KernelKind.Vector128
            : KernelKind.Scalar);

        // The vector micro-kernels hold 2 vectors per row of the C tile. With 32 vector registers (AVX-512's zmm,
        // ARM64's NEON), 12 rows use 24 accumulators and leave room for the 2 B vectors and the A broadcast; with 16
        // (AVX2's ymm, x64's xmm), 6 rows use 12.
        public static Geometry For(KernelKind kind) => kind switch
        {
            KernelKind.Vector512 => Sized(kind, 12, 2 * Vector512<T>.Count),
            KernelKind.Vector256 => Sized(kind, 6, 2 * Vector256<T>.Count),
            KernelKind.Vector128 => Sized(kind, System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported ? 12 : 6, 2 * Vector128<T>.Count),
            _ => Sized(kind, 4, 4),
        };

        private static Geometry Sized(KernelKind kind, int mr, int nr)
        {
            int size = Unsafe.SizeOf<T>();
            // KC: a B micro-panel (KC x NR) of 32 KiB stays in L1 while A streams past it (256 for float and double
            // with the AVX-512 kernel). Measured on a busy Zen 5 (48 KiB L1): 256 beat 128 and 192 by 10-20 %.
            int kc = Math.Clamp(32 * 1024 / (nr * size), 64, 512);
            // MC: the packed A block (MC x KC) takes about a quarter of the 1 MiB L2, leaving room for C and B.
            int mc = Math.Max(mr, 256 * 1024 / (kc * size) / mr * mr);
            // NC: the packed B block (KC x NC) lives in L2/L3; large, so A is repacked rarely.
            int nc = Math.Max(nr, 4096 / nr * nr);
            return new Geometry(kind, mr, nr, kc, mc, nc);
        }
    }

    /// <summary>One multiply's operands as raw pointers, so thread workers can share it without copying spans.</summary>
    private readonly struct Job<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Geometry _g;
        private readonly bool _transposeA, _transposeB;
        private readonly T _alpha, _beta;
        private readonly T* _a, _b, _c;
        private readonly int _lda, _ldb, _ldc, _k;

        public Job(Geometry g, bool transposeA, bool transposeB, T alpha, T beta, T* a, int lda, T* b, int ldb, T* c, int ldc, int k)
        {
            (_g, _transposeA, _transposeB, _alpha, _beta) = (g, transposeA, transposeB, alpha, beta);
            _a = a; _b = b; _c = c;
            (_lda, _ldb, _ldc, _k) = (lda, ldb, ldc, k);
        }

        /// <summary>Computes rows [i0, i1) x columns [j0, j1) of C on the calling thread.</summary>
        public void Execute(int i0, int i1, int j0, int j1)
        {
            var g = _g;
            int m = i1 - i0, n = j1 - j0;
            var buffers = PackBuffers<T>.For(
                RoundUp(Math.Min(g.MC, m), g.MR) * Math.Min(g.KC, _k),
                RoundUp(Math.Min(g.NC, n), g.NR) * Math.Min(g.KC, _k),
                g.MR * g.NR);
            for (int jc = j0; jc < j1; jc += g.NC)
            {
                int nc = Math.Min(g.NC, j1 - jc);
                for (int pc = 0; pc < _k; pc += g.KC)
                {
                    int kc = Math.Min(g.KC, _k - pc);
                    PackB(g.NR, pc, jc, kc, nc, buffers.B);
                    // Later K blocks add onto what the first one wrote.
                    T beta = pc == 0 ? _beta : T.One;
                    for (int ic = i0; ic < i1; ic += g.MC)
                    {
                        int mc = Math.Min(g.MC, i1 - ic);
                        PackA(g.MR, ic, pc, mc, kc, buffers.A);
                        Macro(g, mc, nc, kc, buffers, _c + (nint)ic * _ldc + jc, beta);
                    }
                }
            }
        }

        /// <summary>Packs op(A)[ic..ic+mc, pc..pc+kc] as MR-row panels, each stored k-major: [p][r].</summary>
        private void PackA(int mr, int ic, int pc, int mc, int kc, T* dst)
        {
            for (int q = 0; q < mc; q += mr, dst += mr * kc)
            {
                int rows = Math.Min(mr, mc - q);
                // op(A)(i, p) is a[i*lda + p], or a[p*lda + i] when A is stored transposed.
                nint rowStride = _transposeA ? 1 : _lda, colStride = _transposeA ? _lda : 1;
                T* src = _a + (ic + q) * rowStride + pc * colStride;
                if (rows == mr && mr % 6 == 0)
                {
                    // A whole panel (all but the last): six rows at a time, written out. The general loop below spent
                    // about 3 cycles per value, and each thread of a column split packs all of A: a 1024 x 16 x 1024
                    // product, mostly packing, went from 21 to 34 GFLOP/s with this, Linear 784 -> 256 forward and
                    // backward on 256 rows from 6.2 to 5.8 ms (1 thread) and 3.7 to 3.1 ms (2 threads).
                    for (int r0 = 0; r0 < mr; r0 += 6)
                    {
                        T* s = src + r0 * rowStride, d = dst + r0;
                        for (int p = 0; p < kc; p++, s += colStride, d += mr)
                        {
                            d[0] = s[0]; d[1] = s[rowStride]; d[2] = s[2 * rowStride];
                            d[3] = s[3 * rowStride]; d[4] = s[4 * rowStride]; d[5] = s[5 * rowStride];
                        }
                    }
                    continue;
                }
                for (int p = 0; p < kc; p++)
                {
                    T* d = dst + p * mr;
                    T* s = src + p * colStride;
                    int r = 0;
                    for (; r < rows; r++) d[r] = s[r * rowStride];
                    for (; r < mr; r++) d[r] = T.Zero;
                }
            }
        }

        /// <summary>Packs op(B)[pc..pc+kc, jc..jc+nc] as NR-column panels, each stored k-major: [p][j].</summary>
        private void PackB(int nr, int pc, int jc, int kc, int nc, T* dst)
        {
            for (int q = 0; q < nc; q += nr, dst += nr * kc)
            {
                int cols = Math.Min(nr, nc - q);
                if (!_transposeB)
                {
                    // Rows of B are contiguous: each k step is one block copy.
                    T* src = _b + (nint)pc * _ldb + jc + q;
                    if (cols == nr)
                    {
                        // A whole panel: each k step is NR values, two vectors of the micro-kernel's width.
                        for (int p = 0; p < kc; p++) CopyPanelRow(_g.Kind, dst + p * nr, src + (nint)p * _ldb, nr);
                        continue;
                    }
                    for (int p = 0; p < kc; p++)
                    {
                        T* d = dst + p * nr;
                        Unsafe.CopyBlockUnaligned(d, src + (nint)p * _ldb, (uint)(cols * sizeof(T)));
                        for (int j = cols; j < nr; j++) d[j] = T.Zero;
                    }
                }
                else
                {
                    // op(B)(p, j) = b[j*ldb + p]: walk each stored row once, scattering into the panel.
                    T* src = _b + (nint)(jc + q) * _ldb + pc;
                    for (int j = 0; j < cols; j++)
                    {
                        T* s = src + (nint)j * _ldb;
                        for (int p = 0; p < kc; p++) dst[p * nr + j] = s[p];
                    }
                    for (int j = cols; j < nr; j++)
                        for (int p = 0; p < kc; p++) dst[p * nr + j] = T.Zero;
                }
            }
        }

        /// <summary>All MR x NR tiles of one packed A block times one packed B block.</summary>
        private void Macro(Geometry g, int mc, int nc, int kc, PackBuffers<T> buffers, T* c, T beta)
        {
            for (int jr = 0; jr < nc; jr += g.NR)
            {
                int cols = Math.Min(g.NR, nc - jr);
                T* bPanel = buffers.B + (nint)jr * kc;
                for (int ir = 0; ir < mc; ir += g.MR)
                {
                    int rows = Math.Min(g.MR, mc - ir);
                    T* aPanel = buffers.A + (nint)ir * kc;
                    T* cTile = c + (nint)ir * _ldc + jr;
                    if (rows == g.MR && cols == g.NR)
                    {
                        MicroKernel(g, kc, aPanel, bPanel, cTile, _ldc, _alpha, beta);
                        continue;
                    }
                    // Edge tile: compute the full padded tile aside, then merge only the valid rows and columns.
                    MicroKernel(g, kc, aPanel, bPanel, buffers.Tile, g.NR, T.One, T.Zero);
                    for (int r = 0; r < rows; r++)
                    {
                        T* cRow = cTile + (nint)r * _ldc;
                        T* tRow = buffers.Tile + r * g.NR;
                        for (int j = 0; j < cols; j++)
                            cRow[j] = T.IsZero(beta) ? _alpha * tRow[j] : _alpha * tRow[j] + beta * cRow[j];
                    }
                }
            }
        }
    }

    /// <summary>Copies one k step of a whole B panel (NR values: two vectors of the kernel's width, or a loop for the scalar kernel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPanelRow<T>(KernelKind kind, T* d, T* s, int nr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case KernelKind.Vector512: CopyTwoVectors<Width512<T>, Vector512<T>, T>(d, s); break;
            case KernelKind.Vector256: CopyTwoVectors<Width256<T>, Vector256<T>, T>(d, s); break;
            case KernelKind.Vector128: CopyTwoVectors<Width128<T>, Vector128<T>, T>(d, s); break;
            default: for (int j = 0; j < nr; j++) d[j] = s[j]; break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyTwoVectors<TW, TVec, T>(T* d, T* s)
        where TW : IVectorWidth<TVec, T> where TVec : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        TW.Store(TW.Load(s), d);
        TW.Store(TW.Load(s + TW.Count), d + TW.Count);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MicroKernel<T>(Geometry g, int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (g.Kind)
        {
            case KernelKind.Vector512: Kernel12Rows<Width512<T>, Vector512<T>, T>(kc, a, b, c, ldc, alpha, beta); break;
            case KernelKind.Vector256: Kernel6Rows<Width256<T>, Vector256<T>, T>(kc, a, b, c, ldc, alpha, beta); break;
            case KernelKind.Vector128 when g.MR == 12: Kernel12Rows<Width128<T>, Vector128<T>, T>(kc, a, b, c, ldc, alpha, beta); break;
            case KernelKind.Vector128: Kernel6Rows<Width128<T>, Vector128<T>, T>(kc, a, b, c, ldc, alpha, beta); break;
            default: KernelScalar(g.MR, g.NR, kc, a, b, c, ldc, alpha, beta); break;
        }
    }

    /// <summary>
    /// C[12 x 2W] = alpha * A-panel * B-panel + beta * C for any vector width W = TW.Count: each k step loads two
    /// B vectors and broadcasts 12 A values, 24 independent multiply-adds, enough to hide their latency. 24
    /// accumulators, 2 B vectors and the broadcast fit in 32 vector registers (AVX-512's zmm, ARM64's NEON).
    /// </summary>
    private static void Kernel12Rows<TW, TVec, T>(int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
        where TW : IVectorWidth<TVec, T>
        where TVec : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TW.Count;
        PrefetchTile(c, ldc, 12, 2 * w * sizeof(T));
        TVec c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default,
            c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        for (int p = 0; p < kc; p++, a += 12, b += 2 * w)
        {
            var b0 = TW.Load(b);
            var b1 = TW.Load(b + w);
            var x = TW.Broadcast(a[0]); c00 = TW.MultiplyAdd(x, b0, c00); c01 = TW.MultiplyAdd(x, b1, c01);
            x = TW.Broadcast(a[1]); c10 = TW.MultiplyAdd(x, b0, c10); c11 = TW.MultiplyAdd(x, b1, c11);
            x = TW.Broadcast(a[2]); c20 = TW.MultiplyAdd(x, b0, c20); c21 = TW.MultiplyAdd(x, b1, c21);
            x = TW.Broadcast(a[3]); c30 = TW.MultiplyAdd(x, b0, c30); c31 = TW.MultiplyAdd(x, b1, c31);
            x = TW.Broadcast(a[4]); c40 = TW.MultiplyAdd(x, b0, c40); c41 = TW.MultiplyAdd(x, b1, c41);
            x = TW.Broadcast(a[5]); c50 = TW.MultiplyAdd(x, b0, c50); c51 = TW.MultiplyAdd(x, b1, c51);
            x = TW.Broadcast(a[6]); c60 = TW.MultiplyAdd(x, b0, c60); c61 = TW.MultiplyAdd(x, b1, c61);
            x = TW.Broadcast(a[7]); c70 = TW.MultiplyAdd(x, b0, c70); c71 = TW.MultiplyAdd(x, b1, c71);
            x = TW.Broadcast(a[8]); c80 = TW.MultiplyAdd(x, b0, c80); c81 = TW.MultiplyAdd(x, b1, c81);
            x = TW.Broadcast(a[9]); c90 = TW.MultiplyAdd(x, b0, c90); c91 = TW.MultiplyAdd(x, b1, c91);
            x = TW.Broadcast(a[10]); cA0 = TW.MultiplyAdd(x, b0, cA0); cA1 = TW.MultiplyAdd(x, b1, cA1);
            x = TW.Broadcast(a[11]); cB0 = TW.MultiplyAdd(x, b0, cB0); cB1 = TW.MultiplyAdd(x, b1, cB1);
        }
        var va = TW.Broadcast(alpha);
        var vb = TW.Broadcast(beta);
        bool overwrite = T.IsZero(beta);
        StoreRow<TW, TVec, T>(c, w, c00, c01, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c10, c11, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c20, c21, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c30, c31, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c40, c41, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c50, c51, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c60, c61, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c70, c71, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c80, c81, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c90, c91, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, cA0, cA1, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, cB0, cB1, va, vb, overwrite);
    }

    /// <summary>
    /// C[6 x 2W] for any vector width: 12 accumulators, 2 B vectors and the broadcast fit in 16 vector registers
    /// (AVX2's ymm, SSE's xmm).
    /// </summary>
    private static void Kernel6Rows<TW, TVec, T>(int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
        where TW : IVectorWidth<TVec, T>
        where TVec : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TW.Count;
        PrefetchTile(c, ldc, 6, 2 * w * sizeof(T));
        TVec c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += 6, b += 2 * w)
        {
            var b0 = TW.Load(b);
            var b1 = TW.Load(b + w);
            var x = TW.Broadcast(a[0]); c00 = TW.MultiplyAdd(x, b0, c00); c01 = TW.MultiplyAdd(x, b1, c01);
            x = TW.Broadcast(a[1]); c10 = TW.MultiplyAdd(x, b0, c10); c11 = TW.MultiplyAdd(x, b1, c11);
            x = TW.Broadcast(a[2]); c20 = TW.MultiplyAdd(x, b0, c20); c21 = TW.MultiplyAdd(x, b1, c21);
            x = TW.Broadcast(a[3]); c30 = TW.MultiplyAdd(x, b0, c30); c31 = TW.MultiplyAdd(x, b1, c31);
            x = TW.Broadcast(a[4]); c40 = TW.MultiplyAdd(x, b0, c40); c41 = TW.MultiplyAdd(x, b1, c41);
            x = TW.Broadcast(a[5]); c50 = TW.MultiplyAdd(x, b0, c50); c51 = TW.MultiplyAdd(x, b1, c51);
        }
        var va = TW.Broadcast(alpha);
        var vb = TW.Broadcast(beta);
        bool overwrite = T.IsZero(beta);
        StoreRow<TW, TVec, T>(c, w, c00, c01, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c10, c11, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c20, c21, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c30, c31, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c40, c41, va, vb, overwrite); c += ldc;
        StoreRow<TW, TVec, T>(c, w, c50, c51, va, vb, overwrite);
    }

    /// <summary>
    /// Asks for the C tile's cache lines (rows x bytes at stride ldc) at the start of a micro-kernel, so its merge at the
    /// end finds them in L1. Without it each row of C arrives from L3 when the kernel is done (C is megabytes, its rows
    /// thousands of bytes apart), one miss after another: hundreds of cycles per call, next to 6 x KC cycles of
    /// multiply-adds. Measured on a shared AVX2 machine, 1024^3 on one thread, with and without it in alternation: faster
    /// in 6 pairs of 6, by 5-15 %. x64 only (.NET has no prefetch for ARM64); elsewhere a no-op.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile<T>(T* c, nint ldc, int rows, int bytes) where T : unmanaged
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        for (int r = 0; r < rows; r++)
        {
            byte* row = (byte*)(c + r * ldc);
            for (int offset = 0; offset < bytes; offset += 64) System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + offset);
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + bytes - 1);
        }
    }

    /// <summary>Writes one row of a C tile (two vectors): alpha·acc, plus beta·C unless beta is 0 (C is not read then).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TW, TVec, T>(T* c, int w, TVec v0, TVec v1, TVec alpha, TVec beta, bool overwrite)
        where TW : IVectorWidth<TVec, T>
        where TVec : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (overwrite)
        {
            TW.Store(TW.Multiply(v0, alpha), c);
            TW.Store(TW.Multiply(v1, alpha), c + w);
        }
        else
        {
            TW.Store(TW.MultiplyAdd(v0, alpha, TW.Multiply(TW.Load(c), beta)), c);
            TW.Store(TW.MultiplyAdd(v1, alpha, TW.Multiply(TW.Load(c + w), beta)), c + w);
        }
    }

    /// <summary>The portable fallback (no SIMD, or element types without vector support such as Half).</summary>
    private static void KernelScalar<T>(int mr, int nr, int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> acc = stackalloc T[mr * nr];
        acc.Clear();
        for (int p = 0; p < kc; p++, a += mr, b += nr)
            for (int r = 0; r < mr; r++)
                for (int j = 0; j < nr; j++)
                    acc[r * nr + j] += a[r] * b[j];
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++)
            {
                T* cij = c + r * ldc + j;
                *cij = T.IsZero(beta) ? alpha * acc[r * nr + j] : alpha * acc[r * nr + j] + beta * *cij;
            }
    }

    /// <summary>
    /// Per-thread packing buffers, grown on demand and then reused, so a warmed-up multiply allocates nothing.
    /// Pinned (pinned object heap) so the raw pointers stay valid, and aligned to 64 bytes for whole-line loads.
    /// </summary>
    private sealed class PackBuffers<T> where T : unmanaged
    {
        [ThreadStatic] private static PackBuffers<T>? t_current;

        private T[] _aStore = [], _bStore = [], _tileStore = [];
        public T* A, B, Tile;

        public static PackBuffers<T> For(int aLength, int bLength, int tileLength)
        {
            var buffers = t_current ??= new PackBuffers<T>();
            Ensure(ref buffers._aStore, ref buffers.A, aLength);
            Ensure(ref buffers._bStore, ref buffers.B, bLength);
            Ensure(ref buffers._tileStore, ref buffers.Tile, tileLength);
            return buffers;
        }

        private static void Ensure(ref T[] store, ref T* aligned, int length)
        {
            int slack = 64 / sizeof(T);
            if (store.Length >= length + slack) return;
            store = GC.AllocateUninitializedArray<T>(length + slack, pinned: true);
            nint address = (nint)Unsafe.AsPointer(ref store[0]);
            aligned = (T*)((address + 63) & ~(nint)63);
        }
    }
}

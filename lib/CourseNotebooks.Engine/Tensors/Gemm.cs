using System.Numerics;
using CourseNotebooks.Engine.Kernels;

namespace CourseNotebooks.Engine.Tensors;

/// <summary>
/// General matrix multiply on row-major spans: C = alpha * op(A) * op(B) + beta * C, where op(X) is X or its
/// transpose. op(A) is M x K, op(B) is K x N, C is M x N; lda, ldb, ldc are the row strides of the stored
/// matrices. This is the core of Linear and of im2col convolution. BLAS: sgemm/dgemm (row-major). Its naive
/// reference, the same parameters as <see cref="Multiply{T}"/>, is Reference/GemmReference.cs.
/// Introduced in notebook 05-cnn-as-sparse-mlp.
/// </summary>
public static class Gemm
{
    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// The most threads one call of <see cref="Multiply{T}"/> uses (default: <see cref="Environment.ProcessorCount"/>).
    /// Small products always run on the calling thread. Set it to 1 to measure single-core speed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => s_maxThreads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, $"Gemm.MaxThreads must be at least 1, got {value}.");
            s_maxThreads = value;
        }
    }

    /// <summary>
    /// The fast path: blocked and packed, with a register-tiled SIMD micro-kernel (AVX-512, else AVX2, else
    /// scalar), split over up to <see cref="MaxThreads"/> threads for large products. A warmed-up call on one
    /// thread allocates nothing. beta = 0 overwrites C (NaN in C does not survive); k = 0 or alpha = 0 only scales C.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is too small, or a span is too short.</exception>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArguments(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        GemmKernel.Run(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    internal static void CheckArguments(bool transposeA, bool transposeB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"Gemm: sizes must be non-negative, got M={m}, N={n}, K={k}.");
        int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
        if (lda < Math.Max(1, aCols)) throw new ArgumentException($"Gemm: lda must be at least {aCols}, got {lda}.");
        if (ldb < Math.Max(1, bCols)) throw new ArgumentException($"Gemm: ldb must be at least {bCols}, got {ldb}.");
        if (ldc < Math.Max(1, n)) throw new ArgumentException($"Gemm: ldc must be at least {n}, got {ldc}.");
        if (aRows > 0 && aCols > 0 && aLength < (long)(aRows - 1) * lda + aCols)
            throw new ArgumentException($"Gemm: A needs {(long)(aRows - 1) * lda + aCols} elements ({aRows}x{aCols}, lda {lda}), got {aLength}.");
        if (bRows > 0 && bCols > 0 && bLength < (long)(bRows - 1) * ldb + bCols)
            throw new ArgumentException($"Gemm: B needs {(long)(bRows - 1) * ldb + bCols} elements ({bRows}x{bCols}, ldb {ldb}), got {bLength}.");
        if (m > 0 && n > 0 && cLength < (long)(m - 1) * ldc + n)
            throw new ArgumentException($"Gemm: C needs {(long)(m - 1) * ldc + n} elements ({m}x{n}, ldc {ldc}), got {cLength}.");
    }
}

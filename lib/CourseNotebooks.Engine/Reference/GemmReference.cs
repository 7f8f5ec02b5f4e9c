using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// The matrix product of <see cref="Gemm"/> written as its definition: what the GEMM's blocked, packed and vectorised
/// fast path (Kernels/GemmKernel.cs, behind <see cref="Gemm.Multiply{T}"/> with the same parameters) is tested and
/// timed against. Row-major, op(X) = X or its transpose, lda/ldb/ldc the row strides.
/// </summary>
internal static class GemmReference
{
    /// <summary>C = alpha op(A) op(B) + beta C: three loops, one dot product per element of C, accumulated in double.</summary>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is too small, or a span is too short.</exception>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.CheckArguments(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    T av = transposeA ? a[p * lda + i] : a[i * lda + p];
                    T bv = transposeB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += double.CreateTruncating(av) * double.CreateTruncating(bv);
                }
                // beta == 0 overwrites C, so NaN or garbage in C does not leak through (BLAS convention).
                T prior = T.IsZero(beta) ? T.Zero : beta * c[i * ldc + j];
                c[i * ldc + j] = alpha * T.CreateTruncating(sum) + prior;
            }
    }
}

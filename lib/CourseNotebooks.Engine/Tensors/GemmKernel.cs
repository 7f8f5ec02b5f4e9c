using System.Numerics;
using System.Runtime.InteropServices;

namespace CourseNotebooks.Engine;

/// <summary>
/// The vectorized GEMM behind <see cref="Gemm.Multiply{T}"/>. Arguments are already checked.
/// This first version transposes operands into row-major copies and runs an i-p-j loop with Vector FMA;
/// the packed, blocked micro-kernel replaces it (engine speed work).
/// </summary>
internal static class GemmKernel
{
    public static void Run<T>(bool transposeA, bool transposeB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0) return;
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (T.IsZero(beta)) row.Clear();
            else if (beta != T.One) for (int j = 0; j < n; j++) row[j] *= beta;
        }
        if (k == 0 || T.IsZero(alpha)) return;

        // Row-major, non-transposed copies keep the inner loop contiguous.
        T[] aRows = new T[m * k];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
                aRows[i * k + p] = transposeA ? a[p * lda + i] : a[i * lda + p];
        T[] bRows = new T[k * n];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
                bRows[p * n + j] = transposeB ? b[j * ldb + p] : b[p * ldb + j];

        int w = Vector<T>.Count;
        for (int i = 0; i < m; i++)
        {
            var cRow = c.Slice(i * ldc, n);
            var cVec = MemoryMarshal.Cast<T, Vector<T>>(cRow);
            for (int p = 0; p < k; p++)
            {
                T s = alpha * aRows[i * k + p];
                if (T.IsZero(s)) continue;
                var bRow = bRows.AsSpan(p * n, n);
                var bVec = MemoryMarshal.Cast<T, Vector<T>>(bRow);
                var sv = new Vector<T>(s);
                for (int v = 0; v < cVec.Length; v++) cVec[v] += sv * bVec[v];
                for (int j = cVec.Length * w; j < n; j++) cRow[j] += s * bRow[j];
            }
        }
    }
}

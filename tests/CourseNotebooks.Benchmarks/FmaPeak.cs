using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CourseNotebooks.Benchmarks;

/// <summary>
/// The machine's float32 FMA peak, measured rather than taken from a data sheet: each thread runs 12
/// independent chains of vector multiply-adds at the GEMM's vector width (fused where the CPU has FMA, as in the GEMM),
/// enough to cover their latency, nothing but registers involved. The
/// GEMM's "% of peak" divides by this number from the same run, so clock and neighbours affect both alike.
/// </summary>
public static class FmaPeak
{
    private const int Chains = 12;

    /// <summary>
    /// Best of many short runs (a few ms each), in GFLOP/s, with <paramref name="threads"/> threads working at once.
    /// Short runs and the best of them: on a shared machine some run finds the cores free, as the GEMM's best does.
    /// </summary>
    public static double Measure(int threads, int runs = 40)
    {
        long iterations = 1_000_000;
        Loop(1000); // JIT the loop before timing it
        double best = 0;
        for (int r = 0; r < runs; r++)
        {
            long start = Stopwatch.GetTimestamp();
            if (threads == 1) Loop(iterations);
            else Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Loop(iterations));
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            double flops = 2.0 * Chains * Width * iterations * threads;
            best = Math.Max(best, flops / seconds / 1e9);
        }
        return best;
    }

    /// <summary>Floats per vector of the widest hardware-accelerated vector type (the one the GEMM uses).</summary>
    public static int Width => Vector512.IsHardwareAccelerated ? Vector512<float>.Count
        : Vector256.IsHardwareAccelerated ? Vector256<float>.Count
        : Vector128<float>.Count;

    // The same width as the GEMM's micro-kernel: 128-bit when there is no AVX2 (DOTNET_EnableAVX2=0, ARM64), where a
    // 256-bit loop would run emulated and report a fraction of the real peak.
    private static float Loop(long iterations) =>
        Vector512.IsHardwareAccelerated ? Loop512(iterations)
        : Vector256.IsHardwareAccelerated ? Loop256(iterations)
        : Loop128(iterations);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Loop512(long iterations)
    {
        // x slightly below 1 keeps every chain bounded (it converges to y / (1 - x)), so no overflow or denormals.
        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-6f);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default,
            a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.MultiplyAddEstimate(a0, x, y); a1 = Vector512.MultiplyAddEstimate(a1, x, y);
            a2 = Vector512.MultiplyAddEstimate(a2, x, y); a3 = Vector512.MultiplyAddEstimate(a3, x, y);
            a4 = Vector512.MultiplyAddEstimate(a4, x, y); a5 = Vector512.MultiplyAddEstimate(a5, x, y);
            a6 = Vector512.MultiplyAddEstimate(a6, x, y); a7 = Vector512.MultiplyAddEstimate(a7, x, y);
            a8 = Vector512.MultiplyAddEstimate(a8, x, y); a9 = Vector512.MultiplyAddEstimate(a9, x, y);
            a10 = Vector512.MultiplyAddEstimate(a10, x, y); a11 = Vector512.MultiplyAddEstimate(a11, x, y);
        }
        // The sum is returned so the JIT cannot drop the loop.
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Loop256(long iterations)
    {
        var x = Vector256.Create(0.999999f);
        var y = Vector256.Create(1e-6f);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default,
            a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.MultiplyAddEstimate(a0, x, y); a1 = Vector256.MultiplyAddEstimate(a1, x, y);
            a2 = Vector256.MultiplyAddEstimate(a2, x, y); a3 = Vector256.MultiplyAddEstimate(a3, x, y);
            a4 = Vector256.MultiplyAddEstimate(a4, x, y); a5 = Vector256.MultiplyAddEstimate(a5, x, y);
            a6 = Vector256.MultiplyAddEstimate(a6, x, y); a7 = Vector256.MultiplyAddEstimate(a7, x, y);
            a8 = Vector256.MultiplyAddEstimate(a8, x, y); a9 = Vector256.MultiplyAddEstimate(a9, x, y);
            a10 = Vector256.MultiplyAddEstimate(a10, x, y); a11 = Vector256.MultiplyAddEstimate(a11, x, y);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Loop128(long iterations)
    {
        var x = Vector128.Create(0.999999f);
        var y = Vector128.Create(1e-6f);
        Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default,
            a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector128.MultiplyAddEstimate(a0, x, y); a1 = Vector128.MultiplyAddEstimate(a1, x, y);
            a2 = Vector128.MultiplyAddEstimate(a2, x, y); a3 = Vector128.MultiplyAddEstimate(a3, x, y);
            a4 = Vector128.MultiplyAddEstimate(a4, x, y); a5 = Vector128.MultiplyAddEstimate(a5, x, y);
            a6 = Vector128.MultiplyAddEstimate(a6, x, y); a7 = Vector128.MultiplyAddEstimate(a7, x, y);
            a8 = Vector128.MultiplyAddEstimate(a8, x, y); a9 = Vector128.MultiplyAddEstimate(a9, x, y);
            a10 = Vector128.MultiplyAddEstimate(a10, x, y); a11 = Vector128.MultiplyAddEstimate(a11, x, y);
        }
        return Vector128.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}

using System.Numerics;
using System.Runtime.Intrinsics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// The fast GEMM against the naive three-loop reference: every transpose combination, sizes that are not
/// multiples of the vector width or of the micro-tile (1, primes, 0), padded leading dimensions, alpha/beta
/// variants, products large enough to be split over threads, each micro-kernel, and argument errors.
/// </summary>
public class GemmTests
{
    /// <summary>One product: stored A, B, C with their leading dimensions, random contents and a padded border.</summary>
    private sealed record Problem<T>(bool TransposeA, bool TransposeB, int M, int N, int K, T Alpha, T Beta,
        T[] A, int Lda, T[] B, int Ldb, T[] C, int Ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static Problem<T> Random(Random random, bool transposeA, bool transposeB, int m, int n, int k,
            double alpha, double beta, int pad)
        {
            int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
            int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
            int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
            return new Problem<T>(transposeA, transposeB, m, n, k, T.CreateTruncating(alpha), T.CreateTruncating(beta),
                Fill(random, aRows * lda), lda, Fill(random, bRows * ldb), ldb, Fill(random, m * ldc), ldc);
        }

        private static T[] Fill(Random random, int length)
        {
            var data = new T[length];
            for (int i = 0; i < length; i++) data[i] = T.CreateTruncating(random.NextDouble() * 2 - 1);
            return data;
        }

        public T[] Fast()
        {
            var c = (T[])C.Clone();
            Gemm.Multiply(TransposeA, TransposeB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, c, Ldc);
            return c;
        }

        public T[] WithKernel(GemmKernel.KernelKind kind)
        {
            var c = (T[])C.Clone();
            GemmKernel.RunWithKernel(kind, TransposeA, TransposeB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, c, Ldc);
            return c;
        }

        public T[] Naive()
        {
            var c = (T[])C.Clone();
            GemmReference.Multiply(TransposeA, TransposeB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, c, Ldc);
            return c;
        }

        /// <summary>
        /// Asserts <paramref name="actual"/> equals the naive result within a rounding bound that grows with K:
        /// |error| &lt;= 2 K eps (|alpha| sum_p |a_ip b_pj| + |beta c_ij|), and that the padding of C is untouched.
        /// </summary>
        public void AssertMatchesNaive(T[] actual)
        {
            var expected = Naive();
            double eps = double.CreateTruncating(NumericEpsilon());
            for (int i = 0; i < M; i++)
                for (int j = 0; j < Ldc; j++)
                {
                    int at = i * Ldc + j;
                    if (j >= N)
                    {
                        Assert.Equal(C[at], actual[at]); // outside the M x N window: never written
                        continue;
                    }
                    double magnitude = 0;
                    for (int p = 0; p < K; p++)
                        magnitude += Math.Abs(double.CreateTruncating(ElementA(i, p)) * double.CreateTruncating(ElementB(p, j)));
                    double bound = 2 * (K + 2) * eps *
                        (Math.Abs(double.CreateTruncating(Alpha)) * magnitude + (T.IsZero(Beta) ? 0 : Math.Abs(double.CreateTruncating(Beta * C[at]))));
                    double error = Math.Abs(double.CreateTruncating(actual[at]) - double.CreateTruncating(expected[at]));
                    Assert.True(error <= bound,
                        $"C[{i},{j}] of {M}x{N}x{K} (tA={TransposeA}, tB={TransposeB}): expected {expected[at]}, got {actual[at]}, |error| {error:G3} > bound {bound:G3}");
                }
        }

        private T ElementA(int i, int p) => TransposeA ? A[p * Lda + i] : A[i * Lda + p];

        private T ElementB(int p, int j) => TransposeB ? B[j * Ldb + p] : B[p * Ldb + j];

        // Machine epsilon (the gap after 1), not T.Epsilon which is the smallest subnormal.
        private static T NumericEpsilon() => T.BitIncrement(T.One) - T.One;
    }

    public static TheoryData<int, int, int> AwkwardSizes() => new()
    {
        { 1, 1, 1 }, { 1, 37, 5 }, { 37, 1, 5 }, { 7, 13, 1 }, { 2, 3, 4 }, { 12, 32, 16 }, { 13, 33, 17 },
        { 11, 31, 29 }, { 24, 64, 128 }, { 25, 65, 129 }, { 61, 47, 300 }, { 97, 101, 53 }, { 5, 200, 3 },
        { 131, 17, 600 },
    };

    [Theory]
    [MemberData(nameof(AwkwardSizes))]
    public void Multiply_Float_MatchesNaive_ForAllTransposes(int m, int n, int k)
    {
        var random = new Random(m * 10007 + n * 101 + k);
        foreach (bool tA in new[] { false, true })
            foreach (bool tB in new[] { false, true })
            {
                var problem = Problem<float>.Random(random, tA, tB, m, n, k, alpha: 1, beta: 0, pad: 0);
                problem.AssertMatchesNaive(problem.Fast());
            }
    }

    [Theory]
    [MemberData(nameof(AwkwardSizes))]
    public void Multiply_Double_MatchesNaive_WithPaddingAlphaAndBeta(int m, int n, int k)
    {
        var random = new Random(m * 7919 + n * 31 + k);
        foreach (bool tA in new[] { false, true })
            foreach (bool tB in new[] { false, true })
            {
                var problem = Problem<double>.Random(random, tA, tB, m, n, k, alpha: -0.75, beta: 1.5, pad: 3);
                problem.AssertMatchesNaive(problem.Fast());
            }
    }

    [Fact]
    public void Multiply_MatchesNaive_OnRandomShapesStridesAndScalars()
    {
        var random = new Random(2024);
        double[] scalars = [0, 1, -1, 0.5, 2.25];
        for (int trial = 0; trial < 60; trial++)
        {
            int m = random.Next(1, 80), n = random.Next(1, 90), k = random.Next(1, 300);
            bool tA = random.Next(2) == 1, tB = random.Next(2) == 1;
            double alpha = scalars[random.Next(1, scalars.Length)], beta = scalars[random.Next(scalars.Length)];
            int pad = random.Next(0, 5);
            if (trial % 2 == 0)
            {
                var problem = Problem<float>.Random(random, tA, tB, m, n, k, alpha, beta, pad);
                problem.AssertMatchesNaive(problem.Fast());
            }
            else
            {
                var problem = Problem<double>.Random(random, tA, tB, m, n, k, alpha, beta, pad);
                problem.AssertMatchesNaive(problem.Fast());
            }
        }
    }

    [Theory]
    [InlineData(150, 300, 60)]  // wide: split over column panels
    [InlineData(260, 60, 150)]  // tall: split over row panels
    [InlineData(40, 4200, 20)]  // more columns than one NC block
    [InlineData(40, 50, 1100)]  // several KC blocks: beta only on the first
    public void Multiply_LargeProducts_MatchNaive(int m, int n, int k)
    {
        var random = new Random(m + n + k);
        var single = Problem<float>.Random(random, false, true, m, n, k, alpha: 0.5, beta: -2, pad: 1);
        single.AssertMatchesNaive(single.Fast());
        var dbl = Problem<double>.Random(random, true, false, m, n, k, alpha: 1, beta: 0.25, pad: 0);
        dbl.AssertMatchesNaive(dbl.Fast());
    }

    public static TheoryData<string> KernelKinds()
    {
        var kinds = new TheoryData<string> { nameof(GemmKernel.KernelKind.Scalar) };
        if (Vector128.IsHardwareAccelerated) kinds.Add(nameof(GemmKernel.KernelKind.Vector128));
        if (Vector256.IsHardwareAccelerated) kinds.Add(nameof(GemmKernel.KernelKind.Vector256));
        if (Vector512.IsHardwareAccelerated) kinds.Add(nameof(GemmKernel.KernelKind.Vector512));
        return kinds;
    }

    [Theory]
    [MemberData(nameof(KernelKinds))]
    public void EveryMicroKernel_MatchesNaive(string kindName)
    {
        var kind = Enum.Parse<GemmKernel.KernelKind>(kindName);
        var random = new Random(kindName.Length);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (13, 37, 19), (64, 40, 300), (7, 129, 2) })
            foreach (bool tA in new[] { false, true })
                foreach (bool tB in new[] { false, true })
                {
                    var f = Problem<float>.Random(random, tA, tB, m, n, k, alpha: 1.5, beta: 0.5, pad: 2);
                    f.AssertMatchesNaive(f.WithKernel(kind));
                    var d = Problem<double>.Random(random, tA, tB, m, n, k, alpha: -1, beta: 0, pad: 1);
                    d.AssertMatchesNaive(d.WithKernel(kind));
                }
    }

    [Fact]
    public void TheWidestAcceleratedKernel_IsChosen_WithTwelveRowsWhereThereAre32Registers()
    {
        var (kind, rows) = GemmKernel.Chosen<float>();
        var expected = Vector512.IsHardwareAccelerated ? GemmKernel.KernelKind.Vector512
            : Vector256.IsHardwareAccelerated ? GemmKernel.KernelKind.Vector256
            : Vector128.IsHardwareAccelerated ? GemmKernel.KernelKind.Vector128
            : GemmKernel.KernelKind.Scalar;
        Assert.Equal(expected, kind);
        // ARM64 (NEON) and AVX-512 have 32 vector registers: a 12-row tile; x64 below AVX-512 has 16: 6 rows.
        bool thirtyTwoRegisters = System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported || kind == GemmKernel.KernelKind.Vector512;
        Assert.Equal(kind == GemmKernel.KernelKind.Scalar ? 4 : thirtyTwoRegisters ? 12 : 6, rows);
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64)
            Assert.Equal(GemmKernel.KernelKind.Vector128, kind);   // NEON is part of every ARM64 CPU .NET runs on
    }

    [Fact]
    public void Multiply_Half_UsesTheScalarPathAndMatchesNaive()
    {
        var problem = Problem<Half>.Random(new Random(5), true, false, 9, 11, 6, alpha: 1, beta: 0, pad: 0);
        problem.AssertMatchesNaive(problem.Fast());
    }

    [Theory]
    [InlineData(3, 5, 7)]
    [InlineData(40, 70, 33)]
    [InlineData(130, 140, 120)]
    public void Multiply_BetaZero_OverwritesNaNInC(int m, int n, int k)
    {
        var random = new Random(11);
        var problem = Problem<float>.Random(random, false, false, m, n, k, alpha: 1, beta: 0, pad: 0);
        Array.Fill(problem.C, float.NaN);
        var c = problem.Fast();
        Assert.DoesNotContain(c, float.IsNaN);
        problem.AssertMatchesNaive(c);
    }

    [Fact]
    public void Multiply_KZero_OnlyScalesC()
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        Gemm.Multiply(false, false, 2, 3, 0, 1f, [], 1, [], 3, 0.5f, c, 3);
        Assert.Equal([0.5f, 1f, 1.5f, 2f, 2.5f, 3f], c);

        float[] nan = [float.NaN, float.NaN];
        Gemm.Multiply(false, false, 1, 2, 0, 1f, [], 1, [], 2, 0f, nan, 2);
        Assert.Equal([0f, 0f], nan);
    }

    [Fact]
    public void Multiply_AlphaZero_IgnoresAAndB()
    {
        float[] a = [float.NaN, 1, 2, 3], b = [4, 5, 6, float.PositiveInfinity];
        float[] c = [1, 1, 1, 1];
        Gemm.Multiply(false, false, 2, 2, 2, 0f, a, 2, b, 2, 2f, c, 2);
        Assert.Equal([2f, 2f, 2f, 2f], c);
    }

    [Fact]
    public void Multiply_EmptyMOrN_LeavesCUntouched()
    {
        float[] c = [7, 8];
        Gemm.Multiply(false, false, 0, 2, 3, 1f, [], 3, [1, 2, 3, 4, 5, 6], 2, 0f, c, 2);
        Gemm.Multiply(false, false, 2, 0, 3, 1f, [1, 2, 3, 4, 5, 6], 3, [], 1, 0f, c, 1);
        Assert.Equal([7f, 8f], c);
    }

    [Fact]
    public void Multiply_SmallProduct_MatchesHandComputedValues()
    {
        // [1 2 3; 4 5 6] * [7 8; 9 10; 11 12] = [58 64; 139 154]
        float[] c = new float[4];
        Gemm.Multiply(false, false, 2, 2, 3, 1f, [1, 2, 3, 4, 5, 6], 3, [7, 8, 9, 10, 11, 12], 2, 0f, c, 2);
        Assert.Equal([58f, 64f, 139f, 154f], c);
    }

    [Fact]
    public void Multiply_WarmedUpSingleThreadCall_AllocatesNothing()
    {
        var random = new Random(3);
        var problem = Problem<float>.Random(random, true, false, 64, 96, 80, alpha: 1, beta: 0, pad: 0);
        var c = new float[problem.M * problem.Ldc];
        void Call() => Gemm.Multiply(true, false, 64, 96, 80, 1f, problem.A, problem.Lda, problem.B, problem.Ldb, 0f, c, problem.Ldc);
        Call();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Call();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Multiply_TooSmallLeadingDimension_Throws_NamingExpectedAndActual()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, 2, 3, 4, 1f, new float[8], 3, new float[12], 3, 0f, new float[6], 3));
        Assert.Contains("lda must be at least 4", ex.Message);
        Assert.Contains("got 3", ex.Message);

        ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, true, 2, 3, 4, 1f, new float[8], 4, new float[12], 3, 0f, new float[6], 3));
        Assert.Contains("ldb must be at least 4", ex.Message);

        ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, 2, 3, 4, 1f, new float[8], 4, new float[12], 3, 0f, new float[6], 2));
        Assert.Contains("ldc must be at least 3, got 2", ex.Message);
    }

    [Fact]
    public void Multiply_TooShortSpans_Throw_NamingNeededAndGivenLengths()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(true, false, 2, 3, 4, 1f, new float[7], 2, new float[12], 3, 0f, new float[6], 3));
        Assert.Contains("A needs 8 elements (4x2, lda 2), got 7", ex.Message);

        ex = Assert.Throws<ArgumentException>(() =>
            GemmReference.Multiply(false, false, 2, 3, 4, 1f, new float[8], 4, new float[11], 3, 0f, new float[6], 3));
        Assert.Contains("B needs 12 elements (4x3, ldb 3), got 11", ex.Message);

        ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, 2, 3, 4, 1f, new float[8], 4, new float[12], 3, 0f, new float[6], 4));
        Assert.Contains("C needs 7 elements (2x3, ldc 4), got 6", ex.Message);
    }

    [Fact]
    public void Multiply_NegativeSize_Throws_NamingTheSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, -1, 3, 4, 1f, new float[8], 4, new float[12], 3, 0f, new float[6], 3));
        Assert.Contains("M=-1, N=3, K=4", ex.Message);
    }

    [Fact]
    public void MaxThreads_BelowOne_Throws_NamingTheValue()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MaxThreads = 0);
        Assert.Contains("at least 1, got 0", ex.Message);
        Assert.True(Gemm.MaxThreads >= 1);
    }
}

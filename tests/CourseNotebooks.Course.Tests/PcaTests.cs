using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Engine.Tensors;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace CourseNotebooks.Course.Tests;

public class PcaTests
{
    /// <summary>Data with distinct variances along random directions, so the components are well defined.</summary>
    private static double[,] AnisotropicData(int n, int d, int seed)
    {
        var random = new Random(seed);
        var mixing = new double[d, d];
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++) mixing[a, b] = Tensor.NextGaussian(random);
        var x = new double[n, d];
        for (int i = 0; i < n; i++)
        {
            var latent = new double[d];
            for (int a = 0; a < d; a++) latent[a] = Tensor.NextGaussian(random) * (d - a);
            for (int b = 0; b < d; b++)
            {
                double v = 3.0 + b; // a non-zero mean, so centring matters
                for (int a = 0; a < d; a++) v += latent[a] * mixing[a, b];
                x[i, b] = v;
            }
        }
        return x;
    }

    private static double ColumnVarianceSum(double[,] x)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        double total = 0;
        for (int j = 0; j < d; j++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++) mean += x[i, j];
            mean /= n;
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (x[i, j] - mean) * (x[i, j] - mean);
            total += ss / (n - 1);
        }
        return total;
    }

    [Theory]
    [InlineData(40, 6)]   // N > D: QR of Xc then SVD
    [InlineData(5, 9)]    // N < D: QR of Xc^T then SVD
    public void Pca_Components_MatchEigenDecompositionOfCovariance(int n, int d)
    {
        var x = AnisotropicData(n, d, seed: 7);
        var pca = Pca.Fit(x);

        // Reference: covariance Xc^T Xc / (N - 1) and its symmetric eigen-decomposition (ascending eigenvalues).
        var m = Matrix<double>.Build.DenseOfArray(x);
        var mean = m.ColumnSums() / n;
        var xc = m - Matrix<double>.Build.Dense(n, d, (i, j) => mean[j]);
        var cov = xc.TransposeThisAndMultiply(xc) / (n - 1);
        var evd = cov.Evd(Symmetricity.Symmetric);
        int k = Math.Min(n - 1, d); // with N <= D the N-th variance is zero and its axis arbitrary
        var comps = pca.Components;
        for (int c = 0; c < k; c++)
        {
            int e = d - 1 - c;
            double eigenvalue = evd.EigenValues[e].Real;
            Assert.True(Math.Abs(pca.ExplainedVariance[c] - eigenvalue) <= 1e-9 * Math.Max(1, eigenvalue),
                $"component {c}: variance {pca.ExplainedVariance[c]} vs eigenvalue {eigenvalue}");
            var v = evd.EigenVectors.Column(e);
            int arg = v.AbsoluteMaximumIndex();
            double sign = Math.Sign(v[arg]);
            for (int j = 0; j < d; j++)
                Assert.True(Math.Abs(comps[c, j] - sign * v[j]) < 1e-7, $"component {c}, feature {j}: {comps[c, j]} vs {sign * v[j]}");
        }
        for (int j = 0; j < d; j++) Assert.Equal(mean[j], pca.Mean[j], 1e-10);
    }

    [Fact]
    public void Pca_Components_AreOrthonormalWithLargestEntryPositive()
    {
        var pca = Pca.Fit(AnisotropicData(30, 5, seed: 3));
        var w = pca.Components;
        for (int a = 0; a < 5; a++)
        {
            double maxAbs = 0, valueAtMax = 0;
            for (int j = 0; j < 5; j++)
                if (Math.Abs(w[a, j]) > maxAbs) { maxAbs = Math.Abs(w[a, j]); valueAtMax = w[a, j]; }
            Assert.True(valueAtMax > 0, $"component {a}: largest entry {valueAtMax} is negative");
            for (int b = 0; b < 5; b++)
            {
                double dot = 0;
                for (int j = 0; j < 5; j++) dot += w[a, j] * w[b, j];
                Assert.Equal(a == b ? 1.0 : 0.0, dot, 1e-12);
            }
        }
    }

    [Theory]
    [InlineData(25, 7)]
    [InlineData(4, 10)]
    public void Pca_AllComponents_ReconstructExactlyAndVarianceSumsToTotal(int n, int d)
    {
        var x = AnisotropicData(n, d, seed: 11);
        var pca = Pca.Fit(x);
        var back = pca.InverseTransform(pca.Transform(x));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) Assert.Equal(x[i, j], back[i, j], 1e-9);
        Assert.True(pca.ReconstructionError(x) < 1e-20);

        double total = ColumnVarianceSum(x);
        Assert.Equal(total, pca.TotalVariance, 1e-9 * total);
        Assert.Equal(total, pca.ExplainedVariance.Sum(), 1e-9 * total);
        Assert.Equal(1.0, pca.ExplainedVarianceRatio.Sum(), 1e-12);
        for (int c = 1; c < pca.ComponentCount; c++) Assert.True(pca.ExplainedVariance[c] <= pca.ExplainedVariance[c - 1]);
    }

    [Fact]
    public void Pca_ReconstructionError_EqualsDiscardedVariance()
    {
        int n = 50, d = 8, k = 3;
        var x = AnisotropicData(n, d, seed: 5);
        var all = Pca.Fit(x);
        var pca = Pca.Fit(x, k);
        double discarded = all.ExplainedVariance.Skip(k).Sum();
        Assert.Equal(discarded * (n - 1) / (n * d), pca.ReconstructionError(x), 1e-9);
        Assert.Equal(all.ExplainedVariance.Take(k), pca.ExplainedVariance);
    }

    [Fact]
    public void Pca_KnownTwoDimensionalExample_GivesTheDiagonalAxis()
    {
        // Three points on the line y = x: the first axis is (1, 1)/sqrt 2 and, by hand, the coordinates along it are
        // -2 sqrt 2, 0, 2 sqrt 2, so the variance with N - 1 is (8 + 0 + 8) / 2 = 8.
        var x = new double[,] { { -2, -2 }, { 0, 0 }, { 2, 2 } };
        var pca = Pca.Fit(x, 1);
        Assert.Equal(Math.Sqrt(0.5), pca.Components[0, 0], 1e-12);
        Assert.Equal(Math.Sqrt(0.5), pca.Components[0, 1], 1e-12);
        Assert.Equal(8.0, pca.ExplainedVariance[0], 1e-12);
        Assert.Equal(1.0, pca.ExplainedVarianceRatio[0], 1e-12);
        var z = pca.Transform(x);
        Assert.Equal(-2 * Math.Sqrt(2), z[0, 0], 1e-12);
    }

    [Fact]
    public void Pca_FloatTensorOfImages_IsReadAsRowsAndMatchesDouble()
    {
        var random = new Random(2);
        var images = Tensor.Randn<float>(random, 12, 1, 2, 3); // read as [12, 6]
        var pca = Pca.Fit(images, 4);
        Assert.Equal(6, pca.Features);
        var asDouble = new double[12, 6];
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 6; j++) asDouble[i, j] = images.Data[i * 6 + j];
        var reference = Pca.Fit(asDouble, 4);
        var z = pca.Transform(images);
        var zRef = reference.Transform(asDouble);
        Assert.Equal([12, 4], z.Shape.ToArray());
        for (int i = 0; i < 12; i++)
            for (int c = 0; c < 4; c++) Assert.Equal(zRef[i, c], z[i, c], 1e-5);
        Assert.Equal([12, 6], pca.InverseTransform(z).Shape.ToArray());
    }

    /// <summary>The randomized solver (subspace iteration) gives the full solver's first components, variances and
    /// scores, on data taller than wide and wider than tall.</summary>
    [Theory]
    [InlineData(300, 40, 5)]
    [InlineData(30, 60, 3)]
    public void Pca_RandomizedSolver_AgreesWithFull(int n, int d, int k)
    {
        var x = AnisotropicData(n, d, seed: 17);
        var full = Pca.Fit(x, k);
        var fast = Pca.Fit(x, k, PcaSolver.Randomized);
        Assert.Equal(k, fast.ComponentCount);
        for (int c = 0; c < k; c++)
        {
            Assert.Equal(full.SingularValues[c], fast.SingularValues[c], 1e-8 * full.SingularValues[0]);
            Assert.Equal(full.ExplainedVarianceRatio[c], fast.ExplainedVarianceRatio[c], 1e-10);
            for (int j = 0; j < d; j++) Assert.Equal(full.Components[c, j], fast.Components[c, j], 1e-8);
        }
        var a = full.Transform(x);
        var b = fast.Transform(x);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++) Assert.Equal(a[i, c], b[i, c], 1e-6);
    }

    [Fact]
    public void Pca_Fit_RejectsTooManyComponents()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Pca.Fit(new double[5, 3], 4));
        Assert.Contains("min(5, 3) = 3", ex.Message);
        Assert.Contains("got 4", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Pca.Fit(new double[5, 3], 0));
    }

    [Fact]
    public void Pca_Fit_RejectsEmptyAndSingleSampleData()
    {
        var empty = Assert.Throws<ArgumentException>(() => Pca.Fit(new double[0, 3]));
        Assert.Contains("[0, 3]", empty.Message);
        var one = Assert.Throws<ArgumentException>(() => Pca.Fit(new double[1, 3]));
        Assert.Contains("at least 2", one.Message);
        Assert.Contains("got 1", one.Message);
    }

    [Fact]
    public void Pca_Fit_NamesTheRowAndColumnOfNaN()
    {
        var x = new double[4, 3];
        x[2, 1] = double.NaN;
        var ex = Assert.Throws<ArgumentException>(() => Pca.Fit(x));
        Assert.Contains("row 2, column 1", ex.Message);
        Assert.Contains("NaN", ex.Message);
    }

    [Fact]
    public void Pca_Transform_RejectsWrongFeatureCount()
    {
        var pca = Pca.Fit(AnisotropicData(10, 4, seed: 1));
        var ex = Assert.Throws<ArgumentException>(() => pca.Transform(new double[2, 5]));
        Assert.Contains("expected 4, got 5", ex.Message);
    }

    [Fact]
    public void Pca_ConstantData_HasZeroVarianceRatiosNotNaN()
    {
        var x = new double[,] { { 1, 2 }, { 1, 2 }, { 1, 2 } };
        var pca = Pca.Fit(x);
        Assert.All(pca.ExplainedVarianceRatio, r => Assert.Equal(0.0, r));
        Assert.Equal(0.0, pca.TotalVariance);
    }
}

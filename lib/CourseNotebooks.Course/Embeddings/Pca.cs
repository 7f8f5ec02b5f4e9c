using System.Numerics;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Embeddings;

/// <summary>
/// Principal component analysis of a data matrix X [N, D] (N samples, D features), fitted once by
/// <see cref="Fit(double[,], int?, PcaSolver)"/>. Introduced in notebook 10-autoencoder-vs-pca (and the baseline of
/// 13-convolutional-autoencoder), as the linear auto-encoder the lecture recaps: the code is the projection
/// z = (x - mean) W^T, the reconstruction x' = z W + mean.
/// scikit-learn: sklearn.decomposition.PCA (svd_solver="full", whiten=False).
/// </summary>
/// <remarks>
/// <para>Algorithm: centre the columns (Xc = X - mean), take the thin SVD Xc = U S V^T; the components are the
/// first k rows of V^T and the explained variance of component i is S_i^2 / (N - 1), as scikit-learn defines it.
/// </para>
/// <para>Why the SVD and not the eigen-decomposition of the covariance Xc^T Xc / (N - 1): forming Xc^T Xc squares
/// the condition number, so small variances lose about half their significant digits; the SVD of Xc keeps them.
/// The SVD is taken after a thin QR (Xc = Q R with R of size min(N, D)), so no N x N matrix is ever formed:
/// 10,000 images of 784 pixels need a 784 x 784 SVD, not a 10,000 x 10,000 one. When N &lt; D the same is done
/// on Xc^T.</para>
/// <para><see cref="PcaSolver.CovarianceEigh"/> instead forms C = Xc^T Xc with the engine's GEMM and takes MathNet's
/// symmetric eigen-decomposition of the D x D matrix C. The components of well-separated large variances agree with
/// the SVD's to about 1e-9, but a variance far below the largest loses relative accuracy (about eps times the
/// largest variance, absolute). On 2,000 images of 784 pixels MathNet's managed QR + SVD takes about 10 s on this
/// course's 2-core machine, the covariance route a few seconds; sklearn (1.5 and later) offers the same choice as
/// svd_solver="covariance_eigh". Only for N &gt;= D (with N &lt; D it uses the SVD route).</para>
/// <para>Sign convention: the SVD fixes each component only up to sign. Here the entry of largest absolute value
/// in each component is made positive (the first such entry on ties), which is what scikit-learn (1.5 and later,
/// svd_flip with u_based_decision=False) does, so components compare equal to sklearn's.</para>
/// <para>Edge cases: empty data, N &lt; 2 (the N - 1 in the variance), a non-finite entry (named by row and
/// column) and k outside 1..min(N, D) throw <see cref="ArgumentException"/>. Constant data gives zero variances
/// and a ratio of 0 (not NaN).</para>
/// </remarks>
public sealed class Pca
{
    private readonly double[] _components; // [k, D] row-major
    private readonly double[] _mean;       // [D]

    private Pca(int samples, int features, double[] mean, double[] components, double[] singularValues,
        double[] explainedVariance, double[] explainedVarianceRatio, double totalVariance)
    {
        Samples = samples;
        Features = features;
        _mean = mean;
        _components = components;
        SingularValues = singularValues;
        ExplainedVariance = explainedVariance;
        ExplainedVarianceRatio = explainedVarianceRatio;
        TotalVariance = totalVariance;
    }

    /// <summary>N, the number of samples the model was fitted on.</summary>
    public int Samples { get; }

    /// <summary>D, the number of features.</summary>
    public int Features { get; }

    /// <summary>k, the number of components kept.</summary>
    public int ComponentCount => SingularValues.Length;

    /// <summary>The principal axes as a new tensor [k, D]: row i is the unit vector of component i (orthonormal rows).
    /// sklearn: components_.</summary>
    public Tensor<double> Components => new((double[])_components.Clone(), ComponentCount, Features);

    /// <summary>The column means of the training data, a new tensor [D]. sklearn: mean_.</summary>
    public Tensor<double> Mean => new((double[])_mean.Clone(), Features);

    /// <summary>The k largest singular values of the centred data, descending. sklearn: singular_values_.</summary>
    public double[] SingularValues { get; }

    /// <summary>Variance along each component, S_i^2 / (N - 1), descending. sklearn: explained_variance_.</summary>
    public double[] ExplainedVariance { get; }

    /// <summary>ExplainedVariance / <see cref="TotalVariance"/>; sums to 1 when k = min(N, D).
    /// sklearn: explained_variance_ratio_.</summary>
    public double[] ExplainedVarianceRatio { get; }

    /// <summary>The sum of the per-feature variances (with N - 1), i.e. the trace of the covariance matrix.</summary>
    public double TotalVariance { get; }

    /// <summary>
    /// Fits PCA with <paramref name="components"/> components (default min(N, D)) on a tensor [N, D]; a tensor
    /// [N, ...] of higher rank is read as [N, D] with D the product of the trailing dimensions.
    /// </summary>
    public static Pca Fit<T>(Tensor<T> data, int? components = null, PcaSolver solver = PcaSolver.Full) where T : unmanaged, IFloatingPointIeee754<T>
        => Fit(DataMatrix.From("Pca.Fit", data), components, solver);

    /// <summary>Fits PCA with <paramref name="components"/> components (default min(N, D)) on data [N, D].</summary>
    public static Pca Fit(double[,] data, int? components = null, PcaSolver solver = PcaSolver.Full) => Fit(DataMatrix.From("Pca.Fit", data), components, solver);

    /// <summary>
    /// The same model with only its first <paramref name="components"/> components (same mean and total variance):
    /// what fitting with fewer components gives, without a second decomposition. Notebook 10-autoencoder-vs-pca
    /// fits once and truncates to each code size.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k outside 1..<see cref="ComponentCount"/>.</exception>
    public Pca Truncate(int components)
    {
        if (components < 1 || components > ComponentCount)
            throw new ArgumentOutOfRangeException(nameof(components), components,
                $"Pca.Truncate: components: expected 1 to the {ComponentCount} fitted, got {components}.");
        return new Pca(Samples, Features, _mean, _components[..(components * Features)], SingularValues[..components],
            ExplainedVariance[..components], ExplainedVarianceRatio[..components], TotalVariance);
    }

    private static Pca Fit(DataMatrix x, int? components, PcaSolver solver)
    {
        int n = x.Rows, d = x.Columns;
        if (n < 2)
            throw new ArgumentException($"Pca.Fit: samples: expected at least 2 (the variance divides by N - 1), got {n} (shape [{n}, {d}]).", "data");
        int rank = Math.Min(n, d);
        int k = components ?? rank;
        if (k < 1 || k > rank)
            throw new ArgumentOutOfRangeException(nameof(components), k,
                $"Pca.Fit: components: expected 1 to min(N, D) = min({n}, {d}) = {rank}, got {k}.");

        var mean = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) mean[j] += x.Values[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        var centred = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) centred[i * d + j] = x.Values[i * d + j] - mean[j];

        // Rows of vt (rank x D) are the principal axes, s the singular values, both from a rank x rank SVD.
        Matrix<double> vt;
        MathNet.Numerics.LinearAlgebra.Vector<double> s;
        if (solver == PcaSolver.Randomized)
            (vt, s) = SubspaceIteration(centred, n, d, k);
        else if (solver == PcaSolver.CovarianceEigh && n >= d)
        {
            // C = Xc^T Xc = V S^2 V^T: the eigenvectors are the axes, the square roots of the eigenvalues the singular values.
            var gram = new double[d * d];
            Gemm.Multiply(true, false, d, d, n, 1.0, centred, d, centred, d, 0.0, gram, d);
            var evd = Matrix<double>.Build.DenseOfRowMajor(d, d, gram).Evd(Symmetricity.Symmetric);   // ascending
            vt = Matrix<double>.Build.Dense(d, d, (i, j) => evd.EigenVectors[j, d - 1 - i]);
            s = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(d, i => Math.Sqrt(Math.Max(0, evd.EigenValues[d - 1 - i].Real)));
        }
        else if (n >= d)
        {
            var xc = Matrix<double>.Build.DenseOfRowMajor(n, d, centred);
            var r = xc.QR(QRMethod.Thin).R;                    // Xc = Q R, R is D x D
            var svd = r.Svd(computeVectors: true);              // R = U S V^T  =>  Xc = (Q U) S V^T
            vt = svd.VT;
            s = svd.S;
        }
        else
        {
            var qr = Matrix<double>.Build.DenseOfRowMajor(n, d, centred).Transpose().QR(QRMethod.Thin);          // Xc^T = Q R, R is N x N
            var svd = qr.R.Svd(computeVectors: true);           // Xc^T = (Q U) S V^T  =>  Xc = V S (Q U)^T
            vt = (qr.Q * svd.U).Transpose();
            s = svd.S;
        }

        var comps = new double[k * d];
        for (int c = 0; c < k; c++)
        {
            int argMax = 0;
            for (int j = 1; j < d; j++)
                if (Math.Abs(vt[c, j]) > Math.Abs(vt[c, argMax])) argMax = j;
            double sign = vt[c, argMax] < 0 ? -1.0 : 1.0;
            for (int j = 0; j < d; j++) comps[c * d + j] = sign * vt[c, j];
        }

        double total = 0;
        foreach (double v in centred) total += v * v;
        total /= n - 1;
        var singular = new double[k];
        var variance = new double[k];
        var ratio = new double[k];
        for (int c = 0; c < k; c++)
        {
            singular[c] = s[c];
            variance[c] = s[c] * s[c] / (n - 1);
            ratio[c] = total > 0 ? variance[c] / total : 0;
        }
        return new Pca(n, d, mean, comps, singular, variance, ratio, total);
    }

    /// <summary>Iterations of <see cref="SubspaceIteration"/>; the error of component c shrinks like (lambda_{m+1} / lambda_c)^t.</summary>
    private const int SubspaceIterations = 40;

    /// <summary>
    /// The first <paramref name="k"/> principal axes [k, D] and singular values of the centred data by subspace
    /// iteration (Halko, Martinsson and Tropp 2011; sklearn's "randomized" solver, which openTSNE's PCA start uses):
    /// V [D, m] with m = k + 8 columns from a fixed seed, V = orth(Xc^T Xc V) repeated, then the Rayleigh-Ritz step on
    /// the small m x m matrix. Two thin GEMMs per iteration instead of a D x D decomposition.
    /// </summary>
    private static (Matrix<double> Vt, MathNet.Numerics.LinearAlgebra.Vector<double> S) SubspaceIteration(double[] xc, int n, int d, int k)
    {
        int m = Math.Min(Math.Min(n, d), k + 8);
        var random = new Random(0);
        var v = new double[d * m];
        for (int e = 0; e < v.Length; e++) v[e] = Tensor.NextGaussian(random);
        Orthonormalise(v, d, m);
        var u = new double[n * m];
        for (int t = 0; t < SubspaceIterations; t++)
        {
            Gemm.Multiply(false, false, n, m, d, 1.0, xc, d, v, m, 0.0, u, m);      // U = Xc V
            Gemm.Multiply(true, false, d, m, n, 1.0, xc, d, u, m, 0.0, v, m);       // V = Xc^T U
            Orthonormalise(v, d, m);
            Orthonormalise(v, d, m); // twice: one Gram-Schmidt pass leaves nearly parallel columns slightly skewed
        }
        Gemm.Multiply(false, false, n, m, d, 1.0, xc, d, v, m, 0.0, u, m);
        var small = new double[m * m];
        Gemm.Multiply(true, false, m, m, n, 1.0, u, m, u, m, 0.0, small, m);        // V^T Xc^T Xc V
        var evd = Matrix<double>.Build.DenseOfRowMajor(m, m, small).Evd(Symmetricity.Symmetric);   // ascending
        // Axis c is V times the eigenvector of the c-th largest eigenvalue; its singular value the eigenvalue's root.
        var vt = Matrix<double>.Build.Dense(k, d, (c, j) =>
        {
            double sum = 0;
            for (int a = 0; a < m; a++) sum += v[j * m + a] * evd.EigenVectors[a, m - 1 - c];
            return sum;
        });
        var s = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(k, c => Math.Sqrt(Math.Max(0, evd.EigenValues[m - 1 - c].Real)));
        return (vt, s);
    }

    /// <summary>Modified Gram-Schmidt on the m columns of a row-major [rows, m] matrix (a zero column stays zero).</summary>
    private static void Orthonormalise(double[] a, int rows, int m)
    {
        for (int c = 0; c < m; c++)
        {
            for (int p = 0; p < c; p++)
            {
                double dot = 0;
                for (int r = 0; r < rows; r++) dot += a[r * m + c] * a[r * m + p];
                for (int r = 0; r < rows; r++) a[r * m + c] -= dot * a[r * m + p];
            }
            double norm = 0;
            for (int r = 0; r < rows; r++) norm += a[r * m + c] * a[r * m + c];
            norm = Math.Sqrt(norm);
            if (norm > 0) for (int r = 0; r < rows; r++) a[r * m + c] /= norm;
        }
    }

    /// <summary>Projects data [M, D] (or [M, ...]) onto the components: z = (x - mean) W^T, shape [M, k].
    /// sklearn: transform.</summary>
    public Tensor<T> Transform<T>(Tensor<T> data) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = DataMatrix.From("Pca.Transform", data);
        return ToTensor<T>(Project(x), x.Rows, ComponentCount);
    }

    /// <summary>Projects data [M, D] onto the components: z = (x - mean) W^T, shape [M, k].</summary>
    public double[,] Transform(double[,] data)
    {
        var x = DataMatrix.From("Pca.Transform", data);
        return ToArray(Project(x), x.Rows, ComponentCount);
    }

    /// <summary>Maps codes [M, k] back to data space: x' = z W + mean, shape [M, D]. With k = D (or k = N when
    /// N &lt; D, for the training data) this undoes <see cref="Transform{T}"/> up to rounding.
    /// sklearn: inverse_transform.</summary>
    public Tensor<T> InverseTransform<T>(Tensor<T> codes) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var z = DataMatrix.From("Pca.InverseTransform", codes);
        return ToTensor<T>(Reconstruct(z), z.Rows, Features);
    }

    /// <summary>Maps codes [M, k] back to data space: x' = z W + mean, shape [M, D].</summary>
    public double[,] InverseTransform(double[,] codes)
    {
        var z = DataMatrix.From("Pca.InverseTransform", codes);
        return ToArray(Reconstruct(z), z.Rows, Features);
    }

    /// <summary>
    /// Mean squared reconstruction error over all M * D entries: mean((x - InverseTransform(Transform(x)))^2).
    /// On the training data this equals the sum of the discarded variances times (N - 1) / (N * D).
    /// </summary>
    public double ReconstructionError<T>(Tensor<T> data) where T : unmanaged, IFloatingPointIeee754<T>
        => ReconstructionError(DataMatrix.From("Pca.ReconstructionError", data));

    /// <summary>Mean squared reconstruction error over all M * D entries (see the tensor overload).</summary>
    public double ReconstructionError(double[,] data) => ReconstructionError(DataMatrix.From("Pca.ReconstructionError", data));

    private double ReconstructionError(DataMatrix x)
    {
        var back = Reconstruct(new DataMatrix(Project(x), x.Rows, ComponentCount));
        double sum = 0;
        for (int i = 0; i < back.Length; i++)
        {
            double e = x.Values[i] - back[i];
            sum += e * e;
        }
        return sum / back.Length;
    }

    private double[] Project(DataMatrix x)
    {
        if (x.Columns != Features)
            throw new ArgumentException($"Pca.Transform: features: expected {Features}, got {x.Columns} (data [{x.Rows}, {x.Columns}]).", "data");
        var centred = new double[x.Values.Length];
        for (int i = 0; i < x.Rows; i++)
            for (int j = 0; j < Features; j++) centred[i * Features + j] = x.Values[i * Features + j] - _mean[j];
        var z = new double[x.Rows * ComponentCount];
        Gemm.Multiply(false, true, x.Rows, ComponentCount, Features, 1.0, centred, Features, _components, Features, 0.0, z, ComponentCount);
        return z;
    }

    private double[] Reconstruct(DataMatrix z)
    {
        if (z.Columns != ComponentCount)
            throw new ArgumentException($"Pca.InverseTransform: components: expected {ComponentCount}, got {z.Columns} (codes [{z.Rows}, {z.Columns}]).", "codes");
        var x = new double[z.Rows * Features];
        for (int i = 0; i < z.Rows; i++) _mean.CopyTo(x, i * Features);
        Gemm.Multiply(false, false, z.Rows, Features, ComponentCount, 1.0, z.Values, ComponentCount, _components, Features, 1.0, x, Features);
        return x;
    }

    private static Tensor<T> ToTensor<T>(double[] values, int rows, int columns) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var t = new Tensor<T>(rows, columns);
        for (int i = 0; i < values.Length; i++) t.Data[i] = T.CreateTruncating(values[i]);
        return t;
    }

    private static double[,] ToArray(double[] values, int rows, int columns)
    {
        var a = new double[rows, columns];
        Buffer.BlockCopy(values, 0, a, 0, values.Length * sizeof(double));
        return a;
    }
}

/// <summary>How <see cref="Pca.Fit(double[,], int?, PcaSolver)"/> decomposes the centred data (sklearn: svd_solver). Introduced in notebook 10-autoencoder-vs-pca.</summary>
public enum PcaSolver
{
    /// <summary>Thin QR then SVD of the centred data: full precision for every variance (sklearn: "full").</summary>
    Full,

    /// <summary>Eigen-decomposition of Xc^T Xc (D x D), formed with the engine's GEMM: faster when N is much larger than D,
    /// small variances less precise (sklearn: "covariance_eigh"). Introduced in notebook 10-autoencoder-vs-pca.</summary>
    CovarianceEigh,

    /// <summary>Subspace iteration for the first k components only, from a fixed seed (deterministic): two thin GEMMs
    /// per iteration, far faster than either decomposition when k is small; the components agree with
    /// <see cref="Full"/> where their variances are well separated (sklearn: "randomized"). The PCA start of
    /// <see cref="Tsne"/> uses it (notebook 11-tsne-maps).</summary>
    Randomized,
}

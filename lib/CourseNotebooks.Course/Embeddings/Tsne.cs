using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Embeddings;

/// <summary>How t-SNE computes its gradient. Introduced in notebook 11-tsne-maps.</summary>
public enum TsneMethod
{
    /// <summary>All N^2 pairs every iteration: O(N^2) time and memory; for a few hundred points, and as the reference.</summary>
    Exact,

    /// <summary>Sparse P from the 3 * perplexity nearest neighbours and a quadtree for the repulsion: O(N log N) per
    /// iteration, for thousands of points. 2-D embeddings only.</summary>
    BarnesHut,
}

/// <summary>How the embedding starts. Introduced in notebook 11-tsne-maps.</summary>
public enum TsneInit
{
    /// <summary>Gaussian with standard deviation 1e-4 from the seeded generator (van der Maaten's choice).</summary>
    Random,

    /// <summary>The first principal components, scaled so the first has standard deviation 1e-4 (sklearn's and openTSNE's
    /// "pca"), computed with <see cref="PcaSolver.Randomized"/> as they do.</summary>
    Pca,
}

/// <summary>
/// Settings of <see cref="Tsne.Fit(double[,], TsneOptions?)"/>. The defaults are those of openTSNE (and, apart from
/// the learning rate, of sklearn.manifold.TSNE since version 1.2): perplexity 30, PCA initialisation, early
/// exaggeration 12 for 250 of 1000 iterations, momentum 0.5 then 0.8, learning rate "auto" = max(200, N / 12)
/// (openTSNE's rule; sklearn's "auto" is max(N / 12 / 4, 50), four times smaller for large N), Barnes-Hut with
/// angle (theta) 0.5. Introduced in notebook 11-tsne-maps.
/// </summary>
public sealed record TsneOptions
{
    /// <summary>Embedding dimension (2 for plots). Barnes-Hut supports 2 only.</summary>
    public int Dimensions { get; init; } = 2;

    /// <summary>Effective number of neighbours, exp(H(P_i)) with the entropy H in nats; must be positive and less than N (sklearn's check).</summary>
    public double Perplexity { get; init; } = 30;

    /// <summary>Factor on P during the first <see cref="ExaggerationIterations"/> iterations (forms tight clusters early).</summary>
    public double EarlyExaggeration { get; init; } = 12;

    /// <summary>Length of the early-exaggeration phase, which also uses <see cref="InitialMomentum"/>.</summary>
    public int ExaggerationIterations { get; init; } = 250;

    /// <summary>Step size; null (the default) means openTSNE's "auto": max(200, N / EarlyExaggeration), see
    /// <see cref="Tsne.AutoLearningRate"/>. sklearn's "auto" is max(N / EarlyExaggeration / 4, 50) instead; the larger
    /// step converges in the fixed 1000 iterations for tens of thousands of points (Belkina et al. 2019, Linderman
    /// et al. 2019).</summary>
    public double? LearningRate { get; init; }

    /// <summary>Total number of gradient steps.</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>Momentum during early exaggeration.</summary>
    public double InitialMomentum { get; init; } = 0.5;

    /// <summary>Momentum afterwards.</summary>
    public double FinalMomentum { get; init; } = 0.8;

    /// <summary>Lower bound of the per-coordinate gains (delta-bar-delta).</summary>
    public double MinGain { get; init; } = 0.01;

    /// <summary>Exact or Barnes-Hut gradient.</summary>
    public TsneMethod Method { get; init; } = TsneMethod.BarnesHut;

    /// <summary>Barnes-Hut accuracy: a cell of side w at distance r is summarised when w / r &lt; Theta (0 = exact).</summary>
    public double Theta { get; init; } = 0.5;

    /// <summary>Initial embedding; PCA by default (openTSNE, sklearn since 1.2): it keeps the global layout of the data
    /// and makes the map independent of the seed.</summary>
    public TsneInit Init { get; init; } = TsneInit.Pca;

    /// <summary>Seed of the random initialisation (<see cref="TsneInit.Random"/>): same seed, same data, same map. The PCA
    /// initialisation uses no random numbers.</summary>
    public int Seed { get; init; }

    /// <summary>Called with (iteration, KL divergence) every <see cref="ProgressInterval"/> iterations and after the last.</summary>
    public Action<int, double>? Progress { get; init; }

    /// <summary>Iterations between <see cref="Progress"/> calls (each costs one KL evaluation).</summary>
    public int ProgressInterval { get; init; } = 50;
}

/// <summary>The output of t-SNE: the map [N, Dimensions], the final KL(P || Q), the learning rate used. Introduced in notebook 11-tsne-maps.</summary>
/// <param name="Embedding">The low-dimensional points, one row per input sample, [N, Dimensions].</param>
/// <param name="KlDivergence">KL(P || Q) at the final map (Barnes-Hut: with its approximate normalisation Z).</param>
/// <param name="LearningRate">The step size used (resolves "auto").</param>
public sealed record TsneResult(Tensor<double> Embedding, double KlDivergence, double LearningRate);

/// <summary>
/// t-distributed stochastic neighbour embedding (van der Maaten and Hinton, 2008; Barnes-Hut: van der Maaten, 2014).
/// Introduced in notebook 11-tsne-maps (the lecture's "Pixel -> tSNE" and "PCA 32-dim" maps). openTSNE: openTSNE.TSNE;
/// sklearn: sklearn.manifold.TSNE.
/// </summary>
/// <remarks>
/// <para>Algorithm:</para>
/// <code>
/// p_{j|i} = exp(-beta_i |x_i - x_j|^2) / sum_{k != i} exp(-beta_i |x_i - x_k|^2), beta_i by bisection so that
///           H(P_i) = log(perplexity) (natural log; tolerance 1e-5, at most 50 steps)
/// p_ij    = (p_{j|i} + p_{i|j}) / (2N)                         (Barnes-Hut: over kNN, divided by the sum)
/// q_ij    = (1 + |y_i - y_j|^2)^-1 / Z,  Z = sum_{k != l} (1 + |y_k - y_l|^2)^-1
/// C       = KL(P || Q) = sum_{i != j} p_ij log(p_ij / q_ij)
/// dC/dy_i = 4 sum_j (p_ij - q_ij) (1 + |y_i - y_j|^2)^-1 (y_i - y_j)
/// for t in 0 .. MaxIterations-1:
///     alpha = EarlyExaggeration if t &lt; ExaggerationIterations else 1      (p_ij -> alpha p_ij in the gradient)
///     mu    = InitialMomentum   if t &lt; ExaggerationIterations else FinalMomentum
///     g     = dC/dY
///     gain  = gain + 0.2 where sign(g) != sign(update), else gain * 0.8; gain = max(gain, MinGain)
///     update = mu * update - LearningRate * gain * g;  Y += update
/// </code>
/// <para>As sklearn, update and gains restart at the end of early exaggeration, and there is no early stop on a
/// small gradient: every run takes exactly MaxIterations steps. The reported KL always uses the true P, also
/// during exaggeration (sklearn reports the exaggerated one there).</para>
/// <para>Barnes-Hut: the attraction uses the sparse P exactly; the repulsion sum_j q_ij^2 Z^2 (y_i - y_j) and Z
/// come from a quadtree (<c>QuadTree</c>), so the gradient is 4 (F_attr - F_rep / Z). The kNN search is exact
/// brute force (one GEMM per block of rows), fine up to a few thousand points.</para>
/// <para>Determinism: all parallel loops write per-point results that are summed in a fixed order, so the same
/// data, options and seed give the same map on any number of cores.</para>
/// </remarks>
public static class Tsne
{
    /// <summary>Embeds the rows of <paramref name="data"/> [N, D] (a tensor [N, ...] is read as [N, D]).</summary>
    public static TsneResult Fit<T>(Tensor<T> data, TsneOptions? options = null) where T : unmanaged, IFloatingPointIeee754<T>
        => Fit(DataMatrix.From("Tsne.Fit", data), options ?? new TsneOptions());

    /// <summary>Embeds the rows of <paramref name="data"/> [N, D].</summary>
    public static TsneResult Fit(double[,] data, TsneOptions? options = null)
        => Fit(DataMatrix.From("Tsne.Fit", data), options ?? new TsneOptions());

    /// <summary>openTSNE's "auto" learning rate: max(200, N / earlyExaggeration), which is max(200, N / 12) at the default
    /// exaggeration (sklearn's "auto" would be max(N / earlyExaggeration / 4, 50)).</summary>
    public static double AutoLearningRate(int samples, double earlyExaggeration) => Math.Max(samples / earlyExaggeration, 200);

    private static TsneResult Fit(DataMatrix x, TsneOptions o)
    {
        int n = x.Rows, dims = o.Dimensions;
        Validate(n, o);
        double learningRate = o.LearningRate ?? AutoLearningRate(n, o.EarlyExaggeration);

        double[]? denseP = null;
        SparseAffinities? sparseP = null;
        if (o.Method == TsneMethod.Exact) denseP = TsneAffinities.Joint(x, o.Perplexity);
        else sparseP = TsneAffinities.SparseJoint(x, o.Perplexity, Math.Min(n - 1, (int)(3 * o.Perplexity + 1)));

        var y = Initialise(x, o);
        var grad = new double[n * dims];
        var update = new double[n * dims];
        var gains = new double[n * dims];
        Array.Fill(gains, 1.0);
        var tree = sparseP is null ? null : new QuadTree();
        var rowScratch = new double[n];

        double Step(double exaggeration) => denseP is not null
            ? ExactGradientCore(denseP, y, n, dims, exaggeration, grad, rowScratch)
            : BarnesHutGradientCore(sparseP!, y, n, o.Theta, exaggeration, grad, tree!, rowScratch);
        double Kl(double z) => denseP is not null ? ExactKl(denseP, y, n, dims, z) : SparseKl(sparseP!, y, z);

        for (int t = 0; t < o.MaxIterations; t++)
        {
            bool exaggerating = t < o.ExaggerationIterations;
            if (t == o.ExaggerationIterations) { Array.Clear(update); Array.Fill(gains, 1.0); }
            double z = Step(exaggerating ? o.EarlyExaggeration : 1.0);
            if (o.Progress is not null && ((t + 1) % o.ProgressInterval == 0 || t + 1 == o.MaxIterations))
                o.Progress(t + 1, Kl(z));
            double momentum = exaggerating ? o.InitialMomentum : o.FinalMomentum;
            for (int e = 0; e < y.Length; e++)
            {
                gains[e] = update[e] * grad[e] < 0 ? gains[e] + 0.2 : gains[e] * 0.8;
                if (gains[e] < o.MinGain) gains[e] = o.MinGain;
                update[e] = momentum * update[e] - learningRate * gains[e] * grad[e];
                y[e] += update[e];
            }
        }
        double finalKl = Kl(Step(1.0));
        return new TsneResult(new Tensor<double>(y, n, dims), finalKl, learningRate);
    }

    private static void Validate(int n, TsneOptions o)
    {
        if (n < 2) throw new ArgumentException($"Tsne.Fit: samples: expected at least 2, got {n}.", "data");
        if (!(o.Perplexity > 0) || o.Perplexity >= n)
            throw new ArgumentOutOfRangeException(nameof(o.Perplexity), o.Perplexity,
                $"Tsne.Fit: perplexity must be positive and less than the number of samples N = {n}, got {o.Perplexity}.");
        if (o.Dimensions < 1)
            throw new ArgumentOutOfRangeException(nameof(o.Dimensions), o.Dimensions, $"Tsne.Fit: dimensions must be positive, got {o.Dimensions}.");
        if (o.Method == TsneMethod.BarnesHut && o.Dimensions != 2)
            throw new ArgumentException($"Tsne.Fit: Barnes-Hut (a quadtree) needs dimensions = 2, got {o.Dimensions}; use TsneMethod.Exact.", nameof(o.Dimensions));
        if (!(o.Theta >= 0)) throw new ArgumentOutOfRangeException(nameof(o.Theta), o.Theta, $"Tsne.Fit: theta must be >= 0, got {o.Theta}.");
        if (o.MaxIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(o.MaxIterations), o.MaxIterations, $"Tsne.Fit: max iterations must be positive, got {o.MaxIterations}.");
        if (o.ExaggerationIterations < 0)
            throw new ArgumentOutOfRangeException(nameof(o.ExaggerationIterations), o.ExaggerationIterations,
                $"Tsne.Fit: exaggeration iterations must be non-negative, got {o.ExaggerationIterations}.");
        if (o.LearningRate is { } lr && !(lr > 0))
            throw new ArgumentOutOfRangeException(nameof(o.LearningRate), lr, $"Tsne.Fit: learning rate must be positive (or null for auto), got {lr}.");
        if (!(o.EarlyExaggeration >= 1))
            throw new ArgumentOutOfRangeException(nameof(o.EarlyExaggeration), o.EarlyExaggeration, $"Tsne.Fit: early exaggeration must be >= 1, got {o.EarlyExaggeration}.");
        if (o.ProgressInterval < 1)
            throw new ArgumentOutOfRangeException(nameof(o.ProgressInterval), o.ProgressInterval, $"Tsne.Fit: progress interval must be positive, got {o.ProgressInterval}.");
    }

    /// <summary>The starting map [N, dims] row-major (internal for the tests of the PCA start).</summary>
    internal static double[] Initialise(DataMatrix x, TsneOptions o)
    {
        int n = x.Rows, dims = o.Dimensions;
        var y = new double[n * dims];
        if (o.Init == TsneInit.Random)
        {
            var random = new Random(o.Seed);
            for (int e = 0; e < y.Length; e++) y[e] = 1e-4 * Tensor.NextGaussian(random);
            return y;
        }
        if (dims > Math.Min(n, x.Columns))
            throw new ArgumentException($"Tsne.Fit: PCA init needs dimensions <= min(N, D) = {Math.Min(n, x.Columns)}, got {dims}.", nameof(o.Init));
        var data = new Tensor<double>(x.Values, n, x.Columns);
        var z = Pca.Fit(data, dims, PcaSolver.Randomized).Transform(data).Data;
        double mean = 0, ss = 0;
        for (int i = 0; i < n; i++) mean += z[i * dims];
        mean /= n;
        for (int i = 0; i < n; i++) ss += (z[i * dims] - mean) * (z[i * dims] - mean);
        double std = Math.Sqrt(ss / n);
        double scale = std > 0 ? 1e-4 / std : 1.0;
        for (int e = 0; e < y.Length; e++) y[e] = z[e] * scale;
        return y;
    }

    // ---- Exact gradient -------------------------------------------------------------------------------------

    /// <summary>
    /// The exact t-SNE gradient dC/dY [N, d] and C = KL(P || Q) for a joint P [N, N] (symmetric, summing to 1,
    /// zero diagonal) and a map Y [N, d]. Public so tests and notebook 11-tsne-maps can check it (its exercise writes one
    /// point's gradient by hand).
    /// </summary>
    public static (Tensor<double> Gradient, double KlDivergence) ExactGradient(Tensor<double> p, Tensor<double> y)
    {
        var (n, dims) = CheckPY("Tsne.ExactGradient", p, y);
        var grad = new double[n * dims];
        var yData = (double[])y.Data.Clone();
        double z = ExactGradientCore(p.Data, yData, n, dims, 1.0, grad, new double[n]);
        return (new Tensor<double>(grad, n, dims), ExactKl(p.Data, yData, n, dims, z));
    }

    /// <summary>C = KL(P || Q) = sum_{i != j} p_ij log(p_ij / q_ij) for P [N, N] and Y [N, d] (terms with p_ij = 0 are 0).</summary>
    public static double KlDivergence(Tensor<double> p, Tensor<double> y)
    {
        var (n, dims) = CheckPY("Tsne.KlDivergence", p, y);
        var rowZ = new double[n];
        PointLoop.For(n, (long)n * dims, i =>
        {
            double s = 0;
            for (int j = 0; j < n; j++) if (j != i) s += 1 / (1 + SquaredDistance(y.Data, i, j, dims));
            rowZ[i] = s;
        });
        return ExactKl(p.Data, y.Data, n, dims, rowZ.Sum());
    }

    /// <summary>
    /// The Barnes-Hut gradient for a joint P [N, N] (its non-zeros are used as the sparse P) and a 2-D map Y [N, 2].
    /// With theta = 0 it equals <see cref="ExactGradient"/> up to rounding.
    /// </summary>
    public static Tensor<double> BarnesHutGradient(Tensor<double> p, Tensor<double> y, double theta)
    {
        var (n, dims) = CheckPY("Tsne.BarnesHutGradient", p, y);
        if (dims != 2) throw new ArgumentException($"Tsne.BarnesHutGradient: map width: expected 2, got {dims} (Y {y.ShapeString}).", nameof(y));
        if (!(theta >= 0)) throw new ArgumentOutOfRangeException(nameof(theta), theta, $"Tsne.BarnesHutGradient: theta must be >= 0, got {theta}.");
        var grad = new double[n * 2];
        BarnesHutGradientCore(SparseAffinities.FromDense(p.Data, n), (double[])y.Data.Clone(), n, theta, 1.0, grad, new QuadTree(), new double[n]);
        return new Tensor<double>(grad, n, 2);
    }

    /// <summary>The joint P [N, N] of exact t-SNE for data [N, D]: symmetrised conditional Gaussians, summing to 1.</summary>
    public static Tensor<double> JointProbabilities<T>(Tensor<T> data, double perplexity) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = DataMatrix.From("Tsne.JointProbabilities", data);
        Validate(x.Rows, new TsneOptions { Perplexity = perplexity, Method = TsneMethod.Exact });
        return new Tensor<double>(TsneAffinities.Joint(x, perplexity), x.Rows, x.Rows);
    }

    /// <summary>The conditional p_{j|i} [N, N] (row i is point i's neighbour distribution, entropy log(perplexity)).</summary>
    public static Tensor<double> ConditionalProbabilities<T>(Tensor<T> data, double perplexity) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = DataMatrix.From("Tsne.ConditionalProbabilities", data);
        Validate(x.Rows, new TsneOptions { Perplexity = perplexity, Method = TsneMethod.Exact });
        return new Tensor<double>(TsneAffinities.Conditional(x, perplexity), x.Rows, x.Rows);
    }

    private static (int N, int Dims) CheckPY(string owner, Tensor<double> p, Tensor<double> y)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(y);
        if (y.Rank != 2) throw new ArgumentException($"{owner}: Y rank: expected 2 ([N, d]), got {y.Rank} (Y {y.ShapeString}).", nameof(y));
        int n = y.Shape[0];
        ShapeCheck.SameShape(owner, "P", [n, n], p.Shape);
        return (n, y.Shape[1]);
    }

    private static double SquaredDistance(double[] y, int i, int j, int dims)
    {
        double s = 0;
        for (int c = 0; c < dims; c++)
        {
            double diff = y[i * dims + c] - y[j * dims + c];
            s += diff * diff;
        }
        return s;
    }

    /// <summary>Writes 4 sum_j (alpha p_ij - q_ij) num_ij (y_i - y_j) into grad; returns Z. Two passes over pairs
    /// (Z first, then the forces) instead of an N x N buffer of num_ij.</summary>
    private static double ExactGradientCore(double[] p, double[] y, int n, int dims, double exaggeration, double[] grad, double[] rowZ)
    {
        PointLoop.For(n, (long)n * dims, i =>
        {
            double s = 0;
            for (int j = 0; j < n; j++) if (j != i) s += 1 / (1 + SquaredDistance(y, i, j, dims));
            rowZ[i] = s;
        });
        double z = 0;
        for (int i = 0; i < n; i++) z += rowZ[i];
        PointLoop.For(n, 2L * n * dims, i =>
        {
            var g = grad.AsSpan(i * dims, dims);
            g.Clear();
            for (int j = 0; j < n; j++)
            {
                if (j == i) continue;
                double num = 1 / (1 + SquaredDistance(y, i, j, dims));
                double coefficient = 4 * (exaggeration * p[i * n + j] - num / z) * num;
                for (int c = 0; c < dims; c++) g[c] += coefficient * (y[i * dims + c] - y[j * dims + c]);
            }
        });
        return z;
    }

    private static double ExactKl(double[] p, double[] y, int n, int dims, double z)
    {
        double kl = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double pij = p[i * n + j];
                if (i == j || pij <= 0) continue;
                double q = 1 / (1 + SquaredDistance(y, i, j, dims)) / z;
                kl += pij * Math.Log(pij / q);
            }
        return kl;
    }

    // ---- Barnes-Hut gradient --------------------------------------------------------------------------------

    /// <summary>Writes 4 (alpha F_attr - F_rep / Z) into grad for a 2-D map; returns the approximate Z.</summary>
    private static double BarnesHutGradientCore(SparseAffinities p, double[] y, int n, double theta, double exaggeration,
        double[] grad, QuadTree tree, double[] rowZ)
    {
        tree.Build(y, n);
        double thetaSquared = theta * theta;
        // grad holds the repulsion first; the attraction is added once Z is known.
        // Cost guess: a traversal opens and summarises about a thousand cells at theta = 0.5 (with 256, a map of the
        // 1,000 shipped test images stayed on one core although each iteration takes milliseconds).
        PointLoop.For(n, 1024, i =>
        {
            Span<int> stack = stackalloc int[QuadTree.StackSize];
            tree.Repulsion(i, thetaSquared, stack, out double fx, out double fy, out double zi);
            grad[2 * i] = fx; grad[2 * i + 1] = fy;
            rowZ[i] = zi;
        });
        double z = 0;
        for (int i = 0; i < n; i++) z += rowZ[i];
        PointLoop.For(n, 1 + p.Values.Length / n, i =>
        {
            double ax = 0, ay = 0;
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++)
            {
                int j = p.Columns[e];
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                double w = exaggeration * p.Values[e] / (1 + dx * dx + dy * dy);
                ax += w * dx; ay += w * dy;
            }
            grad[2 * i] = 4 * (ax - grad[2 * i] / z);
            grad[2 * i + 1] = 4 * (ay - grad[2 * i + 1] / z);
        });
        return z;
    }

    private static double SparseKl(SparseAffinities p, double[] y, double z)
    {
        double kl = 0;
        for (int i = 0; i < p.N; i++)
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++)
            {
                int j = p.Columns[e];
                double pij = p.Values[e];
                if (pij <= 0) continue;
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                kl += pij * Math.Log(pij * z * (1 + dx * dx + dy * dy));
            }
        return kl;
    }
}

using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

public class TsneTests
{
    /// <summary>Gaussian clusters (unit spread) whose centres sit 10 apart along different axes of a 10-D space.</summary>
    private static (double[,] X, int[] Labels) Clusters(int perCluster, int clusters, int seed)
    {
        var random = new Random(seed);
        int n = perCluster * clusters, d = 10;
        var x = new double[n, d];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % clusters;
            for (int j = 0; j < d; j++) x[i, j] = Tensor.NextGaussian(random) + (j == labels[i] ? 10.0 : 0.0);
        }
        return (x, labels);
    }

    /// <summary>Leave-one-out accuracy of a k-nearest-neighbour majority vote in the map.</summary>
    private static double KnnAccuracy(Tensor<double> map, int[] labels, int k)
    {
        int n = labels.Length, dims = map.Shape[1];
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            var nearest = Enumerable.Range(0, n).Where(j => j != i)
                .OrderBy(j => Enumerable.Range(0, dims).Sum(c => Math.Pow(map[i, c] - map[j, c], 2)))
                .Take(k);
            int vote = nearest.GroupBy(j => labels[j]).OrderByDescending(g => g.Count()).First().Key;
            if (vote == labels[i]) correct++;
        }
        return (double)correct / n;
    }

    private static Tensor<double> RandomData(int n, int d, int seed) => Tensor.Randn<double>(new Random(seed), n, d);

    [Theory]
    [InlineData(6, 2)]
    [InlineData(9, 3)]
    public void Tsne_ExactGradient_MatchesNumericalGradient(int n, int dims)
    {
        var p = Tsne.JointProbabilities(RandomData(n, 5, seed: n), perplexity: 3);
        var y = RandomData(n, dims, seed: 100 + n);
        var (grad, kl) = Tsne.ExactGradient(p, y);
        Assert.Equal(Tsne.KlDivergence(p, y), kl, 1e-12);

        const double h = 1e-5;
        double maxRelative = 0;
        for (int e = 0; e < y.Length; e++)
        {
            double saved = y.Data[e];
            y.Data[e] = saved + h;
            double plus = Tsne.KlDivergence(p, y);
            y.Data[e] = saved - h;
            double minus = Tsne.KlDivergence(p, y);
            y.Data[e] = saved;
            double numeric = (plus - minus) / (2 * h);
            double relative = Math.Abs(numeric - grad.Data[e]) / Math.Max(1e-8, Math.Abs(numeric) + Math.Abs(grad.Data[e]));
            maxRelative = Math.Max(maxRelative, relative);
        }
        Assert.True(maxRelative < 1e-6, $"max relative error {maxRelative}");
    }

    [Theory]
    [InlineData(5.0)]
    [InlineData(20.0)]
    public void Tsne_ConditionalRows_HaveTheRequestedPerplexity(double perplexity)
    {
        var c = Tsne.ConditionalProbabilities(RandomData(60, 7, seed: 4), perplexity);
        for (int i = 0; i < 60; i++)
        {
            double sum = 0, entropy = 0;
            for (int j = 0; j < 60; j++)
            {
                double v = c[i, j];
                sum += v;
                if (v > 0) entropy -= v * Math.Log(v);
            }
            Assert.Equal(0.0, c[i, i]);
            Assert.Equal(1.0, sum, 1e-12);
            Assert.True(Math.Abs(entropy - Math.Log(perplexity)) <= 1e-5, $"row {i}: entropy {entropy}, target {Math.Log(perplexity)}");
        }
    }

    [Fact]
    public void Tsne_JointProbabilities_AreSymmetricAndSumToOne()
    {
        var p = Tsne.JointProbabilities(RandomData(30, 4, seed: 8), 10);
        double sum = 0;
        for (int i = 0; i < 30; i++)
            for (int j = 0; j < 30; j++)
            {
                Assert.Equal(p[i, j], p[j, i], 1e-15);
                sum += p[i, j];
            }
        Assert.Equal(1.0, sum, 1e-12);
    }

    [Fact]
    public void Tsne_SparseAffinities_UseTheTrueNearestNeighboursAndSumToOne()
    {
        var data = RandomData(80, 6, seed: 12);
        var x = new DataMatrix(data.Data, 80, 6);
        var (index, distance) = NearestNeighbors.Search(x, x, 7, excludeSelf: true, "test");
        for (int i = 0; i < 80; i++)
        {
            var expected = Enumerable.Range(0, 80).Where(j => j != i)
                .Select(j => (j, d: Enumerable.Range(0, 6).Sum(c => Math.Pow(data[i, c] - data[j, c], 2))))
                .OrderBy(t => t.d).Take(7).ToArray();
            for (int r = 0; r < 7; r++)
            {
                Assert.Equal(expected[r].j, index[i * 7 + r]);
                Assert.Equal(expected[r].d, distance[i * 7 + r], 1e-9);
            }
        }
        var p = TsneAffinities.SparseJoint(x, perplexity: 2, neighbours: 7);
        Assert.Equal(1.0, p.Values.Sum(), 1e-12);
        for (int i = 0; i < 80; i++)
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++)
            {
                int j = p.Columns[e];
                int back = Array.IndexOf(p.Columns, i, p.RowStart[j], p.RowStart[j + 1] - p.RowStart[j]);
                Assert.True(back >= 0, $"P[{i}, {j}] has no mirror");
                Assert.Equal(p.Values[e], p.Values[back], 1e-15);
            }
    }

    [Fact]
    public void Tsne_BarnesHutGradient_WithThetaZeroEqualsExact()
    {
        var p = Tsne.JointProbabilities(RandomData(40, 5, seed: 3), 8);
        var y = RandomData(40, 2, seed: 9);
        var exact = Tsne.ExactGradient(p, y).Gradient;
        var bh = Tsne.BarnesHutGradient(p, y, theta: 0);
        for (int e = 0; e < exact.Length; e++) Assert.Equal(exact.Data[e], bh.Data[e], 1e-12);
    }

    [Fact]
    public void Tsne_BarnesHutGradient_WithSmallThetaIsCloseToExact()
    {
        var p = Tsne.JointProbabilities(RandomData(50, 5, seed: 21), 10);
        var y = Tensor.Randn<double>(new Random(22), 50, 2);
        for (int e = 0; e < y.Length; e++) y.Data[e] *= 5; // a spread-out map, so cells are actually summarised
        var exact = Tsne.ExactGradient(p, y).Gradient;
        var bh = Tsne.BarnesHutGradient(p, y, theta: 0.1);
        double diff = 0, norm = 0;
        for (int e = 0; e < exact.Length; e++)
        {
            diff += Math.Pow(exact.Data[e] - bh.Data[e], 2);
            norm += Math.Pow(exact.Data[e], 2);
        }
        double relative = Math.Sqrt(diff / norm);
        Assert.True(relative < 1e-3, $"relative error {relative}");
        Assert.True(relative > 0, "theta = 0.1 summarised nothing: the test map is too compact");
    }

    [Theory]
    [InlineData(TsneMethod.Exact)]
    [InlineData(TsneMethod.BarnesHut)]
    public void Tsne_SeparatedClusters_StaySeparatedInTheMap(TsneMethod method)
    {
        var (x, labels) = Clusters(perCluster: 40, clusters: 4, seed: 1);
        var result = Tsne.Fit(x, new TsneOptions { Method = method, Seed = 5, MaxIterations = 500 });
        Assert.Equal([160, 2], result.Embedding.Shape.ToArray());
        double accuracy = KnnAccuracy(result.Embedding, labels, k: 5);
        Assert.True(accuracy > 0.95, $"{method}: 5-NN accuracy {accuracy}");
        Assert.True(result.KlDivergence is > 0 and < 2, $"{method}: KL {result.KlDivergence}");
    }

    [Fact]
    public void Tsne_SameSeed_GivesTheSameMap()
    {
        var (x, _) = Clusters(perCluster: 20, clusters: 3, seed: 2);
        // The seed matters only for the random start (the default is now PCA's, which draws nothing).
        var options = new TsneOptions { Perplexity = 10, Seed = 7, MaxIterations = 300, Init = TsneInit.Random };
        var a = Tsne.Fit(x, options);
        var b = Tsne.Fit(x, options);
        var c = Tsne.Fit(x, options with { Seed = 8 });
        Assert.Equal(a.Embedding.Data, b.Embedding.Data);
        Assert.Equal(a.KlDivergence, b.KlDivergence);
        Assert.NotEqual(a.Embedding.Data, c.Embedding.Data);
        var pcaStart = new TsneOptions { Perplexity = 10, MaxIterations = 300 };
        Assert.Equal(Tsne.Fit(x, pcaStart with { Seed = 1 }).Embedding.Data, Tsne.Fit(x, pcaStart with { Seed = 2 }).Embedding.Data);
    }

    [Fact]
    public void Tsne_PcaInitAndProgress_ReportDecreasingKl()
    {
        var (x, labels) = Clusters(perCluster: 25, clusters: 3, seed: 6);
        var reports = new List<(int Iteration, double Kl)>();
        var result = Tsne.Fit(Tensor.FromArray(x).To<float>(), new TsneOptions
        {
            Method = TsneMethod.Exact, Init = TsneInit.Pca, Perplexity = 15, MaxIterations = 400, LearningRate = null,
            Progress = (t, kl) => reports.Add((t, kl)),
        });
        Assert.Equal(Enumerable.Range(1, 8).Select(i => 50 * i), reports.Select(r => r.Iteration));
        Assert.True(reports[^1].Kl < reports[0].Kl, $"KL went from {reports[0].Kl} to {reports[^1].Kl}");
        Assert.Equal(Tsne.AutoLearningRate(75, 12), result.LearningRate);
        Assert.Equal(200.0, result.LearningRate); // openTSNE's auto: max(200, 75 / 12)
        Assert.Equal(1000.0, Tsne.AutoLearningRate(12_000, 12)); // N / 12 once N > 2400
        Assert.True(KnnAccuracy(result.Embedding, labels, 5) > 0.95);
    }

    [Fact]
    public void Tsne_PcaStart_IsTheFirstPrincipalScoresOfPcaFit_Scaled()
    {
        // Clusters plus an elongated direction, so the first two variances are well apart from the rest.
        var (x, _) = Clusters(perCluster: 30, clusters: 4, seed: 9);
        var data = Tensor.FromArray(x);
        var scores = Pca.Fit(data, 2).Transform(data);
        var start = Tsne.Initialise(DataMatrix.From("test", x), new TsneOptions());
        double mean = Enumerable.Range(0, 120).Average(i => scores[i, 0]);
        double std = Math.Sqrt(Enumerable.Range(0, 120).Average(i => Math.Pow(scores[i, 0] - mean, 2)));
        for (int e = 0; e < start.Length; e++) Assert.Equal(scores.Data[e] * 1e-4 / std, start[e], 1e-12);
    }

    [Fact]
    public void TsneOptions_Defaults_AreOpenTsnes()
    {
        // Changed from van der Maaten's original code (random start, fixed rate 200) to the anchors of notebook 11.
        var o = new TsneOptions();
        Assert.Equal((30.0, 12.0, 250, 1000, 0.5, TsneInit.Pca, TsneMethod.BarnesHut), (o.Perplexity, o.EarlyExaggeration, o.ExaggerationIterations, o.MaxIterations, o.Theta, o.Init, o.Method));
        Assert.Null(o.LearningRate);
    }

    [Fact]
    public void Tsne_Fit_RejectsPerplexityNotBelowN()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tsne.Fit(new double[10, 3], new TsneOptions { Perplexity = 10 }));
        Assert.Contains("N = 10", ex.Message);
        Assert.Contains("got 10", ex.Message);
    }

    [Fact]
    public void Tsne_Fit_RejectsTooFewSamplesAndNonFiniteData()
    {
        var one = Assert.Throws<ArgumentException>(() => Tsne.Fit(new double[1, 3], new TsneOptions { Perplexity = 0.5 }));
        Assert.Contains("at least 2, got 1", one.Message);
        var x = new double[5, 2];
        x[3, 0] = double.PositiveInfinity;
        var bad = Assert.Throws<ArgumentException>(() => Tsne.Fit(x, new TsneOptions { Perplexity = 2 }));
        Assert.Contains("row 3, column 0", bad.Message);
    }

    [Fact]
    public void Tsne_BarnesHut_RejectsThreeDimensions()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tsne.Fit(new double[10, 3], new TsneOptions { Perplexity = 3, Dimensions = 3 }));
        Assert.Contains("dimensions = 2, got 3", ex.Message);
    }

    [Fact]
    public void Tsne_ExactGradient_RejectsMismatchedP()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tsne.ExactGradient(new Tensor<double>(4, 4), new Tensor<double>(5, 2)));
        Assert.Contains("expected [5, 5], got [4, 4]", ex.Message);
    }
}

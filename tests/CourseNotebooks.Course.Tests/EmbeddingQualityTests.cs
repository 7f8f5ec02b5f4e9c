using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

public class EmbeddingQualityTests
{
    private static double Distance2(Tensor<double> x, int i, int j)
    {
        int d = x.Shape[1];
        double s = 0;
        for (int c = 0; c < d; c++) s += Math.Pow(x.Data[i * d + c] - x.Data[j * d + c], 2);
        return s;
    }

    /// <summary>The other points of i, nearest first, ties by index: a full sort, the naive reference.</summary>
    private static int[] Ranked(Tensor<double> x, int i) =>
        [.. Enumerable.Range(0, x.Shape[0]).Where(j => j != i).OrderBy(j => Distance2(x, i, j)).ThenBy(j => j)];

    /// <summary>sklearn.manifold.trustworthiness written out: ranks from a full sort of every distance row.</summary>
    private static double NaiveTrustworthiness(Tensor<double> x, Tensor<double> y, int k)
    {
        int n = x.Shape[0];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            var inData = Ranked(x, i);
            foreach (int j in Ranked(y, i).Take(k))
            {
                int rank = Array.IndexOf(inData, j) + 1;
                sum += Math.Max(0, rank - k);
            }
        }
        return 1 - 2.0 / (n * k * (2.0 * n - 3 * k - 1)) * sum;
    }

    /// <summary>A k-NN majority vote written out, with the documented tie rule (the tied class met first, nearest first).</summary>
    private static double NaiveKnnAccuracy(Tensor<double> x, int[] labels, int k)
    {
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var nearest = Ranked(x, i).Take(k).ToArray();
            var counts = nearest.GroupBy(j => labels[j]).ToDictionary(g => g.Key, g => g.Count());
            int most = counts.Values.Max();
            int vote = labels[nearest.First(j => counts[labels[j]] == most)];
            if (vote == labels[i]) correct++;
        }
        return (double)correct / labels.Length;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(12)]
    public void Trustworthiness_MatchesTheNaiveFormula(int k)
    {
        var x = Tensor.Randn<double>(new Random(1), 60, 7);
        var y = Tensor.Randn<double>(new Random(2), 60, 2);
        // A map that keeps part of the structure: the first two coordinates plus noise.
        var partial = new Tensor<double>(60, 2);
        for (int i = 0; i < 60; i++) for (int c = 0; c < 2; c++) partial[i, c] = x[i, c] + 0.5 * y[i, c];
        Assert.Equal(NaiveTrustworthiness(x, y, k), EmbeddingQuality.Trustworthiness(x, y, k), 12);
        Assert.Equal(NaiveTrustworthiness(x, partial, k), EmbeddingQuality.Trustworthiness(x, partial, k), 12);
    }

    [Fact]
    public void Trustworthiness_IsOneForTheDataItself_AndFarLowerForAShuffledMap()
    {
        var clusters = KnownTruth.GaussianClusters([50, 50, 50], [1, 1, 1], [0, 10, 20], 5, seed: 3);
        var x = clusters.Points;
        Assert.Equal(1.0, EmbeddingQuality.Trustworthiness(x, x, 5), 12);
        // The same rows in a random order: each point sits where another one was.
        var order = Enumerable.Range(0, 150).ToArray();
        new Random(4).Shuffle(order);
        var shuffled = new Tensor<double>(150, 5);
        for (int i = 0; i < 150; i++) for (int c = 0; c < 5; c++) shuffled[i, c] = x[order[i], c];
        double t = EmbeddingQuality.Trustworthiness(x, shuffled, 5);
        Assert.True(t < 0.7, $"shuffled map: trustworthiness {t}");
        Assert.Equal(NaiveTrustworthiness(x, shuffled, 5), t, 12);
    }

    [Fact]
    public void Trustworthiness_AcceptsFloatDataWithADoubleMap()
    {
        var x = Tensor.Randn<double>(new Random(5), 40, 6);
        var y = Tensor.Randn<double>(new Random(6), 40, 2);
        Assert.Equal(EmbeddingQuality.Trustworthiness(x.To<float>().To<double>(), y, 4), EmbeddingQuality.Trustworthiness(x.To<float>(), y, 4), 12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    public void KnnAccuracy_MatchesTheNaiveVote(int k)
    {
        var x = Tensor.Randn<double>(new Random(7), 80, 3);
        var labels = Enumerable.Range(0, 80).Select(i => (x[i, 0] > 0 ? 1 : 0) + (i % 5 == 0 ? 2 : 0)).ToArray();
        Assert.Equal(NaiveKnnAccuracy(x, labels, k), EmbeddingQuality.KnnAccuracy(x, labels, k), 12);
    }

    [Fact]
    public void KnnAccuracy_OnAHandWorkedLine()
    {
        // Points on a line at 0, 1, 2, 10, 11, 13; labels a a b b b a.
        var x = Tensor.FromArray(new double[,] { { 0 }, { 1 }, { 2 }, { 10 }, { 11 }, { 13 } });
        int[] labels = [0, 0, 1, 1, 1, 0];
        // k = 1: 0->1 (a, right), 1->0 (a, right; 0 and 2 tie at distance 1, the lower index first), 2->1 (a, wrong),
        // 10->11 (b, right), 11->10 (b, right), 13->11 (b, wrong): 4 of 6.
        Assert.Equal(4.0 / 6, EmbeddingQuality.KnnAccuracy(x, labels, 1), 15);
        // k = 2: point 2 sees 1 (a) and 0 (a): wrong; point 1 sees 0 (a) and 2 (b): a tie, the nearer (0, a) wins: right.
        Assert.Equal([0, 0, 0, 1, 1, 1], EmbeddingQuality.KnnPredict(x, labels, 2));
    }

    [Fact]
    public void EmbeddingQuality_RejectsBadArguments()
    {
        var x = Tensor.Randn<double>(new Random(8), 10, 3);
        var y = Tensor.Randn<double>(new Random(9), 9, 2);
        Assert.Contains("one row per data row", Assert.Throws<ArgumentException>(() => EmbeddingQuality.Trustworthiness(x, y, 2)).Message);
        var k5 = Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingQuality.Trustworthiness(x, x, 5));
        Assert.Contains("expected 1 to 4 (below N / 2, N = 10), got 5", k5.Message);
        Assert.Contains("expected one per point (10), got 3",
            Assert.Throws<ArgumentException>(() => EmbeddingQuality.KnnAccuracy(x, [0, 1, 2], 1)).Message);
        Assert.Contains("got -1 at index 2",
            Assert.Throws<ArgumentException>(() => EmbeddingQuality.KnnAccuracy(x, [0, 1, -1, 0, 0, 0, 0, 0, 0, 0], 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingQuality.KnnAccuracy(x, new int[10], 10));
        Assert.Contains("expected [N, 2], got [10, 3]", Assert.Throws<ArgumentException>(() => EmbeddingQuality.ClarkEvans(x)).Message);
    }

    [Fact]
    public void Clusters_GiveCentroidsAndRadii()
    {
        var x = Tensor.FromArray(new double[,] { { 0, 0 }, { 2, 0 }, { 10, 10 }, { 10, 12 }, { 10, 14 } });
        var s = EmbeddingQuality.Clusters(x, [3, 3, 1, 1, 1]);
        Assert.Equal([1, 3], s.Classes);
        Assert.Equal([3, 2], s.Counts);
        Assert.Equal([10.0, 12, 1, 0], s.Centroids.Data);
        Assert.Equal(Math.Sqrt(8.0 / 3), s.Radius[0], 14);
        Assert.Equal(1.0, s.Radius[1], 14);
        Assert.Equal(Math.Sqrt(81 + 144), s.CentroidDistance(0, 1), 12);
    }

    [Fact]
    public void ClarkEvans_IsAboutOneForNoise_AndLowForClumps()
    {
        var noise = KnownTruth.UniformNoise(2000, 2, seed: 10).Points;
        double r = EmbeddingQuality.ClarkEvans(noise);
        Assert.True(r is > 0.95 and < 1.1, $"uniform noise: {r}");
        var clumps = KnownTruth.GaussianClusters([200, 200, 200], [0.05, 0.05, 0.05], [0, 5, 10], 2, seed: 11).Points;
        double c = EmbeddingQuality.ClarkEvans(clumps);
        Assert.True(c < 0.5, $"clumps: {c}");
    }

    [Fact]
    public void ClarkEvansByClass_SeesEvenClustersAsEven_AndClumpedOnesAsClumped()
    {
        // Two far-apart squares of uniform points (class 0 and 1), then class 1 squeezed into 4 tight clumps.
        var even = KnownTruth.UniformNoise(600, 2, seed: 12).Points;
        int[] labels = [.. Enumerable.Range(0, 600).Select(i => i % 2)];
        for (int i = 0; i < 600; i++) if (labels[i] == 1) even[i, 0] += 10;
        double whole = EmbeddingQuality.ClarkEvans(even);
        var byClass = EmbeddingQuality.ClarkEvansByClass(even, labels);
        Assert.True(whole < 0.5, $"whole map: {whole}");
        Assert.All(byClass, r => Assert.InRange(r, 0.9, 1.15));
        var clumped = even.Clone();
        for (int i = 0; i < 600; i++)
            if (labels[i] == 1) { clumped[i, 0] = 10 + (i / 2 % 2) + 0.02 * even[i, 0]; clumped[i, 1] = (i / 4 % 2) + 0.02 * even[i, 1]; }
        var clumpedByClass = EmbeddingQuality.ClarkEvansByClass(clumped, labels);
        Assert.Equal(byClass[0], clumpedByClass[0], 12);
        Assert.True(clumpedByClass[1] < 0.3, $"clumped class: {clumpedByClass[1]}");
    }
}

public class KnownTruthTests
{
    [Fact]
    public void GaussianClusters_HaveTheRequestedSizesSpreadsAndPositions()
    {
        var data = KnownTruth.GaussianClusters([3000, 1000], [1.0, 0.1], [0, 40], 4, seed: 1);
        Assert.Equal([4000, 4], data.Points.Shape.ToArray());
        Assert.Equal(3000, data.Labels.Count(l => l == 0));
        Assert.True(data.Labels.Take(3000).All(l => l == 0) && data.Labels.Skip(3000).All(l => l == 1));
        var s = EmbeddingQuality.Clusters(data.Points, data.Labels);
        // RMS radius of an isotropic Gaussian in 4-D: spread * sqrt(4), to sampling error.
        Assert.Equal(2.0, s.Radius[0], 0.05);
        Assert.Equal(0.2, s.Radius[1], 0.01);
        Assert.Equal(40.0, s.CentroidDistance(0, 1), 0.1);
        Assert.Equal(data.Points.Data, KnownTruth.GaussianClusters([3000, 1000], [1.0, 0.1], [0, 40], 4, seed: 1).Points.Data);
        Assert.NotEqual(data.Points.Data, KnownTruth.GaussianClusters([3000, 1000], [1.0, 0.1], [0, 40], 4, seed: 2).Points.Data);
    }

    [Fact]
    public void UniformNoise_FillsTheUnitCube()
    {
        var noise = KnownTruth.UniformNoise(5000, 3, seed: 2);
        Assert.All(noise.Points.Data, v => Assert.InRange(v, 0.0, 1.0));
        Assert.Equal(0.5, noise.Points.Data.Average(), 0.01);
        Assert.All(noise.Labels, l => Assert.Equal(0, l));
    }

    [Fact]
    public void KnownTruth_RejectsBadArguments()
    {
        Assert.Contains("got 2 sizes, 1 spreads and 2 positions",
            Assert.Throws<ArgumentException>(() => KnownTruth.GaussianClusters([1, 2], [1], [0, 1], 2, 0)).Message);
        Assert.Contains("cluster 1: spread must be positive",
            Assert.Throws<ArgumentOutOfRangeException>(() => KnownTruth.GaussianClusters([1, 2], [1, 0], [0, 1], 2, 0)).Message);
        Assert.Contains("cluster 0: size must be at least 1",
            Assert.Throws<ArgumentOutOfRangeException>(() => KnownTruth.GaussianClusters([0], [1], [0], 2, 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => KnownTruth.UniformNoise(0, 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KnownTruth.UniformNoise(5, 0, 0));
    }
}

using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

public class RetrievalTests
{
    private static (int[] Labels, int[] Ranking) RandomRanking(Random random, int queries, int n, int k, int classes)
    {
        var labels = Enumerable.Range(0, n).Select(_ => random.Next(classes)).ToArray();
        var ranking = Enumerable.Range(0, queries).SelectMany(_ => Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(k)).ToArray();
        return (labels, ranking);
    }

    [Fact]
    public void PrecisionAtK_AndItsCurve_MatchANaiveCount()
    {
        var random = new Random(3);
        var (dataLabels, ranking) = RandomRanking(random, 40, 30, 12, 4);
        var queryLabels = Enumerable.Range(0, 40).Select(_ => random.Next(4)).ToArray();
        var index = new IndexTensor(ranking, 40, 12);
        var curve = Retrieval.PrecisionCurve(index, queryLabels, dataLabels);
        for (int k = 1; k <= 12; k++)
        {
            double naive = 0;
            for (int q = 0; q < 40; q++)
                naive += ranking.Skip(q * 12).Take(k).Count(j => dataLabels[j] == queryLabels[q]) / (double)k;
            naive /= 40;
            Assert.Equal(naive, Retrieval.PrecisionAtK(index, queryLabels, dataLabels, k), 12);
            Assert.Equal(naive, curve[k - 1], 12);
        }
        var byClass = Retrieval.PrecisionAtKByClass(index, queryLabels, dataLabels, 5, 4);
        for (int c = 0; c < 4; c++)
        {
            var qs = Enumerable.Range(0, 40).Where(q => queryLabels[q] == c).ToArray();
            Assert.Equal(qs.Average(q => ranking.Skip(q * 12).Take(5).Count(j => dataLabels[j] == c) / 5.0), byClass[c], 12);
        }
    }

    [Fact]
    public void ChancePrecision_IsTheLabelShare_LeavingTheQueryOutInASelfSearch()
    {
        int[] labels = [0, 0, 0, 1, 1, 2];
        // Separate queries: a query of class 0 meets 3 of 6 rows of its class.
        Assert.Equal((3 / 6.0 + 2 / 6.0) / 2, Retrieval.ChancePrecision([0, 1], labels, selfSearch: false), 12);
        // Self-search: each row meets (count - 1) of the other 5 rows.
        Assert.Equal((3 * 2 / 5.0 + 2 * 1 / 5.0 + 0) / 6, Retrieval.ChancePrecision(labels, labels, selfSearch: true), 12);
        var byClass = Retrieval.ChancePrecisionByClass(labels, labels, true, 3);
        Assert.Equal(2 / 5.0, byClass[0], 12);
        Assert.Equal(1 / 5.0, byClass[1], 12);
        Assert.Equal(0, byClass[2], 12);
        // A self-search of real data: precision of NearestNeighbors.Of never counts the query itself.
        var x = new Tensor<double>([0.0, 0, 0, 0.1, 5, 5, 5, 5.1], 4, 2);
        var nn = NearestNeighbors.Of(x, 1);
        Assert.Equal(1.0, Retrieval.PrecisionAtK(nn.Index, [0, 0, 1, 1], [0, 0, 1, 1], 1));
    }

    [Fact]
    public void Retrieval_RejectsMismatchedInputs_NamingThem()
    {
        var index = new IndexTensor([0, 1, 2, 1], 2, 2);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Retrieval.PrecisionAtK(index, [0, 1], [0, 1, 1], 3));
        Assert.Contains("k: expected 1 to 2", e.Message);
        var labels = Assert.Throws<ArgumentException>(() => Retrieval.PrecisionAtK(index, [0], [0, 1, 1], 1));
        Assert.Contains("queryLabels", labels.Message);
        var outside = Assert.Throws<ArgumentException>(() => Retrieval.PrecisionAtK(index, [0, 1], [0, 1], 1));
        Assert.Contains("row 2", outside.Message);
        Assert.Throws<ArgumentException>(() => Retrieval.ChancePrecision([0, 1], [1, 0], selfSearch: true));
    }

    private static int NaiveHamming(bool[,] bits, int a, bool[,] other, int b) =>
        Enumerable.Range(0, bits.GetLength(1)).Count(i => bits[a, i] != other[b, i]);

    [Theory]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(70)]
    public void HammingSearch_MatchesANaiveSortByDistanceThenIndex(int width)
    {
        var random = new Random(width);
        // Few distinct codes, so many ties and duplicates.
        var pool = new bool[6, width];
        for (int p = 0; p < 6; p++) for (int b = 0; b < width; b++) pool[p, b] = random.Next(2) == 1;
        var data = new bool[50, width];
        var queries = new bool[9, width];
        for (int i = 0; i < 50; i++) { int p = random.Next(6); for (int b = 0; b < width; b++) data[i, b] = pool[p, b] ^ (random.Next(8) == 0); }
        for (int i = 0; i < 9; i++) for (int b = 0; b < width; b++) queries[i, b] = random.Next(2) == 1;
        var dataCodes = BinaryCodes.FromBits(data);
        var queryCodes = BinaryCodes.FromBits(queries);
        var found = BinaryCodes.Search(queryCodes, dataCodes, 20);
        for (int q = 0; q < 9; q++)
        {
            var expected = Enumerable.Range(0, 50).Select(j => (D: NaiveHamming(queries, q, data, j), J: j)).OrderBy(t => t.D).ThenBy(t => t.J).Take(20).ToArray();
            Assert.Equal(expected.Select(t => t.J), found.Index.Data.Skip(q * 20).Take(20));
            Assert.Equal(expected.Select(t => t.D), found.Distance.Data.Skip(q * 20).Take(20));
            Assert.Equal(expected[0].D, BinaryCodes.Distance(queryCodes, q, dataCodes, expected[0].J));
        }
        var self = BinaryCodes.Of(dataCodes, 49);
        for (int i = 0; i < 50; i++)
        {
            var expected = Enumerable.Range(0, 50).Where(j => j != i).Select(j => (D: NaiveHamming(data, i, data, j), J: j)).OrderBy(t => t.D).ThenBy(t => t.J).ToArray();
            Assert.Equal(expected.Select(t => t.J), self.Index.Data.Skip(i * 49).Take(49));
        }
    }

    [Fact]
    public void FromUnits_SetsABitOnlyAboveTheThreshold_AndPacksBitZeroFirst()
    {
        var units = new Tensor<float>([0.97f, 0.02f, 0.51f, 0.49f, 0.88f, 0.5f, 0.13f, 0.99f], 1, 8);
        var codes = BinaryCodes.FromUnits(units);
        Assert.Equal("10101001", codes.ToString(0));
        Assert.Equal(0b1001_0101UL, codes.Words[0]);
        Assert.Equal(4, codes.DistinctCodes() + 3);
        Assert.Equal([1.0, 0, 1, 0, 1, 0, 0, 1], codes.BitUsage());
        var nan = Assert.Throws<ArgumentException>(() => BinaryCodes.FromUnits(new Tensor<float>([0.1f, float.NaN], 1, 2)));
        Assert.Contains("unit 1 is NaN", nan.Message);
        var bits = Assert.Throws<ArgumentException>(() => BinaryCodes.Search(codes, BinaryCodes.FromBits(new bool[2, 9]), 1));
        Assert.Contains("8 bits against 9 bits", bits.Message);
        var k = Assert.Throws<ArgumentOutOfRangeException>(() => BinaryCodes.Of(codes, 1));
        Assert.Contains("k: expected 1 to 0", k.Message);
    }

    [Fact]
    public void GaussianNoise_AddsNoiseOfTheGivenStdInTraining_AndIsTheIdentityInEvaluation()
    {
        var x = Tensor.Full(2.0, 20000);
        var layer = new GaussianNoise<double>(0.5, seed: 4);
        var y = layer.Forward(x);
        var noise = y.Data.Select(v => v - 2.0).ToArray();
        Assert.Equal(0, noise.Average(), 1);
        Assert.Equal(0.5, Math.Sqrt(noise.Select(v => v * v).Average()), 1);
        var g = Tensor.Randn<double>(new Random(1), 20000);
        Assert.Equal(g.Data, layer.Backward(g).Data);
        layer.Eval();
        Assert.Equal(x.Data, layer.Forward(x).Data);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianNoise<float>(-1));
        // Naive and fast paths agree given the same seed.
        var naive = new GaussianNoise<float>(1, seed: 9) { Implementation = Implementation.Naive };
        var fast = new GaussianNoise<float>(1, seed: 9);
        var input = Tensor.Randn<float>(new Random(2), 3, 5);
        Assert.Equal(naive.Forward(input).Data, fast.Forward(input).Data);
    }
}

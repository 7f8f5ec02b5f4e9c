using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

public class NearestNeighborsTests
{
    private static Tensor<float> RandomPoints(int n, int d, int seed)
    {
        var rng = new Random(seed);
        var t = new Tensor<float>(n, d);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)rng.NextDouble();
        return t;
    }

    /// <summary>The neighbours by sorting every distance computed the slow way (difference, square, sum).</summary>
    private static (int j, double d)[] BySorting(Tensor<float> queries, int i, Tensor<float> data, int k, bool excludeSelf)
    {
        int dims = data.Shape[1];
        return Enumerable.Range(0, data.Shape[0]).Where(j => !excludeSelf || j != i)
            .Select(j => (j, d: Enumerable.Range(0, dims).Sum(c => Math.Pow((double)queries[i, c] - data[j, c], 2))))
            .OrderBy(t => t.d).ThenBy(t => t.j).Take(k).ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(299)]
    public void Of_MatchesSortingEveryDistance_AndNeverReturnsTheRowItself(int k)
    {
        var data = RandomPoints(300, 13, seed: 3); // 300 > one 256-row block, so two blocks run
        var result = NearestNeighbors.Of(data, k);
        Assert.Equal([300, k], result.Index.Shape.ToArray());
        for (int i = 0; i < 300; i++)
        {
            var expected = BySorting(data, i, data, k, excludeSelf: true);
            for (int r = 0; r < k; r++)
            {
                Assert.Equal(expected[r].j, result.Index[i, r]);
                Assert.Equal(expected[r].d, result.SquaredDistance[i, r], 1e-9);
            }
        }
    }

    [Fact]
    public void Search_BetweenTwoSets_KeepsTheLowerIndexOnTies()
    {
        var data = RandomPoints(50, 4, seed: 5);
        // Row 7 duplicated at 40: a query equal to it has two neighbours at distance 0, and 7 must come first.
        for (int c = 0; c < 4; c++) data[40, c] = data[7, c];
        var queries = new Tensor<float>(2, 4);
        for (int c = 0; c < 4; c++) { queries[0, c] = data[7, c]; queries[1, c] = 0.5f; }
        var result = NearestNeighbors.Search(queries, data, 3);
        Assert.Equal(7, result.Index[0, 0]);
        Assert.Equal(40, result.Index[0, 1]);
        Assert.Equal(0.0, result.SquaredDistance[0, 1], 1e-12);
        var expected = BySorting(queries, 1, data, 3, excludeSelf: false);
        for (int r = 0; r < 3; r++) Assert.Equal(expected[r].j, result.Index[1, r]);
    }

    [Fact]
    public void BadArguments_NameTheThingAndTheValues()
    {
        var data = RandomPoints(10, 3, seed: 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NearestNeighbors.Of(data, 10));
        Assert.Contains("expected 1 to 9", e.Message);
        var f = Assert.Throws<ArgumentException>(() => NearestNeighbors.Search(RandomPoints(2, 4, 1), data, 1));
        Assert.Contains("queries have 4", f.Message);
        Assert.Contains("data has 3", f.Message);
    }
}

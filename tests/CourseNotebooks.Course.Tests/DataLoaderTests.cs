using System.Security.Cryptography;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

/// <summary>Mini-batches: every sample once per epoch, seeded shuffles, the short last batch, reused buffers, bad arguments.</summary>
public sealed class DataLoaderTests
{
    // ---- mini-batches ----------------------------------------------------------------------------------

    [Theory]
    [InlineData(103, 10, true)]
    [InlineData(103, 10, false)]
    [InlineData(7, 7, true)]
    [InlineData(5, 64, true)]
    [InlineData(1, 1, false)]
    public void Batches_CoverEverySampleExactlyOncePerEpoch(int n, int batchSize, bool shuffle)
    {
        var (images, labels) = IndexedData(n);
        var loader = DataLoader.Batches(images, labels, batchSize, shuffle, seed: 11);
        Assert.Equal((n + batchSize - 1) / batchSize, loader.BatchCount);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = new List<int>();
            int batches = 0;
            foreach (var (x, y) in loader)
            {
                batches++;
                Assert.Equal([y.Length, 2, 3], x.Shape.ToArray());
                Assert.True(y.Length == batchSize || seen.Count + y.Length == n, "only the last batch may be short");
                for (int i = 0; i < y.Length; i++)
                    for (int j = 0; j < 6; j++) Assert.Equal(y[i] * 6 + j, x.Data[i * 6 + j]);
                seen.AddRange(y);
            }
            Assert.Equal(loader.BatchCount, batches);
            Assert.Equal(Enumerable.Range(0, n), seen.Order());
            if (!shuffle) Assert.Equal(Enumerable.Range(0, n), seen);
        }
    }

    [Fact]
    public void Batches_Shuffled_AreRepeatableForASeedAndNewEachEpoch()
    {
        var (images, labels) = IndexedData(50);
        var a = DataLoader.Batches(images, labels, 8, shuffle: true, seed: 5);
        var b = DataLoader.Batches(images, labels, 8, shuffle: true, seed: 5);
        var c = DataLoader.Batches(images, labels, 8, shuffle: true, seed: 6);
        var a1 = Order(a);
        var a2 = Order(a);
        Assert.Equal(a1, Order(b));
        Assert.Equal(a2, Order(b));
        Assert.NotEqual(a1, a2);
        Assert.NotEqual(a1, Order(c));
        Assert.NotEqual(Enumerable.Range(0, 50), a1);
    }

    [Fact]
    public void Batches_ShuffleIsUniformOverPositions()
    {
        // 5 samples, 5,000 epochs: each sample lands first about 1,000 times (binomial sd 28; bounds are 5 sd).
        var (images, labels) = IndexedData(5);
        var loader = DataLoader.Batches(images, labels, 5, shuffle: true, seed: 3);
        var firsts = new int[5];
        for (int epoch = 0; epoch < 5000; epoch++)
            foreach (var (_, y) in loader) firsts[y[0]]++;
        Assert.All(firsts, count => Assert.InRange(count, 860, 1140));
    }

    [Fact]
    public void Batches_DropLast_SkipsTheShortBatch()
    {
        var (images, labels) = IndexedData(23);
        var loader = DataLoader.Batches(images, labels, 5, dropLast: true);
        Assert.Equal(4, loader.BatchCount);
        Assert.Equal(Enumerable.Range(0, 20), Order(loader));
    }

    [Fact]
    public void Batches_ReuseTheirBuffers()
    {
        var (images, labels) = IndexedData(25);
        var loader = DataLoader.Batches(images, labels, 10);
        var epoch1 = loader.ToList();
        var epoch2 = loader.ToList();
        Assert.Same(epoch1[0].X, epoch1[1].X);
        Assert.Same(epoch1[0].Y, epoch1[1].Y);
        Assert.Equal([5, 2, 3], epoch1[2].X.Shape.ToArray());
        Assert.NotSame(epoch1[0].X, epoch1[2].X);
        Assert.Same(epoch1[0].X, epoch2[0].X);
        Assert.Same(epoch1[2].X, epoch2[2].X);
    }

    [Fact]
    public void Batches_RejectBadArguments()
    {
        var (images, labels) = IndexedData(4);
        var size = Assert.Throws<ArgumentOutOfRangeException>(() => DataLoader.Batches(images, labels, 0));
        Assert.Contains("batchSize must be positive, got 0", size.Message);
        var count = Assert.Throws<ArgumentException>(() => DataLoader.Batches(images, new int[3], 2));
        Assert.Contains("expected 4 labels", count.Message);
        Assert.Contains("got 3", count.Message);
    }

    [Fact]
    public void Batches_OfTheSample_FeedTheNetworkShape()
    {
        var data = Datasets.MnistSample(DatasetSplit.Test);
        var loader = DataLoader.Batches(data, 64, shuffle: true, seed: 0);
        Assert.Equal(16, loader.BatchCount);
        int total = 0;
        foreach (var (x, y) in loader)
        {
            Assert.Equal([y.Length, 1, 28, 28], x.Shape.ToArray());
            total += y.Length;
        }
        Assert.Equal(1000, total);
    }

    private static (Tensor<float> Images, int[] Labels) IndexedData(int n)
    {
        // Sample k is filled with 6k .. 6k+5 and labelled k, so a batch shows which sample each row came from.
        var images = Tensor.Arange<float>(n, 2, 3);
        return (images, Enumerable.Range(0, n).ToArray());
    }

    private static List<int> Order(DataLoader<float> loader)
    {
        var order = new List<int>();
        foreach (var (_, y) in loader) order.AddRange(y);
        return order;
    }
}

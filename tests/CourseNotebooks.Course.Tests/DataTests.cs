using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

/// <summary>IDX files, the committed samples, the dataset loaders' error messages, and mini-batches.</summary>
public sealed class DataTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("course-data-tests-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    // ---- IDX round trips -------------------------------------------------------------------------------

    [Theory]
    [InlineData("images.idx")]
    [InlineData("images.idx.gz")]
    public void Idx_WriteThenReadImages_GivesTheSameBytesScaledToUnitRange(string fileName)
    {
        var random = new Random(1);
        var bytes = new byte[3 * 5 * 7];
        random.NextBytes(bytes);
        bytes[0] = 0;
        bytes[1] = 255;
        string path = Path.Combine(_temp, fileName);

        Idx.Write(path, [3, 5, 7], bytes);
        var images = Idx.ReadImages(path);

        Assert.Equal([3, 1, 5, 7], images.Shape.ToArray());
        for (int i = 0; i < bytes.Length; i++) Assert.Equal(bytes[i] / 255f, images.Data[i]);
        Assert.Equal(0f, images.Data[0]);
        Assert.Equal(1f, images.Data[1]);
    }

    [Theory]
    [InlineData("labels.idx")]
    [InlineData("labels.idx.gz")]
    public void Idx_WriteThenReadLabels_RoundTrips(string fileName)
    {
        byte[] labels = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 255];
        string path = Path.Combine(_temp, fileName);
        Idx.WriteLabels(path, labels);
        Assert.Equal(labels, Idx.ReadLabels(path));
        var (dims, data) = Idx.Read(path);
        Assert.Equal([labels.Length], dims);
        Assert.Equal(labels, data);
    }

    [Fact]
    public void Idx_RawFile_HasTheBigEndianHeaderOfTheFormat()
    {
        string path = Path.Combine(_temp, "x.idx");
        Idx.Write(path, [2, 28, 28], new byte[2 * 28 * 28]);
        var file = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28 }, file[..16]);
        Assert.Equal(16 + 2 * 28 * 28, file.Length);
    }

    [Fact]
    public void Idx_GzFile_IsGzipCompressed()
    {
        string path = Path.Combine(_temp, "x.idx.gz");
        Idx.WriteLabels(path, new byte[1000]);
        var file = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x1f, 0x8b }, file[..2]);
        Assert.True(file.Length < 100, $"1000 zero labels compressed to {file.Length} bytes");
    }

    [Fact]
    public void Idx_WriteImagesThenRead_RecoversValuesWithinHalfAStep()
    {
        var images = Tensor.Uniform<float>(new Random(2), 0, 1, 4, 1, 6, 5);
        string path = Path.Combine(_temp, "u.idx.gz");
        Idx.WriteImages(path, images);
        var back = Idx.ReadImages(path);
        Assert.Equal(images.Shape.ToArray(), back.Shape.ToArray());
        for (int i = 0; i < images.Length; i++) Assert.InRange(Math.Abs(images.Data[i] - back.Data[i]), 0f, 0.5f / 255 + 1e-6f);
    }

    [Fact]
    public void Idx_WriteImages_RejectsValuesOutsideUnitRangeNamingIndexAndValue()
    {
        var images = new Tensor<float>(2, 1, 2, 2);
        images.Data[5] = 1.5f;
        var e = Assert.Throws<ArgumentException>(() => Idx.WriteImages(Path.Combine(_temp, "bad.idx"), images));
        Assert.Contains("element 5 is 1.5", e.Message);
        Assert.Contains("[2, 1, 2, 2]", e.Message);
    }

    [Fact]
    public void Idx_Write_RejectsDataThatDoesNotFillTheDimensions()
    {
        var e = Assert.Throws<ArgumentException>(() => Idx.Write(Path.Combine(_temp, "bad.idx"), [2, 3], new byte[5]));
        Assert.Contains("[2, 3] need 6 bytes, data has 5", e.Message);
    }

    // ---- corrupt and missing files ---------------------------------------------------------------------

    [Fact]
    public void Idx_BadMagic_ThrowsNamingTheFileAndTheMagic()
    {
        string path = Path.Combine(_temp, "bad-magic.idx");
        File.WriteAllBytes(path, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
        var e = Assert.Throws<DataFileException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("magic number 0x1f8b0800", e.Message);
    }

    [Fact]
    public void Idx_LabelsFileReadAsImages_ThrowsExpectedAndActualRank()
    {
        string path = Path.Combine(_temp, "labels.idx");
        Idx.WriteLabels(path, [1, 2, 3]);
        var e = Assert.Throws<DataFileException>(() => Idx.ReadImages(path));
        Assert.Contains("expected 0x00000803", e.Message);
        Assert.Contains("got rank 1", e.Message);
    }

    [Theory]
    [InlineData("cut.idx")]
    [InlineData("cut.idx.gz")]
    public void Idx_TruncatedFile_ThrowsNamingTheFile(string fileName)
    {
        string whole = Path.Combine(_temp, "whole-" + fileName);
        Idx.Write(whole, [10, 28, 28], RandomBytes(10 * 28 * 28, seed: 3));
        var bytes = File.ReadAllBytes(whole);
        string path = Path.Combine(_temp, fileName);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<DataFileException>(() => Idx.ReadImages(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains(path, e.Message);
        if (!fileName.EndsWith(".gz")) Assert.Contains($"truncated: the header says [10, 28, 28] = 7840 bytes of data, the file has {bytes.Length / 2 - 16}", e.Message);
    }

    [Fact]
    public void Idx_CorruptGzipStream_ThrowsNamingTheFile()
    {
        string path = Path.Combine(_temp, "flipped.idx.gz");
        Idx.Write(path, [10, 28, 28], RandomBytes(10 * 28 * 28, seed: 4));
        var bytes = File.ReadAllBytes(path);
        bytes[20] ^= 0xff;
        bytes[40] ^= 0xff;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFileException>(() => Idx.ReadImages(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Idx_MissingFile_ThrowsNamingTheFile()
    {
        string path = Path.Combine(_temp, "nowhere.idx.gz");
        var e = Assert.Throws<DataFileException>(() => Idx.ReadLabels(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void FullFashionMnist_Missing_SaysToRunFetchData()
    {
        var e = Assert.Throws<DataFileException>(() => Datasets.FashionMnist(DatasetSplit.Train, dataDirectory: _temp));
        Assert.Contains(Path.Combine(_temp, "full", "fashion-mnist", "train-labels-idx1-ubyte.gz"), e.Message);
        Assert.Contains("run environment/fetch-data", e.Message);
    }

    [Fact]
    public void FullMnist_CorruptImages_SaysWhichFileAndToRunFetchData()
    {
        string dir = Path.Combine(_temp, "full", "mnist");
        Idx.WriteLabels(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), new byte[1670]);
        string images = Path.Combine(dir, "t10k-images-idx3-ubyte.gz");
        File.WriteAllBytes(images, [1, 2, 3, 4, 5, 6, 7, 8]);

        var e = Assert.Throws<DataFileException>(() => Datasets.Mnist(DatasetSplit.Test, dataDirectory: _temp));
        Assert.Equal(images, e.FilePath);
        Assert.Contains("run environment/fetch-data", e.Message);
    }

    [Fact]
    public void Sample_WrongCount_ThrowsExpectedAndActualCount()
    {
        string dir = Path.Combine(_temp, "mnist-sample");
        string labels = Path.Combine(dir, "train-labels-idx1-ubyte.gz");
        Idx.WriteLabels(labels, new byte[20]);
        Idx.Write(Path.Combine(dir, "train-images-idx3-ubyte.gz"), [20, 28, 28], new byte[20 * 784]);

        var e = Assert.Throws<DataFileException>(() => Datasets.MnistSample(DatasetSplit.Train, dataDirectory: _temp));
        Assert.Contains(labels, e.Message);
        Assert.Contains("expected 2000 labels", e.Message);
        Assert.Contains("the file has 20", e.Message);
        Assert.Contains("environment/make-samples", e.Message);
    }

    [Fact]
    public void Sample_ImagesAndLabelsCountsDiffer_ThrowsNamingBothFiles()
    {
        string dir = Path.Combine(_temp, "fashion-mnist-sample");
        string labels = Path.Combine(dir, "t10k-labels-idx1-ubyte.gz");
        string images = Path.Combine(dir, "t10k-images-idx3-ubyte.gz");
        Idx.WriteLabels(labels, new byte[1000]);
        Idx.Write(images, [999, 28, 28], new byte[999 * 784]);

        var e = Assert.Throws<DataFileException>(() => Datasets.FashionMnistSample(DatasetSplit.Test, dataDirectory: _temp));
        Assert.Contains(images, e.Message);
        Assert.Contains(labels, e.Message);
        Assert.Contains("999 images", e.Message);
        Assert.Contains("1000 labels", e.Message);
    }

    [Fact]
    public void Sample_LabelOutOfRange_ThrowsItsIndexAndValue()
    {
        string dir = Path.Combine(_temp, "mnist-sample");
        var labels = new byte[1000];
        labels[17] = 10;
        Idx.WriteLabels(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), labels);
        var e = Assert.Throws<DataFileException>(() => Datasets.MnistSample(DatasetSplit.Test, dataDirectory: _temp));
        Assert.Contains("label 17 is 10, expected 0 to 9", e.Message);
    }

    // ---- the committed samples -------------------------------------------------------------------------

    [Fact]
    public void CommittedSamples_MatchTheirRecordedChecksums()
    {
        string dataDir = Datasets.FindDataDirectory();
        var recorded = ReadChecksums(dataDir);
        Assert.Equal(21, recorded.Count);
        foreach (var (file, expected) in recorded)
        {
            string path = Path.Combine(dataDir, file);
            Assert.True(File.Exists(path), $"{path} is listed in SHA256SUMS but missing: restore it with `git checkout -- data/`.");
            string actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
            Assert.True(expected == actual,
                $"{path}: SHA-256 is {actual} but SHA256SUMS records {expected}. The file is corrupt or was changed: " +
                "restore it with `git checkout -- data/`, or after a deliberate rebuild (environment/make-samples) update data/README.md.");
        }
    }

    [Fact]
    public void IlsvrcWinners_AreTheEightPublishedYears_InOrder()
    {
        var winners = Ilsvrc.Top5Winners();
        Assert.Equal(Enumerable.Range(2010, 8), winners.Select(w => w.Year));
        var alexNet = Assert.Single(winners, w => w.Team == "SuperVision");
        Assert.Equal((2012, 15.3), (alexNet.Year, alexNet.Top5ErrorPercent));
        Assert.Equal(28.2, winners[0].Top5ErrorPercent);
        Assert.All(winners, w => Assert.False(string.IsNullOrWhiteSpace(w.Source)));
        // Sources named in the table are explained in data/README.md.
        string readme = File.ReadAllText(Path.Combine(Datasets.FindDataDirectory(), "README.md"));
        Assert.All(winners.Select(w => w.Source).Distinct(), source => Assert.Contains($"`{source}`", readme));
    }

    [Fact]
    public void IlsvrcWinners_ABadLine_IsNamedWithItsNumber()
    {
        string dir = Directory.CreateTempSubdirectory("ilsvrc-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "ilsvrc"));
            File.WriteAllLines(Path.Combine(dir, Ilsvrc.Top5WinnersFile),
                ["year,team,entry,top5_error_percent,source", "2010,A,a,28.2,s", "2011,B,b,not a number,s"]);
            var error = Assert.Throws<DataFileException>(() => Ilsvrc.Top5Winners(dir));
            Assert.Contains("line 3", error.Message);
            Assert.Contains("not a number", error.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void CommittedSamples_AreAllListedInChecksumsAndInTheReadme()
    {
        string dataDir = Datasets.FindDataDirectory();
        var recorded = ReadChecksums(dataDir);
        var onDisk = new[] { "fashion-mnist-sample", "mnist-sample", "ilsvrc", "sentiment", "drums", "reuters" }
            .SelectMany(folder => Directory.GetFiles(Path.Combine(dataDir, folder)))
            .Select(path => Path.GetRelativePath(dataDir, path).Replace('\\', '/'))
            .Order();
        Assert.Equal(onDisk, recorded.Keys.Order());
        string readme = File.ReadAllText(Path.Combine(dataDir, "README.md"));
        foreach (var (file, hash) in recorded)
            Assert.True(readme.Contains($"| {file} |") && readme.Contains(hash),
                $"data/README.md's checksum table does not list {file} with {hash} (as SHA256SUMS does).");
    }

    [Theory]
    [InlineData("fashion", DatasetSplit.Train, 2000, 200)]
    [InlineData("fashion", DatasetSplit.Test, 1000, 100)]
    [InlineData("mnist", DatasetSplit.Train, 2000, 200)]
    [InlineData("mnist", DatasetSplit.Test, 1000, 100)]
    public void Samples_HaveTheirCountsShapesAndBalancedLabels(string set, DatasetSplit split, int count, int perClass)
    {
        var data = set == "fashion" ? Datasets.FashionMnistSample(split) : Datasets.MnistSample(split);
        Assert.Equal(count, data.Count);
        Assert.Equal([count, 1, 28, 28], data.Images.Shape.ToArray());
        Assert.Equal(Enumerable.Repeat(perClass, 10), data.ClassCounts());
        Assert.Equal(0f, data.Images.Data.Min());
        Assert.Equal(1f, data.Images.Data.Max());
        // Mean pixel: about 0.29 for Fashion-MNIST, 0.13 for MNIST (well-known statistics of both sets).
        double mean = data.Images.Data.Average(v => (double)v);
        Assert.InRange(mean, set == "fashion" ? 0.27 : 0.11, set == "fashion" ? 0.31 : 0.15);
    }

    [Fact]
    public void FashionMnistSample_StartsWithTheOriginalFilesFirstImages()
    {
        // Read from the real files (dataset-fashion-mnist): the original training file starts 9, 0, 0, 3, 0, 2,
        // 7, 2, 5, 5 and its first image, an ankle boot, has 433 non-zero pixels summing to 76,247 (in bytes).
        var train = Datasets.FashionMnistSample(DatasetSplit.Train);
        Assert.Equal([9, 0, 0, 3, 0, 2, 7, 2, 5, 5], train.Labels[..10]);
        Assert.Equal("Ankle boot", train.ClassNames[train.Labels[0]]);
        var first = train.Images.Data.AsSpan(0, 784).ToArray();
        Assert.Equal(433, first.Count(v => v > 0));
        Assert.Equal(76247, first.Sum(v => (int)MathF.Round(v * 255)));
        Assert.Equal(217 / 255f, train.Images[0, 0, 14, 14]);

        var test = Datasets.FashionMnistSample(DatasetSplit.Test);
        Assert.Equal([9, 2, 1, 1, 6, 1, 4, 6, 5, 7], test.Labels[..10]);
        Assert.Equal(33456, test.Images.Data.AsSpan(0, 784).ToArray().Sum(v => (int)MathF.Round(v * 255)));
    }

    [Fact]
    public void MnistSample_IsRoundRobinOverDigitsAndTestNeverRepeatsATrainingImage()
    {
        var train = Datasets.MnistSample(DatasetSplit.Train);
        var test = Datasets.MnistSample(DatasetSplit.Test);
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => i % 10), train.Labels);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i % 10), test.Labels);
        Assert.Equal(31095, train.Images.Data.AsSpan(0, 784).ToArray().Sum(v => (int)MathF.Round(v * 255)));

        var trainImages = Enumerable.Range(0, train.Count).Select(i => ImageKey(train, i)).ToHashSet();
        Assert.DoesNotContain(Enumerable.Range(0, test.Count), i => trainImages.Contains(ImageKey(test, i)));
    }

    [Fact]
    public void Classes_AreTheTenFashionNamesAndDigits()
    {
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            Datasets.FashionMnistClasses);
        Assert.Equal(Enumerable.Range(0, 10).Select(d => d.ToString()), Datasets.MnistClasses);
    }

    [FactWhenFullDataFetched]
    public void FullFashionMnist_HasTheOriginalCountsAndTheSampleIsItsFirstImagesPerClass()
    {
        var train = Datasets.FashionMnist(DatasetSplit.Train);
        Assert.Equal(60000, train.Count);
        Assert.Equal(Enumerable.Repeat(6000, 10), train.ClassCounts());
        Assert.Equal(9, train.Labels[0]);
        var sample = Datasets.FashionMnistSample(DatasetSplit.Train);
        var prefix = train.StratifiedSubset(200);
        Assert.Equal(sample.Labels, prefix.Labels);
        Assert.True(sample.Images.Data.AsSpan().SequenceEqual(prefix.Images.Data), "the sample's images differ from the full set's first 200 per class");
        Assert.Equal(10000, Datasets.FashionMnist(DatasetSplit.Test).Count);
    }

    [FactWhenFullDataFetched]
    public void FullMnist_HasTheDocumentedSplitAndContainsTheSample()
    {
        var train = Datasets.Mnist(DatasetSplit.Train);
        var test = Datasets.Mnist(DatasetSplit.Test);
        Assert.Equal(8330, train.Count);
        Assert.Equal(1670, test.Count);
        Assert.Equal([834, 939, 825, 860, 816, 719, 845, 891, 786, 815], train.ClassCounts());
        var sample = Datasets.MnistSample(DatasetSplit.Test);
        Assert.True(sample.Images.Data.AsSpan().SequenceEqual(test.StratifiedSubset(100).Images.Data), "the sample's test images differ from the full set's first 100 per digit");
    }

    // ---- subsets and one-hot ---------------------------------------------------------------------------

    [Fact]
    public void StratifiedSubset_TakesPerClassCountsAndKeepsOrder()
    {
        var data = Datasets.FashionMnistSample(DatasetSplit.Test);
        var first = data.StratifiedSubset(3);
        Assert.Equal(Enumerable.Repeat(3, 10), first.ClassCounts());
        Assert.Equal(data.Labels[..5], first.Labels[..5]);

        var seeded = data.StratifiedSubset(3, seed: 7);
        Assert.Equal(Enumerable.Repeat(3, 10), seeded.ClassCounts());
        Assert.Equal(seeded.Labels, data.StratifiedSubset(3, seed: 7).Labels);
        Assert.True(seeded.Images.Data.AsSpan().SequenceEqual(data.StratifiedSubset(3, seed: 7).Images.Data), "same seed, different subset");
        Assert.False(first.Images.Data.AsSpan().SequenceEqual(seeded.Images.Data), "a seeded subset equals the first-per-class one");

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSubset(101));
        Assert.Contains("[0, 100]", e.Message);
        Assert.Contains("got 101", e.Message);
    }

    [Fact]
    public void OneHot_PutsAOneAtEachLabel()
    {
        var y = Datasets.OneHot<double>([2, 0, 1], 3);
        Assert.Equal([3, 3], y.Shape.ToArray());
        Assert.Equal([0.0, 0, 1, 1, 0, 0, 0, 1, 0], y.Data);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Datasets.OneHot<float>([0, 3], 3));
        Assert.Contains("label 1 is 3, expected 0 to 2", e.Message);
    }

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

    // ---- helpers ---------------------------------------------------------------------------------------

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

    private static string ImageKey(LabeledImages data, int i)
        => Convert.ToHexString(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Images.Data.AsSpan(i * 784, 784))));

    private static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static Dictionary<string, string> ReadChecksums(string dataDir)
        => File.ReadAllLines(Path.Combine(dataDir, Datasets.MarkerFile))
            .Where(line => line.Length > 0)
            .Select(line => line.Split("  ", 2))
            .ToDictionary(parts => parts[1], parts => parts[0]);
}

/// <summary>A fact that runs only when environment/fetch-data has written data/full/ (it is not committed).</summary>
/// <remarks>
/// When it skips, the reason goes into the test's display name too: `dotnet test` at its default verbosity prints the
/// names of skipped tests but not xunit's skip reason, so a plain run would not say why or how to include them.
/// </remarks>
public sealed class FactWhenFullDataFetchedAttribute : FactAttribute
{
    public FactWhenFullDataFetchedAttribute([CallerMemberName] string test = "")
    {
        string full;
        try
        {
            full = Path.Combine(Datasets.FindDataDirectory(), "full");
        }
        catch (DirectoryNotFoundException e)
        {
            SkipBecause(test, e.Message);
            return;
        }
        if (!File.Exists(Path.Combine(full, "fashion-mnist", "t10k-labels-idx1-ubyte.gz")) ||
            !File.Exists(Path.Combine(full, "mnist", "t10k-labels-idx1-ubyte.gz")))
            SkipBecause(test, "data/full/ is missing: run environment/fetch-data to include these tests.");
    }

    private void SkipBecause(string test, string reason)
    {
        Skip = reason;
        DisplayName = $"{test} (not run: {reason})";
    }
}

/// <summary>
/// Tests that set COURSE_DATA_DIR: the variable is process-wide, so this collection runs alone, after the
/// parallel ones, and restores it.
/// </summary>
[CollectionDefinition(nameof(EnvironmentVariableCollection), DisableParallelization = true)]
public sealed class EnvironmentVariableCollection;

[Collection(nameof(EnvironmentVariableCollection))]
public sealed class DataDirectoryTests
{
    [Fact]
    public void FindDataDirectory_WithoutTheVariable_FindsTheRepositoryDataFolder()
    {
        string? saved = Environment.GetEnvironmentVariable(Datasets.DataDirectoryVariable);
        try
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, null);
            string dir = Datasets.FindDataDirectory();
            Assert.Equal("data", Path.GetFileName(dir));
            Assert.True(File.Exists(Path.Combine(dir, "SHA256SUMS")));
            Assert.True(Directory.Exists(Path.Combine(dir, "mnist-sample")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, saved);
        }
    }

    [Fact]
    public void FindDataDirectory_UsesTheVariableAndRejectsAMissingFolder()
    {
        string? saved = Environment.GetEnvironmentVariable(Datasets.DataDirectoryVariable);
        string temp = Directory.CreateTempSubdirectory("course-data-dir-").FullName;
        try
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, temp);
            Assert.Equal(temp, Datasets.FindDataDirectory());
            var missing = Assert.Throws<DataFileException>(() => Datasets.FashionMnist());
            Assert.StartsWith(Path.Combine(temp, "full", "fashion-mnist"), missing.FilePath);

            string nowhere = Path.Combine(temp, "nowhere");
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, nowhere);
            var e = Assert.Throws<DirectoryNotFoundException>(() => Datasets.FindDataDirectory());
            Assert.Contains(Datasets.DataDirectoryVariable, e.Message);
            Assert.Contains(nowhere, e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, saved);
            Directory.Delete(temp, recursive: true);
        }
    }

    [Fact]
    public void FactWhenFullDataFetched_WithoutFullData_SkipsAndPutsTheReasonInTheName()
    {
        string? saved = Environment.GetEnvironmentVariable(Datasets.DataDirectoryVariable);
        string temp = Directory.CreateTempSubdirectory("course-data-dir-").FullName;
        try
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, temp);
            var fact = new FactWhenFullDataFetchedAttribute("SomeTest");

            Assert.Contains("environment/fetch-data", fact.Skip);
            Assert.Equal($"SomeTest (not run: {fact.Skip})", fact.DisplayName);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, saved);
            Directory.Delete(temp, recursive: true);
        }
    }
}

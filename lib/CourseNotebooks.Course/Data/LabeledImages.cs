using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Data;

/// <summary>
/// A set of images with one class label each: what <see cref="Datasets"/> loads. Introduced in notebook
/// 07-training-on-real-data (01-convolution already trains on one, without naming it). PyTorch: a
/// torchvision.datasets.MNIST / FashionMNIST with its ToTensor transform already applied.
/// </summary>
public sealed class LabeledImages
{
    /// <summary>The images, [N, 1, H, W] (28x28 for MNIST and Fashion-MNIST), values in [0, 1].</summary>
    public Tensor<float> Images { get; }

    /// <summary>The class of each image, in [0, number of classes).</summary>
    public int[] Labels { get; }

    /// <summary>The name of each class, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>What this is, e.g. "Fashion-MNIST sample (train)", for titles and messages.</summary>
    public string Name { get; }

    /// <summary>Number of images N.</summary>
    public int Count => Labels.Length;

    /// <summary>Wraps images and labels (not copied).</summary>
    /// <exception cref="ArgumentException">The images are not [N, C, H, W], their count differs from the labels'
    /// count, or a label is outside [0, classNames.Count).</exception>
    public LabeledImages(string name, Tensor<float> images, int[] labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (images.Rank != 4)
            throw new ArgumentException($"{name}: images shape: expected [N, C, H, W], got {images.ShapeString}.", nameof(images));
        if (images.Size(0) != labels.Length)
            throw new ArgumentException($"{name}: {images.Size(0)} images (shape {images.ShapeString}) but {labels.Length} labels.", nameof(labels));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"{name}: label {i} is {labels[i]}, expected 0 to {classNames.Count - 1}.", nameof(labels));
        Name = name;
        Images = images;
        Labels = labels;
        ClassNames = classNames;
    }

    /// <summary>How many images each class has, indexed by label.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassNames.Count];
        foreach (int label in Labels) counts[label]++;
        return counts;
    }

    /// <summary>The images at <paramref name="indices"/>, in that order (copied). PyTorch: torch.utils.data.Subset.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, N).</exception>
    public LabeledImages Subset(ReadOnlySpan<int> indices)
    {
        int sample = Images.Length / Math.Max(1, Count);
        var shape = Images.Shape.ToArray();
        shape[0] = indices.Length;
        var images = new Tensor<float>(shape);
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int k = indices[i];
            if ((uint)k >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), k, $"{Name}: subset index {i} is {k}, expected 0 to {Count - 1}.");
            Array.Copy(Images.Data, (long)k * sample, images.Data, (long)i * sample, sample);
            labels[i] = Labels[k];
        }
        return new LabeledImages($"{Name} subset of {indices.Length}", images, labels, ClassNames);
    }

    /// <summary>
    /// A class-balanced subset: <paramref name="perClass"/> images of every class, kept in their original order.
    /// Without a seed it takes the first ones of each class (deterministic and cheap); with a seed, a random
    /// choice within each class.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="perClass"/> is negative or larger than the
    /// smallest class.</exception>
    public LabeledImages StratifiedSubset(int perClass, int? seed = null)
    {
        var counts = ClassCounts();
        int smallest = counts.Min();
        if (perClass < 0 || perClass > smallest)
            throw new ArgumentOutOfRangeException(nameof(perClass), perClass,
                $"{Name}: per-class count must lie in [0, {smallest}] (the smallest class has {smallest} images), got {perClass}.");
        var byClass = new List<int>[ClassNames.Count];
        for (int c = 0; c < byClass.Length; c++) byClass[c] = new List<int>(counts[c]);
        for (int i = 0; i < Count; i++) byClass[Labels[i]].Add(i);

        var chosen = new List<int>(perClass * byClass.Length);
        var random = seed is int s ? new Random(s) : null;
        foreach (var members in byClass)
        {
            if (random is not null) DataLoader.ShuffleInPlace(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(members), random);
            chosen.AddRange(members.Take(perClass));
        }
        chosen.Sort();
        return Subset(chosen.ToArray());
    }

    /// <summary>
    /// Splits the images at random (seeded) into two disjoint sets: <paramref name="validationCount"/> images for
    /// validation and the other N − validationCount for training, each kept in its original order. Every image lands
    /// in exactly one of them. Introduced in notebook 07-training-on-real-data (train / validation / test).
    /// PyTorch: <c>torch.utils.data.random_split(dataset, [N - v, v], generator=torch.Generator().manual_seed(seed))</c>
    /// (which keeps the random order instead of the original one).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="validationCount"/> is negative or larger than N.</exception>
    public (LabeledImages Train, LabeledImages Validation) RandomSplit(int validationCount, int seed)
    {
        if (validationCount < 0 || validationCount > Count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount,
                $"{Name}: the validation count must lie in [0, {Count}], got {validationCount}.");
        var order = Enumerable.Range(0, Count).ToArray();
        DataLoader.ShuffleInPlace(order.AsSpan(), new Random(seed));
        var validation = order.AsSpan(0, validationCount).ToArray();
        var train = order.AsSpan(validationCount).ToArray();
        Array.Sort(validation);
        Array.Sort(train);
        var trainPart = Subset(train);
        var validationPart = Subset(validation);
        return (new LabeledImages($"{Name}, training part ({train.Length})", trainPart.Images, trainPart.Labels, ClassNames),
                new LabeledImages($"{Name}, validation part ({validation.Length})", validationPart.Images, validationPart.Labels, ClassNames));
    }

    /// <summary>A short description: name, count and images shape.</summary>
    public override string ToString() => $"{Name}: {Count} images {Images.ShapeString}, {ClassNames.Count} classes";
}

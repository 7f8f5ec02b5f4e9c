using System.Collections;
using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Data;

/// <summary>
/// One mini-batch: inputs <see cref="X"/> [B, ...] and class labels <see cref="Y"/> [B]; deconstructs as
/// <c>foreach (var (x, y) in loader)</c>. Introduced in notebook 18-sgd-parameters-and-l2.
/// </summary>
/// <remarks>Both are buffers that the <see cref="DataLoader{T}"/> overwrites for the next batch: copy them
/// (<c>x.Clone()</c>) to keep one.</remarks>
public readonly record struct Batch<T>(Tensor<T> X, int[] Y) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Mini-batches over a data set, optionally shuffled, with buffers reused from batch to batch. Introduced in
/// notebook 18-sgd-parameters-and-l2 (mini-batch training, as on the slides' "use mini-batches" advice for big, redundant data).
/// </summary>
/// <remarks>
/// <para>Each enumeration is one epoch. Every sample appears exactly once per epoch; the last batch is smaller
/// when N is not a multiple of the batch size, unless <c>dropLast</c> drops it. With <c>shuffle</c>, epoch e
/// visits the samples in the e-th permutation drawn from <c>new Random(seed)</c> (Fisher-Yates), so a run is
/// repeatable and every epoch has a different order. Without it, the order is the data set's.</para>
/// <para>The yielded <see cref="Batch{T}.X"/> and <see cref="Batch{T}.Y"/> are the same arrays every time
/// (one pair for full batches, one for the short last batch): no allocation per step, but a batch is only valid
/// until the next one is taken, and one enumeration should run at a time.</para>
/// <para>PyTorch: torch.utils.data.DataLoader(dataset, batch_size, shuffle, drop_last=False) with a seeded
/// generator; the permutations differ from PyTorch's because the random generators differ.</para>
/// </remarks>
public sealed class DataLoader<T> : IEnumerable<Batch<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tensor<T> _images;
    private readonly int[] _labels;
    private readonly int _sampleLength;
    private readonly Random _random;
    private readonly int[] _order;
    private Batch<T>? _full;
    private Batch<T>? _tail;

    /// <summary>Number of samples per batch (the last one may be smaller).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last batch smaller than <see cref="BatchSize"/> is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Number of samples N.</summary>
    public int SampleCount => _labels.Length;

    /// <summary>Number of batches per epoch: ceil(N / B), or floor(N / B) with <see cref="DropLast"/>. PyTorch: len(loader).</summary>
    public int BatchCount => DropLast ? SampleCount / BatchSize : (SampleCount + BatchSize - 1) / BatchSize;

    /// <summary>Batches of <paramref name="images"/> [N, ...] and <paramref name="labels"/> [N] (neither is copied).</summary>
    /// <exception cref="ArgumentException">The images have no batch dimension or their count differs from the labels' count.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public DataLoader(Tensor<T> images, int[] labels, int batchSize, bool shuffle = false, int seed = 0, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ShapeCheck.Positive("DataLoader", "batchSize", batchSize);
        if (images.Rank < 1)
            throw new ArgumentException($"DataLoader: images need a batch dimension, got shape {images.ShapeString}.", nameof(images));
        if (images.Size(0) != labels.Length)
            throw new ArgumentException(
                $"DataLoader: images and labels counts: expected {images.Size(0)} labels (images shape {images.ShapeString}), got {labels.Length}.",
                nameof(labels));
        _images = images;
        _labels = labels;
        _sampleLength = labels.Length == 0 ? 0 : images.Length / labels.Length;
        _random = new Random(seed);
        _order = new int[labels.Length];
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
    }

    /// <summary>Starts an epoch (drawing its permutation now when shuffling) and yields its batches.</summary>
    public IEnumerator<Batch<T>> GetEnumerator()
    {
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        if (Shuffle) DataLoader.ShuffleInPlace(_order.AsSpan(), _random);
        return Epoch();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerator<Batch<T>> Epoch()
    {
        for (int start = 0; start < SampleCount; start += BatchSize)
        {
            int size = Math.Min(BatchSize, SampleCount - start);
            if (size < BatchSize && DropLast) yield break;
            var batch = size == BatchSize ? (_full ??= NewBatch(size)) : (_tail ??= NewBatch(size));
            var x = batch.X.Data;
            for (int i = 0; i < size; i++)
            {
                int k = _order[start + i];
                Array.Copy(_images.Data, (long)k * _sampleLength, x, (long)i * _sampleLength, _sampleLength);
                batch.Y[i] = _labels[k];
            }
            yield return batch;
        }
    }

    private Batch<T> NewBatch(int size)
    {
        var shape = _images.Shape.ToArray();
        shape[0] = size;
        return new Batch<T>(new Tensor<T>(shape), new int[size]);
    }
}

/// <summary>Creation helpers for <see cref="DataLoader{T}"/>. Introduced in notebook 18-sgd-parameters-and-l2.</summary>
public static class DataLoader
{
    /// <summary>
    /// Mini-batches (x [B, ...], y [B]) of <paramref name="images"/> and <paramref name="labels"/>; enumerate it
    /// once per epoch. See <see cref="DataLoader{T}"/> for order, buffer reuse and the last batch.
    /// PyTorch: torch.utils.data.DataLoader(TensorDataset(images, labels), batch_size, shuffle).
    /// </summary>
    public static DataLoader<T> Batches<T>(Tensor<T> images, int[] labels, int batchSize, bool shuffle = false, int seed = 0, bool dropLast = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => new(images, labels, batchSize, shuffle, seed, dropLast);

    /// <summary>Mini-batches of a loaded data set; see <see cref="Batches{T}(Tensor{T}, int[], int, bool, int, bool)"/>.</summary>
    public static DataLoader<float> Batches(LabeledImages data, int batchSize, bool shuffle = false, int seed = 0, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new(data.Images, data.Labels, batchSize, shuffle, seed, dropLast);
    }

    /// <summary>
    /// Fisher-Yates shuffle written out (rather than Random.Shuffle) so the permutation for a seed is fixed by
    /// this code: element i is swapped with a uniform j in [0, i], from the end down.
    /// </summary>
    internal static void ShuffleInPlace<TItem>(Span<TItem> items, Random random)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}

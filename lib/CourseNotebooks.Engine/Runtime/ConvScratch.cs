using CourseNotebooks.Engine.Kernels;

namespace CourseNotebooks.Engine.Runtime;

/// <summary>
/// A convolution layer's working memory for the fast paths of <see cref="ConvCore"/>, kept across calls so that a
/// warmed-up training step allocates nothing: per worker the padded input (or im2col matrix), the output grid and the
/// gradient sums, plus the tap offsets and the flipped kernel. Buffers grow to the largest size asked for and are
/// not cleared between calls (the callers overwrite or clear what they read). Each worker touches only its own
/// buffers; like the layer's cache, one scratch serves one call at a time.
/// </summary>
internal sealed class ConvScratch<T> where T : unmanaged
{
    /// <summary>Slot of a worker's padded input or im2col matrix.</summary>
    public const int InputSlot = 0;

    /// <summary>Slot of a worker's output grid.</summary>
    public const int OutputSlot = 1;

    /// <summary>Slot of a worker's gradient sums.</summary>
    public const int SumSlot = 2;

    private const int Slots = 3;

    private T[]?[] _buffers = [];

    /// <summary>
    /// The kernel this layer's convolutions must use, or null for <see cref="ConvCore.DirectKernel{T}"/>'s rule: set by
    /// tests (every width against the naive reference on one machine) and by the benchmark (direct against im2col).
    /// </summary>
    public ConvKernel? ForcedKernel { get; set; }

    private int[] _offsets = [];
    private T[] _flipped = [];

    /// <summary>Makes room for <paramref name="workers"/> workers; called before they start, so they never resize the table.</summary>
    public void Prepare(int workers)
    {
        if (_buffers.Length < workers * Slots) Array.Resize(ref _buffers, workers * Slots);
    }

    /// <summary>The first <paramref name="length"/> elements of one worker's buffer in one slot.</summary>
    public Span<T> Buffer(int worker, int slot, int length)
    {
        ref var buffer = ref _buffers[worker * Slots + slot];
        if (buffer is null || buffer.Length < length) buffer = new T[length];
        return buffer.AsSpan(0, length);
    }

    /// <summary>The tap offsets of the direct path (shared by the workers, filled before they start).</summary>
    public Span<int> Offsets(int length)
    {
        if (_offsets.Length < length) _offsets = new int[length];
        return _offsets.AsSpan(0, length);
    }

    /// <summary>The flipped kernel of the direct backward data pass (shared by the workers, filled before they start).</summary>
    public Span<T> Flipped(int length)
    {
        if (_flipped.Length < length) _flipped = new T[length];
        return _flipped.AsSpan(0, length);
    }
}

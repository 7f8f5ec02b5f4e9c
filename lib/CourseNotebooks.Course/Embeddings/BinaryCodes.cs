using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Embeddings;

/// <summary>
/// The nearest codes by Hamming distance: indices [Q, k] into the searched codes and the Hamming distances [Q, k],
/// nearest first, ties by the lower index (as <see cref="NearestNeighbors"/> orders them).
/// Introduced in notebook 12-retrieval-with-codes.
/// </summary>
/// <param name="Index">Row indices into the searched codes, [queries, k].</param>
/// <param name="Distance">The matching Hamming distances (differing bits), [queries, k], ascending.</param>
public sealed record HammingNeighborList(IndexTensor Index, IndexTensor Distance)
{
    /// <summary>Neighbours per query.</summary>
    public int K => Index.Shape[1];

    /// <summary>Number of queries.</summary>
    public int Queries => Index.Shape[0];
}

/// <summary>
/// Binary codes packed 64 bits to a word, as semantic hashing stores them (Salakhutdinov and Hinton, "Semantic
/// hashing", 2009): code units thresholded to bits, the Hamming distance between two codes as the popcount of
/// their XOR, and exact k-nearest search by Hamming distance. Introduced in notebook 12-retrieval-with-codes.
/// </summary>
/// <remarks>
/// <para>Bit b of code i is 1 when unit b of row i is strictly above the threshold (0.5 for sigmoid units: a unit
/// at exactly 0.5 gives 0). Bit b sits in word b / 64 at position b % 64; unused high bits of the last word stay 0,
/// so they never add to a distance.</para>
/// <para>Search compares a query with every code (no hash-table lookup): O(N x words) popcounts per query, then a
/// counting pass over the distances 0..Bits keeps the k smallest in index order, so ties go to the lower index
/// without a sort. Semantic hashing's trick of looking up all codes within a small Hamming ball of the query's
/// address is the same answer found faster when the code is short enough to be a memory address.</para>
/// </remarks>
public sealed class BinaryCodes
{
    private readonly ulong[] _words;

    private BinaryCodes(ulong[] words, int count, int bits)
    {
        _words = words;
        Count = count;
        Bits = bits;
        WordsPerCode = (bits + 63) / 64;
    }

    /// <summary>Number of codes (rows).</summary>
    public int Count { get; }

    /// <summary>Bits per code.</summary>
    public int Bits { get; }

    /// <summary>64-bit words per code.</summary>
    public int WordsPerCode { get; }

    /// <summary>The packed words, code after code (<see cref="WordsPerCode"/> each).</summary>
    public ReadOnlySpan<ulong> Words => _words;

    /// <summary>Bit <paramref name="bit"/> of code <paramref name="code"/>.</summary>
    public bool this[int code, int bit]
    {
        get
        {
            if ((uint)code >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(code), code, $"BinaryCodes: code: expected 0 to {Count - 1}, got {code}.");
            if ((uint)bit >= (uint)Bits) throw new ArgumentOutOfRangeException(nameof(bit), bit, $"BinaryCodes: bit: expected 0 to {Bits - 1}, got {bit}.");
            return (_words[code * WordsPerCode + bit / 64] >> (bit % 64) & 1) != 0;
        }
    }

    /// <summary>
    /// Codes from code units [N, bits] (any rank-2 tensor; e.g. an encoder's sigmoid outputs): bit = unit &gt; threshold.
    /// </summary>
    /// <exception cref="ArgumentException">Not rank 2, no bits, or a NaN unit (its bit would be arbitrary).</exception>
    public static BinaryCodes FromUnits<T>(Tensor<T> units, double threshold = 0.5) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(units);
        if (units.Rank != 2)
            throw new ArgumentException($"BinaryCodes.FromUnits: units: expected [N, bits], got shape {units.ShapeString}.", nameof(units));
        int n = units.Shape[0], bits = units.Shape[1];
        if (bits < 1) throw new ArgumentException($"BinaryCodes.FromUnits: units: expected at least 1 bit per code, got shape {units.ShapeString}.", nameof(units));
        var codes = new BinaryCodes(new ulong[n * ((bits + 63) / 64)], n, bits);
        T t = T.CreateChecked(threshold);
        for (int i = 0; i < n; i++)
            for (int b = 0; b < bits; b++)
            {
                T u = units.Data[i * bits + b];
                if (T.IsNaN(u))
                    throw new ArgumentException($"BinaryCodes.FromUnits: units: row {i}, unit {b} is NaN.", nameof(units));
                if (u > t) codes._words[i * codes.WordsPerCode + b / 64] |= 1UL << (b % 64);
            }
        return codes;
    }

    /// <summary>Codes from explicit bits [N, bits] (true = 1), for examples and tests.</summary>
    /// <exception cref="ArgumentException">No bits per code.</exception>
    public static BinaryCodes FromBits(bool[,] bits)
    {
        ArgumentNullException.ThrowIfNull(bits);
        int n = bits.GetLength(0), width = bits.GetLength(1);
        if (width < 1) throw new ArgumentException("BinaryCodes.FromBits: expected at least 1 bit per code, got 0.", nameof(bits));
        var codes = new BinaryCodes(new ulong[n * ((width + 63) / 64)], n, width);
        for (int i = 0; i < n; i++)
            for (int b = 0; b < width; b++)
                if (bits[i, b]) codes._words[i * codes.WordsPerCode + b / 64] |= 1UL << (b % 64);
        return codes;
    }

    /// <summary>The Hamming distance between code <paramref name="a"/> and code <paramref name="b"/> of this set.</summary>
    public int Distance(int a, int b) => Distance(this, a, this, b);

    /// <summary>The Hamming distance between code <paramref name="i"/> of <paramref name="x"/> and code <paramref name="j"/> of <paramref name="y"/>.</summary>
    /// <exception cref="ArgumentException">The two sets have different code lengths.</exception>
    public static int Distance(BinaryCodes x, int i, BinaryCodes y, int j)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        SameBits("BinaryCodes.Distance", x, y);
        if ((uint)i >= (uint)x.Count) throw new ArgumentOutOfRangeException(nameof(i), i, $"BinaryCodes.Distance: expected 0 to {x.Count - 1}, got {i}.");
        if ((uint)j >= (uint)y.Count) throw new ArgumentOutOfRangeException(nameof(j), j, $"BinaryCodes.Distance: expected 0 to {y.Count - 1}, got {j}.");
        return Distance(x._words.AsSpan(i * x.WordsPerCode, x.WordsPerCode), y._words.AsSpan(j * y.WordsPerCode, y.WordsPerCode));
    }

    private static int Distance(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        int d = 0;
        for (int w = 0; w < a.Length; w++) d += BitOperations.PopCount(a[w] ^ b[w]);
        return d;
    }

    /// <summary>Code <paramref name="code"/> as text, bit 0 first ("0110...").</summary>
    public string ToString(int code) => string.Concat(Enumerable.Range(0, Bits).Select(b => this[code, b] ? '1' : '0'));

    /// <summary>The share of codes with each bit set, [Bits]: a bit that is always 0 or always 1 carries nothing.</summary>
    public double[] BitUsage()
    {
        var usage = new double[Bits];
        for (int i = 0; i < Count; i++)
            for (int b = 0; b < Bits; b++)
                if ((_words[i * WordsPerCode + b / 64] >> (b % 64) & 1) != 0) usage[b]++;
        for (int b = 0; b < Bits; b++) usage[b] /= Math.Max(1, Count);
        return usage;
    }

    /// <summary>Number of distinct codes: how many addresses the collection occupies.</summary>
    public int DistinctCodes()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Count; i++) seen.Add(Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_words.AsSpan(i * WordsPerCode, WordsPerCode))));
        return seen.Count;
    }

    /// <summary>
    /// The <paramref name="k"/> nearest other codes of each code of <paramref name="codes"/> by Hamming distance (a
    /// code is never its own neighbour; an identical code elsewhere is, at distance 0). Needs 1 &lt;= k &lt;= N - 1.
    /// </summary>
    public static HammingNeighborList Of(BinaryCodes codes, int k)
    {
        ArgumentNullException.ThrowIfNull(codes);
        return SearchCore(codes, codes, k, excludeSelf: true, "BinaryCodes.Of");
    }

    /// <summary>
    /// The <paramref name="k"/> nearest codes of <paramref name="data"/> to each code of <paramref name="queries"/> by
    /// Hamming distance (separate sets, nothing excluded). Needs 1 &lt;= k &lt;= N and the same code length.
    /// </summary>
    public static HammingNeighborList Search(BinaryCodes queries, BinaryCodes data, int k)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(data);
        SameBits("BinaryCodes.Search", queries, data);
        return SearchCore(queries, data, k, excludeSelf: false, "BinaryCodes.Search");
    }

    private static HammingNeighborList SearchCore(BinaryCodes queries, BinaryCodes data, int k, bool excludeSelf, string owner)
    {
        int n = data.Count, available = excludeSelf ? n - 1 : n, words = data.WordsPerCode, bits = data.Bits;
        if (k < 1 || k > available)
            throw new ArgumentOutOfRangeException(nameof(k), k,
                $"{owner}: k: expected 1 to {available} ({(excludeSelf ? "the other codes" : "the searched codes")} of {n}), got {k}.");
        var index = new int[queries.Count * k];
        var distance = new int[queries.Count * k];
        PointLoop.For(queries.Count, n * words, q =>
        {
            var d = new int[n];
            var perDistance = new int[bits + 1];
            var query = queries._words.AsSpan(q * words, words);
            for (int j = 0; j < n; j++)
            {
                if (excludeSelf && j == q) { d[j] = -1; continue; }
                d[j] = Distance(query, data._words.AsSpan(j * words, words));
                perDistance[d[j]]++;
            }
            // Slots per distance among the k nearest: [start[h], end[h]) holds distance h, nearer distances first,
            // and the slots run out at k (the farthest kept distance gets only what is left).
            var next = new int[bits + 1];
            var end = new int[bits + 1];
            int taken = 0;
            for (int h = 0; h <= bits; h++)
            {
                next[h] = taken;
                taken = Math.Min(k, taken + perDistance[h]);
                end[h] = taken;
            }
            // One pass in index order: each code takes its distance's next free slot while there is one, so equal
            // distances keep the lower indices.
            var outIndex = index.AsSpan(q * k, k);
            var outDistance = distance.AsSpan(q * k, k);
            for (int j = 0; j < n; j++)
            {
                int h = d[j];
                if (h < 0 || next[h] >= end[h]) continue;
                outIndex[next[h]] = j;
                outDistance[next[h]] = h;
                next[h]++;
            }
        });
        return new HammingNeighborList(new IndexTensor(index, queries.Count, k), new IndexTensor(distance, queries.Count, k));
    }

    /// <inheritdoc />
    public override string ToString() => $"BinaryCodes: {Count} codes of {Bits} bits ({WordsPerCode} word{(WordsPerCode == 1 ? "" : "s")} each)";

    private static void SameBits(string owner, BinaryCodes a, BinaryCodes b)
    {
        if (a.Bits != b.Bits)
            throw new ArgumentException($"{owner}: code lengths differ: {a.Bits} bits against {b.Bits} bits; both sets must use the same code.");
    }
}

using System.Text.RegularExpressions;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Text;

/// <summary>
/// Words and punctuation to token ids and back: the text CNN's input side. A simple tokenizer (<see cref="Tokenize"/>),
/// a vocabulary built from training sentences with a minimum count, padding and unknown tokens, sentences encoded as
/// rows of ids padded to one length, and a bag-of-words encoding for the linear baseline. Introduced in notebook
/// 09-cnn-for-text. PyTorch: torchtext's basic_english tokenizer, build_vocab_from_iterator(min_freq, specials)
/// and torch.nn.utils.rnn.pad_sequence(batch_first=True, padding_value=0).
/// </summary>
/// <remarks>
/// Id 0 is <see cref="PadToken"/> (use it as <see cref="Embedding{T}"/>'s paddingIndex), id 1 is
/// <see cref="UnknownToken"/> (every word of a new sentence not in the vocabulary, and every word seen fewer than
/// minCount times in the training sentences). The other ids go to the kept words by falling count, ties in ordinal
/// order, so the vocabulary of a corpus is always the same.
/// </remarks>
public sealed partial class Vocabulary
{
    /// <summary>The padding token, id 0.</summary>
    public const string PadToken = "<pad>";

    /// <summary>The unknown-word token, id 1.</summary>
    public const string UnknownToken = "<unk>";

    /// <summary>The id of <see cref="PadToken"/>.</summary>
    public const int PadIndex = 0;

    /// <summary>The id of <see cref="UnknownToken"/>.</summary>
    public const int UnknownIndex = 1;

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    private Vocabulary(string[] tokens, int minCount)
    {
        _tokens = tokens;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) _ids[tokens[i]] = i;
        MinCount = minCount;
    }

    /// <summary>Number of ids (the two special tokens included): the Embedding's numEmbeddings.</summary>
    public int Count => _tokens.Length;

    /// <summary>The minimum count a word needed to be kept.</summary>
    public int MinCount { get; }

    /// <summary>The token of id <paramref name="id"/>.</summary>
    public string this[int id] => _tokens[id];

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnknownIndex"/> when it is not in the vocabulary.</summary>
    public int IdOf(string token) => _ids.TryGetValue(token, out int id) ? id : UnknownIndex;

    /// <summary>
    /// Lower-cases and splits into words (letters and digits, with an inner apostrophe kept: "don't", "it's") and
    /// single punctuation marks; whitespace separates and is dropped. "Not bad, really!" gives not, bad, ",", really, "!".
    /// </summary>
    public static string[] Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TokenPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value).ToArray();
    }

    [GeneratedRegex(@"[\p{L}\p{Nd}]+(?:'[\p{L}]+)*|[^\s\p{L}\p{Nd}]")]
    private static partial Regex TokenPattern();

    /// <summary>The vocabulary of <paramref name="sentences"/>: every token seen at least <paramref name="minCount"/> times.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minCount"/> is below 1.</exception>
    public static Vocabulary Build(IEnumerable<string> sentences, int minCount = 1)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string sentence in sentences)
            foreach (string token in Tokenize(sentence))
                counts[token] = counts.GetValueOrDefault(token) + 1;
        string[] kept = counts.Where(kv => kv.Value >= minCount && kv.Key is not (PadToken or UnknownToken))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).ToArray();
        return new Vocabulary([PadToken, UnknownToken, .. kept], minCount);
    }

    /// <summary>The ids of one sentence's tokens (unknown words as <see cref="UnknownIndex"/>), unpadded.</summary>
    public int[] Ids(string sentence) => Tokenize(sentence).Select(IdOf).ToArray();

    /// <summary>
    /// A batch of sentences as token ids [N, L], each row padded with <see cref="PadIndex"/> at its end (ids as
    /// floats: the input of <see cref="Embedding{T}"/>). L is <paramref name="length"/> when given (longer sentences
    /// are cut to their first L tokens), else the longest sentence of this batch (so each batch is padded only as far
    /// as it needs). A sentence with no tokens gives a row of padding.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is below 1.</exception>
    public Tensor<float> Encode(IReadOnlyList<string> sentences, int? length = null)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (length is int l0) ArgumentOutOfRangeException.ThrowIfLessThan(l0, 1, nameof(length));
        var ids = sentences.Select(Ids).ToArray();
        int l = length ?? Math.Max(1, ids.Length == 0 ? 1 : ids.Max(row => row.Length));
        var tokens = new Tensor<float>(sentences.Count, l);
        for (int i = 0; i < ids.Length; i++)
            for (int j = 0; j < Math.Min(l, ids[i].Length); j++) tokens.Data[i * l + j] = ids[i][j];
        return tokens;
    }

    /// <summary>
    /// Bag of words [N, Count]: entry (i, t) is 1 when token t occurs in sentence i, else 0 (presence, not counts;
    /// the order of the words is lost). The padding column stays 0; unknown words set the unknown column.
    /// </summary>
    public Tensor<float> BagOfWords(IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var bag = new Tensor<float>(sentences.Count, Count);
        for (int i = 0; i < sentences.Count; i++)
            foreach (int id in Ids(sentences[i])) bag.Data[(long)i * Count + id] = 1f;
        return bag;
    }

    /// <summary>The tokens of a row of ids, padding left out, joined by spaces.</summary>
    public string Decode(ReadOnlySpan<float> ids)
    {
        var words = new List<string>(ids.Length);
        foreach (float id in ids)
            if ((int)id != PadIndex) words.Add(_tokens[(int)id]);
        return string.Join(' ', words);
    }

    /// <inheritdoc />
    public override string ToString() => $"Vocabulary: {Count} tokens (min count {MinCount}, with {PadToken} and {UnknownToken})";
}

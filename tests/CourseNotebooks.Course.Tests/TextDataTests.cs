using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Text;

namespace CourseNotebooks.Course.Tests;

/// <summary>The sentence corpus, the tokenizer and the vocabulary of notebook 09-cnn-for-text.</summary>
public class TextDataTests
{
    [Fact]
    public void SentimentSentences_AreThreeThousand_HalfPositive_TheEmptyRecordsDropped()
    {
        var sentences = SentimentSentences.Load();
        Assert.Equal(3000, sentences.Count);
        foreach (string source in SentimentSentences.Sources)
        {
            Assert.Equal(1000, sentences.Count(s => s.Source == source));
            Assert.Equal(500, sentences.Count(s => s.Source == source && s.Label == 1));
        }
        Assert.All(sentences, s => Assert.False(string.IsNullOrWhiteSpace(s.Text)));
        Assert.Equal("A very, very, very slow-moving, aimless movie about a distressed, drifting young man.", sentences[0].Text);
        Assert.Equal(0, sentences[0].Label);
    }

    [Fact]
    public void SentimentSentences_MissingOrCorruptFile_NamesTheFileAndTheRemedy()
    {
        string dir = Directory.CreateTempSubdirectory("sentiment-test").FullName;
        try
        {
            var missing = Assert.Throws<DataFileException>(() => SentimentSentences.Load("yelp", dir));
            Assert.EndsWith(Path.Combine("sentiment", "yelp.json"), missing.FilePath);
            Assert.Contains("git checkout -- data/sentiment", missing.Message);
            Directory.CreateDirectory(Path.Combine(dir, "sentiment"));
            File.WriteAllText(Path.Combine(dir, "sentiment", "yelp.json"), "[{\"text\": \"good\", \"class\": 1}, {\"text\": \"bad\"");
            var corrupt = Assert.Throws<DataFileException>(() => SentimentSentences.Load("yelp", dir));
            Assert.Contains("not valid JSON", corrupt.Message);
            File.WriteAllText(Path.Combine(dir, "sentiment", "yelp.json"), "[{\"text\": \"good\", \"class\": 1}, {\"text\": \"\", \"class\": null}]");
            var short_ = Assert.Throws<DataFileException>(() => SentimentSentences.Load("yelp", dir));
            Assert.Contains("expected 1000 sentences", short_.Message);
            Assert.Contains("the file has 1", short_.Message);
            Assert.Throws<ArgumentException>(() => SentimentSentences.Load("twitter", dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Split_KeepsEverySiteAndClassInProportion_AndDependsOnTheSeed()
    {
        var sentences = SentimentSentences.Load();
        var (train, test) = SentimentSentences.Split(sentences, 0.2, seed: 3);
        Assert.Equal(2400, train.Count);
        Assert.Equal(600, test.Count);
        foreach (var group in test.GroupBy(s => (s.Source, s.Label))) Assert.Equal(100, group.Count());
        // The corpus repeats a few sentences word for word: disjoint as records, not as texts.
        Assert.Empty(train.Cast<object>().Intersect(test.Cast<object>(), ReferenceEqualityComparer.Instance));
        Assert.Equal(test, SentimentSentences.Split(sentences, 0.2, seed: 3).Test);
        Assert.NotEqual(test, SentimentSentences.Split(sentences, 0.2, seed: 4).Test);
    }

    [Fact]
    public void Tokenize_LowerCases_SplitsPunctuation_AndKeepsInnerApostrophes()
    {
        Assert.Equal(["not", "bad", ",", "really", "!"], Vocabulary.Tokenize("Not bad, really!"));
        Assert.Equal(["i", "don't", "like", "it", "-", "at", "all", ".", ".", "."], Vocabulary.Tokenize("I don't like it - at all..."));
        Assert.Empty(Vocabulary.Tokenize("   "));
    }

    [Fact]
    public void Vocabulary_PadIsZero_UnknownIsOne_RareWordsAreUnknown_AndIdsFollowTheCounts()
    {
        var vocabulary = Vocabulary.Build(["good good film", "bad film", "good plot"], minCount: 2);
        Assert.Equal([Vocabulary.PadToken, Vocabulary.UnknownToken, "good", "film"], Enumerable.Range(0, vocabulary.Count).Select(i => vocabulary[i]));
        Assert.Equal([2, 1, 3], vocabulary.Ids("Good plot film"));
        Assert.Equal(Vocabulary.UnknownIndex, vocabulary.IdOf("bad"));
    }

    [Fact]
    public void Encode_PadsEachBatchToItsLongest_OrCutsToAGivenLength()
    {
        var vocabulary = Vocabulary.Build(["a b c d e"]);
        var batch = vocabulary.Encode(["a b", "a b c d", "e"]);
        Assert.Equal("[3, 4]", batch.ShapeString);
        Assert.Equal([vocabulary.IdOf("a"), vocabulary.IdOf("b"), 0, 0], batch.Data[..4]);
        Assert.Equal([vocabulary.IdOf("e"), 0, 0, 0], batch.Data[8..]);
        var cut = vocabulary.Encode(["a b c d e"], length: 3);
        Assert.Equal([vocabulary.IdOf("a"), vocabulary.IdOf("b"), vocabulary.IdOf("c")], cut.Data);
        Assert.Equal("a b", vocabulary.Decode(batch.Data.AsSpan(0, 4)));
        var bag = vocabulary.BagOfWords(["b b z"]);
        Assert.Equal(1f, bag[0, vocabulary.IdOf("b")]);
        Assert.Equal(1f, bag[0, Vocabulary.UnknownIndex]);
        Assert.Equal(2f, bag.Data.Sum());
    }
}

using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Text;

namespace CourseNotebooks.Course.Tests;

public class TextRetrievalDataTests
{
    [Fact]
    public void Arff_ReadsQuotedEscapedValuesAndMissingOnes()
    {
        const string text = "% a comment\n@RELATION 'tiny set'\n\n@attribute Text string\n@attribute 'the class' {yes,no}\n@attribute x numeric\n@data\n" +
                            "'It\\'s one,\\nand two',yes,1.5\n\"plain\",no,?\n";
        var arff = Arff.Parse(text);
        Assert.Equal("tiny set", arff.Relation);
        Assert.Equal(["Text", "the class", "x"], arff.Attributes.Select(a => a.Name));
        Assert.Equal(["yes", "no"], arff.Attributes[1].NominalValues);
        Assert.Equal("It's one,\nand two", arff.Rows[0][0]);
        Assert.Equal("1.5", arff.Rows[0][2]);
        Assert.Null(arff.Rows[1][2]);
        Assert.Equal(1, arff.ColumnOf("the class"));
    }

    [Theory]
    [InlineData("@relation r\n@attribute c {a,b}\n@data\nz\n", "line 4", "expected one of {a,b}")]
    [InlineData("@relation r\n@attribute t string\n@attribute c {a,b}\n@data\n'x\n", "line 5", "unterminated")]
    [InlineData("@relation r\n@attribute t string\n@data\n{0 'x'}\n", "line 4", "sparse")]
    [InlineData("@relation r\n@attribute t string\n@attribute u string\n@data\n'x'\n", "line 5", "expected 2 values")]
    [InlineData("@relation r\n@attribute t blob\n@data\n", "line 2", "not supported")]
    public void Arff_BadText_FailsNamingTheFileLineAndProblem(string text, string line, string problem)
    {
        var e = Assert.Throws<DataFileException>(() => Arff.Parse(text, "sample.arff", "rebuild it"));
        Assert.Contains("sample.arff", e.Message);
        Assert.Contains(line, e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Contains("rebuild it", e.Message);
    }

    [Fact]
    public void ReutersStories_HaveTheirCountsAndTopics_AndAMissingFileNamesTheRestore()
    {
        var train = ReutersStories.Load(DatasetSplit.Train);
        var test = ReutersStories.Load(DatasetSplit.Test);
        Assert.Equal([1450, 59, 45], Enumerable.Range(0, 3).Select(t => train.Count(s => s.Topic == t)));
        Assert.Equal([547, 33, 24], Enumerable.Range(0, 3).Select(t => test.Count(s => s.Topic == t)));
        Assert.StartsWith("BAHIA COCOA REVIEW Showers continued", train[0].Text);
        Assert.DoesNotContain(train, s => s.Text.Contains("&lt;") || s.Text.Contains("\\n") || s.Text.Any(c => char.IsControl(c) && c is not ('\n' or '\t')));
        var empty = Directory.CreateTempSubdirectory();
        try
        {
            var e = Assert.Throws<DataFileException>(() => ReutersStories.Load(DatasetSplit.Test, empty.FullName));
            Assert.Contains("reuters-grain-corn-test.arff.gz", e.Message);
            Assert.Contains("git checkout -- data/reuters", e.Message);
        }
        finally { empty.Delete(true); }
    }

    [Fact]
    public void BagOfWords_TfIdf_FollowsItsFormula()
    {
        string[] docs = ["wheat wheat corn, the", "the corn price", "the oil price 12", "oil oil wheat the"];
        var bag = BagOfWords.Fit(docs, words: 10, maxDocumentShare: 0.75, minDocuments: 2);
        // "the" is in all 4 documents (> 75 %), "12" has no letter; the rest ranked by count, ties in ordinal order.
        Assert.Equal(["oil", "wheat", "corn", "price"], bag.Words);
        var counts = bag.Counts(docs);
        Assert.Equal([0f, 2, 1, 0], counts.Data[..4]);
        var x = bag.TfIdf(docs);
        double idf(int df) => Math.Log(5.0 / (1 + df)) + 1;
        double[] row0 = [0, Math.Log(3) * idf(2), Math.Log(2) * idf(2), 0];
        double norm = Math.Sqrt(row0.Sum(v => v * v));
        for (int w = 0; w < 4; w++) Assert.Equal(row0[w] / norm, x.Data[w], 6);
        Assert.Equal(idf(2), bag.InverseDocumentFrequency[0], 12);
    }
}

using System.Globalization;
using System.Text.Json;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Evaluation;
using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook12Tests(NotebookFixture fixture)
{
    private const string Name = "12-retrieval-with-codes";

    /// <summary>Documented margins. Binary codes: P@10 at least 4 times the 10 % of a random ranking at every code length
    /// (measured 54-65 %). Text: grain and corn queries retrieve their topic at least 5 times as often as their label
    /// frequency with every code or tf-idf search (measured 9.5x to 13.9x; raw counts 6.2x, asserted above 3x).</summary>
    private const double HashingOverChance = 4, TextLift = 5, CountsLift = 3;

    [Fact]
    public async Task Notebook_RunsWithoutError_AndTheSearchesRankAsTheTextSays()
    {
        var run = await fixture.RunAsync(Name);
        NotebookAssertions.AllCellsSucceeded(run);
        var train = Datasets.FashionMnistSample(DatasetSplit.Train);
        var test = Datasets.FashionMnistSample(DatasetSplit.Test);

        // The pixel-space curve recomputed here by brute force for the first 100 queries, with a naive distance loop.
        var pixelSearch = run.GetVariable<NeighborList>("pixelSearch");
        for (int q = 0; q < 100; q++)
        {
            var distances = Enumerable.Range(0, train.Count).Select(j =>
            {
                double s = 0;
                for (int p = 0; p < 784; p++) { double d = test.Images.Data[q * 784 + p] - train.Images.Data[j * 784 + p]; s += d * d; }
                return (D: s, J: j);
            }).OrderBy(t => t.D).ThenBy(t => t.J).Take(10).Select(t => t.J);
            Assert.Equal(distances, pixelSearch.Index.Data.Skip(q * 50).Take(10));
        }
        double chance = run.GetVariable<double>("imageChance");
        Assert.Equal(0.1, chance, 12);   // 100 of each class among the 1,000 queries, 200 of each among the 2,000 images

        // Code space against pixel space: the printed verdict follows the paired difference and its standard error.
        var pixelCurve = run.GetVariable<double[]>("pixelCurve");
        var aeCurve = run.GetVariable<double[]>("aeCurve");
        var pcaCurve = run.GetVariable<double[]>("pcaCurve");
        Assert.Equal(50, pixelCurve.Length);
        var (mean, se) = run.GetVariable<(double Mean, double Se)>("aeVsPixels");
        Assert.Equal(aeCurve[9] - pixelCurve[9], mean, 10);
        string verdicts = NotebookAssertions.Output(run, "const int JudgedK");
        Assert.Contains(Math.Abs(mean) <= 2 * se ? "auto-encoder-32: " + mean.ToString("+0.000;-0.000", CultureInfo.CurrentCulture) + " ± " + se.ToString("0.000", CultureInfo.CurrentCulture) + ": within two standard errors"
            : (mean > 0 ? "better" : "worse") + " than pixels", verdicts);
        // The markdown says the 32-number codes keep about as much as pixel space: within 3 points of it at k = 10.
        Assert.True(Math.Abs(aeCurve[9] - pixelCurve[9]) < 0.03 && Math.Abs(pcaCurve[9] - pixelCurve[9]) < 0.03,
            $"P@10 pixels {pixelCurve[9]}, PCA {pcaCurve[9]}, auto-encoder {aeCurve[9]}");

        // Binary codes: well above chance, growing with the code length, below the real-valued code they come from.
        var hammingP10 = run.GetVariable<double[]>("hammingP10");
        Assert.All(hammingP10, p => Assert.True(p > HashingOverChance * chance, $"Hamming P@10 {p}"));
        Assert.True(hammingP10[^1] > hammingP10[0], $"64 bits {hammingP10[^1]} against 8 bits {hammingP10[0]}");
        Assert.Contains($"{hammingP10[0].ToString("P1", CultureInfo.CurrentCulture)} with 8 bits", NotebookAssertions.Output(run, "double[] hammingP10"));

        // Text: every search above the label frequency for grain and corn queries, by the documented margins.
        var lift = run.GetVariable<double[]>("grainCornLift");
        Assert.True(lift[0] > CountsLift, $"word counts {lift[0]}");
        for (int i = 1; i < 4; i++) Assert.True(lift[i] > TextLift, $"search {i}: {lift[i]}");
        string textClaim = NotebookAssertions.Output(run, "double[] grainCornLift");
        Assert.Contains($"{lift[3].ToString("F1", CultureInfo.CurrentCulture)}x (auto-encoder code 32)", textClaim);
        // The topic baseline is the label share of the training stories (59 grain-not-corn, 45 corn of 1,554).
        var topicChance = run.GetVariable<double[]>("topicChance");
        Assert.Equal([1450 / 1554.0, 59 / 1554.0, 45 / 1554.0], topicChance.Select(v => Math.Round(v, 12)), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public async Task TextVerdicts_AreTheOnesThePairedTestOverTheGrainAndCornQueriesGives()
    {
        var run = await fixture.RunAsync(Name);
        var searches = run.GetVariable<(string Name, IndexTensor Ranking)[]>("textSearches");
        var testTopics = run.GetVariable<int[]>("testTopics");
        var trainTopics = run.GetVariable<int[]>("trainTopics");
        const int k = 10;
        // Each grain or corn query's P@10 from its own ranking row, computed here from the retrieved stories' topics.
        int[] queries = Enumerable.Range(0, testTopics.Length).Where(q => testTopics[q] != 0).ToArray();
        double[] PerQuery(IndexTensor ranking) => queries.Select(q =>
            Enumerable.Range(0, k).Count(j => trainTopics[ranking.Data[q * k + j]] == testTopics[q]) / (double)k).ToArray();
        double[] tfidf = PerQuery(searches[1].Ranking), lsa = PerQuery(searches[2].Ranking), code = PerQuery(searches[3].Ranking);
        Assert.Equal(code, run.GetVariable<double[][]>("textPerQuery")[3]);
        static string Compared(PairedTest t, string a, string b) => t.Direction() switch
        {
            > 0 => $"{a} beats {b}",
            < 0 => $"{a} falls behind {b}",
            _ => $"{a} and {b} are within the noise of each other",
        };
        var aeVsLsa = PairedTest.Of(code, lsa);
        string sentence = run.GetVariable<string>("aeVsLsaSentence");
        Assert.StartsWith($"Over the {queries.Length} grain and corn queries, P@10 {code.Average():F3} ", sentence);
        Assert.Contains($"{lsa.Average():F3} for PCA / LSA's, paired, {aeVsLsa}: ", sentence);
        Assert.EndsWith(Compared(aeVsLsa, "the code", "LSA") + ".", sentence);
        string tfidfSentence = run.GetVariable<string>("tfidfSentence");
        Assert.Contains($"{PairedTest.Of(tfidf, code)}, {Compared(PairedTest.Of(tfidf, code), "tf-idf", "the code")}", tfidfSentence);
        Assert.Contains($"{PairedTest.Of(tfidf, lsa)}, {Compared(PairedTest.Of(tfidf, lsa), "tf-idf", "LSA")}", tfidfSentence);
        var printed = string.Concat(run.CodeCells.SelectMany(c => c.Outputs).Select(o => o.PlainText));
        Assert.Contains(sentence, printed);
        Assert.Contains(tfidfSentence, printed);
        // No verdict on the text searches is printed from the lifts alone any more.
        Assert.DoesNotContain("beats PCA / LSA's", printed);
    }

    [Fact]
    public async Task Charts_CarryTheMeasuredNumbers()
    {
        var run = await fixture.RunAsync(Name);
        using (var chart = NotebookAssertions.ChartOf(run, "imageChart"))
        {
            Assert.Equal(run.GetVariable<double[]>("pixelCurve"), NotebookAssertions.Ys(chart, 0));
            Assert.Equal(run.GetVariable<double[]>("pcaCurve"), NotebookAssertions.Ys(chart, 1));
            Assert.Equal(run.GetVariable<double[]>("aeCurve"), NotebookAssertions.Ys(chart, 2));
            Assert.Equal([0.1, 0.1], NotebookAssertions.Ys(chart, 3).Select(v => Math.Round(v, 12)));
        }
        using (var chart = NotebookAssertions.ChartOf(run, "bitsChart"))
        {
            Assert.Equal(run.GetVariable<double[]>("hammingP10"), NotebookAssertions.Ys(chart, 0));
            double pixelP10 = run.GetVariable<double>("pixelP10");
            Assert.Equal([pixelP10, pixelP10], NotebookAssertions.Ys(chart, 2));
        }
        using (var chart = NotebookAssertions.ChartOf(run, "topicChart"))
        {
            var precision = run.GetVariable<double[][]>("textPrecision");
            for (int i = 0; i < 4; i++) Assert.Equal(precision[i], NotebookAssertions.Ys(chart, i));
            Assert.Equal(run.GetVariable<double[]>("topicChance"), NotebookAssertions.Ys(chart, 4));
        }
        // The retrieval grid: row 0 is query 0, then its nearest training images in the order of the code-space ranking.
        using (var chart = NotebookAssertions.ChartOf(run, "codeGrid"))
        {
            var data = chart.RootElement.GetProperty("data");
            Assert.Equal(6 * 6, data.GetArrayLength());
            var train = Datasets.FashionMnistSample(DatasetSplit.Train).Images;
            var search = run.GetVariable<NeighborList>("aeSearch");
            int first = search.Index.Data[0];
            var z = data[1].GetProperty("z").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetDouble()).ToArray();
            for (int p = 0; p < 784; p++) Assert.Equal(train.Data[first * 784 + p], z[p], 6);
        }
        var progress = run.GetVariable<CourseNotebooks.Charts.LiveProgress>("progress");
        Assert.Equal(20 + 1, progress.Lines.Count);   // a line per epoch, then "done in"
    }

    [Fact]
    public async Task Exercises_PassTheirChecks_AndAgreeWithTheLibraryOnHiddenInputs()
    {
        var run = await fixture.RunAsync(Name);
        Assert.All(NotebookAssertions.Verdicts(run), v => Assert.True(v.Correct, v.ToString()));
        Assert.Equal(4, NotebookAssertions.Verdicts(run).Count);
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(p => p.Name);
        // The student's Hamming distance against the library's packed codes on the same hidden inputs.
        int Library(ulong a, ulong b)
        {
            var bits = new bool[2, 64];
            for (int i = 0; i < 64; i++) { bits[0, i] = (a >> i & 1) != 0; bits[1, i] = (b >> i & 1) != 0; }
            return BinaryCodes.FromBits(bits).Distance(0, 1);
        }
        var reference = Exercise.Probe("hamming-distance",
            () => Library(0, ulong.MaxValue), () => Library(0xF0F0_0000_1234_5678UL, 0x0F0F_FFFF_1234_5678UL), () => Library(42, 42), () => Library(1UL << 63, 1));
        Assert.True(Exercise.Compare(reference, probes["hamming-distance"]).Correct);
        // Precision at k against Retrieval.PrecisionAtK on one-query rankings whose collection labels are the ranked labels.
        double Lib(int[] ranked, int label, int k) => Retrieval.PrecisionAtK(new IndexTensor(Enumerable.Range(0, ranked.Length).ToArray(), 1, ranked.Length), [label], ranked, k);
        var precision = Exercise.Probe("precision-at-k",
            () => Lib([1, 2, 1, 1, 2, 2, 1], 1, 7), () => Lib([5, 5, 5], 5, 1), () => Lib([0, 4, 4, 4, 0], 0, 3), () => Lib([2, 2, 2, 2], 7, 4));
        Assert.True(Exercise.Compare(precision, probes["precision-at-k"]).Correct);
        // Thresholding as BinaryCodes.FromUnits does it.
        var a = BinaryCodes.FromUnits(new Tensor<float>([0.97f, 0.02f, 0.51f, 0.49f, 0.88f, 0.50f, 0.13f, 0.99f, 0.91f, 0.06f, 0.45f, 0.52f, 0.93f, 0.71f, 0.08f, 0.97f], 2, 8));
        Assert.True(Exercise.Compare(Exercise.Probe("threshold-codes", () => (long)a.Distance(0, 1)), probes["threshold-codes"]).Correct);
        // Addresses within Hamming distance 2 of a 16-bit address, counted by enumeration.
        long ball = Enumerable.Range(0, 1 << 16).LongCount(x => System.Numerics.BitOperations.PopCount((uint)x) <= 2);
        Assert.True(Exercise.Compare(Exercise.Probe("hamming-ball", () => ball), probes["hamming-ball"]).Correct);
    }
}

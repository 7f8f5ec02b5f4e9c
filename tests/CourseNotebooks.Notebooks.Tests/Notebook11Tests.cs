using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using CourseNotebooks.Charts;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook11Tests(NotebookFixture fixture)
{
    private const string Name = "11-tsne-maps";

    /// <summary>The thresholds notebook 11 documents in its section 4 (measured on the shipped sample: 10-NN accuracy 0.72 to
    /// 0.76 in the maps and 0.74 to 0.78 in the spaces, trustworthiness 0.98 to 0.99).</summary>
    private const double MapAccuracy = 0.65, SpaceAccuracy = 0.70, MinTrustworthiness = 0.95;

    private const int K = 10;

    private static double[] Numbers(JsonElement trace, string property) =>
        [.. trace.GetProperty(property).EnumerateArray().Select(v => v.GetDouble())];

    private static string F(double value, string format) => value.ToString(format, CultureInfo.CurrentCulture);

    [Fact]
    public async Task Notebook_RunsWithoutError_AndTheMapsKeepTheClassesAsTheTextClaims()
    {
        var run = await fixture.RunAsync(Name);
        NotebookAssertions.AllCellsSucceeded(run);
        var test = Datasets.FashionMnistSample(DatasetSplit.Test);
        var pixels = test.Images.Reshape(test.Count, 784);
        var data = new Dictionary<string, Tensor<float>>
        {
            ["pixels"] = pixels, ["PCA codes"] = run.GetVariable<Tensor<float>>("pcaCodes"), ["auto-encoder codes"] = run.GetVariable<Tensor<float>>("aeCodes"),
        };
        var maps = new Dictionary<string, TsneResult>
        {
            ["pixels"] = run.GetVariable<TsneResult>("pixelTsne"), ["PCA codes"] = run.GetVariable<TsneResult>("pcaTsne"),
            ["auto-encoder codes"] = run.GetVariable<TsneResult>("aeTsne"),
        };
        // PCA's codes are the test images projected on the notebook's components, recomputed here.
        var pca = run.GetVariable<Pca>("pca");
        var codes = pca.Transform(pixels);
        Assert.Equal(codes.Data, data["PCA codes"].Data);

        var table = Rows.Of(run, "qualityTable");
        Assert.Equal(3, table.Count);
        var accuracy = new Dictionary<string, double>();
        foreach (var row in table)
        {
            string space = Rows.Get<string>(row, "Space");
            var map = maps[space].Embedding;
            Assert.Equal([test.Count, 2], map.Shape.ToArray());
            Assert.Equal(200.0, maps[space].LearningRate);
            double inMap = EmbeddingQuality.KnnAccuracy(map, test.Labels, K), inSpace = EmbeddingQuality.KnnAccuracy(data[space], test.Labels, K);
            double trust = EmbeddingQuality.Trustworthiness(data[space], map, K);
            Assert.Equal(Math.Round(inMap, 3), Rows.Get<double>(row, "KnnAccuracyInMap"));
            Assert.Equal(Math.Round(inSpace, 3), Rows.Get<double>(row, "KnnAccuracyInSpace"));
            Assert.Equal(Math.Round(trust, 4), Rows.Get<double>(row, "Trustworthiness"));
            Assert.True(inMap > MapAccuracy, $"{space}: 10-NN accuracy in the map {inMap}");
            Assert.True(inSpace > SpaceAccuracy, $"{space}: 10-NN accuracy in the space {inSpace}");
            Assert.True(trust > MinTrustworthiness, $"{space}: trustworthiness {trust}");
            accuracy[space] = inMap;
        }

        // Every claim of the text holds: a map called better has the higher accuracy and McNemar's z beyond 2, and
        // the sentences say exactly that.
        var claims = run.GetVariable<List<(string Better, string Worse, double Z)>>("mapClaims");
        string text = NotebookAssertions.Output(run, "McNemarZ(int[] a");
        foreach (var (better, worse, z) in claims)
        {
            Assert.True(accuracy[better] > accuracy[worse], $"{better} claimed better than {worse}");
            Assert.True(z > 2, $"{better} against {worse}: z = {z}");
            Assert.Contains($"The map of the {better} ({F(accuracy[better], "P1")}) against that of the {worse} ({F(accuracy[worse], "P1")}): better beyond chance", text);
        }
        int pairsWithinChance = 3 - claims.Count;
        Assert.Equal(pairsWithinChance, text.Split("within chance").Length - 1);
        // The per-class table counts each map's votes class by class; its hardest classes are the printed ones.
        var perClass = Rows.Of(run, "perClass");
        var predictions = run.GetVariable<int[][]>("mapPredictions");
        for (int c = 0; c < test.ClassNames.Count; c++)
        {
            var members = Enumerable.Range(0, test.Count).Where(i => test.Labels[i] == c).ToArray();
            Assert.Equal(Math.Round(members.Count(i => predictions[2][i] == c) / (double)members.Length, 3), Rows.Get<double>(perClass[c], "AutoencoderCodes"));
        }
        var hardest = perClass.OrderBy(r => Rows.Get<double>(r, "Pixels") + Rows.Get<double>(r, "PcaCodes") + Rows.Get<double>(r, "AutoencoderCodes"))
            .Take(4).Select(r => Rows.Get<string>(r, "Class"));
        Assert.Contains($"mixed with others are {string.Join(", ", hardest)} (", NotebookAssertions.Output(run, "var perClass"));
        string best = accuracy.MaxBy(a => a.Value).Key;
        Assert.Equal(claims.Count(c => c.Better == best) == 2, text.Contains($"The map of the {best} separates the classes best", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Charts_CarryEveryPointWithItsClassAndImage()
    {
        var run = await fixture.RunAsync(Name);
        var test = Datasets.FashionMnistSample(DatasetSplit.Test);
        foreach (var (chartName, resultName) in new[] { ("pixelMap", "pixelTsne"), ("pcaMap", "pcaTsne"), ("aeMap", "aeTsne") })
        {
            var map = run.GetVariable<TsneResult>(resultName).Embedding;
            using var chart = NotebookAssertions.ChartOf(run, chartName);
            var traces = chart.RootElement.GetProperty("data");
            Assert.Equal(test.ClassNames.Count, traces.GetArrayLength());
            int points = 0;
            for (int c = 0; c < traces.GetArrayLength(); c++)
            {
                var trace = traces[c];
                Assert.Equal(test.ClassNames[c], trace.GetProperty("name").GetString());
                Assert.Equal(Charts.Charts.ClassColours[c], trace.GetProperty("marker").GetProperty("color").GetString());
                int[] rows = [.. trace.GetProperty("customdata").EnumerateArray().Select(v => v.GetInt32())];
                Assert.All(rows, i => Assert.Equal(c, test.Labels[i]));
                Assert.Equal(rows.Select(i => map[i, 0]), Numbers(trace, "x"));
                Assert.Equal(rows.Select(i => map[i, 1]), Numbers(trace, "y"));
                points += rows.Length;
            }
            Assert.Equal(test.Count, points);
        }

        // The hover panel: one PNG sprite sheet holding every test image in order, and a plotly_hover handler.
        var hover = run.CodeCells.Select(c => c.ReturnValue).OfType<HoverImageMap>().ToList();
        Assert.Equal(3, hover.Count);
        Assert.Contains("plotly_hover", hover[0].ToHtml());
        var sprite = DecodeGreyPng(hover[0].SpritePng, out int width, out int height);
        Assert.Equal((28 * HoverImageMap.SpriteColumns, 28 * (test.Count / HoverImageMap.SpriteColumns)), (width, height));
        foreach (int n in new[] { 0, 1, 57, 999 })
            for (int p = 0; p < 784; p++)
            {
                int x = n % HoverImageMap.SpriteColumns * 28 + p % 28, y = n / HoverImageMap.SpriteColumns * 28 + p / 28;
                Assert.Equal((byte)Math.Round(255 * test.Images.Data[n * 784 + p]), sprite[y * width + x]);
            }

        // The rows of known-truth maps: one trace per cluster and panel, on that panel's axes, with the panel's points.
        var perplexityMaps = run.GetVariable<Tensor<double>[]>("perplexityMaps");
        var labels = run.GetVariable<LabeledPoints>("threeClusters").Labels;
        using (var chart = NotebookAssertions.ChartOf(run, "perplexityRow"))
        {
            var traces = chart.RootElement.GetProperty("data");
            Assert.Equal(4 * 3, traces.GetArrayLength());
            for (int panel = 0; panel < 4; panel++)
                for (int c = 0; c < 3; c++)
                {
                    var trace = traces[panel * 3 + c];
                    Assert.Equal(panel == 0 ? "x" : $"x{panel + 1}", trace.GetProperty("xaxis").GetString());
                    Assert.Equal($"cluster {(char)('A' + c)}", trace.GetProperty("name").GetString());
                    var rows = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c);
                    Assert.Equal(rows.Select(i => perplexityMaps[panel][i, 0]), Numbers(trace, "x"));
                }
            Assert.Equal("perplexity 2", chart.RootElement.GetProperty("layout").GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
        }
        using (var chart = NotebookAssertions.ChartOf(run, "noiseRow"))
        {
            var traces = chart.RootElement.GetProperty("data");
            Assert.Equal(4, traces.GetArrayLength());
            var noise = run.GetVariable<LabeledPoints>("noise").Points;
            Assert.Equal(Enumerable.Range(0, 300).Select(i => noise[i, 1]), Numbers(traces[0], "y"));
        }

        var progress = run.GetVariable<LiveProgress>("perplexityProgress");
        Assert.Equal(4 + 1, progress.Lines.Count);
        var aeProgress = run.GetVariable<LiveProgress>("aeProgress");
        Assert.Equal(15 + 1, aeProgress.Lines.Count);
    }

    [Fact]
    public async Task Pitfalls_AreMeasuredAsTheTextSays()
    {
        var run = await fixture.RunAsync(Name);
        var three = run.GetVariable<LabeledPoints>("threeClusters");
        var maps = run.GetVariable<Tensor<double>[]>("perplexityMaps");
        var table = Rows.Of(run, "perplexityTable");
        var within = maps.Select(m => EmbeddingQuality.ClarkEvansByClass(m, three.Labels).Average()).ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(Math.Round(within[i], 3), Rows.Get<double>(table[i], "ClarkEvansWithinClusters"));
            Assert.True(Rows.Get<double>(table[i], "KnnAccuracy") >= 0.99);
        }
        // Perplexity 2 breaks each cluster into clumps; perplexity 30 keeps it one evenly filled blob.
        Assert.True(within[0] < 0.7 * within[2], $"within-cluster Clark-Evans: {within[0]} at perplexity 2, {within[2]} at 30");
        Assert.Contains("falls apart into small clumps", NotebookAssertions.Output(run, "int lowest = 0"));

        // Spreads and gaps: ten and five times in the data, about the same in the map; recomputed from the maps.
        var sizes = run.GetVariable<LabeledPoints>("sizesData");
        var sizesMap = run.GetVariable<Tensor<double>>("sizesMap");
        var inMap = EmbeddingQuality.Clusters(sizesMap, sizes.Labels);
        Assert.Equal(inMap.Radius[1] / inMap.Radius[0], run.GetVariable<double>("spreadRatioMap"), 12);
        Assert.True(run.GetVariable<double>("spreadRatioData") > 8);
        Assert.InRange(run.GetVariable<double>("spreadRatioMap"), 0.5, 2);
        var gaps = run.GetVariable<LabeledPoints>("gapsData");
        var gapsMap = EmbeddingQuality.Clusters(run.GetVariable<Tensor<double>>("gapsMap"), gaps.Labels);
        Assert.Equal(gapsMap.CentroidDistance(1, 2) / gapsMap.CentroidDistance(0, 1), run.GetVariable<double>("gapRatioMap"), 12);
        Assert.True(run.GetVariable<double>("gapRatioData") > 4);
        Assert.InRange(run.GetVariable<double>("gapRatioMap"), 0.5, 2);

        // Noise: about 1 in the data and at perplexity 30, clumped at perplexity 2.
        var noiseMaps = run.GetVariable<Tensor<double>[]>("noiseMaps");
        double data = EmbeddingQuality.ClarkEvans(run.GetVariable<LabeledPoints>("noise").Points);
        double[] ratios = [.. noiseMaps.Select(m => EmbeddingQuality.ClarkEvans(m))];
        Assert.Equal(ratios, run.GetVariable<double[]>("noiseRatioMaps"));
        Assert.InRange(data, 0.9, 1.15);
        Assert.True(ratios[0] < 0.5 * data, $"perplexity 2: {ratios[0]}");
        Assert.True(ratios[2] > 0.7, $"perplexity 30: {ratios[2]}");
        Assert.Contains("looks clumped", NotebookAssertions.Output(run, "var noise = KnownTruth"));
    }

    [Fact]
    public async Task Exercises_PassTheirChecks_AndAgreeWithTheLibrary()
    {
        var run = await fixture.RunAsync(Name);
        var verdicts = NotebookAssertions.Verdicts(run);
        Assert.Equal(3, verdicts.Count);
        Assert.All(verdicts, v => Assert.True(v.Correct, v.ToString()));
        string Check(string name) => run.CodeCells.Single(c => c.Cell.Source.StartsWith("// CHECK " + name, StringComparison.Ordinal)).Cell.Source;

        // The gradient check's hash is Tsne.ExactGradient's row 0 on the page's example.
        var p = Tensor.FromArray(new double[,] { { 0, 0.2, 0.05, 0.05 }, { 0.2, 0, 0.05, 0.05 }, { 0.05, 0.05, 0, 0.1 }, { 0.05, 0.05, 0.1, 0 } });
        var y = Tensor.FromArray(new double[,] { { 0, 0 }, { 1, 0 }, { 0, 2 }, { 3, 1 } });
        var g = Tsne.ExactGradient(p, y).Gradient;
        Assert.Contains(Exercise.HashOf("tsne-gradient", new[] { g[0, 0], g[0, 1] }, 6), Check("tsne-gradient"));
        // ... and the hidden probes agree with it on the grader's inputs.
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(r => r.Name);
        var probeP = Tsne.JointProbabilities(Tensor.Randn<double>(new Random(1101), 7, 5), 3);
        var probeY = Tensor.Randn<double>(new Random(1102), 7, 2);
        var otherY = Tensor.Randn<double>(new Random(1103), 7, 2);
        double[] RowOf(Tensor<double> grad, int i) => [grad[i, 0], grad[i, 1]];
        var reference = Exercise.Probe("tsne-gradient",
            () => RowOf(Tsne.ExactGradient(probeP, probeY).Gradient, 0),
            () => RowOf(Tsne.ExactGradient(probeP, probeY).Gradient, 4),
            () => RowOf(Tsne.ExactGradient(probeP, otherY).Gradient, 6));
        Assert.True(Exercise.Compare(reference, probes["tsne-gradient"], 1e-10).Correct);

        // The kNN answer is the library's leave-one-out accuracy of the line.
        var line = Tensor.FromArray(new double[,] { { 0 }, { 1 }, { 2 }, { 6 }, { 7 }, { 8 }, { 9 } });
        Assert.Contains(Exercise.HashOf("knn-by-hand", EmbeddingQuality.KnnAccuracy(line, [0, 0, 1, 1, 0, 1, 1], 3), 3), Check("knn-by-hand"));

        // The perplexity of rows of t-SNE's conditional P is the one the bandwidth search was asked for (7).
        var perplexity = probes["perplexity"].Values;
        Assert.Equal(7.0, perplexity[0].Numbers![0], 1e-3);
        Assert.Equal(7.0, perplexity[1].Numbers![0], 1e-3);
        Assert.Equal(2.0, perplexity[3].Numbers![0], 12);
    }

    /// <summary>Reads an 8-bit greyscale, non-interlaced PNG with filter 0 on every row (what the sprite writer makes).</summary>
    private static byte[] DecodeGreyPng(byte[] png, out int width, out int height)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int BigEndian(int at) => (png[at] << 24) | (png[at + 1] << 16) | (png[at + 2] << 8) | png[at + 3];
        width = height = 0;
        using var idat = new MemoryStream();
        for (int at = 8; at < png.Length;)
        {
            int length = BigEndian(at);
            string type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            if (type == "IHDR") { width = BigEndian(at + 8); height = BigEndian(at + 12); Assert.Equal((8, 0), (png[at + 16], png[at + 17])); }
            if (type == "IDAT") idat.Write(png, at + 8, length);
            at += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(inflated);
        var raw = inflated.ToArray();
        Assert.Equal(height * (width + 1), raw.Length);
        var pixels = new byte[width * height];
        for (int r = 0; r < height; r++)
        {
            Assert.Equal(0, raw[r * (width + 1)]);
            Array.Copy(raw, r * (width + 1) + 1, pixels, r * width, width);
        }
        return pixels;
    }
}

using System.Text.Json;
using CourseNotebooks.Course.Convolution;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Evaluation;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook13Tests(NotebookFixture fixture)
{
    private const string Name = "13-convolutional-autoencoder";

    [Fact]
    public async Task Notebook_RunsWithoutError_AndDeconvolutionIsConvolution_To1e10()
    {
        var run = await fixture.RunAsync(Name);
        NotebookAssertions.AllCellsSucceeded(run);
        Assert.True(run.GetVariable<double>("worstAsConvolution") <= 1e-10);
        Assert.True(run.GetVariable<double>("worstAdjoint") <= 1e-10);
        Assert.True(run.GetVariable<double>("smallGap") <= 1e-10);
        Assert.Equal(6, Rows.Of(run, "identityRows").Count);
        Assert.Equal(0, run.GetVariable<double>("repeatGap"));

        // Recomputed here: the small example's transposed convolution, by the scatter formula.
        var x = run.GetVariable<Tensor<double>>("smallX");
        var w = run.GetVariable<ConvTranspose2d<double>>("smallLayer").Weight.Value;
        var expected = new double[5 * 5];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++)
                    {
                        int oi = 2 * i - 1 + a, oj = 2 * j - 1 + b;
                        if (oi is >= 0 and < 5 && oj is >= 0 and < 5) expected[oi * 5 + oj] += x.Data[i * 3 + j] * w.Data[a * 3 + b];
                    }
        Assert.Equal(expected, run.GetVariable<Tensor<double>>("smallAsConv").Data.Select(v => Math.Round(v, 12)).ToArray());
    }

    [Fact]
    public async Task UpsamplingChart_DrawsThePooledImageAndEachWayBack()
    {
        var run = await fixture.RunAsync(Name);
        using var chart = NotebookAssertions.ChartOf(run, "upsamplingChart");
        var data = chart.RootElement.GetProperty("data");
        Assert.Equal(5, data.GetArrayLength());
        double[] Z(int trace) => data[trace].GetProperty("z").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetDouble()).ToArray();
        var image = Datasets.FashionMnistSample(DatasetSplit.Test).Images;
        // Max-pooled by hand, then the unpooled map: each window keeps only its maximum.
        var pooled = Z(1);
        Assert.Equal(196, pooled.Length);
        for (int i = 0; i < 14; i++)
            for (int j = 0; j < 14; j++)
            {
                double max = new[] { image.Data[2 * i * 28 + 2 * j], image.Data[2 * i * 28 + 2 * j + 1], image.Data[(2 * i + 1) * 28 + 2 * j], image.Data[(2 * i + 1) * 28 + 2 * j + 1] }.Max();
                Assert.Equal(max, pooled[i * 14 + j], 6);
                Assert.Equal(max, Z(3)[(2 * i + 1) * 28 + 2 * j + 1], 6);     // repeated into every pixel of its window
            }
        Assert.Equal(Z(3), Z(4));
        Assert.Equal(pooled.Sum(), Z(2).Sum(), 4);
    }

    [Fact]
    public async Task Comparison_EqualEpochsOverThreeSeeds_TableAndChartCarryTheMeasuredErrors()
    {
        var run = await fixture.RunAsync(Name);
        var models = run.GetVariable<Dictionary<DecoderUpsampling, Sequential<float>>>("convModels");
        var heldOut = Datasets.FashionMnistSample(DatasetSplit.Test).Images;
        var errors = run.GetVariable<Dictionary<DecoderUpsampling, double[]>>("convErrors");
        var denseErrors = run.GetVariable<double[]>("denseErrors");
        Assert.Equal(3, run.GetVariable<int[]>("seeds").Distinct().Count());
        // The kept models are the first seed's, and their errors are the ones recorded.
        foreach (var (kind, model) in models)
            Assert.Equal(Reconstruction.SquaredErrorPerImage(model, heldOut), errors[kind][0], 9);
        Assert.Equal(Reconstruction.SquaredErrorPerImage(run.GetVariable<Sequential<float>>("dense"), heldOut.Reshape(heldOut.Shape[0], 784)), denseErrors[0], 9);
        double pcaError = run.GetVariable<double>("pcaError");
        var table = Rows.Of(run, "comparison");
        // Every auto-encoder had the same budget of epochs.
        Assert.Single(table.Take(4).Select(r => Rows.Get<int>(r, "Epochs")).Distinct());
        Assert.Contains($"With {Rows.Get<int>(table[0], "Epochs")} epochs each", run.GetVariable<string>("convVsDenseSentence"));
        // Each shown error is the mean over the seeds, formatted once (the sentence, the table and the chart agree).
        double[][] perMethod = [errors[DecoderUpsampling.MaxUnpool], errors[DecoderUpsampling.Nearest], errors[DecoderUpsampling.Transposed], denseErrors];
        for (int i = 0; i < 4; i++)
            Assert.Equal(perMethod[i].Average().ToString("F2"), Rows.Get<string>(table[i], "HeldOutError"));
        Assert.Equal(pcaError.ToString("F2"), Rows.Get<string>(table[4], "HeldOutError"));
        using var chart = NotebookAssertions.ChartOf(run, "errorChart");
        var bars = chart.RootElement.GetProperty("data")[0].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(table.Select(r => double.Parse(Rows.Get<string>(r, "HeldOutError"))), bars);
        Assert.Equal(2 * (8 * 14 * 14 + 16 * 7 * 7), run.GetVariable<int>("switchBits"));
    }

    [Fact]
    public async Task Verdicts_AreTheOnesThePairedTestsOverTheSeedsGive()
    {
        var run = await fixture.RunAsync(Name);
        var errors = run.GetVariable<Dictionary<DecoderUpsampling, double[]>>("convErrors");
        var denseErrors = run.GetVariable<double[]>("denseErrors");
        double pcaError = run.GetVariable<double>("pcaError");
        var printed = string.Concat(run.CodeCells.SelectMany(c => c.Outputs).Select(o => o.PlainText));
        static string Pick(PairedTest t, string lower, string higher, string same) => t.Direction() switch { < 0 => lower, > 0 => higher, _ => same };
        double[] pca = [pcaError, pcaError, pcaError];
        var sentences = run.GetVariable<string[]>("pcaSentences");
        double[][] perMethod = [errors[DecoderUpsampling.MaxUnpool], errors[DecoderUpsampling.Nearest], errors[DecoderUpsampling.Transposed], denseErrors];
        for (int i = 0; i < 4; i++)
        {
            var test = PairedTest.Of(perMethod[i], pca);
            Assert.Contains($"{perMethod[i].Average():F2} against PCA's {pcaError:F2}, {test}: ", sentences[i]);
            Assert.EndsWith(Pick(test, "lower than PCA's.", "higher than PCA's.", "within the noise of PCA's."), sentences[i]);
            Assert.Contains(sentences[i], printed);
        }
        var bestConv = new[] { DecoderUpsampling.Nearest, DecoderUpsampling.Transposed }.MinBy(k => errors[k].Average());
        var convVsDense = PairedTest.Of(errors[bestConv], denseErrors);
        string convSentence = run.GetVariable<string>("convVsDenseSentence");
        Assert.Contains($"({bestConv}, {errors[bestConv].Average():F2})", convSentence);
        Assert.Contains(convVsDense.ToString(), convSentence);
        Assert.EndsWith(Pick(convVsDense, "the convolutional one reconstructs better.", "the dense one reconstructs better.", "within the noise."), convSentence);
        Assert.Contains(convSentence, printed);
        // The max-unpool decoder against the best code-only method by mean (PCA's error repeated when PCA is that method).
        var candidates = new (string Name, double[] Errors)[] { ("conv auto-encoder, Nearest", errors[DecoderUpsampling.Nearest]),
            ("conv auto-encoder, Transposed", errors[DecoderUpsampling.Transposed]), ("dense auto-encoder 784-256-32", denseErrors), ("PCA", pca) };
        var best = candidates.MinBy(c => Math.Round(c.Errors.Average(), 2));
        var unpool = PairedTest.Of(errors[DecoderUpsampling.MaxUnpool], best.Errors);
        string unpoolSentence = run.GetVariable<string>("maxUnpoolSentence");
        Assert.Contains($"({best.Name}), {unpool}: ", unpoolSentence);
        Assert.EndsWith(Pick(unpool, "lower, because the locations carry the edges.", "higher, despite the locations.", "within the noise."), unpoolSentence);
        Assert.Contains(unpoolSentence, printed);
    }

    [Fact]
    public async Task Exercises_PassTheirChecks_AndAgreeWithTheLibraryOnHiddenInputs()
    {
        var run = await fixture.RunAsync(Name);
        Assert.Equal(2, NotebookAssertions.Verdicts(run).Count);
        Assert.All(NotebookAssertions.Verdicts(run), v => Assert.True(v.Correct, v.ToString()));
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(p => p.Name);
        int rows = new ConvTranspose2d<float>(1, 1, 5, stride: 3, padding: 2, outputPadding: 1).OutputShape([1, 1, 7, 7])[2];
        Assert.True(Exercise.Compare(Exercise.Probe("transposed-output-size", () => (long)rows), probes["transposed-output-size"]).Correct);
        static double[] Stuff(double[,] x, int s)
        {
            var t = new Tensor<double>(x.Cast<double>().ToArray(), 1, 1, x.GetLength(0), x.GetLength(1));
            return Deconvolution.ZeroStuff(t, s).Data;
        }
        var expected = Exercise.Probe("zero-stuff",
            () => Stuff(new double[,] { { 1, 2, 3 } }, 3), () => Stuff(new double[,] { { 1, -2 }, { 0.5, 4 }, { 7, 8 } }, 2),
            () => Stuff(new double[,] { { 5, 6 }, { 7, 8 } }, 1), () => Stuff(new double[,] { { 9 } }, 4));
        Assert.True(Exercise.Compare(expected, probes["zero-stuff"]).Correct);
    }
}

using System.Globalization;
using System.Text.Json;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook10Tests(NotebookFixture fixture)
{
    private const string Name = "10-autoencoder-vs-pca";

    /// <summary>The margin the notebook's text documents: on the shipped sample the auto-encoder's held-out error at 32
    /// numbers must be at least this factor below PCA's (measured about 1.12 on Fashion-MNIST and 1.30 on MNIST).</summary>
    private const double FashionMargin = 1.05, MnistMargin = 1.15;

    [Fact]
    public async Task Notebook_RunsWithoutError_AndTheAutoencoderBeatsPcaOnHeldOutImages()
    {
        var run = await fixture.RunAsync(Name);
        NotebookAssertions.AllCellsSucceeded(run);
        double fashionRatio = run.GetVariable<double>("fashionRatio"), mnistRatio = run.GetVariable<double>("mnistRatio");
        Assert.True(fashionRatio > FashionMargin, $"Fashion-MNIST ratio {fashionRatio}");
        Assert.True(mnistRatio > MnistMargin, $"MNIST ratio {mnistRatio}");

        // PCA's held-out error recomputed here from its components, by hand: x̂ = Wᵀ W (x − μ) + μ.
        var pca = run.GetVariable<Pca>("fashionPca").Truncate(32);
        var heldOut = Datasets.FashionMnistSample(DatasetSplit.Test).Images;
        var w = pca.Components;
        var mu = pca.Mean;
        double sum = 0;
        for (int n = 0; n < 200; n++)
        {
            var centred = Enumerable.Range(0, 784).Select(j => heldOut.Data[n * 784 + j] - mu.Data[j]).ToArray();
            var z = Enumerable.Range(0, 32).Select(c => Enumerable.Range(0, 784).Sum(j => w[c, j] * centred[j])).ToArray();
            for (int j = 0; j < 784; j++)
            {
                double back = mu.Data[j] + Enumerable.Range(0, 32).Sum(c => z[c] * w[c, j]);
                sum += (back - heldOut.Data[n * 784 + j]) * (back - heldOut.Data[n * 784 + j]);
            }
        }
        var first200 = new Tensor<float>(heldOut.Data[..(200 * 784)], 200, 784);
        Assert.Equal(sum / 200, Reconstruction.SquaredErrorPerImage(pca, first200), 6);
        // The auto-encoder's error is the model's, on the held-out images, and the sentence carries the ratio.
        var heldOutRows = heldOut.Reshape(heldOut.Size(0), 784);
        var aeErrors = run.GetVariable<double[]>("aeErrors");
        var pcaErrors = run.GetVariable<double[]>("pcaErrors");
        Assert.Equal(run.GetVariable<double>("fashionAeError"), aeErrors[2], 12);
        Assert.Equal(run.GetVariable<double>("fashionPcaError") / run.GetVariable<double>("fashionAeError"), fashionRatio, 12);
        for (int i = 0; i < 3; i++) Assert.True(aeErrors[i] < pcaErrors[i], $"code size {i}: {aeErrors[i]} against {pcaErrors[i]}");
        Assert.Contains($"{fashionRatio.ToString("F2", CultureInfo.CurrentCulture)} times lower than PCA's", NotebookAssertions.Output(run, "double fashionRatio"));
        Assert.Contains($"{mnistRatio.ToString("F2", CultureInfo.CurrentCulture)}x on MNIST", NotebookAssertions.Output(run, "double mnistRatio"));
    }

    [Fact]
    public async Task Charts_CarryTheMeasuredNumbers()
    {
        var run = await fixture.RunAsync(Name);
        var pca = run.GetVariable<Pca>("fashionPca");
        using (var chart = NotebookAssertions.ChartOf(run, "varianceChart"))
        {
            Assert.Equal(pca.ExplainedVarianceRatio.Take(100), NotebookAssertions.Ys(chart, 0));
            Assert.Equal(pca.ExplainedVarianceRatio.Take(100).Sum(), NotebookAssertions.Ys(chart, 1)[^1], 12);
        }
        using (var chart = NotebookAssertions.ChartOf(run, "codeSizeChart"))
        {
            Assert.Equal(run.GetVariable<double[]>("pcaErrors"), NotebookAssertions.Ys(chart, 0));
            Assert.Equal(run.GetVariable<double[]>("aeErrors"), NotebookAssertions.Ys(chart, 1));
        }
        // The grid's first row is the held-out images themselves, its second PCA's 32-component reconstruction.
        using (var chart = NotebookAssertions.ChartOf(run, "fashionGrid"))
        {
            var data = chart.RootElement.GetProperty("data");
            Assert.Equal(3 * 8, data.GetArrayLength());
            var heldOut = Datasets.FashionMnistSample(DatasetSplit.Test).Images;
            var z = data[3].GetProperty("z").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetDouble()).ToArray();
            for (int j = 0; j < 784; j++) Assert.Equal(heldOut.Data[3 * 784 + j], z[j], 6);
            var pca32 = pca.Truncate(32);
            var back = pca32.InverseTransform(pca32.Transform(new Tensor<float>(heldOut.Data[..784], 1, 784)));
            var zPca = data[8].GetProperty("z").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetDouble()).ToArray();
            for (int j = 0; j < 784; j++) Assert.Equal(back.Data[j], zPca[j], 5);
        }
        var progress = run.GetVariable<CourseNotebooks.Charts.LiveProgress>("progress");
        Assert.Equal(30 + 1, progress.Lines.Count);        // a line per epoch, then "done in"
    }

    [Fact]
    public async Task Exercises_PassTheirChecks_AndAgreeWithTheLibraryOnHiddenInputs()
    {
        var run = await fixture.RunAsync(Name);
        Assert.All(NotebookAssertions.Verdicts(run), v => Assert.True(v.Correct, v.ToString()));
        Assert.Equal(3, NotebookAssertions.Verdicts(run).Count);
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(p => p.Name);
        long parameters = Models.DenseAutoencoder<float>(784, 256, 32, seed: 1).Model.ParameterCount();
        Assert.True(Exercise.Compare(Exercise.Probe("autoencoder-parameters", () => parameters), probes["autoencoder-parameters"]).Correct);
        // The training error of a k-component PCA is (N − 1)/N times the discarded variance: checked on the notebook's PCA.
        var pca = run.GetVariable<Pca>("fashionPca");
        double discarded = pca.ExplainedVariance.Skip(32).Sum();
        var train = Datasets.FashionMnistSample(DatasetSplit.Train).Images;
        Assert.Equal((pca.Samples - 1.0) / pca.Samples * discarded, Reconstruction.SquaredErrorPerImage(pca.Truncate(32), train), 4);
        Assert.True(Exercise.Compare(Exercise.Probe("pca-training-error", () => 1999 / 2000.0 * 50 * 0.14), probes["pca-training-error"]).Correct);
    }
}

using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Engine.Tests;

namespace CourseNotebooks.Course.Tests;

/// <summary>Auto-encoder training and measuring (notebooks 10 and 13), Pca.Truncate and the covariance solver, and Unflatten.</summary>
public class ReconstructionTests
{
    [Fact]
    public void SquaredErrorPerImage_SumsOverPixelsAndAveragesOverImages()
    {
        var x = new Tensor<float>([0, 0, 1, 1], 2, 2);
        var y = new Tensor<float>([1, 0, 1, 0.5f], 2, 2);
        Assert.Equal((1 + 0.25) / 2, Reconstruction.SquaredErrorPerImage(x, y), 12);
        Assert.Throws<ArgumentException>(() => Reconstruction.SquaredErrorPerImage(x, new Tensor<float>(2, 3)));
    }

    [Fact]
    public void Fit_LowersTheHeldOutError_AndReportsWhatItMeasures()
    {
        var images = Tensor.Uniform<float>(new Random(4), 0, 1, 64, 16);
        var held = Tensor.Uniform<float>(new Random(5), 0, 1, 32, 16);
        var (_, _, model) = Models.DenseAutoencoder<float>(16, 12, 4, seed: 3);
        double before = Reconstruction.SquaredErrorPerImage(model, held);
        var seen = new List<Reconstruction.EpochResult>();
        var history = Reconstruction.Fit(model, new Adam<float>(model.Parameters(), 0.01), images, held, 20, 16, seed: 1, onEpoch: seen.Add);
        Assert.Equal(20, history.Count);
        Assert.Equal(history, seen);
        Assert.True(history[^1].TestError < before, $"{history[^1].TestError} against {before}");
        Assert.Equal(Reconstruction.SquaredErrorPerImage(model, held), history[^1].TestError!.Value, 9);
        Assert.True(history[^1].TrainError < history[0].TrainError);
        // Reconstruct runs in evaluation mode and equals Forward of the whole batch.
        var direct = model.Forward(held).Clone();
        LayerTestKit.AssertClose(direct, Reconstruction.Reconstruct(model, held, batchSize: 7), 1e-6);
    }

    [Fact]
    public void Fit_RejectsAModelWhoseOutputHasAnotherShape()
    {
        var model = new Sequential<float>(new Linear<float>(4, 3, seed: 1));
        var ex = Assert.Throws<ArgumentException>(() => Reconstruction.Fit(model, new Sgd<float>(model.Parameters(), 0.1), new Tensor<float>(8, 4), null, 1));
        Assert.Contains("input's shape", ex.Message);
    }

    [Fact]
    public void PcaError_IsThePerPixelErrorTimesThePixels()
    {
        var x = Tensor.Uniform<float>(new Random(6), 0, 1, 40, 9);
        var pca = Pca.Fit(x, 3);
        var back = pca.InverseTransform(pca.Transform(x.To<double>()));
        double expected = x.To<double>().Data.Zip(back.Data).Sum(p => (p.First - p.Second) * (p.First - p.Second)) / 40;
        Assert.Equal(expected, Reconstruction.SquaredErrorPerImage(pca, x), 9);
    }

    [Fact]
    public void Pca_Truncate_EqualsFittingFewerComponents_AndCovarianceSolverAgreesWithTheSvd()
    {
        var x = Tensor.Randn<double>(new Random(8), 60, 7);
        for (int i = 0; i < 60; i++)
            for (int j = 0; j < 7; j++) x.Data[i * 7 + j] *= 7 - j;      // distinct variances
        var full = Pca.Fit(x);
        var three = Pca.Fit(x, 3);
        var truncated = full.Truncate(3);
        LayerTestKit.AssertClose(three.Components, truncated.Components, 1e-12);
        Assert.Equal(three.ExplainedVarianceRatio, truncated.ExplainedVarianceRatio);
        Assert.Equal(three.ReconstructionError(x), truncated.ReconstructionError(x), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => three.Truncate(4));

        var eigh = Pca.Fit(x, solver: PcaSolver.CovarianceEigh);
        LayerTestKit.AssertClose(full.Components, eigh.Components, 1e-9);
        LayerTestKit.AssertClose(full.ExplainedVariance, eigh.ExplainedVariance, 1e-10);
        Assert.Equal(full.TotalVariance, eigh.TotalVariance, 12);
    }

    [Fact]
    public void Unflatten_SplitsDimensionOne_AndBackwardUndoesIt()
    {
        var layer = new Unflatten<double>(2, 3, 2);
        var x = Tensor.Randn<double>(new Random(1), 4, 12);
        var y = layer.Forward(x);
        Assert.Equal("[4, 2, 3, 2]", y.ShapeString);
        Assert.Equal(x.Data, y.Data);
        Assert.Equal("[4, 12]", layer.Backward(y).ShapeString);
        LayerTestKit.AssertGradients(new Sequential<double>(new Linear<double>(5, 12, seed: 2), new Unflatten<double>(3, 4)), Tensor.Randn<double>(new Random(2), 3, 5));
        Assert.Contains("features", Assert.Throws<ArgumentException>(() => layer.Forward(new Tensor<double>(4, 10))).Message);
        Assert.Contains("Unflatten", Assert.ThrowsAny<ArgumentException>(() => new Unflatten<double>(2, 0)).Message);
    }

    [Theory]
    [InlineData(DecoderUpsampling.MaxUnpool)]
    [InlineData(DecoderUpsampling.Nearest)]
    [InlineData(DecoderUpsampling.Transposed)]
    public void ConvAutoencoder_WithACode_EncodesToTheCode_AndReconstructsTheShape(DecoderUpsampling kind)
    {
        var (encoder, _, model) = Models.ConvAutoencoder<float>(kind, code: 5, seed: 1);
        var x = Tensor.Uniform<float>(new Random(2), 0, 1, 3, 1, 28, 28);
        Assert.Equal("[3, 5]", encoder.Forward(x).ShapeString);
        Assert.Equal("[3, 1, 28, 28]", model.Forward(x).ShapeString);
        Assert.All(model.Forward(x).Data, v => Assert.InRange(v, 0f, 1f));      // the sigmoid output
    }
}

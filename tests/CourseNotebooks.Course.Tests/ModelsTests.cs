using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

public class ModelsTests
{
    [Fact]
    public void AlexNet_ParameterCountsPerLayer_MatchThePaperWithTwoGpuGrouping()
    {
        var model = Models.AlexNet<float>(seed: 1);
        long[] perLearnedLayer = [.. model.Layers.Where(l => l.ParameterCount() > 0).Select(l => l.ParameterCount())];
        // (weights + biases) per layer, from the layer shapes of the paper: conv2, conv4, conv5 grouped by 2.
        long[] expected =
        [
            (11 * 11 * 3 + 1) * 96,
            (5 * 5 * 48 + 1) * 256,
            (3 * 3 * 256 + 1) * 384,
            (3 * 3 * 192 + 1) * 384,
            (3 * 3 * 192 + 1) * 256,
            (6 * 6 * 256 + 1) * 4096L,
            (4096 + 1) * 4096L,
            (4096 + 1) * 1000L,
        ];
        Assert.Equal(expected, perLearnedLayer);
        Assert.Equal(expected.Sum(), model.ParameterCount());
        Assert.Equal(60_965_224, model.ParameterCount());
    }

    [Fact]
    public void AlexNet_OutputShapes_FollowThe227InputThrough55_27_13_6()
    {
        var model = Models.AlexNet<float>();
        var summary = ModelSummary.Of(model, 1, 3, 227, 227);
        int[][] convOutputs = [.. summary.Rows.Where(r => r.Name.StartsWith("Conv2d", StringComparison.Ordinal)).Select(r => r.OutputShape)];
        Assert.Equal([1, 96, 55, 55], convOutputs[0]);
        Assert.Equal([1, 256, 27, 27], convOutputs[1]);
        Assert.Equal([1, 384, 13, 13], convOutputs[2]);
        Assert.Equal([1, 256, 13, 13], convOutputs[4]);
        Assert.Equal([1, 1000], summary.OutputShape);
    }

    [Fact]
    public void AlexNet_ConvolutionsHoldMostComputationAndFewParameters_AsTheSlideClaims()
    {
        var model = Models.AlexNet<float>();
        var summary = ModelSummary.Of(model, 1, 3, 227, 227);
        double convMacs = summary.Rows.Where(r => r.Name.StartsWith("Conv2d", StringComparison.Ordinal)).Sum(r => (double)r.MultiplyAdds);
        double convParams = summary.Rows.Where(r => r.Name.StartsWith("Conv2d", StringComparison.Ordinal)).Sum(r => (double)r.Parameters);
        double computeShare = convMacs / summary.TotalMultiplyAdds;
        double parameterShare = convParams / summary.TotalParameters;
        Assert.InRange(computeShare, 0.90, 0.95);
        Assert.InRange(parameterShare, 0.02, 0.06);
    }

    [Fact]
    public void LeNet_MapsImagesToTenLogits_WithTheBenchmarkArchitecture()
    {
        var model = Models.LeNet<float>(seed: 3);
        var y = model.Forward(new Tensor<float>(2, 1, 28, 28));
        Assert.Equal([2, 10], y.Shape.ToArray());
        Assert.Equal((5 * 5 * 1 + 1) * 8 + (5 * 5 * 8 + 1) * 16 + (784 + 1) * 10, model.ParameterCount());
    }

    [Fact]
    public void Autoencoders_ReconstructTheInputShape_AndEncodeToTheCodeShape()
    {
        var (encoder, _, model) = Models.DenseAutoencoder<float>(784, 64, 8, seed: 2);
        var x = Tensor.Uniform<float>(new Random(1), 0, 1, 3, 784);
        Assert.Equal([3, 8], encoder.Forward(x).Shape.ToArray());
        Assert.Equal([3, 784], model.Forward(x).Shape.ToArray());

        var (convEncoder, _, convModel) = Models.ConvAutoencoder<float>(seed: 2);
        var images = Tensor.Uniform<float>(new Random(1), 0, 1, 2, 1, 28, 28);
        Assert.Equal([2, 32, 7, 7], convEncoder.Forward(images).Shape.ToArray());
        var reconstruction = convModel.Forward(images);
        Assert.Equal([2, 1, 28, 28], reconstruction.Shape.ToArray());
        Assert.All(reconstruction.Data, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void ConvAutoencoder_TrainingSteps_ReduceTheReconstructionError()
    {
        // Each layer's backward is checked numerically elsewhere; this checks the wiring end to end.
        var (_, _, model) = Models.ConvAutoencoder<float>(seed: 5);
        var images = Tensor.Uniform<float>(new Random(7), 0, 1, 4, 1, 28, 28);
        var loss = new MSELoss<float>();
        var optimizer = new Adam<float>(model.Parameters(), learningRate: 1e-2);
        float first = 0, last = 0;
        for (int step = 0; step < 20; step++)
        {
            optimizer.ZeroGrad();
            last = loss.Forward(model.Forward(images), images);
            if (step == 0) first = last;
            model.Backward(loss.Backward());
            optimizer.Step();
        }
        Assert.True(last < 0.8f * first, $"reconstruction error {first} -> {last}");
    }
}

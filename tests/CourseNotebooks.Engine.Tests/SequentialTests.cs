using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

public class SequentialTests
{
    [Fact]
    public void Sequential_MultilayerPerceptron_BackwardMatchesNumericalGradient()
    {
        var mlp = new Sequential<double>(
            new Linear<double>(6, 8, seed: 1), new Tanh<double>(),
            new Linear<double>(8, 5, seed: 2), new LeakyReLU<double>(0.1),
            new Linear<double>(5, 3, seed: 3), new Sigmoid<double>());
        AssertGradients(mlp, Tensor.Randn<double>(new Random(4), 4, 6));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"], mlp.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Sequential_PoolFlattenLinear_BackwardMatchesNumericalGradient()
    {
        var net = new Sequential<double>(
            new ReLU<double>(), new MaxPool2d<double>(2), new AvgPool2d<double>(2, 1),
            new Flatten<double>(), new Linear<double>(2 * 2 * 2, 3, seed: 5));
        Assert.Equal([2, 3], net.OutputShape([2, 2, 6, 6]));
        AssertGradients(net, DistinctValues(new Random(6), 0.05, 2, 2, 6, 6));
    }

    [Fact]
    public void Sequential_WithCrossEntropy_TrainingStepLowersTheLoss()
    {
        var net = new Sequential<double>(new Flatten<double>(), new Linear<double>(9, 4, seed: 7), new ReLU<double>(), new Linear<double>(4, 2, seed: 8));
        var x = Tensor.Randn<double>(new Random(9), 8, 1, 3, 3);
        int[] y = [0, 1, 0, 1, 1, 0, 1, 0];
        var loss = new CrossEntropyLoss<double>();
        double before = loss.Forward(net.Forward(x), y);
        for (int step = 0; step < 20; step++)
        {
            loss.Forward(net.Forward(x), y);
            net.ZeroGrad();
            net.Backward(loss.Backward());
            foreach (var p in net.Parameters())
                for (int i = 0; i < p.Value.Length; i++) p.Value.Data[i] -= 0.5 * p.Grad.Data[i];
        }
        Assert.True(loss.Forward(net.Forward(x), y) < 0.5 * before, "20 gradient steps should at least halve the loss");
    }

    [Fact]
    public void Sequential_PairedPoolAndUnpool_KeepsOnlyTheMaxima()
    {
        var pool = new MaxPool2d<double>(2);
        var autoencoderish = new Sequential<double>(pool, new ReLU<double>(), new MaxUnpool2d<double>(pool));
        var x = DistinctValues(new Random(10), 0.1, 2, 3, 5, 5);
        var y = autoencoderish.Forward(x);
        // The odd 5x5 size comes back (PyTorch needs output_size=x.size() for that; the pairing supplies it).
        Assert.Equal(x.ShapeString, y.ShapeString);
        int kept = 0;
        for (int i = 0; i < x.Length; i++)
            if (y.Data[i] != 0) { Assert.Equal(x.Data[i], y.Data[i]); kept++; }
        Assert.True(kept <= 2 * 3 * 4, $"at most one value per 2x2 window survives, got {kept}");
        AssertGradients(autoencoderish, x);
    }

    [Fact]
    public void Sequential_TrainAndEval_ReachDropoutInside()
    {
        var dropout = new Dropout<double>(0.5, seed: 11);
        var net = new Sequential<double>(new Linear<double>(4, 4, seed: 12), dropout);
        net.Eval();
        Assert.False(dropout.Training);
        var x = Tensor.Randn<double>(new Random(13), 3, 4);
        AssertClose(net.Forward(x), net.Forward(x), 0);
        net.Train();
        Assert.True(dropout.Training);
    }

    [Fact]
    public void Sequential_Implementation_SwitchesEveryLayer()
    {
        static Sequential<float> Net() => new(new MaxPool2d<float>(2), new Flatten<float>(), new Linear<float>(4, 3, seed: 1), new Sigmoid<float>());
        AssertFastMatchesReference(Net, Tensor.Randn<float>(new Random(14), 3, 1, 4, 4), 15);
        var net = Net();
        net.Implementation = Implementation.Naive;
        Assert.All(net.Layers, layer => Assert.Equal(Implementation.Naive, layer.Implementation));
    }

    [Theory]
    [InlineData(1, -1, new[] { 2, 3, 4, 5 }, new[] { 2, 60 })]
    [InlineData(0, -1, new[] { 2, 3, 4, 5 }, new[] { 120 })]
    [InlineData(1, 2, new[] { 2, 3, 4, 5 }, new[] { 2, 12, 5 })]
    [InlineData(-2, -1, new[] { 2, 3, 4, 5 }, new[] { 2, 3, 20 })]
    [InlineData(1, 1, new[] { 2, 3 }, new[] { 2, 3 })]
    public void Flatten_OutputShape_MergesTheChosenDimensions(int start, int end, int[] input, int[] expected)
    {
        var flatten = new Flatten<double>(start, end);
        Assert.Equal(expected, flatten.OutputShape(input));
        var x = Tensor.Randn<double>(new Random(16), input);
        var y = flatten.Forward(x);
        Assert.Equal(x.Data, y.Data);
        Assert.Equal(Tensor<double>.ShapeText(input), flatten.Backward(y).ShapeString);
    }

    [Fact]
    public void Flatten_BadDimensions_ThrowNamingTheRange()
    {
        var error = Assert.Throws<ArgumentException>(() => new Flatten<float>(1).Forward(new Tensor<float>(5)));
        Assert.Contains("expected a dimension in [-1, 0], got 1", error.Message);
        var order = Assert.Throws<ArgumentException>(() => new Flatten<float>(2, 1).Forward(new Tensor<float>(2, 3, 4)));
        Assert.Contains("got start 2, end 1", order.Message);
    }
}

using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

public class InitTests
{
    // A conv weight [OutC, C/g, KH, KW] = [64, 32, 5, 5]: 51,200 samples, fan-in 800, fan-out 1600.
    private static Tensor<double> ConvWeight() => new(64, 32, 5, 5);

    private static (double Mean, double Std, double MaxAbs) Stats(Tensor<double> t)
    {
        double mean = t.Data.Average();
        double std = Math.Sqrt(t.Data.Sum(v => (v - mean) * (v - mean)) / (t.Length - 1));
        return (mean, std, t.Data.Max(Math.Abs));
    }

    [Theory]
    [InlineData(Nonlinearity.Linear, null, 1.0)]
    [InlineData(Nonlinearity.Sigmoid, null, 1.0)]
    [InlineData(Nonlinearity.Tanh, null, 5.0 / 3.0)]
    [InlineData(Nonlinearity.Relu, null, 1.4142135623730951)]
    [InlineData(Nonlinearity.LeakyRelu, null, 1.4141428569978354)] // √(2 / 1.0001)
    [InlineData(Nonlinearity.LeakyRelu, 0.2, 1.3867504905630728)]  // √(2 / 1.04)
    [InlineData(Nonlinearity.Selu, null, 0.75)]
    public void Gain_MatchesPyTorchTable(Nonlinearity nonlinearity, double? slope, double expected)
        => Assert.Equal(expected, Init.Gain(nonlinearity, slope), 1e-15);

    [Fact]
    public void FanInAndFanOut_Linear_IsInAndOut()
        => Assert.Equal((784, 10), Init.FanInAndFanOut([10, 784]));

    [Fact]
    public void FanInAndFanOut_GroupedConv_MultipliesByReceptiveField()
        // Conv2d(6, 16, kernel 3x5, groups 2): weight [16, 3, 3, 5].
        => Assert.Equal((3 * 15, 16 * 15), Init.FanInAndFanOut([16, 3, 3, 5]));

    [Fact]
    public void FanInAndFanOut_Conv1d_UsesKernelLength()
        => Assert.Equal((4 * 7, 8 * 7), Init.FanInAndFanOut([8, 4, 7]));

    [Fact]
    public void FanInAndFanOut_Vector_IsRejectedNamingTheShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => Init.FanInAndFanOut([10]));
        Assert.Contains("at least 2 dimensions", ex.Message);
        Assert.Contains("[10]", ex.Message);
    }

    [Fact]
    public void KaimingUniform_Relu_StaysInBoundAndHasHeStd()
    {
        var w = Init.KaimingUniform(ConvWeight(), new Random(1), nonlinearity: Nonlinearity.Relu);
        double bound = Math.Sqrt(3) * Math.Sqrt(2.0 / 800);
        var (mean, std, maxAbs) = Stats(w);
        Assert.True(maxAbs <= bound, $"max |w| {maxAbs} exceeds bound {bound}");
        Assert.True(maxAbs > 0.99 * bound, $"max |w| {maxAbs} never comes near bound {bound}");
        Assert.Equal(Math.Sqrt(2.0 / 800), std, 0.02 * std);
        Assert.Equal(0, mean, 0.02 * std);
    }

    [Fact]
    public void KaimingUniform_PyTorchLayerDefault_HasBoundOneOverSqrtFanIn()
    {
        // Layers initialize with a = √5: gain √(2/6), bound √3·√(1/3)/√fan_in = 1/√fan_in.
        var w = Init.KaimingUniform(ConvWeight(), new Random(2), a: Math.Sqrt(5));
        double bound = 1 / Math.Sqrt(800);
        double maxAbs = w.Data.Max(Math.Abs);
        Assert.True(maxAbs <= bound && maxAbs > 0.99 * bound, $"max |w| {maxAbs}, expected just below {bound}");
    }

    [Fact]
    public void KaimingNormal_FanOut_HasGainOverSqrtFanOut()
    {
        var w = Init.KaimingNormal(ConvWeight(), new Random(3), mode: FanMode.FanOut, nonlinearity: Nonlinearity.Relu);
        double expected = Math.Sqrt(2.0) / Math.Sqrt(1600);
        var (mean, std, _) = Stats(w);
        Assert.Equal(expected, std, 0.02 * expected);
        Assert.Equal(0, mean, 0.02 * expected);
    }

    [Fact]
    public void KaimingNormal_LeakyReluSlope_EntersTheGain()
    {
        var w = Init.KaimingNormal(ConvWeight(), new Random(4), a: 0.2, nonlinearity: Nonlinearity.LeakyRelu);
        double expected = Math.Sqrt(2.0 / 1.04) / Math.Sqrt(800);
        Assert.Equal(expected, Stats(w).Std, 0.02 * expected);
    }

    [Fact]
    public void XavierUniform_HasGlorotBoundAndStd()
    {
        var w = Init.XavierUniform(new Tensor<double>(300, 200), new Random(5), gain: Init.Gain(Nonlinearity.Tanh));
        double std = 5.0 / 3.0 * Math.Sqrt(2.0 / 500);
        double bound = Math.Sqrt(3) * std;
        var (_, sampleStd, maxAbs) = Stats(w);
        Assert.True(maxAbs <= bound && maxAbs > 0.99 * bound, $"max |w| {maxAbs}, expected just below {bound}");
        Assert.Equal(std, sampleStd, 0.02 * std);
    }

    [Fact]
    public void XavierNormal_HasGlorotStd()
    {
        var w = Init.XavierNormal(new Tensor<double>(300, 200), new Random(6));
        double std = Math.Sqrt(2.0 / 500);
        var (mean, sampleStd, _) = Stats(w);
        Assert.Equal(std, sampleStd, 0.02 * std);
        Assert.Equal(0, mean, 0.02 * std);
    }

    [Fact]
    public void Initializers_SameSeed_GiveTheSameWeights_DifferentSeeds_DoNot()
    {
        var a = Init.KaimingUniform(new Tensor<float>(8, 3, 3, 3), new Random(42));
        var b = Init.KaimingUniform(new Tensor<float>(8, 3, 3, 3), new Random(42));
        var c = Init.KaimingUniform(new Tensor<float>(8, 3, 3, 3), new Random(43));
        Assert.Equal(a.Data, b.Data);
        Assert.NotEqual(a.Data, c.Data);
        var n1 = Init.XavierNormal(new Tensor<double>(5, 7), new Random(9));
        var n2 = Init.XavierNormal(new Tensor<double>(5, 7), new Random(9));
        Assert.Equal(n1.Data, n2.Data);
    }

    [Fact]
    public void Initializers_EmptyTensor_IsReturnedUnchanged()
    {
        var w = new Tensor<double>(0, 5);
        Assert.Same(w, Init.KaimingUniform(w, new Random(1)));
        Assert.Same(w, Init.XavierNormal(w, new Random(1)));
    }

    [Fact]
    public void KaimingUniform_Bias_IsRejectedBecauseItHasNoFanOut()
    {
        var ex = Assert.Throws<ArgumentException>(() => Init.KaimingUniform(new Tensor<double>(16), new Random(1)));
        Assert.Contains("got shape [16] (rank 1)", ex.Message);
    }
}

/// <summary>Init.ManualSeed changes a global generator, so no other test may build unseeded layers meanwhile.</summary>
[CollectionDefinition(nameof(GlobalSeedCollection), DisableParallelization = true)]
public sealed class GlobalSeedCollection;

[Collection(nameof(GlobalSeedCollection))]
public class ManualSeedTests
{
    private static (float[] Linear, float[] Conv, float[] Conv1, float[] Dropout) Build()
    {
        var linear = new Linear<float>(5, 3);
        var conv = new Conv2d<float>(2, 3, 3);
        var conv1 = new Conv1d<float>(2, 2, 3);
        var dropout = new Dropout<float>(0.5);
        var mask = dropout.Forward(Tensor.Full(1f, 64));
        return (linear.Weight.Value.Data, conv.Weight.Value.Data, conv1.Weight.Value.Data, mask.Data);
    }

    [Fact]
    public void ManualSeed_MakesUnseededLayersRepeatable_AndSeededOnesIgnoreIt()
    {
        Init.ManualSeed(42);
        var first = Build();
        Init.ManualSeed(42);
        var second = Build();
        Assert.Equal(first.Linear, second.Linear);
        Assert.Equal(first.Conv, second.Conv);
        Assert.Equal(first.Conv1, second.Conv1);
        Assert.Equal(first.Dropout, second.Dropout);
        Init.ManualSeed(43);
        Assert.NotEqual(first.Linear, Build().Linear);
        // A layer given its own seed does not depend on the global generator.
        Init.ManualSeed(1);
        var a = new Linear<float>(4, 4, seed: 9).Weight.Value.Data;
        Init.ManualSeed(2);
        Assert.Equal(a, new Linear<float>(4, 4, seed: 9).Weight.Value.Data);
    }
}

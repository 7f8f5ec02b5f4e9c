using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// BackwardToParameters, the training step's backward that skips the input gradient nobody reads, must leave every
/// parameter gradient exactly as Backward computes it.
/// </summary>
public class BackwardToParametersTests
{
    private static Sequential<double> Cnn(int seed) => TestNetworks.LeNet<double>(seed);

    private static Sequential<double> Mlp(int seed) =>
        new(new Flatten<double>(), new Linear<double>(12, 7, seed: seed), new ReLU<double>(), new Linear<double>(7, 3, seed: seed + 1));

    private static Sequential<double> Audio(int seed) =>
        new(new Conv1d<double>(2, 4, 3, padding: 1, seed: seed), new ReLU<double>(), new Flatten<double>(), new Linear<double>(4 * 9, 3, seed: seed + 1));

    public static TheoryData<string, Implementation> Cases()
    {
        var data = new TheoryData<string, Implementation>();
        foreach (var name in new[] { "cnn", "mlp", "conv1d" })
            foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
                data.Add(name, implementation);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ParameterGradients_AreBitForBitThoseOfBackward(string name, Implementation implementation)
    {
        (Func<int, Sequential<double>> make, int[] shape) = name switch
        {
            "cnn" => ((Func<int, Sequential<double>>)Cnn, new[] { 3, 1, 28, 28 }),
            "mlp" => (Mlp, new[] { 5, 3, 4 }),
            _ => (Audio, new[] { 2, 2, 9 }),
        };
        var full = make(4);
        var skipping = make(4);
        foreach (var model in new[] { full, skipping })
            foreach (var module in model.Layers) module.Implementation = implementation;
        var random = new Random(9);
        var x = Tensor.Randn<double>(random, shape);
        var outputGradient = Tensor.Randn<double>(random, full.OutputShape(shape));
        // Two steps, so accumulation into .Grad is compared too.
        for (int step = 0; step < 2; step++)
        {
            full.Forward(x);
            full.Backward(outputGradient);
            skipping.Forward(x);
            skipping.BackwardToParameters(outputGradient);
        }
        var expected = full.Parameters().ToList();
        var actual = skipping.Parameters().ToList();
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.Equal(expected[i].Grad.Data, actual[i].Grad.Data);
        Assert.Contains(actual, p => p.Grad.Data.Any(v => v != 0));
    }
}

using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

public class LinearTests
{
    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void Linear_Forward_IsInputTimesWeightTransposedPlusBias(Implementation implementation)
    {
        var linear = new Linear<double>(2, 3, seed: 1) { Implementation = implementation };
        Array.Copy(new double[] { 1, 2, 3, 4, 5, 6 }, linear.Weight.Value.Data, 6);
        Array.Copy(new double[] { 0.5, -1, 0 }, linear.Bias!.Value.Data, 3);
        var y = linear.Forward(Tensor.FromArray(new double[,] { { 1, 1 }, { 2, -1 } }));
        // Row 1: [1+2, 3+4, 5+6] + b; row 2: [2-2, 6-4, 10-6] + b.
        AssertClose(Tensor.FromArray(new double[,] { { 3.5, 6, 11 }, { 0.5, 1, 4 } }), y, 1e-15);
    }

    [Fact]
    public void Linear_LeadingDimensions_AreTreatedAsRows()
    {
        var linear = new Linear<double>(4, 3, seed: 2);
        var x = Tensor.Randn<double>(new Random(3), 2, 5, 4);
        var y = linear.Forward(x);
        Assert.Equal("[2, 5, 3]", y.ShapeString);
        var flat = new Linear<double>(4, 3, seed: 2).Forward(x.Reshape(10, 4));
        AssertClose(flat.Data, y.Data, 1e-15);
        Assert.Equal(10L * 4 * 3, linear.MultiplyAdds([2, 5, 4]));
    }

    [Theory]
    [InlineData(true, new[] { 3, 5 })]
    [InlineData(false, new[] { 3, 5 })]
    [InlineData(true, new[] { 2, 3, 5 })]
    [InlineData(true, new[] { 5 })]
    public void Linear_Backward_MatchesNumericalGradient(bool bias, int[] shape)
    {
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            var linear = new Linear<double>(5, 4, bias, seed: 4) { Implementation = implementation };
            AssertGradients(linear, Tensor.Randn<double>(new Random(5), shape));
        }
    }

    [Fact]
    public void Linear_FastPath_MatchesNaiveOnRandomShapes()
    {
        var random = new Random(6);
        int[] sizes = [1, 2, 3, 7, 13, 31, 64, 97];
        for (int trial = 0; trial < 24; trial++)
        {
            int n = sizes[random.Next(sizes.Length)], i = sizes[random.Next(sizes.Length)], o = sizes[random.Next(sizes.Length)];
            AssertFastMatchesReference(() => new Linear<float>(i, o, bias: trial % 4 != 0, seed: trial), Tensor.Randn<float>(random, n, i), trial, 1e-4);
        }
    }

    [Fact]
    public void Linear_Backward_AccumulatesIntoParameterGradients()
    {
        var linear = new Linear<double>(3, 2, seed: 7);
        var x = Tensor.Randn<double>(new Random(8), 4, 3);
        var g = Tensor.Randn<double>(new Random(9), 4, 2);
        linear.Forward(x);
        linear.Backward(g);
        var once = linear.Weight.Grad.Clone();
        linear.Backward(g);
        AssertClose(once.Data.Select(v => 2 * v).ToArray(), linear.Weight.Grad.Data, 1e-15);
        linear.ZeroGrad();
        Assert.All(linear.Weight.Grad.Data, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Linear_Initialisation_IsSeededAndWithinPyTorchBound()
    {
        var a = new Linear<double>(50, 20, seed: 10);
        var b = new Linear<double>(50, 20, seed: 10);
        Assert.Equal(a.Weight.Value.Data, b.Weight.Value.Data);
        Assert.Equal(a.Bias!.Value.Data, b.Bias!.Value.Data);
        double bound = 1 / Math.Sqrt(50);
        Assert.All(a.Weight.Value.Data, w => Assert.InRange(w, -bound, bound));
        Assert.All(a.Bias.Value.Data, w => Assert.InRange(w, -bound, bound));
        // Uniform on [-bound, bound] has standard deviation bound / sqrt(3); 1000 samples pin it to a few percent.
        double std = Math.Sqrt(a.Weight.Value.Data.Average(w => w * w));
        Assert.InRange(std, 0.9 * bound / Math.Sqrt(3), 1.1 * bound / Math.Sqrt(3));
        Assert.Equal(["weight", "bias"], a.NamedParameters().Select(p => p.Name));
        Assert.Equal(50 * 20 + 20, a.ParameterCount());
        Assert.Single(new Linear<double>(50, 20, bias: false).Parameters());
    }

    [Fact]
    public void Linear_BadInput_ThrowsNamingExpectedAndActual()
    {
        var linear = new Linear<float>(5, 3);
        var error = Assert.Throws<ArgumentException>(() => linear.Forward(new Tensor<float>(2, 4)));
        Assert.Contains("Linear(5, 3)", error.Message);
        Assert.Contains("expected 5, got 4", error.Message);
        Assert.Contains("[2, 4]", error.Message);
        Assert.Throws<InvalidOperationException>(() => new Linear<float>(5, 3).Backward(new Tensor<float>(1, 3)));
        Assert.Contains("got -1", Assert.Throws<ArgumentOutOfRangeException>(() => new Linear<float>(-1, 3)).Message);
    }
}

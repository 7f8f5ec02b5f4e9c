using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

public class ActivationTests
{
    public static TheoryData<Implementation> Implementations => new() { Implementation.Fast, Implementation.Naive };

    private static Tensor<double> Vector(params double[] values) => Tensor.FromArray(values);

    [Theory]
    [MemberData(nameof(Implementations))]
    public void ReLU_ClampsNegativesAndHasZeroDerivativeAtZero(Implementation implementation)
    {
        var relu = new ReLU<double> { Implementation = implementation };
        var y = relu.Forward(Vector(-2, -0.0, 0, 0.5, 3));
        AssertClose([0, 0, 0, 0.5, 3], y.Data, 0);
        var dX = relu.Backward(Vector(1, 1, 1, 1, 1));
        AssertClose([0, 0, 0, 1, 1], dX.Data, 0);
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void ReLU_NaN_PropagatesForwardAndPassesItsGradient_AsPyTorch(Implementation implementation)
    {
        // PyTorch: relu(NaN) = NaN, and threshold_backward's mask is x <= 0, false for NaN, so the gradient passes.
        var relu = new ReLU<double> { Implementation = implementation };
        Assert.True(double.IsNaN(relu.Forward(Vector(double.NaN, 1, -1)).Data[0]));
        AssertClose([5, 6, 0], relu.Backward(Vector(5, 6, 7)).Data, 0);
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void LeakyReLU_NaN_PropagatesForwardAndScalesItsGradientByTheSlope_AsPyTorch(Implementation implementation)
    {
        // PyTorch's leaky_relu_backward: input > 0 ? grad : grad * negval; NaN is not > 0.
        var leaky = new LeakyReLU<double>(0.25) { Implementation = implementation };
        Assert.True(double.IsNaN(leaky.Forward(Vector(double.NaN, 1, -1)).Data[0]));
        AssertClose([1.25, 6, 1.75], leaky.Backward(Vector(5, 6, 7)).Data, 0);
    }

    /// <summary>
    /// Lengths around every vector width (4, 8, 16 floats; 2, 4, 8 doubles) with NaN, both zeros, negatives and
    /// positives in every lane position: the fast paths (vector body and scalar tail) against the naive loops, bit
    /// for bit, in float and double.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(70)]
    public void ReLUAndLeakyReLU_FastMatchesNaive_AtNaNAndSignedZeros_FloatAndDouble(int length)
    {
        static Tensor<double> Special(Random random, int length)
        {
            double[] kinds = [double.NaN, -0.0, 0.0, -1.5, 2.5, double.NegativeInfinity, double.PositiveInfinity];
            var x = new double[length];
            for (int i = 0; i < length; i++) x[i] = kinds[(i + random.Next(kinds.Length)) % kinds.Length];
            return Tensor.FromArray(x);
        }
        AssertFastMatchesReference(() => new ReLU<double>(), random => Special(random, length), seed: length, tolerance: 0, steps: 3);
        AssertFastMatchesReference(() => new ReLU<float>(), random => Special(random, length).To<float>(), seed: length, tolerance: 0, steps: 3);
        AssertFastMatchesReference(() => new LeakyReLU<double>(0.1), random => Special(random, length), seed: length, tolerance: 0, steps: 3);
        AssertFastMatchesReference(() => new LeakyReLU<float>(0.1), random => Special(random, length).To<float>(), seed: length, tolerance: 0, steps: 3);
        // And the rule itself on the fast path: the gradient at a NaN input passes (ReLU) or is scaled (LeakyReLU).
        var x = Special(new Random(length), length);
        var g = Tensor.FromArray(Enumerable.Range(1, length).Select(i => (double)i).ToArray());
        var relu = new ReLU<float>();
        relu.Forward(x.To<float>());
        var leaky = new LeakyReLU<float>(0.5);
        leaky.Forward(x.To<float>());
        var (dRelu, dLeaky) = (relu.Backward(g.To<float>()), leaky.Backward(g.To<float>()));
        for (int i = 0; i < length; i++)
        {
            float expectedRelu = x.Data[i] <= 0 ? 0f : (float)g.Data[i];
            float expectedLeaky = x.Data[i] > 0 ? (float)g.Data[i] : 0.5f * (float)g.Data[i];
            Assert.True(expectedRelu.Equals(dRelu.Data[i]), $"ReLU at x = {x.Data[i]}: gradient {dRelu.Data[i]}, expected {expectedRelu}");
            Assert.True(expectedLeaky.Equals(dLeaky.Data[i]), $"LeakyReLU at x = {x.Data[i]}: gradient {dLeaky.Data[i]}, expected {expectedLeaky}");
        }
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void LeakyReLU_ScalesNegativesAndUsesTheSlopeAtZero(Implementation implementation)
    {
        var leaky = new LeakyReLU<double> { Implementation = implementation };
        Assert.Equal(0.01, leaky.NegativeSlope);
        AssertClose([-0.02, 0, 3], leaky.Forward(Vector(-2, 0, 3)).Data, 1e-15);
        AssertClose([0.01, 0.01, 1], leaky.Backward(Vector(1, 1, 1)).Data, 1e-15);
        var steep = new LeakyReLU<double>(0.2) { Implementation = implementation };
        AssertClose([-1, 5], steep.Forward(Vector(-5, 5)).Data, 1e-15);
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void Sigmoid_IsStableAtLargeMagnitudes(Implementation implementation)
    {
        var sigmoid = new Sigmoid<double> { Implementation = implementation };
        var y = sigmoid.Forward(Vector(-1000, -40, 0, 2, 40, 1000));
        Assert.All(y.Data, v => Assert.True(double.IsFinite(v)));
        AssertClose([0, Math.Exp(-40), 0.5, 1 / (1 + Math.Exp(-2)), 1, 1], y.Data, 1e-12);
        var dX = sigmoid.Backward(Vector(1, 1, 1, 1, 1, 1));
        Assert.Equal(0.25, dX.Data[2], 15);
        Assert.All(dX.Data, v => Assert.True(double.IsFinite(v) && v >= 0));
        // float: exp(1000) overflows to infinity, the result must still be exactly 0 and 1.
        var sigmoidF = new Sigmoid<float> { Implementation = implementation };
        Assert.Equal([0f, 1f], sigmoidF.Forward(Tensor.FromArray(new[] { -1000f, 1000f })).Data);
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void Tanh_MatchesMathTanhAndSaturates(Implementation implementation)
    {
        var tanh = new Tanh<double> { Implementation = implementation };
        var x = Vector(-500, -1, 0, 0.3, 500);
        AssertClose(x.Data.Select(Math.Tanh).ToArray(), tanh.Forward(x).Data, 1e-15);
        AssertClose(x.Data.Select(v => 1 - Math.Tanh(v) * Math.Tanh(v)).ToArray(), tanh.Backward(Vector(1, 1, 1, 1, 1)).Data, 1e-15);
    }

    public static TheoryData<string> Activations => new() { "ReLU", "LeakyReLU", "Sigmoid", "Tanh" };

    private static Module<T> Make<T>(string name) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => name switch
    {
        "ReLU" => new ReLU<T>(),
        "LeakyReLU" => new LeakyReLU<T>(0.1),
        "Sigmoid" => new Sigmoid<T>(),
        _ => new Tanh<T>(),
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void Activation_Backward_MatchesNumericalGradient(string name)
    {
        // Values on a 0.05 grid offset by half a step: none within 0.025 of the kink at 0.
        var x = DistinctValues(new Random(1), 0.05, 2, 3, 4, 5);
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            var module = Make<double>(name);
            module.Implementation = implementation;
            // Step 1e-5, not 1e-6: L sums 120 terms, so its rounding (~1e-15) over 2h would be ~1e-9, which is
            // 1e-6 relative to the smallest gradient components; the truncation error at 1e-5 is ~1e-11.
            AssertGradients(module, x, step: 1e-5);
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Activation_FastPath_MatchesNaiveAtEveryVectorTail(string name)
    {
        var random = new Random(2);
        // Lengths 0..70 cover every remainder of the vector width (up to 16 floats with AVX-512) several times.
        for (int length = 0; length <= 70; length++)
            AssertFastMatchesReference(() => Make<float>(name), Tensor.Randn<float>(random, length), length, 1e-6);
        AssertFastMatchesReference(() => Make<float>(name), Tensor.Randn<float>(random, 3, 5, 7, 11), 99, 1e-6);
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Activation_BadCalls_ThrowNamingTheShapes(string name)
    {
        var module = Make<float>(name);
        Assert.Throws<InvalidOperationException>(() => module.Backward(new Tensor<float>(3)));
        module.Forward(new Tensor<float>(2, 3));
        var error = Assert.Throws<ArgumentException>(() => module.Backward(new Tensor<float>(3, 2)));
        Assert.Contains("expected [2, 3], got [3, 2]", error.Message);
        Assert.Equal([2, 3], module.OutputShape([2, 3]));
    }
}

using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

public class DropoutTests
{
    [Fact]
    public void Dropout_SameSeed_GivesTheSameMask()
    {
        var x = Tensor.Full(1f, 8, 16);
        var a = new Dropout<float>(0.3, seed: 5).Forward(x);
        var b = new Dropout<float>(0.3, seed: 5).Forward(x);
        var c = new Dropout<float>(0.3, seed: 6).Forward(x);
        Assert.Equal(a.Data, b.Data);
        Assert.NotEqual(a.Data, c.Data);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    [InlineData(0.9)]
    public void Dropout_Training_DropsAboutPAndPreservesTheExpectation(double p)
    {
        const int n = 200_000;
        var y = new Dropout<double>(p, seed: 1).Forward(Tensor.Full(2.0, n));
        double dropped = y.Data.Count(v => v == 0) / (double)n;
        // Binomial standard deviation sqrt(p(1-p)/n) <= 0.0012: 0.006 is five of them.
        Assert.InRange(dropped, p - 0.006, p + 0.006);
        Assert.All(y.Data, v => Assert.True(v == 0 || Math.Abs(v - 2 / (1 - p)) < 1e-12));
        // The mean's standard error is 2 sqrt(p/(1-p)/n) <= 0.014 for p = 0.9.
        Assert.InRange(y.Data.Average(), 2 - 0.07, 2 + 0.07);
    }

    [Fact]
    public void Dropout_Eval_IsTheIdentityForwardAndBackward()
    {
        var dropout = new Dropout<double>(0.5, seed: 2);
        dropout.Eval();
        var x = Tensor.Randn<double>(new Random(3), 4, 5);
        AssertClose(x, dropout.Forward(x), 0);
        var g = Tensor.Randn<double>(new Random(4), 4, 5);
        AssertClose(g, dropout.Backward(g), 0);
        dropout.Train();
        Assert.Contains(0.0, dropout.Forward(x).Data);
    }

    [Fact]
    public void Dropout_ExtremeProbabilities_GiveIdentityAndZeros()
    {
        var x = Tensor.Randn<double>(new Random(5), 3, 7);
        AssertClose(x, new Dropout<double>(0, seed: 1).Forward(x), 0);
        var all = new Dropout<double>(1, seed: 1);
        Assert.All(all.Forward(x).Data, v => Assert.Equal(0, v));
        Assert.All(all.Backward(x).Data, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Dropout_Backward_UsesTheForwardMask()
    {
        var dropout = new Dropout<double>(0.4, seed: 7);
        var y = dropout.Forward(Tensor.Full(1.0, 100));
        var dX = dropout.Backward(Tensor.Full(1.0, 100));
        AssertClose(y, dX, 0);
    }

    /// <summary>A fresh Dropout with a fixed seed per Forward, so every call of the gradient check sees one mask.</summary>
    private sealed class FixedMaskDropout(double p, Implementation implementation) : Module<double>
    {
        private Dropout<double>? _last;

        public override Tensor<double> Forward(Tensor<double> input)
        {
            _last = new Dropout<double>(p, seed: 42) { Implementation = implementation };
            return _last.Forward(input);
        }

        public override Tensor<double> Backward(Tensor<double> outputGradient) => _last!.Backward(outputGradient);

        public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void Dropout_Backward_MatchesNumericalGradient(Implementation implementation)
    {
        AssertGradients(new FixedMaskDropout(0.3, implementation), Tensor.Randn<double>(new Random(8), 3, 4, 5));
    }

    [Fact]
    public void Dropout_FastPath_MatchesNaiveWithTheSameSeed()
    {
        var random = new Random(9);
        for (int length = 1; length < 40; length += 3)
        {
            var x = Tensor.Randn<float>(random, length);
            var naive = new Dropout<float>(0.5, seed: length) { Implementation = Implementation.Naive };
            var fast = new Dropout<float>(0.5, seed: length);
            AssertClose(naive.Forward(x), fast.Forward(x), 0);
            AssertClose(naive.Backward(x), fast.Backward(x), 0);
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Dropout_ProbabilityOutsideZeroToOne_Throws(double p)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout<float>(p));
        Assert.Contains("expected a value in [0, 1]", error.Message);
        Assert.Contains($"got {p}", error.Message);
    }
}

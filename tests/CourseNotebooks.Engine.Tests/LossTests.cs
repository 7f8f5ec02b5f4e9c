using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

public class LossTests
{
    /// <summary>
    /// Gradient check of a loss: for Mean and Sum the returned scalar; for None the contraction of the
    /// per-element losses with a random weight G, differentiated by Backward(G).
    /// </summary>
    internal static double AssertLossGradient<TTarget>(Loss<double, TTarget> loss, Tensor<double> prediction, TTarget target)
    {
        Tensor<double> analytic;
        Func<double> value;
        loss.Forward(prediction, target);
        if (loss.Reduction == Reduction.None)
        {
            var g = Tensor.Randn<double>(new Random(1), loss.Losses.Shape.ToArray());
            analytic = loss.Backward(g);
            value = () =>
            {
                loss.Forward(prediction, target);
                return loss.Losses.Data.Zip(g.Data, (l, w) => l * w).Sum();
            };
        }
        else
        {
            analytic = loss.Backward();
            value = () => loss.Forward(prediction, target);
        }
        double error = GradientCheck.Compare(prediction.Data, analytic.Data, value);
        Assert.True(error < GradientTolerance, $"{loss.Name} ({loss.Reduction}): gradient error {error:E3}");
        return error;
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void CrossEntropyLoss_MatchesHandComputedValues(Implementation implementation)
    {
        var logits = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 0, 0, 0 } });
        int[] targets = [2, 1];
        // -log(e^3 / (e^1 + e^2 + e^3)) = ln(1 + e^-1 + e^-2) = ln(1.5032147244) and ln 3 for the flat row.
        const double first = 0.40760596444437, second = 1.09861228866811;
        var none = new CrossEntropyLoss<double>(Reduction.None) { Implementation = implementation };
        Assert.Equal(first + second, none.Forward(logits, targets), 12);
        AssertClose([first, second], none.Losses.Data, 1e-12);
        var mean = new CrossEntropyLoss<double> { Implementation = implementation };
        Assert.Equal(Reduction.Mean, mean.Reduction);
        Assert.Equal((first + second) / 2, mean.Forward(logits, targets), 12);
        Assert.Equal(first + second, new CrossEntropyLoss<double>(Reduction.Sum) { Implementation = implementation }.Forward(logits, targets), 12);
        // dL/dx = (softmax - onehot) / N: the flat row gives (1/3, 1/3 - 1, 1/3) / 2.
        var dX = mean.Backward();
        AssertClose([1.0 / 6, -1.0 / 3, 1.0 / 6], dX.Data[3..], 1e-12);
        Assert.Equal(0, dX.Data[..3].Sum(), 12);
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void CrossEntropyLoss_IsStableForLogitsOfTenThousand(Implementation implementation)
    {
        var logits = Tensor.FromArray(new double[,] { { 1e4, 0, -1e4 }, { 1e4, 0, -1e4 } });
        var loss = new CrossEntropyLoss<double>(Reduction.None) { Implementation = implementation };
        loss.Forward(logits, [0, 2]);
        AssertClose([0, 2e4], loss.Losses.Data, 1e-12);
        Assert.All(loss.Backward().Data, v => Assert.True(double.IsFinite(v)));
        // float: exp(1e4) alone would be infinity.
        var lossF = new CrossEntropyLoss<float> { Implementation = implementation };
        float value = lossF.Forward(Tensor.FromArray(new float[,] { { 1e4f, -1e4f } }), [1]);
        Assert.Equal(2e4f, value);
        AssertClose([1.0, -1.0], lossF.Backward().To<double>().Data, 1e-6);
    }

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void CrossEntropyLoss_Backward_MatchesNumericalGradient(Reduction reduction)
    {
        var logits = Tensor.Randn<double>(new Random(2), 5, 7);
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            AssertLossGradient(new CrossEntropyLoss<double>(reduction) { Implementation = implementation }, logits, [0, 6, 3, 3, 1]);
            // With an ignored sample: it has no loss, no gradient, and is left out of the mean.
            AssertLossGradient(new CrossEntropyLoss<double>(reduction) { Implementation = implementation }, logits, [0, -100, 3, 3, 1]);
        }
    }

    [Fact]
    public void CrossEntropyLoss_IgnoreIndex_IsLeftOutOfTheMean()
    {
        var logits = Tensor.Randn<double>(new Random(3), 3, 4);
        var all = new CrossEntropyLoss<double>(Reduction.None);
        all.Forward(logits, [1, 2, 3]);
        var ignoring = new CrossEntropyLoss<double>();
        double mean = ignoring.Forward(logits, [1, -100, 3]);
        Assert.Equal((all.Losses.Data[0] + all.Losses.Data[2]) / 2, mean, 14);
        Assert.All(ignoring.Backward().Data[4..8], v => Assert.Equal(0, v));
        Assert.True(double.IsNaN(new CrossEntropyLoss<double>().Forward(logits, [-100, -100, -100])));
        // A custom ignore value: class 2 is skipped and -100 becomes an ordinary (invalid) class.
        Assert.Equal((all.Losses.Data[0] + all.Losses.Data[2]) / 2, new CrossEntropyLoss<double>(ignoreIndex: 2).Forward(logits, [1, 2, 3]), 14);
        Assert.Throws<ArgumentException>(() => new CrossEntropyLoss<double>(ignoreIndex: 2).Forward(logits, [1, -100, 3]));
    }

    [Fact]
    public void CrossEntropyLoss_BadTargets_ThrowNamingBatchIndexAndClassCount()
    {
        var loss = new CrossEntropyLoss<float>();
        var logits = new Tensor<float>(2, 3);
        var range = Assert.Throws<ArgumentException>(() => loss.Forward(logits, [0, 5]));
        Assert.Contains("batch index 1", range.Message);
        Assert.Contains("C = 3", range.Message);
        Assert.Contains("got 5", range.Message);
        Assert.Contains("got -1", Assert.Throws<ArgumentException>(() => loss.Forward(logits, [-1, 0])).Message);
        var count = Assert.Throws<ArgumentException>(() => loss.Forward(logits, [0, 1, 2]));
        Assert.Contains("expected 2", count.Message);
        Assert.Contains("got 3", count.Message);
        // (N, C, d1) logits take N·d1 targets, as PyTorch's (N, d1) target.
        var extra = Assert.Throws<ArgumentException>(() => loss.Forward(new Tensor<float>(2, 3, 4), [0, 1]));
        Assert.Contains("expected 8", extra.Message);
        Assert.Contains("[2, 3, 4]", extra.Message);
        Assert.Contains("got shape []", Assert.Throws<ArgumentException>(() => loss.Forward(new Tensor<float>(), [0])).Message);
        Assert.Throws<InvalidOperationException>(() => new CrossEntropyLoss<float>().Backward());
    }

    [Fact]
    public void Softmax_RowsSumToOneAndLogSoftmaxIsItsLog()
    {
        var x = Tensor.Randn<double>(new Random(4), 2, 3, 5);
        x.Data[0] = 1e4;
        var p = Softmax.Of(x);
        var logP = Softmax.LogOf(x);
        for (int r = 0; r < 6; r++) Assert.Equal(1, p.Data.Skip(r * 5).Take(5).Sum(), 12);
        Assert.All(logP.Data, v => Assert.True(double.IsFinite(v) && v <= 0));
        for (int i = 0; i < p.Length; i++)
            if (p.Data[i] > 1e-300) Assert.Equal(Math.Log(p.Data[i]), logP.Data[i], 10);
        AssertClose([0.09003057317038, 0.24472847105479, 0.66524095577483], Softmax.Of(Tensor.FromArray(new double[] { 1, 2, 3 })).Data, 1e-12);
        Assert.Throws<ArgumentException>(() => Softmax.Of(new Tensor<double>()));
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void MSELoss_MatchesHandComputedValuesAndGradient(Implementation implementation)
    {
        var prediction = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        var target = Tensor.FromArray(new double[,] { { 0, 2 }, { 5, 1 } });
        // Squared errors 1, 0, 4, 9.
        var mean = new MSELoss<double> { Implementation = implementation };
        Assert.Equal(3.5, mean.Forward(prediction, target));
        AssertClose([0.5, 0, -1, 1.5], mean.Backward().Data, 1e-15);
        Assert.Equal(14, new MSELoss<double>(Reduction.Sum) { Implementation = implementation }.Forward(prediction, target));
        var none = new MSELoss<double>(Reduction.None) { Implementation = implementation };
        none.Forward(prediction, target);
        AssertClose([1, 0, 4, 9], none.Losses.Data, 0);
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void BCEWithLogitsLoss_IsStableAtPlusMinusHundred(Implementation implementation)
    {
        var loss = new BCEWithLogitsLoss<double>(Reduction.None) { Implementation = implementation };
        loss.Forward(Tensor.FromArray(new double[] { 100, 100, -100, -100, 0 }), Tensor.FromArray(new double[] { 1, 0, 1, 0, 1 }));
        // Exact values: log(1 + e^-100) ~ 3.7e-44, 100 + that, and ln 2 at x = 0.
        AssertClose([Math.Exp(-100), 100, 100, Math.Exp(-100), Math.Log(2)], loss.Losses.Data, 1e-12);
        AssertClose([0, 1, -1, 0, -0.5], loss.Backward().Data, 1e-12);
        var lossF = new BCEWithLogitsLoss<float> { Implementation = implementation };
        float value = lossF.Forward(Tensor.FromArray(new[] { 100f, -100f }), Tensor.FromArray(new[] { 0f, 1f }));
        Assert.Equal(100f, value);
    }

    [Fact]
    public void BCEWithLogitsLoss_EqualsBinaryCrossEntropyOfTheSigmoid()
    {
        var x = Tensor.Randn<double>(new Random(5), 4, 3);
        var y = Tensor.Uniform<double>(new Random(6), 0, 1, 4, 3);
        double expected = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double s = 1 / (1 + Math.Exp(-x.Data[i]));
            expected -= y.Data[i] * Math.Log(s) + (1 - y.Data[i]) * Math.Log(1 - s);
        }
        Assert.Equal(expected / x.Length, new BCEWithLogitsLoss<double>().Forward(x, y), 12);
    }

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void ElementwiseLosses_Backward_MatchNumericalGradient(Reduction reduction)
    {
        var x = Tensor.Randn<double>(new Random(7), 3, 2, 4);
        var y = Tensor.Uniform<double>(new Random(8), 0, 1, 3, 2, 4);
        foreach (var implementation in new[] { Implementation.Fast, Implementation.Naive })
        {
            AssertLossGradient(new MSELoss<double>(reduction) { Implementation = implementation }, x, y);
            AssertLossGradient(new BCEWithLogitsLoss<double>(reduction) { Implementation = implementation }, x, y);
        }
    }

    [Fact]
    public void Losses_FastPath_MatchesNaiveOnRandomShapes()
    {
        var random = new Random(9);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = random.Next(1, 40), k = random.Next(1, 37);
            var logits = Tensor.Randn<float>(random, n, k);
            var targets = Enumerable.Range(0, n).Select(_ => random.Next(k)).ToArray();
            AssertLossMatchesReference(() => new CrossEntropyLoss<float>(), logits, targets);
            var y = Tensor.Uniform<float>(random, 0, 1, n, k);
            AssertLossMatchesReference(() => new MSELoss<float>(), logits, y);
            AssertLossMatchesReference(() => new BCEWithLogitsLoss<float>(), logits, y);
        }
    }

    [Fact]
    public void ElementwiseLosses_ShapeMismatch_ThrowsNamingBothShapes()
    {
        var mse = Assert.Throws<ArgumentException>(() => new MSELoss<float>().Forward(new Tensor<float>(2, 3), new Tensor<float>(3, 2)));
        Assert.Contains("MSELoss", mse.Message);
        Assert.Contains("expected [2, 3]", mse.Message);
        Assert.Contains("got [3, 2]", mse.Message);
        var bce = Assert.Throws<ArgumentException>(() => new BCEWithLogitsLoss<float>().Forward(new Tensor<float>(4), new Tensor<float>(4, 1)));
        Assert.Contains("expected [4], got [4, 1]", bce.Message);
        var loss = new MSELoss<float>(Reduction.None);
        loss.Forward(new Tensor<float>(2), new Tensor<float>(2));
        Assert.Contains("expected [2], got [3]", Assert.Throws<ArgumentException>(() => loss.Backward(new Tensor<float>(3))).Message);
    }
}

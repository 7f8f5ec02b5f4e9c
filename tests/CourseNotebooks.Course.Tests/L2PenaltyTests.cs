using CourseNotebooks.Course.Optimization;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tests;

namespace CourseNotebooks.Course.Tests;

/// <summary>The explicit L2 penalty of notebook 18-sgd-parameters-and-l2, against SGD's weight decay.</summary>
public class L2PenaltyTests
{
    // E = ½ a (w − c)² on three elements; gradients written by QuadraticBowl.
    private static readonly double[] A = [1.0, 4.0, 0.3];
    private static readonly double[] C = [0.5, -1.0, 2.0];
    private static readonly double[] W0 = [2.0, 1.0, -1.5];

    [Fact]
    public void L2Penalty_Value_IsLambdaTimesSumOfSquares()
    {
        var p1 = QuadraticBowl.Parameter(1.0, -2.0);
        var p2 = QuadraticBowl.Parameter(3.0);
        Assert.Equal(0.01 * (1 + 4 + 9), L2Penalty.Value([p1, p2], 0.01), 1e-15);
    }

    [Fact]
    public void L2Penalty_Gradient_MatchesCentredDifferenceOfValue()
    {
        var p = QuadraticBowl.Parameter(0.7, -1.3, 2.1);
        p.Grad.Data[1] = 5.0; // AddGradient must add, not overwrite
        L2Penalty.AddGradient([p], 0.3);
        const double h = 1e-6;
        for (int i = 0; i < 3; i++)
        {
            double keep = p.Value.Data[i];
            p.Value.Data[i] = keep + h;
            double up = L2Penalty.Value([p], 0.3);
            p.Value.Data[i] = keep - h;
            double down = L2Penalty.Value([p], 0.3);
            p.Value.Data[i] = keep;
            double numeric = (up - down) / (2 * h) + (i == 1 ? 5.0 : 0.0);
            Assert.Equal(numeric, p.Grad.Data[i], 1e-8);
        }
    }

    [Fact]
    public void L2Penalty_ExplicitPenalty_EqualsSgdWeightDecayOfTwoLambda()
    {
        const double lambda = 0.05;
        var bowl = new QuadraticBowl(A, C);
        var pExplicit = QuadraticBowl.Parameter(W0);
        var pDecay = QuadraticBowl.Parameter(W0);
        var explicitOpt = new Sgd<double>([pExplicit], 0.05, momentum: 0.9);
        var decayOpt = new Sgd<double>([pDecay], 0.05, momentum: 0.9, weightDecay: 2 * lambda);
        for (int t = 0; t < 25; t++)
        {
            bowl.WriteGradient(pExplicit);
            L2Penalty.AddGradient([pExplicit], lambda);
            explicitOpt.Step();
            bowl.WriteGradient(pDecay);
            decayOpt.Step();
            for (int i = 0; i < 3; i++) Assert.Equal(pDecay.Value.Data[i], pExplicit.Value.Data[i], 1e-12);
        }
        Assert.True(Math.Abs(pDecay.Value.Data[0] - W0[0]) > 0.1);
    }

    [Fact]
    public void L2Penalty_NegativeLambda_IsRejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => L2Penalty.Value([QuadraticBowl.Parameter(1.0)], -0.1));
        Assert.Contains("got -0.1", ex.Message);
    }
}

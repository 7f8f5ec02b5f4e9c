using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

public class SgdTests
{
    private const int Steps = 6;

    // Three separable 1-D quadratics in one parameter and one in a second parameter, so per-element and
    // per-parameter state are both exercised. E = ½ a (w − c)².
    private static readonly double[] A = [1.0, 3.0, 0.4];
    private static readonly double[] C = [0.5, -1.0, 2.0];
    private static readonly double[] W0 = [2.0, 1.0, -1.5];
    private const double A2 = 2.0, C2 = 0.25, W02 = -0.75;
    private const double Lr = 0.05;

    public static TheoryData<double, double, double, bool, bool> AllCombinations()
    {
        var data = new TheoryData<double, double, double, bool, bool>();
        foreach (double momentum in new[] { 0.0, 0.9 })
            foreach (double dampening in new[] { 0.0, 0.5 })
                foreach (double weightDecay in new[] { 0.0, 0.1 })
                    foreach (bool nesterov in new[] { false, true })
                        foreach (bool maximize in new[] { false, true })
                        {
                            if (nesterov && (momentum == 0 || dampening != 0)) continue; // PyTorch rejects these
                            data.Add(momentum, dampening, weightDecay, nesterov, maximize);
                        }
        return data;
    }

    [Fact]
    public void AllCombinations_CoverTwentyAllowedConfigurations()
    {
        // 8 without momentum (nesterov not allowed) + 12 with momentum 0.9 (nesterov only with dampening 0).
        Assert.Equal(20, AllCombinations().Count);
    }

    /// <summary>
    /// The expected path is computed independently as an affine map on the state (w, b, 1): with
    /// s = −1 when maximizing, the effective gradient on ½a(w−c)² is g = k w − h, k = s a + λ, h = s a c,
    /// and each step of the documented algorithm becomes a fixed 3×3 matrix (one for the first step, where the
    /// buffer is set to g, one for the later steps), derived by hand below. Without momentum the closed form
    /// w_t = w* + (1 − γk)ᵗ (w₀ − w*), w* = h / k, is used instead.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllCombinations))]
    public void Sgd_Trajectory_MatchesIndependentAffineRecurrence(double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        var p1 = QuadraticBowl.Parameter(W0);
        var p2 = QuadraticBowl.Parameter(W02);
        var bowl1 = new QuadraticBowl(A, C);
        var bowl2 = new QuadraticBowl([A2], [C2]);
        var sgd = new Sgd<double>([p1, p2], Lr, momentum, dampening, weightDecay, nesterov, maximize);

        var expected1 = Enumerable.Range(0, 3).Select(i => ExpectedPath(A[i], C[i], W0[i], momentum, dampening, weightDecay, nesterov, maximize)).ToArray();
        var expected2 = ExpectedPath(A2, C2, W02, momentum, dampening, weightDecay, nesterov, maximize);
        for (int t = 1; t <= Steps; t++)
        {
            bowl1.WriteGradient(p1);
            bowl2.WriteGradient(p2);
            sgd.Step();
            for (int i = 0; i < 3; i++) Assert.Equal(expected1[i][t], p1.Value.Data[i], 1e-12);
            Assert.Equal(expected2[t], p2.Value.Data[0], 1e-12);
        }
        // Guard against a vacuous comparison: the weights really moved.
        Assert.True(Math.Abs(p1.Value.Data[0] - W0[0]) > 1e-3);
    }

    private static double[] ExpectedPath(double a, double c, double w0, double mu, double tau, double lambda, bool nesterov, bool maximize)
    {
        double s = maximize ? -1 : 1;
        double k = s * a + lambda, h = s * a * c, lr = Lr;
        var path = new double[Steps + 1];
        path[0] = w0;
        if (mu == 0)
        {
            double wStar = h / k;
            for (int t = 1; t <= Steps; t++) path[t] = wStar + Math.Pow(1 - lr * k, t) * (w0 - wStar);
            return path;
        }
        // Rows give (w', b', 1) as combinations of (w, b, 1).
        double[,] first = nesterov
            ? new[,] { { 1 - lr * (1 + mu) * k, 0, lr * (1 + mu) * h }, { k, 0, -h }, { 0, 0, 1 } }   // b = g; w −= γ(g + μ b)
            : new[,] { { 1 - lr * k, 0, lr * h }, { k, 0, -h }, { 0, 0, 1 } };                       // b = g; w −= γ b
        double d = 1 - tau;
        double[,] later = nesterov
            // b' = μb + g;  w' = w − γ(g + μ b') = w − γ(1 + μ) g − γ μ² b
            ? new[,] { { 1 - lr * (1 + mu) * k, -lr * mu * mu, lr * (1 + mu) * h }, { k, mu, -h }, { 0, 0, 1 } }
            // b' = μb + (1 − τ) g;  w' = w − γ b'
            : new[,] { { 1 - lr * d * k, -lr * mu, lr * d * h }, { d * k, mu, -d * h }, { 0, 0, 1 } };
        double[] state = [w0, 0, 1];
        for (int t = 1; t <= Steps; t++)
        {
            state = Apply(t == 1 ? first : later, state);
            path[t] = state[0];
        }
        return path;
    }

    private static double[] Apply(double[,] m, double[] x)
    {
        var y = new double[3];
        for (int r = 0; r < 3; r++)
            for (int col = 0; col < 3; col++) y[r] += m[r, col] * x[col];
        return y;
    }

    [Fact]
    public void Sgd_HeavyBall_MatchesHandComputedSteps()
    {
        // E = ½w², w₀ = 1, γ = 0.1, μ = 0.9:
        // t=1: g = 1,    b = 1,                      w = 1 − 0.1       = 0.9
        // t=2: g = 0.9,  b = 0.9·1 + 0.9 = 1.8,      w = 0.9 − 0.18    = 0.72
        // t=3: g = 0.72, b = 0.9·1.8 + 0.72 = 2.34,  w = 0.72 − 0.234  = 0.486
        var p = QuadraticBowl.Parameter(1.0);
        var bowl = new QuadraticBowl([1.0], [0.0]);
        var sgd = new Sgd<double>([p], learningRate: 0.1, momentum: 0.9);
        double[] expected = [0.9, 0.72, 0.486];
        foreach (double w in expected)
        {
            bowl.WriteGradient(p);
            sgd.Step();
            Assert.Equal(w, p.Value.Data[0], 1e-14);
        }
    }

    [Fact]
    public void Sgd_Nesterov_MatchesHandComputedSteps()
    {
        // E = ½w², w₀ = 1, γ = 0.1, μ = 0.9, nesterov:
        // t=1: g = 1,      b = 1,                          step g + μb = 1.9,                w = 0.81
        // t=2: g = 0.81,   b = 0.9 + 0.81 = 1.71,          step 0.81 + 1.539 = 2.349,        w = 0.5751
        // t=3: g = 0.5751, b = 1.539 + 0.5751 = 2.1141,    step 0.5751 + 1.90269 = 2.47779,  w = 0.327321
        var p = QuadraticBowl.Parameter(1.0);
        var bowl = new QuadraticBowl([1.0], [0.0]);
        var sgd = new Sgd<double>([p], learningRate: 0.1, momentum: 0.9, nesterov: true);
        double[] expected = [0.81, 0.5751, 0.327321];
        foreach (double w in expected)
        {
            bowl.WriteGradient(p);
            sgd.Step();
            Assert.Equal(w, p.Value.Data[0], 1e-14);
        }
    }

    [Fact]
    public void Sgd_Maximize_NegatesGradientBeforeWeightDecay()
    {
        // PyTorch 2.x: g = −grad + λθ. One step from θ = 1 with grad 2, λ = 0.5, γ = 0.1:
        // g = −2 + 0.5 = −1.5, θ = 1 + 0.15 = 1.15. (PyTorch 1.x negated after the decay: θ = 1 + 0.1·2.5 = 1.25.)
        var p = QuadraticBowl.Parameter(1.0);
        p.Grad.Data[0] = 2.0;
        new Sgd<double>([p], 0.1, weightDecay: 0.5, maximize: true).Step();
        Assert.Equal(1.15, p.Value.Data[0], 1e-15);
    }

    [Fact]
    public void Sgd_Float_FollowsTheDoublePath()
    {
        var pd = QuadraticBowl.Parameter(W0);
        var pf = new Parameter<float>("w", pd.Value.To<float>());
        var bowl = new QuadraticBowl(A, C);
        var sd = new Sgd<double>([pd], Lr, momentum: 0.9, weightDecay: 0.1, nesterov: true);
        var sf = new Sgd<float>([pf], Lr, momentum: 0.9, weightDecay: 0.1, nesterov: true);
        for (int t = 0; t < 20; t++)
        {
            bowl.WriteGradient(pd);
            bowl.WriteGradient(pf);
            sd.Step();
            sf.Step();
        }
        for (int i = 0; i < 3; i++) Assert.Equal(pd.Value.Data[i], pf.Value.Data[i], 1e-5);
    }

    [Fact]
    public void Sgd_ZeroGrad_ClearsEveryGradient()
    {
        var p = QuadraticBowl.Parameter(W0);
        new QuadraticBowl(A, C).WriteGradient(p);
        var sgd = new Sgd<double>([p], Lr);
        sgd.ZeroGrad();
        Assert.All(p.Grad.Data, g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void Sgd_LearningRateChange_TakesEffectOnNextStep()
    {
        var p = QuadraticBowl.Parameter(1.0);
        var sgd = new Sgd<double>([p], 0.1);
        p.Grad.Data[0] = 1.0;
        sgd.Step();
        sgd.LearningRate = 0.01;
        sgd.Step();
        Assert.Equal(1.0 - 0.1 - 0.01, p.Value.Data[0], 1e-15);
        Assert.Equal(2, sgd.StepCount);
    }

    [Theory]
    [InlineData(-0.1, 0.0, 0.0, "learning rate", "-0.1")]
    [InlineData(double.NaN, 0.0, 0.0, "learning rate", "NaN")]
    [InlineData(0.1, -0.5, 0.0, "momentum", "-0.5")]
    [InlineData(0.1, 0.0, -1.0, "weight decay", "-1")]
    public void Sgd_NegativeHyperparameter_IsRejectedNamingTheValue(double lr, double momentum, double weightDecay, string what, string value)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new Sgd<double>([QuadraticBowl.Parameter(1.0)], lr, momentum, weightDecay: weightDecay));
        Assert.Contains($"invalid {what}", ex.Message);
        Assert.Contains($"got {value}", ex.Message);
        Assert.Contains(">= 0", ex.Message);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.9, 0.5)]
    [InlineData(0.0, 0.5)]
    public void Sgd_NesterovWithoutMomentumOrWithDampening_IsRejected(double momentum, double dampening)
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new Sgd<double>([QuadraticBowl.Parameter(1.0)], 0.1, momentum, dampening, nesterov: true));
        Assert.Contains("Nesterov momentum requires momentum > 0 and dampening = 0", ex.Message);
        Assert.Contains(FormattableString.Invariant($"got momentum {momentum} and dampening {dampening}"), ex.Message);
    }

    [Fact]
    public void Sgd_NegativeDampening_IsAcceptedAsInPyTorch()
    {
        var sgd = new Sgd<double>([QuadraticBowl.Parameter(1.0)], 0.1, momentum: 0.9, dampening: -0.5);
        Assert.Equal(-0.5, sgd.Dampening);
    }

    [Fact]
    public void Optimizer_EmptyParameterList_IsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Sgd<double>([], 0.1));
        Assert.Contains("expected at least one parameter, got 0", ex.Message);
    }

    [Fact]
    public void Optimizer_DuplicateParameter_IsRejected()
    {
        var p = QuadraticBowl.Parameter(1.0);
        var ex = Assert.Throws<ArgumentException>(() => new Sgd<double>([p, p], 0.1));
        Assert.Contains("parameter 1", ex.Message);
        Assert.Contains("more than once", ex.Message);
    }

    [Fact]
    public void Optimizer_NegativeLearningRateSetLater_IsRejected()
    {
        var sgd = new Sgd<double>([QuadraticBowl.Parameter(1.0)], 0.1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = -1);
        Assert.Contains("got -1", ex.Message);
        Assert.Equal(0.1, sgd.LearningRate);
    }

    // The vector loop (UpdateLoop: whole vectors, then a zero-padded tail) against Reference/SgdReference.cs, bit for bit.

    /// <summary>Lengths around the vector width: whole vectors, a tail, both.</summary>
    public static TheoryData<int> Lengths => [1, 3, 7, 8, 9, 16, 17, 31, 33, 100];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SgdNesterov_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new Sgd<float>([p], 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true), n, steps: 4, seed: n + 2);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SgdDampeningMaximize_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new Sgd<float>([p], 0.05, momentum: 0.8, dampening: 0.3, maximize: true), n, steps: 4, seed: n + 3);
}

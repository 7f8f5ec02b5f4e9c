using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

public class OptimizerTests
{
    // E = ½ a (w − c)² on three elements; gradients written by QuadraticBowl.
    private static readonly double[] A = [1.0, 4.0, 0.3];
    private static readonly double[] C = [0.5, -1.0, 2.0];
    private static readonly double[] W0 = [2.0, 1.0, -1.5];
    private const int Steps = 8;

    private static double Gradient(int i, double w) => A[i] * (w - C[i]);

    // ---------- The slide's momentum versus PyTorch's ----------

    [Fact]
    public void SlideMomentum_ConstantLearningRate_WalksTheSamePathAsSgdMomentum()
    {
        var bowl = new QuadraticBowl(A, C);
        var ps = QuadraticBowl.Parameter(W0);
        var pt = QuadraticBowl.Parameter(W0);
        var slide = new SlideMomentum<double>([ps], learningRate: 0.05, momentum: 0.9);
        var sgd = new Sgd<double>([pt], learningRate: 0.05, momentum: 0.9, dampening: 0);
        for (int t = 0; t < 30; t++)
        {
            bowl.WriteGradient(ps);
            bowl.WriteGradient(pt);
            slide.Step();
            sgd.Step();
            for (int i = 0; i < 3; i++) Assert.Equal(pt.Value.Data[i], ps.Value.Data[i], 1e-12);
        }
        Assert.True(Math.Abs(ps.Value.Data[0] - W0[0]) > 0.1);
    }

    [Fact]
    public void SlideMomentum_MatchesTheSlideFormulaStepByStep()
    {
        // Δw(t) = η ∂E/∂w + γ Δw(t−1), Δw(0) = 0; E = ½w², w₀ = 1, η = 0.1, γ = 0.5:
        // Δ1 = 0.1,                 w1 = 0.9
        // Δ2 = 0.09 + 0.05 = 0.14,  w2 = 0.76
        // Δ3 = 0.076 + 0.07 = 0.146, w3 = 0.614
        var p = QuadraticBowl.Parameter(1.0);
        var bowl = new QuadraticBowl([1.0], [0.0]);
        var opt = new SlideMomentum<double>([p], 0.1, 0.5);
        foreach (double w in new[] { 0.9, 0.76, 0.614 })
        {
            bowl.WriteGradient(p);
            opt.Step();
            Assert.Equal(w, p.Value.Data[0], 1e-14);
        }
    }

    [Fact]
    public void SlideMomentum_LearningRateChange_DivergesFromSgdByGammaTimesVelocityTimesRateChange()
    {
        // Same path for two steps at η; at step 3 the rate becomes η'. PyTorch: w3 = w2 − η'(g3 + γ b2);
        // slide: w3 = w2 − (η' g3 + γ η b2). So w3(slide) − w3(sgd) = γ b2 (η' − η), with b2 = Δw(2) / η.
        const double eta = 0.1, etaNew = 0.01, gamma = 0.9;
        var bowl = new QuadraticBowl([1.0], [0.0]);
        var ps = QuadraticBowl.Parameter(1.0);
        var pt = QuadraticBowl.Parameter(1.0);
        var slide = new SlideMomentum<double>([ps], eta, gamma);
        var sgd = new Sgd<double>([pt], eta, gamma);
        var slideSchedule = new StepLR(slide, stepSize: 2, gamma: 0.1);
        var sgdSchedule = new StepLR(sgd, stepSize: 2, gamma: 0.1);
        double before = 1.0;
        for (int t = 1; t <= 2; t++)
        {
            bowl.WriteGradient(ps);
            bowl.WriteGradient(pt);
            slide.Step();
            sgd.Step();
            slideSchedule.Step();
            sgdSchedule.Step();
            Assert.Equal(pt.Value.Data[0], ps.Value.Data[0], 1e-14);
            if (t == 1) before = ps.Value.Data[0];
        }
        Assert.Equal(etaNew, slide.LearningRate, 1e-15);
        Assert.Equal(etaNew, sgd.LearningRate, 1e-15);
        double b2 = (before - ps.Value.Data[0]) / eta; // Δw(2) / η
        bowl.WriteGradient(ps);
        bowl.WriteGradient(pt);
        slide.Step();
        sgd.Step();
        Assert.Equal(gamma * b2 * (etaNew - eta), ps.Value.Data[0] - pt.Value.Data[0], 1e-14);
        Assert.True(Math.Abs(ps.Value.Data[0] - pt.Value.Data[0]) > 0.01);
    }

    [Fact]
    public void SlideMomentum_DiffersFromSgdWithDampening_FromTheSecondStep()
    {
        // First step: both are w − η g1. Second: SGD w − η(γ g1 + (1 − τ) g2), slide w − (η g2 + γ η g1):
        // the slide's weight is lower by τ η g2.
        const double eta = 0.1, gamma = 0.9, tau = 0.5;
        var bowl = new QuadraticBowl([1.0], [0.0]);
        var ps = QuadraticBowl.Parameter(1.0);
        var pt = QuadraticBowl.Parameter(1.0);
        var slide = new SlideMomentum<double>([ps], eta, gamma);
        var sgd = new Sgd<double>([pt], eta, gamma, dampening: tau);
        bowl.WriteGradient(ps); bowl.WriteGradient(pt);
        slide.Step(); sgd.Step();
        Assert.Equal(pt.Value.Data[0], ps.Value.Data[0], 1e-15);
        double g2 = ps.Value.Data[0];
        bowl.WriteGradient(ps); bowl.WriteGradient(pt);
        slide.Step(); sgd.Step();
        Assert.Equal(-tau * eta * g2, ps.Value.Data[0] - pt.Value.Data[0], 1e-15);
    }

    [Fact]
    public void SlideMomentum_NegativeMomentum_IsRejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SlideMomentum<double>([QuadraticBowl.Parameter(1.0)], 0.1, -0.2));
        Assert.Contains("SlideMomentum: invalid momentum", ex.Message);
        Assert.Contains("got -0.2", ex.Message);
    }

    // ---------- RMSprop ----------

    /// <summary>The documented RMSprop written as scalar recurrences, one element at a time.</summary>
    private static double[] RmsPropPath(int i, double lr, double alpha, double eps, double lambda, double mu, bool centered, bool maximize)
    {
        var path = new double[Steps + 1];
        double w = W0[i], squareMean = 0, mean = 0, velocity = 0;
        path[0] = w;
        for (int t = 1; t <= Steps; t++)
        {
            double g = (maximize ? -1 : 1) * Gradient(i, w) + lambda * w;
            squareMean = alpha * squareMean + (1 - alpha) * g * g;
            mean = alpha * mean + (1 - alpha) * g;
            double variance = centered ? squareMean - mean * mean : squareMean;
            double direction = g / (Math.Sqrt(variance) + eps);
            velocity = mu * velocity + direction;
            w -= lr * (mu > 0 ? velocity : direction);
            path[t] = w;
        }
        return path;
    }

    [Theory]
    [InlineData(0.01, 0.99, 1e-8, 0.0, 0.0, false, false)]
    [InlineData(0.01, 0.99, 1e-8, 0.0, 0.0, true, false)]
    [InlineData(0.01, 0.9, 1e-8, 0.0, 0.9, false, false)]
    [InlineData(0.02, 0.9, 1e-3, 0.1, 0.0, false, true)]
    [InlineData(0.01, 0.8, 1e-6, 0.1, 0.5, true, true)]
    public void RmsProp_Trajectory_MatchesScalarRecurrence(double lr, double alpha, double eps, double weightDecay, double momentum, bool centered, bool maximize)
    {
        var p = QuadraticBowl.Parameter(W0);
        var bowl = new QuadraticBowl(A, C);
        var opt = new RmsProp<double>([p], lr, alpha, eps, weightDecay, momentum, centered, maximize);
        var expected = Enumerable.Range(0, 3).Select(i => RmsPropPath(i, lr, alpha, eps, weightDecay, momentum, centered, maximize)).ToArray();
        for (int t = 1; t <= Steps; t++)
        {
            bowl.WriteGradient(p);
            opt.Step();
            for (int i = 0; i < 3; i++) Assert.Equal(expected[i][t], p.Value.Data[i], 1e-12);
        }
    }

    [Fact]
    public void RmsProp_FirstStep_IsAboutTenTimesTheLearningRate()
    {
        // v = 0.01 g², so the step is γ g / (0.1 |g| + ε) ≈ 10 γ sign(g), whatever |g| is.
        var p = QuadraticBowl.Parameter(0.0, 0.0);
        p.Grad.Data[0] = 3.0;
        p.Grad.Data[1] = -0.002;
        new RmsProp<double>([p]).Step();
        Assert.Equal(-0.1, p.Value.Data[0], 1e-8);
        Assert.Equal(0.1, p.Value.Data[1], 1e-5);
    }

    [Theory]
    [InlineData(-0.01, 0.99, 1e-8, 0.0, 0.0, "learning rate")]
    [InlineData(0.01, 0.99, -1e-8, 0.0, 0.0, "epsilon")]
    [InlineData(0.01, 0.99, 1e-8, -0.1, 0.0, "weight decay")]
    [InlineData(0.01, 0.99, 1e-8, 0.0, -0.9, "momentum")]
    [InlineData(0.01, -0.99, 1e-8, 0.0, 0.0, "alpha")]
    public void RmsProp_InvalidArgument_IsRejectedNamingIt(double lr, double alpha, double eps, double weightDecay, double momentum, string what)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new RmsProp<double>([QuadraticBowl.Parameter(1.0)], lr, alpha, eps, weightDecay, momentum));
        Assert.Contains($"RmsProp: invalid {what}: expected a value >= 0, got -", ex.Message);
    }

    // The vector loop against Reference/RmsPropReference.cs, bit for bit.

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RmsPropCenteredMomentum_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new RmsProp<float>([p], 0.01, alpha: 0.9, eps: 1e-6, momentum: 0.5, centered: true), n, steps: 4, seed: n + 4);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RmsPropWeightDecay_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new RmsProp<float>([p], 0.01, weightDecay: 0.1), n, steps: 4, seed: n + 5);


    // ---------- Adam and AdamW ----------

    /// <summary>
    /// The textbook form: m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), step γ m̂/(√v̂ + ε); AMSGrad as PyTorch's code (maximum of the
    /// uncorrected v, corrected by the current step's factor); AdamW multiplies w by (1 − γλ) first.
    /// </summary>
    private static double[] AdamPath(int i, double lr, double beta1, double beta2, double eps, double lambda, bool amsgrad, bool maximize, bool decoupled)
    {
        var path = new double[Steps + 1];
        double w = W0[i], m = 0, v = 0, vMax = 0;
        path[0] = w;
        for (int t = 1; t <= Steps; t++)
        {
            double g = (maximize ? -1 : 1) * Gradient(i, w);
            if (decoupled) w -= lr * lambda * w;
            else g += lambda * w;
            m = beta1 * m + (1 - beta1) * g;
            v = beta2 * v + (1 - beta2) * g * g;
            vMax = Math.Max(vMax, v);
            double mHat = m / (1 - Math.Pow(beta1, t));
            double vHat = (amsgrad ? vMax : v) / (1 - Math.Pow(beta2, t));
            w -= lr * mHat / (Math.Sqrt(vHat) + eps);
            path[t] = w;
        }
        return path;
    }

    [Theory]
    [InlineData(1e-3, 0.9, 0.999, 1e-8, 0.0, false, false, false)]
    [InlineData(0.1, 0.9, 0.999, 1e-8, 0.0, false, false, false)]
    [InlineData(0.1, 0.8, 0.5, 1e-8, 0.0, true, false, false)]
    [InlineData(0.05, 0.9, 0.99, 1e-4, 0.1, false, true, false)]
    [InlineData(0.05, 0.9, 0.99, 1e-8, 0.1, true, false, true)]
    [InlineData(0.1, 0.5, 0.9, 1e-8, 0.2, false, true, true)]
    public void Adam_Trajectory_MatchesBiasCorrectedRecurrence(double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool maximize, bool decoupled)
    {
        var p = QuadraticBowl.Parameter(W0);
        var bowl = new QuadraticBowl(A, C);
        Optimizer<double> opt = decoupled
            ? new AdamW<double>([p], lr, (beta1, beta2), eps, weightDecay, amsgrad, maximize)
            : new Adam<double>([p], lr, (beta1, beta2), eps, weightDecay, amsgrad, maximize);
        var expected = Enumerable.Range(0, 3).Select(i => AdamPath(i, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, decoupled)).ToArray();
        for (int t = 1; t <= Steps; t++)
        {
            bowl.WriteGradient(p);
            opt.Step();
            for (int i = 0; i < 3; i++) Assert.Equal(expected[i][t], p.Value.Data[i], 1e-12);
        }
    }

    [Fact]
    public void Adam_AmsGrad_ChangesThePathWhenTheSecondMomentShrinks()
    {
        // With β₂ = 0.5 the running v falls as the gradient shrinks near the optimum, so the maximum matters.
        double[] plain = AdamPath(1, 0.1, 0.8, 0.5, 1e-8, 0, amsgrad: false, maximize: false, decoupled: false);
        double[] ams = AdamPath(1, 0.1, 0.8, 0.5, 1e-8, 0, amsgrad: true, maximize: false, decoupled: false);
        Assert.True(Math.Abs(plain[Steps] - ams[Steps]) > 1e-3);
    }

    [Fact]
    public void Adam_FirstStep_IsTheLearningRateTimesTheSignOfTheGradient()
    {
        // m̂ = g and v̂ = g² at t = 1, so the step is γ g / (|g| + ε).
        var p = QuadraticBowl.Parameter(0.0, 0.0);
        p.Grad.Data[0] = 250.0;
        p.Grad.Data[1] = -0.04;
        new Adam<double>([p]).Step();
        Assert.Equal(-1e-3, p.Value.Data[0], 1e-12);
        Assert.Equal(1e-3, p.Value.Data[1], 1e-9);
    }

    [Fact]
    public void AdamW_DefaultWeightDecay_IsOnePercent_AndShrinksAZeroGradientWeight()
    {
        var p = QuadraticBowl.Parameter(2.0);
        var opt = new AdamW<double>([p]);
        Assert.Equal(0.01, opt.WeightDecay);
        opt.Step(); // zero gradient: m = v = 0, only the decay acts
        Assert.Equal(2.0 * (1 - 1e-3 * 0.01), p.Value.Data[0], 1e-15);
    }

    [Theory]
    [InlineData(1.0, 0.999, "beta at index 0", "got 1")]
    [InlineData(-0.1, 0.999, "beta at index 0", "got -0.1")]
    [InlineData(0.9, 1.5, "beta at index 1", "got 1.5")]
    public void Adam_BetaOutsideUnitInterval_IsRejected(double beta1, double beta2, string which, string got)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>([QuadraticBowl.Parameter(1.0)], betas: (beta1, beta2)));
        Assert.Contains($"Adam: invalid {which}: expected 0 <= beta < 1", ex.Message);
        Assert.Contains(got, ex.Message);
    }

    [Theory]
    [InlineData(-1e-3, 1e-8, 0.0, "learning rate")]
    [InlineData(1e-3, -1e-8, 0.0, "epsilon")]
    [InlineData(1e-3, 1e-8, -0.01, "weight decay")]
    public void AdamW_NegativeArgument_IsRejectedNamingIt(double lr, double eps, double weightDecay, string what)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW<double>([QuadraticBowl.Parameter(1.0)], lr, eps: eps, weightDecay: weightDecay));
        Assert.Contains($"AdamW: invalid {what}: expected a value >= 0, got -", ex.Message);
    }

    [Fact]
    public void Adam_Float_FollowsTheDoublePath()
    {
        var pd = QuadraticBowl.Parameter(W0);
        var pf = new Parameter<float>("w", pd.Value.To<float>());
        var bowl = new QuadraticBowl(A, C);
        var od = new Adam<double>([pd], 0.05);
        var of = new Adam<float>([pf], 0.05);
        for (int t = 0; t < 30; t++)
        {
            bowl.WriteGradient(pd); bowl.WriteGradient(pf);
            od.Step(); of.Step();
        }
        for (int i = 0; i < 3; i++) Assert.Equal(pd.Value.Data[i], pf.Value.Data[i], 1e-4);
    }

    // The vector loop (UpdateLoop: whole vectors, then a zero-padded tail) against Reference/AdamReference.cs, bit for bit.

    /// <summary>Lengths around the vector width: whole vectors, a tail, both.</summary>
    public static TheoryData<int> Lengths => [1, 3, 7, 8, 9, 16, 17, 31, 33, 100];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Adam_AmsGrad_WeightDecay_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new Adam<float>([p], 0.01, betas: (0.8, 0.95), eps: 1e-6, weightDecay: 0.1, amsgrad: true), n, steps: 5, seed: n);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AdamW_Maximize_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new AdamW<float>([p], 0.02, weightDecay: 0.05, maximize: true), n, steps: 4, seed: n + 1);
}

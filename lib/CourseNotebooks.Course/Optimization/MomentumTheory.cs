using System.Numerics;
using CourseNotebooks.Engine.Optimizers;

namespace CourseNotebooks.Course.Optimization;

/// <summary>
/// The closed forms of momentum on a quadratic (Goh, "Why Momentum Really Works", Distill 2017), and a measurement
/// of the rate a real optimizer path achieves, so the two can be compared. Introduced in notebook 15-momentum.
/// </summary>
/// <remarks>
/// <para>Momentum in Goh's notation, with step size α and momentum β:</para>
/// <code>
/// z ← β z + ∇f(w)        (z starts at 0)
/// w ← w − α z
/// </code>
/// <para>This is exactly <see cref="Sgd{T}"/> with learningRate = α, momentum = β, dampening = 0 (PyTorch's buffer
/// starts at the first gradient, which is β·0 + g), and <see cref="SlideMomentum{T}"/> with η = α, γ = β.</para>
/// <para>On f(w) = ½ Σ λᵢ xᵢ² (xᵢ the coordinates along the Hessian's eigenvectors) each eigen-direction evolves on its
/// own: (zᵏ⁺¹, xᵏ⁺¹) = R (zᵏ, xᵏ) with R = [[β, λ], [−αβ, 1 − αλ]]. R has trace 1 + β − αλ and determinant β, so its
/// eigenvalues are σ₁,₂ = ½(1 + β − αλ ± √((1 + β − αλ)² − 4β)); the direction shrinks by max|σ₁,₂| per step
/// (asymptotically). With complex roots both have modulus √β. The rate is below 1 exactly when 0 &lt; αλ &lt; 2 + 2β.</para>
/// </remarks>
public static class MomentumTheory
{
    /// <summary>
    /// Goh's iteration matrix R = [[β, λ], [−αβ, 1 − αλ]] for one eigen-direction with eigenvalue λ: it maps
    /// (zᵏ, xᵏ) to (zᵏ⁺¹, xᵏ⁺¹).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">α, β or λ is not finite, or α or β is negative.</exception>
    public static double[,] IterationMatrix(double alpha, double beta, double lambda)
    {
        Check(alpha, beta, lambda, nameof(IterationMatrix));
        return new[,] { { beta, lambda }, { -alpha * beta, 1 - alpha * lambda } };
    }

    /// <summary>
    /// The eigenvalues σ₁, σ₂ of <see cref="IterationMatrix"/>, as complex numbers (σ₁ the one with the larger
    /// modulus): ½(1 + β − αλ ± √((1 + β − αλ)² − 4β)).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="IterationMatrix"/>.</exception>
    public static (Complex Sigma1, Complex Sigma2) Eigenvalues(double alpha, double beta, double lambda)
    {
        Check(alpha, beta, lambda, nameof(Eigenvalues));
        double trace = 1 + beta - alpha * lambda;
        double discriminant = trace * trace - 4 * beta;
        Complex root = discriminant >= 0 ? new Complex(Math.Sqrt(discriminant), 0) : new Complex(0, Math.Sqrt(-discriminant));
        Complex a = (trace + root) / 2, b = (trace - root) / 2;
        return a.Magnitude >= b.Magnitude ? (a, b) : (b, a);
    }

    /// <summary>
    /// The convergence rate of one eigen-direction: max(|σ₁|, |σ₂|). Below 1 the error shrinks by this factor per
    /// step (asymptotically); above 1 it grows. With complex roots ((1 + β − αλ)² &lt; 4β) it is √β; with β = 0 it
    /// is |1 − αλ|, plain gradient descent's rate.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="IterationMatrix"/>.</exception>
    public static double Rate(double alpha, double beta, double lambda)
    {
        var (s1, _) = Eigenvalues(alpha, beta, lambda);
        return s1.Magnitude;
    }

    /// <summary>
    /// The rate of the whole quadratic: the slowest eigen-direction, max over λ of <see cref="Rate(double, double, double)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No eigenvalues.</exception>
    public static double Rate(double alpha, double beta, IReadOnlyList<double> lambdas)
    {
        ArgumentNullException.ThrowIfNull(lambdas);
        if (lambdas.Count == 0) throw new ArgumentException("MomentumTheory.Rate: at least one eigenvalue is needed, got 0.", nameof(lambdas));
        return lambdas.Max(l => Rate(alpha, beta, l));
    }

    /// <summary>Whether the direction with eigenvalue λ converges: 0 &lt; αλ &lt; 2 + 2β (Goh's condition).</summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="IterationMatrix"/>.</exception>
    public static bool Converges(double alpha, double beta, double lambda)
    {
        Check(alpha, beta, lambda, nameof(Converges));
        return alpha * lambda > 0 && alpha * lambda < 2 + 2 * beta;
    }

    /// <summary>
    /// The divergence boundary: the step size α = (2 + 2β)/λ at which the direction with eigenvalue λ stops
    /// converging (there σ = −1, the error flips sign each step without shrinking). For β in [0, 1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">β outside [0, 1) or λ not positive and finite.</exception>
    public static double DivergenceStepSize(double beta, double lambda)
    {
        if (!(beta >= 0 && beta < 1))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, $"MomentumTheory.DivergenceStepSize: β must be in [0, 1), got {beta}.");
        if (!(lambda > 0) || !double.IsFinite(lambda))
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, $"MomentumTheory.DivergenceStepSize: λ must be positive and finite, got {lambda}.");
        return (2 + 2 * beta) / lambda;
    }

    /// <summary>
    /// Critical damping for the direction with eigenvalue λ at step size α: the β = (1 − √(αλ))² at which the two
    /// roots meet (a double root 1 − √(αλ) = √β). Less momentum leaves real roots (a monotone, over-damped
    /// approach), more gives complex ones (oscillation at rate √β). Defined for 0 &lt; αλ ≤ 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">αλ outside (0, 1].</exception>
    public static double CriticalMomentum(double alpha, double lambda)
    {
        double product = alpha * lambda;
        if (!(product > 0 && product <= 1))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"MomentumTheory.CriticalMomentum: αλ must be in (0, 1], got α = {alpha}, λ = {lambda} (αλ = {product}).");
        double s = 1 - Math.Sqrt(product);
        return s * s;
    }

    /// <summary>
    /// The best constant α and β for a quadratic whose eigenvalues lie in [λmin, λmax], and the rate they give:
    /// α = (2/(√λmin + √λmax))², β = ((√κ − 1)/(√κ + 1))², rate (√κ − 1)/(√κ + 1) with κ = λmax/λmin.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">λmin not positive, or λmax below λmin, or either not finite.</exception>
    public static (double Alpha, double Beta, double Rate) Optimal(double lambdaMin, double lambdaMax)
    {
        CheckSpectrum(lambdaMin, lambdaMax, nameof(Optimal));
        double kappa = Math.Sqrt(lambdaMax / lambdaMin);
        double rate = (kappa - 1) / (kappa + 1);
        double alpha = 2 / (Math.Sqrt(lambdaMin) + Math.Sqrt(lambdaMax));
        return (alpha * alpha, rate * rate, rate);
    }

    /// <summary>
    /// The best step size of plain gradient descent (β = 0) on eigenvalues in [λmin, λmax], and its rate:
    /// α = 2/(λmin + λmax), rate (κ − 1)/(κ + 1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="Optimal"/>.</exception>
    public static (double Alpha, double Rate) OptimalGradientDescent(double lambdaMin, double lambdaMax)
    {
        CheckSpectrum(lambdaMin, lambdaMax, nameof(OptimalGradientDescent));
        double kappa = lambdaMax / lambdaMin;
        return (2 / (lambdaMin + lambdaMax), (kappa - 1) / (kappa + 1));
    }

    /// <summary>
    /// The rate a recorded path achieved, measured: the error state sₖ = (wₖ − w*, wₖ₋₁ − w*) (both weights, this step
    /// and the previous one, so an oscillating path is not caught at a zero crossing) shrinks like rateᵏ; the rate is
    /// exp of the least-squares slope of ln‖sₖ‖ over k, fitted on the second half of the path (the slowest direction
    /// dominates by then). Points whose error has fallen below 1e-250 are left out (they are at the floating-point
    /// floor); when fewer than 3 points remain the rate is taken from the first and last usable point, and a path
    /// that reached the minimum exactly gives 0.
    /// </summary>
    /// <param name="path">A path from <see cref="OptimizerPath.Run"/>; a diverged path is measured on its finite points
    /// (its rate then comes out above 1).</param>
    /// <param name="minimum">w*, the point the path should approach.</param>
    /// <exception cref="ArgumentException">The path has fewer than 3 points.</exception>
    public static double MeasuredRate(OptimizerPathResult path, (double X, double Y) minimum)
    {
        ArgumentNullException.ThrowIfNull(path);
        int n = path.X.Length;
        if (n < 3) throw new ArgumentException($"MomentumTheory.MeasuredRate: the path needs at least 3 points, got {n}.", nameof(path));
        var logs = new List<(int K, double Log)>();
        bool reachedZero = false;
        for (int k = 1; k < n; k++)
        {
            double dx = path.X[k] - minimum.X, dy = path.Y[k] - minimum.Y;
            double px = path.X[k - 1] - minimum.X, py = path.Y[k - 1] - minimum.Y;
            double norm = Math.Sqrt(dx * dx + dy * dy + px * px + py * py);
            if (norm == 0) { reachedZero = true; break; }
            if (norm < 1e-250) break;
            logs.Add((k, Math.Log(norm)));
        }
        if (logs.Count == 0) return 0;
        if (reachedZero && logs.Count < 3) return 0;
        var tail = logs.Count >= 6 ? logs.Skip(logs.Count / 2).ToList() : logs;
        if (tail.Count < 3)
        {
            if (tail.Count < 2) return 0;
            return Math.Exp((tail[^1].Log - tail[0].Log) / (tail[^1].K - tail[0].K));
        }
        double meanK = tail.Average(p => p.K), meanL = tail.Average(p => p.Log);
        double num = 0, den = 0;
        foreach (var (k, l) in tail)
        {
            num += (k - meanK) * (l - meanL);
            den += (k - meanK) * (k - meanK);
        }
        return Math.Exp(num / den);
    }

    private static void Check(double alpha, double beta, double lambda, string method)
    {
        if (!(alpha >= 0) || !double.IsFinite(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"MomentumTheory.{method}: α must be finite and >= 0, got {alpha}.");
        if (!(beta >= 0) || !double.IsFinite(beta))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, $"MomentumTheory.{method}: β must be finite and >= 0, got {beta}.");
        if (!double.IsFinite(lambda))
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, $"MomentumTheory.{method}: λ must be finite, got {lambda}.");
    }

    private static void CheckSpectrum(double lambdaMin, double lambdaMax, string method)
    {
        if (!(lambdaMin > 0) || !double.IsFinite(lambdaMin))
            throw new ArgumentOutOfRangeException(nameof(lambdaMin), lambdaMin, $"MomentumTheory.{method}: λmin must be positive and finite, got {lambdaMin}.");
        if (!(lambdaMax >= lambdaMin) || !double.IsFinite(lambdaMax))
            throw new ArgumentOutOfRangeException(nameof(lambdaMax), lambdaMax, $"MomentumTheory.{method}: λmax must be finite and >= λmin = {lambdaMin}, got {lambdaMax}.");
    }
}

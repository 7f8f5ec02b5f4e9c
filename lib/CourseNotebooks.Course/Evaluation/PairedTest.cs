using MathNet.Numerics.Distributions;

namespace CourseNotebooks.Course.Evaluation;

/// <summary>
/// A paired comparison of two methods measured on the same units (the same seeds, the same queries): the mean of
/// the differences a − b, its standard error, Student's t = mean / SE with n − 1 degrees of freedom and the
/// two-sided p-value. Pairing removes what the two measurements share (a seed's lucky initial weights, an easy
/// query), so a difference far smaller than the spread of either method can still be told from noise.
/// Introduced in notebook 17-learning-methods (full batch against mini-batches over seeds; used again in
/// 12-retrieval-with-codes over queries and 13-convolutional-autoencoder over seeds).
/// </summary>
/// <remarks>
/// SciPy: <c>scipy.stats.ttest_rel(a, b)</c> gives the same t and p. The test assumes the differences are roughly
/// normal; with few pairs (3 to 5 seeds) it is conservative only for large effects, which is what a verdict needs.
/// Edge cases: when every difference is the same number the standard error is 0; then t is ±∞ and p is 0 for a
/// non-zero mean, and t is NaN and p is 1 when every difference is 0 (nothing to tell apart).
/// </remarks>
/// <param name="Count">Number of pairs n.</param>
/// <param name="MeanDifference">Mean of a − b.</param>
/// <param name="StandardError">Sample standard deviation of the differences over √n.</param>
/// <param name="T">Student's t, MeanDifference / StandardError.</param>
/// <param name="PValue">Two-sided p-value of t with n − 1 degrees of freedom.</param>
public sealed record PairedTest(int Count, double MeanDifference, double StandardError, double T, double PValue)
{
    /// <summary>The conventional significance level the notebooks use, 0.05.</summary>
    public const double DefaultAlpha = 0.05;

    /// <summary>Degrees of freedom, n − 1.</summary>
    public int DegreesOfFreedom => Count - 1;

    /// <summary>
    /// The verdict as a sign: +1 when a is larger than b at level <paramref name="alpha"/> (p &lt; alpha), −1 when it is
    /// smaller, 0 when the difference is within the noise.
    /// </summary>
    public int Direction(double alpha = DefaultAlpha) => PValue < alpha ? Math.Sign(MeanDifference) : 0;

    /// <summary>
    /// The paired t-test of <paramref name="a"/> against <paramref name="b"/> (pair i is a[i], b[i]).
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ, fewer than 2 pairs, or a value is not finite.</exception>
    public static PairedTest Of(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) throw new ArgumentException($"PairedTest.Of: the two lists differ in length ({a.Count} and {b.Count}); pairs need equal lengths.", nameof(b));
        if (a.Count < 2) throw new ArgumentException($"PairedTest.Of: a paired test needs at least 2 pairs, got {a.Count}.", nameof(a));
        var differences = new double[a.Count];
        for (int i = 0; i < differences.Length; i++)
        {
            if (!double.IsFinite(a[i]) || !double.IsFinite(b[i]))
                throw new ArgumentException($"PairedTest.Of: pair {i} is not finite ({a[i]}, {b[i]}).", nameof(a));
            differences[i] = a[i] - b[i];
        }
        double mean = Statistics.Mean(differences), se = Statistics.StandardErrorOfMean(differences);
        if (se == 0) return new PairedTest(a.Count, mean, 0, mean == 0 ? double.NaN : mean * double.PositiveInfinity, mean == 0 ? 1 : 0);
        double t = mean / se;
        double p = 2 * StudentT.CDF(0, 1, a.Count - 1, -Math.Abs(t));
        return new PairedTest(a.Count, mean, se, t, Math.Min(1, p));
    }

    /// <summary>"mean difference −0.183 ± 0.059, t(4) = −3.08, p = 0.037" ("p &lt; 0.001" below that): the statistic in the form papers print it.</summary>
    public override string ToString() => FormattableString.Invariant($"mean difference {MeanDifference:G3} ± {StandardError:G2}, t({DegreesOfFreedom}) = {T:F2}, p {(PValue < 0.001 ? "" : "= ")}{FormatP(PValue)}");

    /// <summary>A p-value for a sentence: three decimals, or "&lt; 0.001".</summary>
    public static string FormatP(double p) => p < 0.001 ? "< 0.001" : p.ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
}

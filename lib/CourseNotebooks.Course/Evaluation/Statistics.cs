namespace CourseNotebooks.Course.Evaluation;

/// <summary>
/// The few statistics the notebooks need to say whether a measured difference is real: mean, sample standard
/// deviation, standard error of a mean, the binomial standard error of an accuracy, and Pearson's correlation.
/// All in double precision. Introduced in notebook 01-convolution (are learned filters better than hand-made ones,
/// over several seeds?); the correlation in 02-pooling (how similar are the feature maps of an image and of its
/// shifted copy?).
/// </summary>
/// <remarks>
/// NumPy: <c>np.mean</c>, <c>np.std(x, ddof=1)</c>, <c>np.corrcoef</c>; SciPy: <c>scipy.stats.sem</c>,
/// <c>scipy.stats.pearsonr</c>. Like NumPy, undefined values come back as NaN instead of throwing (a standard
/// deviation of one value, a correlation with a constant), so a table can still show them.
/// </remarks>
public static class Statistics
{
    /// <summary>The arithmetic mean, sum(x) / n.</summary>
    /// <exception cref="ArgumentException">No values (NumPy would return NaN with a warning; an empty mean is a bug
    /// in a notebook).</exception>
    public static double Mean(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("Statistics.Mean: no values.", nameof(values));
        double sum = 0;
        for (int i = 0; i < values.Count; i++) sum += values[i];
        return sum / values.Count;
    }

    /// <summary>
    /// The sample standard deviation, sqrt(sum((x - mean)^2) / (n - 1)) (Bessel's correction, as
    /// <c>np.std(x, ddof=1)</c>): the spread of the runs themselves, for instance the test accuracy of one model
    /// trained with different seeds. NaN for a single value.
    /// </summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        double mean = Mean(values);
        if (values.Count == 1) return double.NaN;
        double squares = 0;
        for (int i = 0; i < values.Count; i++) squares += (values[i] - mean) * (values[i] - mean);
        return Math.Sqrt(squares / (values.Count - 1));
    }

    /// <summary>
    /// The standard error of the mean, s / sqrt(n) with s the <see cref="StandardDeviation"/>: how far the mean of
    /// n runs is typically from the mean of infinitely many. NaN for a single value. SciPy: scipy.stats.sem.
    /// </summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static double StandardErrorOfMean(IReadOnlyList<double> values) =>
        StandardDeviation(values) / Math.Sqrt(values.Count);

    /// <summary>
    /// The binomial standard error of an accuracy p measured on n independent test images, sqrt(p (1 - p) / n):
    /// how much the accuracy would move if the same model were scored on another n images from the same
    /// distribution. 0 for p = 0 or 1 (the normal approximation breaks down there; it is fine for 0.05 &lt; p &lt; 0.95
    /// and n in the hundreds).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">p outside [0, 1] or n not positive.</exception>
    public static double BinomialStandardError(double accuracy, int count)
    {
        if (!(accuracy >= 0 && accuracy <= 1))
            throw new ArgumentOutOfRangeException(nameof(accuracy), accuracy, $"Statistics.BinomialStandardError: an accuracy lies in [0, 1], got {accuracy}.");
        if (count <= 0)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Statistics.BinomialStandardError: the number of test images must be positive, got {count}.");
        return Math.Sqrt(accuracy * (1 - accuracy) / count);
    }

    /// <summary>
    /// Pearson's correlation of two equally long sequences,
    /// r = sum((a - mean a)(b - mean b)) / sqrt(sum((a - mean a)^2) sum((b - mean b)^2)), in [-1, 1]: 1 when b is an
    /// increasing affine function of a, 0 when they are linearly unrelated. Unlike the fraction of exactly equal
    /// values it cannot be high merely because both sequences are mostly zero: two sparse feature maps whose
    /// non-zero values do not overlap correlate near 0 (slightly below), however much empty background they share.
    /// NaN when either sequence is constant (including length 1). NumPy: np.corrcoef(a, b)[0, 1].
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ, or the sequences are empty.</exception>
    public static double Correlation(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Statistics.Correlation: the sequences differ in length ({a.Length} and {b.Length}).", nameof(b));
        if (a.Length == 0) throw new ArgumentException("Statistics.Correlation: no values.", nameof(a));
        double meanA = 0, meanB = 0;
        for (int i = 0; i < a.Length; i++) { meanA += a[i]; meanB += b[i]; }
        meanA /= a.Length;
        meanB /= b.Length;
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double da = a[i] - meanA, db = b[i] - meanB;
            ab += da * db;
            aa += da * da;
            bb += db * db;
        }
        return aa == 0 || bb == 0 ? double.NaN : ab / Math.Sqrt(aa * bb);
    }
}

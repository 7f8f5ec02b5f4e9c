using CourseNotebooks.Course.Evaluation;

namespace CourseNotebooks.Course.Tests;

public class StatisticsTests
{
    // Reference values from Python's statistics module (mean, stdev: n - 1 in the denominator, as
    // np.std(x, ddof=1)) on the same inputs.
    private static readonly double[] Accuracies = [0.794, 0.773, 0.762, 0.695, 0.815];

    [Fact]
    public void MeanStandardDeviationAndStandardError_MatchPythonsStatisticsModule()
    {
        Assert.Equal(0.7678, Statistics.Mean(Accuracies), 12);
        Assert.Equal(0.04548296384361952, Statistics.StandardDeviation(Accuracies), 12);
        Assert.Equal(0.04548296384361952 / Math.Sqrt(5), Statistics.StandardErrorOfMean(Accuracies), 12);
    }

    [Fact]
    public void StandardDeviation_OfOneValue_IsNaN_AndOfNone_Throws()
    {
        Assert.True(double.IsNaN(Statistics.StandardDeviation([3.0])));
        Assert.True(double.IsNaN(Statistics.StandardErrorOfMean([3.0])));
        Assert.Throws<ArgumentException>(() => Statistics.Mean([]));
    }

    [Fact]
    public void BinomialStandardError_IsSqrtOfPTimesOneMinusPOverN()
    {
        Assert.Equal(Math.Sqrt(0.8 * 0.2 / 1000), Statistics.BinomialStandardError(0.8, 1000), 15);
        Assert.Equal(0.0, Statistics.BinomialStandardError(1.0, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.BinomialStandardError(1.2, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.BinomialStandardError(0.5, 0));
    }

    [Fact]
    public void Correlation_MatchesPythonsPearsonCorrelation_AndIgnoresScaleAndOffset()
    {
        float[] a = [0, 0, 1, 3, 0, 2], b = [0, 1, 1, 2, 0, 0];
        // statistics.correlation(a, b) (Pearson) = 0.5809475019311126
        Assert.Equal(0.5809475019311126, Statistics.Correlation(a, b), 12);
        float[] affine = [.. a.Select(v => 3 * v + 7)];
        Assert.Equal(1.0, Statistics.Correlation(a, affine), 6);
        Assert.Equal(-1.0, Statistics.Correlation(a, [.. a.Select(v => -v)]), 6);
    }

    [Fact]
    public void Correlation_WithAConstant_IsNaN_AndOfDifferentLengths_Throws()
    {
        Assert.True(double.IsNaN(Statistics.Correlation([1f, 2, 3], [0f, 0, 0])));
        Assert.Throws<ArgumentException>(() => Statistics.Correlation([1f, 2], [1f, 2, 3]));
        Assert.Throws<ArgumentException>(() => Statistics.Correlation([], []));
    }

    [Fact]
    public void PairedTest_IsStudentsTOfTheDifferences_WithTheClosedFormPValueForTwoDegreesOfFreedom()
    {
        // Differences 0.5, 1, 0.5: mean 2/3, sample sd sqrt(1/12), SE 1/6, t = 4. With 2 degrees of freedom the
        // t distribution has a closed form, p = 1 - |t| / sqrt(2 + t^2) (scipy.stats.ttest_rel gives the same).
        double[] a = [1.0, 2.0, 3.0], b = [0.5, 1.0, 2.5];
        var test = PairedTest.Of(a, b);
        Assert.Equal(3, test.Count);
        Assert.Equal(2, test.DegreesOfFreedom);
        Assert.Equal(2.0 / 3, test.MeanDifference, 12);
        Assert.Equal(4.0, test.T, 9);
        Assert.Equal(1 - 4 / Math.Sqrt(18), test.PValue, 9);
        Assert.Equal(0, test.Direction());
        Assert.Equal(1, test.Direction(alpha: 0.1));
        // The same pairs swapped: the same p, the opposite sign.
        var swapped = PairedTest.Of(b, a);
        Assert.Equal(-test.T, swapped.T, 12);
        Assert.Equal(-1, swapped.Direction(alpha: 0.1));
    }

    [Fact]
    public void PairedTest_EdgeCases_ConstantDifferencesAndBadInput()
    {
        var constant = PairedTest.Of([2.0, 3.0, 4.0], [1.0, 2.0, 3.0]);
        Assert.Equal(0, constant.PValue);
        Assert.Equal(1, constant.Direction());
        var equal = PairedTest.Of([1.0, 2.0], [1.0, 2.0]);
        Assert.Equal(1, equal.PValue);
        Assert.Equal(0, equal.Direction());
        Assert.Throws<ArgumentException>(() => PairedTest.Of([1.0], [2.0]));
        Assert.Throws<ArgumentException>(() => PairedTest.Of([1.0, 2.0], [2.0]));
        Assert.Throws<ArgumentException>(() => PairedTest.Of([1.0, double.PositiveInfinity], [2.0, 1.0]));
        Assert.Equal("< 0.001", PairedTest.FormatP(0.0004));
        Assert.Equal("0.046", PairedTest.FormatP(0.0456));
        Assert.EndsWith("t(2) = 4.00, p = 0.057", PairedTest.Of([1.0, 2.0, 3.0], [0.5, 1.0, 2.5]).ToString());
        Assert.EndsWith(", p < 0.001", PairedTest.Of([10.0, 20.0, 30.0, 40.0], [0.0, 10.1, 20.0, 29.9]).ToString());
    }
}

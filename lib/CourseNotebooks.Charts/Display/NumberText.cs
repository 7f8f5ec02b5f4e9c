using System.Globalization;

namespace CourseNotebooks.Charts;

/// <summary>
/// Numbers as a reader wants them in tables and chart labels, never in .NET's exponent form ("1.28469E+06",
/// "2.0E+006"): large ones with thousands separators ("1,284,690"), tiny ones as a power of ten ("1.5×10⁻⁷"), the
/// rest with the given significant digits. Invariant culture throughout.
/// </summary>
internal static class NumberText
{
    private const string Superscripts = "⁰¹²³⁴⁵⁶⁷⁸⁹";

    /// <summary>The value with at most <paramref name="significant"/> significant digits (whole numbers keep all of theirs).</summary>
    public static string Readable(double value, int significant)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value == 0) return value.ToString(CultureInfo.InvariantCulture);
        double magnitude = Math.Abs(value);
        if (magnitude >= 1e4)
        {
            int wholeDigits = (int)Math.Floor(Math.Log10(magnitude)) + 1;
            int decimals = Math.Max(0, significant - wholeDigits);
            return value.ToString("#,0" + (decimals > 0 ? "." + new string('#', decimals) : ""), CultureInfo.InvariantCulture);
        }
        if (magnitude < 1e-4)
        {
            int exponent = (int)Math.Floor(Math.Log10(magnitude));
            double mantissa = value / Math.Pow(10, exponent);
            if (Math.Abs(Math.Round(mantissa, significant - 1)) >= 10) { mantissa /= 10; exponent++; }
            string power = string.Concat(exponent.ToString(CultureInfo.InvariantCulture).Select(c => c == '-' ? '⁻' : Superscripts[c - '0']));
            return mantissa.ToString("G" + significant, CultureInfo.InvariantCulture) + "×10" + power;
        }
        return value.ToString("G" + significant, CultureInfo.InvariantCulture);
    }
}

using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace CourseNotebooks.Exercises;

/// <summary>
/// The salted hash of a public check: sha256 of "name\nanswer" in UTF-8, written as "sha256:" and lower-case hex, the
/// answer first put in one canonical text form (integers as they are, reals rounded to a stated number of decimals
/// with -0 read as 0, lists joined by commas) so that equal answers hash equally on every machine.
/// </summary>
internal static class SaltedHash
{
    private const string HashPrefix = "sha256:";

    /// <summary>An integer answer as text.</summary>
    public static string Canonical(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Integers, in order, joined by commas.</summary>
    public static string Canonical(IReadOnlyList<long> values) => string.Join(",", values.Select(v => Canonical(v)));

    /// <summary>A real answer rounded half away from zero to <paramref name="decimals"/> places (0 to 12).</summary>
    public static string Canonical(double value, int decimals)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(decimals);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(decimals, 12);
        string text = Math.Round(value, decimals, MidpointRounding.AwayFromZero).ToString("F" + decimals, CultureInfo.InvariantCulture);
        return text.TrimStart('-').Trim('0', '.').Length == 0 ? text.TrimStart('-') : text;   // -0.00 and 0.00 are one answer
    }

    /// <summary>Real values, in order, each rounded as above, joined by commas.</summary>
    public static string Canonical<T>(IReadOnlyList<T> values, int decimals) where T : INumberBase<T>
        => string.Join(",", values.Select(v => Canonical(double.CreateChecked(v), decimals)));

    /// <summary>The salted hash of an answer already in canonical form.</summary>
    public static string Of(string name, string canonical)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{name}\n{canonical}"));
        return HashPrefix + Convert.ToHexStringLower(digest);
    }

    /// <summary>Whether the canonical answer hashes to <paramref name="hash"/>; rejects a hash not made by <see cref="Of"/>.</summary>
    public static bool Matches(string name, string canonical, string hash)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hash);
        if (!hash.StartsWith(HashPrefix, StringComparison.Ordinal))
            throw new ArgumentException($"Exercise: '{hash}' is not a hash made by Exercise.HashOf (it starts with '{HashPrefix}').", nameof(hash));
        return Of(name, canonical) == hash;
    }
}

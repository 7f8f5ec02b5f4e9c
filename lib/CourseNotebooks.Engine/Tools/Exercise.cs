using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace CourseNotebooks.Engine;

/// <summary>
/// The notebooks' exercises: public checks a student runs, and the probes a grader runs. A public check says right
/// or wrong without the expected value ever being in the released notebook (it compares a salted hash of the
/// answer), and never the direction of an error. Introduced in notebook 01-convolution.
/// </summary>
/// <remarks>
/// <para><b>Markup.</b> Each exercise has a stable name (lower-case words joined by hyphens, e.g.
/// <c>conv-output-size</c>) and three kinds of cells, each found by its first line, never by position:</para>
/// <list type="bullet">
/// <item><c>// EXERCISE name (N points)</c>, optionally followed by <c>forbid: Api.One, Api.Two</c>: the cell the
/// student edits; its answer sits between <c>// BEGIN SOLUTION</c> and <c>// END SOLUTION</c>, which the student
/// release replaces by a throw statement.</item>
/// <item><c>// CHECK name</c>: the public check, released as it is. It calls <see cref="CheckAnswer(string, long, string)"/>
/// (or an overload) with the hash from <see cref="HashOf(string, long)"/>; for a code exercise it hashes what the
/// student's code returns on the page's example.</item>
/// <item><c>// HIDDEN name</c>: held by the grader, never released. Its last expression is
/// <see cref="Probe(string, Func{object?}[])"/> over inputs the student has not seen; the grader evaluates it in the
/// student's process and compares the values with the reference solution's in its own process
/// (<see cref="Compare"/>), so expected values never reach the student's process.</item>
/// </list>
/// <para><b>What a hash protects.</b> The salt is the exercise name, which the student sees, so an exact answer
/// from a small range (an output size) can be found by hashing every candidate. The public check is feedback; the
/// grade comes from the hidden probes, whose inputs the student never sees.</para>
/// </remarks>
public static class Exercise
{
    /// <summary>The marker line that opens a solution region.</summary>
    public const string BeginSolution = "// BEGIN SOLUTION";

    /// <summary>The marker line that closes a solution region.</summary>
    public const string EndSolution = "// END SOLUTION";

    /// <summary>The first-line prefix of an exercise cell.</summary>
    public const string ExerciseMarker = "// EXERCISE ";

    /// <summary>The first-line prefix of a public check cell.</summary>
    public const string CheckMarker = "// CHECK ";

    /// <summary>The first-line prefix of a hidden check cell (never released).</summary>
    public const string HiddenMarker = "// HIDDEN ";

    private const string HashPrefix = "sha256:";

    /// <summary>The outcome of one check: the exercise name and whether the answer matched.</summary>
    public sealed record Verdict(string Name, bool Correct, string Message)
    {
        /// <inheritdoc />
        public override string ToString() => Message;
    }

    /// <summary>The salted hash of an exact integer answer, for a public check cell.</summary>
    public static string HashOf(string name, long answer) => Hash(name, Canonical(answer));

    /// <summary>The salted hash of a sequence of integers (for example one function's results on several inputs).</summary>
    public static string HashOf(string name, IReadOnlyList<long> answers) => Hash(name, Canonical(answers));

    /// <summary>
    /// The salted hash of a real answer rounded to <paramref name="decimals"/> decimal places. Choose decimals well
    /// inside the answer's precision: two answers either side of a rounding boundary hash differently.
    /// </summary>
    public static string HashOf(string name, double answer, int decimals) => Hash(name, Canonical(answer, decimals));

    /// <summary>The salted hash of real values (in order), each rounded to <paramref name="decimals"/> places.</summary>
    public static string HashOf<T>(string name, IReadOnlyList<T> answers, int decimals) where T : INumberBase<T>
        => Hash(name, Canonical(answers, decimals));

    /// <summary>The salted hash of a text answer (compared exactly, after trimming surrounding white space).</summary>
    public static string HashOf(string name, string answer) => Hash(name, (answer ?? "").Trim());

    /// <summary>Checks an exact integer answer against its hash.</summary>
    public static Verdict CheckAnswer(string name, long answer, string hash)
        => Report(name, Matches(name, Canonical(answer), hash), "the value is not right");

    /// <summary>Checks integers (in order) against their hash; says when the count is wrong.</summary>
    public static Verdict CheckAnswer(string name, IReadOnlyList<long> answers, string hash)
    {
        ArgumentNullException.ThrowIfNull(answers);
        return Report(name, Matches(name, Canonical(answers), hash), "at least one value is not right");
    }

    /// <summary>Checks a real answer, rounded to <paramref name="decimals"/> places, against its hash.</summary>
    public static Verdict CheckAnswer(string name, double answer, int decimals, string hash)
        => double.IsFinite(answer)
            ? Report(name, Matches(name, Canonical(answer, decimals), hash), $"the value, rounded to {decimals} decimals, is not right")
            : Report(name, false, $"the answer is {answer.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Checks real values (in order, for example a function's output on the page's example), each rounded to
    /// <paramref name="decimals"/> places, against their hash.</summary>
    public static Verdict CheckAnswer<T>(string name, IReadOnlyList<T> answers, int decimals, string hash) where T : INumberBase<T>
    {
        ArgumentNullException.ThrowIfNull(answers);
        if (answers.Any(a => !T.IsFinite(a))) return Report(name, false, "some values are NaN or infinite");
        return Report(name, Matches(name, Canonical(answers, decimals), hash), $"at least one value, rounded to {decimals} decimals, is not right");
    }

    /// <summary>Checks a text answer against its hash.</summary>
    public static Verdict CheckAnswer(string name, string answer, string hash)
        => Report(name, Matches(name, (answer ?? "").Trim(), hash), "the answer is not right");

    /// <summary>
    /// Runs the probes of a hidden check: each is called on its own, and its value (numbers, text) or the exception
    /// it threw is recorded. The values are compared with the reference solution's by <see cref="Compare"/>.
    /// </summary>
    /// <remarks>An OutOfMemoryException is recorded like any other: under the grader's heap limit it means a probed
    /// function asked for more than the limit (one huge array), and the process is still sound, so the other probes
    /// and exercises are graded and the student learns which probe ran out of memory.</remarks>
    public static ProbeRun Probe(string name, params Func<object?>[] probes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(probes);
        var values = new List<ProbeValue>(probes.Length);
        foreach (var probe in probes)
        {
            try { values.Add(ProbeValue.Of(probe())); }
            catch (Exception e)
            {
                values.Add(new ProbeValue(null, null, $"{e.GetType().Name}: {e.Message}"));
            }
        }
        return new ProbeRun(name, values);
    }

    /// <summary>
    /// A grid of seeded uniform values in [-1, 1), for hidden probes: inputs the student has not seen, the same on
    /// every run (ties between values have probability zero). Introduced in notebook 04-backprop-pooling.
    /// </summary>
    /// <param name="rows">Rows, at least 1.</param>
    /// <param name="columns">Columns, at least 1.</param>
    /// <param name="seed">The seed: each probe its own.</param>
    public static float[,] RandomGrid(int rows, int columns, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        var random = new Random(seed);
        var grid = new float[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                grid[i, j] = (float)(2 * random.NextDouble() - 1);
        return grid;
    }

    /// <summary>
    /// Compares a student's probe values with the reference's: numbers within <paramref name="tolerance"/>
    /// (absolute, or relative to the reference value's size above 1), text exactly. The verdict names the probes
    /// that failed by number and kind (wrong value, wrong length, threw), never the reference value.
    /// </summary>
    /// <exception cref="ArgumentException">The two runs are of different exercises or have different probe counts.</exception>
    public static Verdict Compare(ProbeRun reference, ProbeRun student, double tolerance = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(student);
        if (reference.Name != student.Name || reference.Values.Count != student.Values.Count)
            throw new ArgumentException($"Exercise.Compare: reference '{reference.Name}' ({reference.Values.Count} probes) and student '{student.Name}' ({student.Values.Count} probes) are not runs of the same probes.");
        if (reference.Values.FirstOrDefault(v => v.Error is not null) is { } broken)
            throw new ArgumentException($"Exercise.Compare: the reference solution of '{reference.Name}' failed a probe ({broken.Error}).");
        var problems = new List<string>();
        for (int i = 0; i < reference.Values.Count; i++)
        {
            var (r, s) = (reference.Values[i], student.Values[i]);
            string? problem = s.Error is not null ? $"probe {i + 1} threw {s.Error.Split(':')[0]}"
                : r.Text is not null ? (r.Text == s.Text ? null : $"probe {i + 1}: wrong answer")
                : s.Numbers is null ? $"probe {i + 1}: not a number"
                : s.Numbers.Length != r.Numbers!.Length ? $"probe {i + 1}: {s.Numbers.Length} values where {r.Numbers.Length} are expected"
                : Enumerable.Range(0, r.Numbers.Length).All(j => Math.Abs(s.Numbers[j] - r.Numbers[j]) <= tolerance * Math.Max(1, Math.Abs(r.Numbers[j])))
                    ? null : $"probe {i + 1}: wrong value";
            if (problem is not null) problems.Add(problem);
        }
        return problems.Count == 0
            ? Report(student.Name, true, "")
            : Report(student.Name, false, $"{problems.Count} of {reference.Values.Count} hidden tests failed: {string.Join("; ", problems)}");
    }

    private static Verdict Report(string name, bool correct, string hint)
        => new(name, correct, correct ? $"✔ {name}: correct." : $"✘ {name}: not yet ({hint}). Try again.");

    private static string Canonical(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Canonical(IReadOnlyList<long> values) => string.Join(",", values.Select(v => Canonical(v)));

    private static string Canonical(double value, int decimals)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(decimals);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(decimals, 12);
        string text = Math.Round(value, decimals, MidpointRounding.AwayFromZero).ToString("F" + decimals, CultureInfo.InvariantCulture);
        return text.TrimStart('-').Trim('0', '.').Length == 0 ? text.TrimStart('-') : text;   // -0.00 and 0.00 are one answer
    }

    private static string Canonical<T>(IReadOnlyList<T> values, int decimals) where T : INumberBase<T>
        => string.Join(",", values.Select(v => Canonical(double.CreateChecked(v), decimals)));

    private static string Hash(string name, string canonical)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{name}\n{canonical}"));
        return HashPrefix + Convert.ToHexStringLower(digest);
    }

    private static bool Matches(string name, string canonical, string hash)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hash);
        if (!hash.StartsWith(HashPrefix, StringComparison.Ordinal))
            throw new ArgumentException($"Exercise: '{hash}' is not a hash made by Exercise.HashOf (it starts with '{HashPrefix}').", nameof(hash));
        return Hash(name, canonical) == hash;
    }
}

/// <summary>What one probe of a hidden check produced: numbers, text, or the exception it threw.</summary>
/// <param name="Numbers">A number, or the numbers of an array, tensor or sequence, as doubles (null otherwise).</param>
/// <param name="Text">A string or other non-numeric value's text (null for numbers).</param>
/// <param name="Error">The exception's type and message when the probe threw (null otherwise).</param>
public sealed record ProbeValue(double[]? Numbers, string? Text, string? Error)
{
    /// <summary>Converts a probe's value: numbers, booleans (1 or 0), arrays, tensors and sequences of numbers to
    /// <see cref="Numbers"/>, anything else to its text.</summary>
    public static ProbeValue Of(object? value) => value switch
    {
        null => new ProbeValue(null, "null", null),
        string s => new ProbeValue(null, s, null),
        bool b => new ProbeValue([b ? 1 : 0], null, null),
        Tensor<float> t => new ProbeValue([.. t.Data.Select(v => (double)v)], null, null),
        Tensor<double> t => new ProbeValue([.. t.Data], null, null),
        IConvertible c when value.GetType().IsPrimitive || value is decimal => new ProbeValue([c.ToDouble(CultureInfo.InvariantCulture)], null, null),
        IEnumerable e when e.Cast<object?>().ToList() is var items && items.All(i => i is not null && i.GetType().IsPrimitive)
            => new ProbeValue([.. items.Select(i => ((IConvertible)i!).ToDouble(CultureInfo.InvariantCulture))], null, null),
        _ => new ProbeValue(null, value.ToString(), null),
    };

    /// <inheritdoc />
    public override string ToString() => Error ?? Text ?? "[" + string.Join(", ", Numbers!.Select(n => n.ToString("R", CultureInfo.InvariantCulture))) + "]";
}

/// <summary>The values of all probes of one hidden check, in order.</summary>
/// <param name="Name">The exercise's name.</param>
/// <param name="Values">One value per probe.</param>
public sealed record ProbeRun(string Name, IReadOnlyList<ProbeValue> Values)
{
    /// <summary>
    /// The mime type under which a notebook shows a probe run as <see cref="ToJson"/>: the grader reads the values
    /// the student's code produced from the hidden cells' outputs under this type, in its own process.
    /// </summary>
    public const string MimeType = "application/vnd.course.probes+json";

    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The run as JSON: {"Name": ..., "Values": [{"Numbers": [...]} | {"Text": ...} | {"Error": ...}]}.
    /// Numbers that are not finite are written as text ("NaN", "Infinity"), which compares as a wrong value.</summary>
    public string ToJson() => JsonSerializer.Serialize(new ProbeRun(Name, [.. Values.Select(Finite)]), Options);

    /// <summary>Reads <see cref="ToJson"/>'s output.</summary>
    /// <exception cref="FormatException">The text is not a probe run.</exception>
    public static ProbeRun FromJson(string json)
    {
        try
        {
            var run = JsonSerializer.Deserialize<ProbeRun>(json, Options);
            if (run is null || string.IsNullOrWhiteSpace(run.Name) || run.Values is null)
                throw new FormatException($"not a probe run: {Shorten(json)}");
            return run;
        }
        catch (JsonException e) { throw new FormatException($"not a probe run ({e.Message}): {Shorten(json)}", e); }
    }

    private static ProbeValue Finite(ProbeValue value) =>
        value.Numbers is { } numbers && numbers.Any(n => !double.IsFinite(n))
            ? new ProbeValue(null, "[" + string.Join(", ", numbers.Select(n => n.ToString("R", CultureInfo.InvariantCulture))) + "]", null)
            : value;

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..120] + "...";
}

using System.Globalization;
using System.Numerics;

namespace CourseNotebooks.Exercises;

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

        /// <summary>The salted hash of an exact integer answer, for a public check cell.</summary>
    public static string HashOf(string name, long answer) => SaltedHash.Of(name, SaltedHash.Canonical(answer));

    /// <summary>The salted hash of a sequence of integers (for example one function's results on several inputs).</summary>
    public static string HashOf(string name, IReadOnlyList<long> answers) => SaltedHash.Of(name, SaltedHash.Canonical(answers));

    /// <summary>
    /// The salted hash of a real answer rounded to <paramref name="decimals"/> decimal places. Choose decimals well
    /// inside the answer's precision: two answers either side of a rounding boundary hash differently.
    /// </summary>
    public static string HashOf(string name, double answer, int decimals) => SaltedHash.Of(name, SaltedHash.Canonical(answer, decimals));

    /// <summary>The salted hash of real values (in order), each rounded to <paramref name="decimals"/> places.</summary>
    public static string HashOf<T>(string name, IReadOnlyList<T> answers, int decimals) where T : INumberBase<T>
        => SaltedHash.Of(name, SaltedHash.Canonical(answers, decimals));

    /// <summary>The salted hash of a text answer (compared exactly, after trimming surrounding white space).</summary>
    public static string HashOf(string name, string answer) => SaltedHash.Of(name, (answer ?? "").Trim());

    /// <summary>Checks an exact integer answer against its hash.</summary>
    public static Verdict CheckAnswer(string name, long answer, string hash)
        => Report(name, SaltedHash.Matches(name, SaltedHash.Canonical(answer), hash), "the value is not right");

    /// <summary>Checks integers (in order) against their hash; says when the count is wrong.</summary>
    public static Verdict CheckAnswer(string name, IReadOnlyList<long> answers, string hash)
    {
        ArgumentNullException.ThrowIfNull(answers);
        return Report(name, SaltedHash.Matches(name, SaltedHash.Canonical(answers), hash), "at least one value is not right");
    }

    /// <summary>Checks a real answer, rounded to <paramref name="decimals"/> places, against its hash.</summary>
    public static Verdict CheckAnswer(string name, double answer, int decimals, string hash)
        => double.IsFinite(answer)
            ? Report(name, SaltedHash.Matches(name, SaltedHash.Canonical(answer, decimals), hash), $"the value, rounded to {decimals} decimals, is not right")
            : Report(name, false, $"the answer is {answer.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Checks real values (in order, for example a function's output on the page's example), each rounded to
    /// <paramref name="decimals"/> places, against their hash.</summary>
    public static Verdict CheckAnswer<T>(string name, IReadOnlyList<T> answers, int decimals, string hash) where T : INumberBase<T>
    {
        ArgumentNullException.ThrowIfNull(answers);
        if (answers.Any(a => !T.IsFinite(a))) return Report(name, false, "some values are NaN or infinite");
        return Report(name, SaltedHash.Matches(name, SaltedHash.Canonical(answers, decimals), hash), $"at least one value, rounded to {decimals} decimals, is not right");
    }

    /// <summary>Checks a text answer against its hash.</summary>
    public static Verdict CheckAnswer(string name, string answer, string hash)
        => Report(name, SaltedHash.Matches(name, (answer ?? "").Trim(), hash), "the answer is not right");

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
}

using System.Globalization;

namespace CourseNotebooks.Engine;

/// <summary>
/// Answer checks for the notebooks' exercise cells: they say whether a student's answer is right without
/// printing the expected value, so the check cell can stay in the student release. Each returns the verdict
/// so tests can assert that the reference solutions pass. Introduced in notebook 01-convolution.
/// </summary>
/// <remarks>
/// Solutions in exercise cells are statements between the lines <c>// BEGIN SOLUTION</c> and <c>// END SOLUTION</c>
/// (the cell declares <c>int answer;</c> above them); the student release replaces that region with a throw
/// statement, so an unanswered exercise fails loudly at its own cell.
/// </remarks>
public static class Exercise
{
    /// <summary>The marker line that opens a solution region.</summary>
    public const string BeginSolution = "// BEGIN SOLUTION";

    /// <summary>The marker line that closes a solution region.</summary>
    public const string EndSolution = "// END SOLUTION";

    /// <summary>The outcome of one check: the exercise name and whether the answer matched.</summary>
    public sealed record Verdict(string Name, bool Correct, string Message)
    {
        /// <inheritdoc />
        public override string ToString() => Message;
    }

    /// <summary>Checks an integer answer (an output size, a parameter count).</summary>
    public static Verdict Check(string name, long answer, long expected)
        => Report(name, answer == expected,
            answer > expected ? "your answer is too large" : "your answer is too small");

    /// <summary>Checks a real answer within a relative tolerance.</summary>
    public static Verdict Check(string name, double answer, double expected, double relativeTolerance = 1e-4)
    {
        bool ok = Math.Abs(answer - expected) <= relativeTolerance * Math.Max(1.0, Math.Abs(expected));
        return Report(name, ok, double.IsNaN(answer) ? "your answer is NaN" :
            answer > expected ? "your answer is too large" : "your answer is too small");
    }

    /// <summary>Checks an array answer element by element (absolute tolerance), naming the first wrong element.</summary>
    public static Verdict Check(string name, ReadOnlySpan<float> answer, ReadOnlySpan<float> expected, double tolerance = 1e-4)
    {
        if (answer.Length != expected.Length)
            return Report(name, false, $"your answer has {answer.Length} values, the exercise asks for {expected.Length}");
        for (int i = 0; i < answer.Length; i++)
            if (!(Math.Abs(answer[i] - expected[i]) <= tolerance))
                return Report(name, false, $"element {i} (value {answer[i].ToString("G4", CultureInfo.InvariantCulture)}) is not right yet");
        return Report(name, true, "");
    }

    /// <summary>Checks an answer of any type by equality (a shape as int[], a string).</summary>
    public static Verdict CheckEqual<TValue>(string name, TValue[] answer, TValue[] expected)
        => Report(name, answer.AsSpan().SequenceEqual(expected),
            answer.Length != expected.Length ? $"your answer has {answer.Length} values, the exercise asks for {expected.Length}" : "some values are not right yet");

    private static Verdict Report(string name, bool correct, string hint)
        => new(name, correct, correct ? $"✔ {name}: correct." : $"✘ {name}: not yet ({hint}). Try again.");
}

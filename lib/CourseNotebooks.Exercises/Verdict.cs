namespace CourseNotebooks.Exercises;

/// <summary>
/// The outcome of one check: the exercise name, whether the answer matched, and the message the notebook shows
/// ("✔ name: correct." or "✘ name: not yet (...). Try again."), which never says which way an answer is off.
/// Returned by <see cref="Exercise.CheckAnswer(string, long, string)"/> and <see cref="Exercise.Compare"/>.
/// Introduced in notebook 01-convolution.
/// </summary>
public sealed record Verdict(string Name, bool Correct, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}

namespace CourseNotebooks.Engine.Runtime;

/// <summary>
/// Which code path a layer runs. Every layer has a naive reference (loops that follow the formula, easy to read
/// next to the slides) and a fast path (vectorized, blocked, parallel); tests check one against the other.
/// </summary>
public enum Implementation
{
    /// <summary>The vectorized path (default).</summary>
    Fast,

    /// <summary>The loop-for-loop reference that mirrors the formula.</summary>
    Naive,
}

namespace CourseNotebooks.Engine.Losses;

/// <summary>
/// How a loss turns per-element losses into one number. PyTorch: the reduction argument ('mean', 'sum', 'none').
/// Introduced in notebook 03-backprop-conv.
/// </summary>
public enum Reduction
{
    /// <summary>The average over elements (over non-ignored samples for cross-entropy). The default, as PyTorch.</summary>
    Mean,

    /// <summary>The sum over elements.</summary>
    Sum,

    /// <summary>
    /// No reduction: the per-element losses are read from <see cref="Loss{T, TTarget}.Losses"/> (PyTorch's
    /// return value for 'none'); Forward still returns their sum so a training loop always gets one number.
    /// </summary>
    None,
}

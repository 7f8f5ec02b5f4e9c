namespace CourseNotebooks.Host;

/// <summary>Time budgets and progress reporting for one notebook run.</summary>
public sealed record NotebookRunOptions
{
    /// <summary>Longest time one cell may run before it is reported TimedOut (default 10 minutes).</summary>
    public TimeSpan CellTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest time the whole notebook may run (default 60 minutes).</summary>
    public TimeSpan NotebookTimeout { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>Called before each code cell runs with (code cell ordinal, number of code cells).</summary>
    public Action<int, int>? Progress { get; init; }
}

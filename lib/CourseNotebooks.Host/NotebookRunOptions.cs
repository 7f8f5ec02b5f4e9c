namespace CourseNotebooks.Host;

/// <summary>Time budgets and progress reporting for one notebook run.</summary>
public sealed record NotebookRunOptions
{
    /// <summary>Longest time one cell may run before it is reported TimedOut (default 10 minutes).</summary>
    public TimeSpan CellTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest time the whole notebook may run (default 60 minutes).</summary>
    public TimeSpan NotebookTimeout { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>
    /// Most characters of output one cell keeps (streams and displays together; default unlimited). Output beyond
    /// it is dropped as it arrives, and the cell's last output says how much was dropped. Console output is cut
    /// before the kernel sees it, so a cell that prints without end costs no memory; a value displayed over the
    /// limit is dropped. The grader sets it.
    /// </summary>
    public long MaxOutputCharsPerCell { get; init; } = long.MaxValue;

    /// <summary>
    /// Assemblies every cell may use without <c>#r</c> (the .NET libraries always are). The grader passes the
    /// exercise protocol here, so hidden checks name it with no <c>#r</c> of their own.
    /// </summary>
    public IReadOnlyList<System.Reflection.Assembly> References { get; init; } = [];

    /// <summary>Called before each code cell runs with (code cell ordinal, number of code cells).</summary>
    public Action<int, int>? Progress { get; init; }
}

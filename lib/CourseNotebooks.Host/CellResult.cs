namespace CourseNotebooks.Host;

/// <summary>What happened to a cell in a run.</summary>
public enum CellStatus
{
    /// <summary>Ran to the end without error (markdown cells are Ok too: nothing to run).</summary>
    Ok,
    /// <summary>Did not compile, or threw.</summary>
    Failed,
    /// <summary>Not run: another kernel than C#, or a cell after a timeout.</summary>
    Skipped,
    /// <summary>Still running when the cell or notebook time budget ran out.</summary>
    TimedOut,
}

/// <summary>The kind of an output, in Jupyter's terms.</summary>
public enum OutputKind
{
    /// <summary>Text written to Console.Out (Jupyter "stream", name "stdout").</summary>
    StandardOutput,
    /// <summary>Text written to Console.Error (Jupyter "stream", name "stderr").</summary>
    StandardError,
    /// <summary>A value shown with display(...) (Jupyter "display_data").</summary>
    Display,
    /// <summary>The value of the cell's last expression (Jupyter "execute_result").</summary>
    ReturnValue,
}

/// <summary>One rendering of an output value.</summary>
/// <param name="MimeType">e.g. "text/plain", "text/html".</param>
/// <param name="Text">The rendering.</param>
public sealed record FormattedText(string MimeType, string Text);

/// <summary>One output of a cell.</summary>
/// <param name="Kind">Stream, display or return value.</param>
/// <param name="Formats">The renderings, each with its mime type (streams have one text/plain).</param>
/// <param name="Value">The .NET object behind a display or return value (null for streams); it lives as long
/// as the run is not disposed.</param>
public sealed record CellOutput(OutputKind Kind, IReadOnlyList<FormattedText> Formats, object? Value = null)
{
    /// <summary>For a display: its id, the same on every update of it (null for streams and return values).</summary>
    public string? DisplayId { get; init; }

    /// <summary>The rendering of the given mime type, or null.</summary>
    public string? TextOf(string mimeType) => Formats.FirstOrDefault(f => f.MimeType == mimeType)?.Text;

    /// <summary>The plain-text rendering, or the first one there is.</summary>
    public string PlainText => TextOf("text/plain") ?? Formats.FirstOrDefault()?.Text ?? "";
}

/// <summary>The record of one cell after a run.</summary>
public sealed class CellResult
{
    /// <summary>The cell as written.</summary>
    public required NotebookCell Cell { get; init; }

    /// <summary>Ok, Failed, Skipped or TimedOut.</summary>
    public required CellStatus Status { get; init; }

    /// <summary>Outputs in the order they were produced.</summary>
    public IReadOnlyList<CellOutput> Outputs { get; init; } = [];

    /// <summary>For a failed or timed-out cell: the first compile error or the exception message, else null.</summary>
    public string? Error { get; init; }

    /// <summary>For a failed cell: the exception type name or "CompilationError" (Jupyter's ename).</summary>
    public string? ErrorName { get; init; }

    /// <summary>Why a cell was skipped, else null.</summary>
    public string? SkipReason { get; init; }

    /// <summary>Wall time spent on the cell (zero for cells that did not run).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>1-based index among all cells.</summary>
    public int Index => Cell.Index;

    /// <summary>The return value of the cell as a .NET object, or null.</summary>
    public object? ReturnValue => Outputs.LastOrDefault(o => o.Kind == OutputKind.ReturnValue)?.Value;

    /// <summary>Everything the cell wrote to standard output.</summary>
    public string StandardOutput => string.Concat(Outputs.Where(o => o.Kind == OutputKind.StandardOutput).Select(o => o.PlainText));

    /// <summary>"cell 3: message" (with the code-cell ordinal when it differs from the index).</summary>
    public string Describe() => Error ?? $"{Cell.Label}: {Status}";
}

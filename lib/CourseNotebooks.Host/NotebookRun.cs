namespace CourseNotebooks.Host;

/// <summary>
/// The result of running a notebook: one record per cell, plus the cells' session so notebook variables can be read
/// back as .NET objects.
/// </summary>
public sealed class NotebookRun : IDisposable
{
    private readonly ScriptSession? _session;

    internal NotebookRun(NotebookDocument notebook, IReadOnlyList<CellResult> cells, TimeSpan elapsed, ScriptSession? session)
    {
        Notebook = notebook;
        Cells = cells;
        Elapsed = elapsed;
        _session = session;
    }

    /// <summary>A run recorded elsewhere (another host, a child process): cells and time, no variables.</summary>
    public static NotebookRun FromResults(NotebookDocument notebook, IReadOnlyList<CellResult> cells, TimeSpan elapsed) =>
        new(notebook, cells, elapsed, null);

    /// <summary>The notebook that ran.</summary>
    public NotebookDocument Notebook { get; }

    /// <summary>One result per cell, in file order (markdown and skipped cells included).</summary>
    public IReadOnlyList<CellResult> Cells { get; }

    /// <summary>Wall time of the whole run, compiler start-up included.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>True when every C# cell ran Ok.</summary>
    public bool Succeeded => Cells.All(c => c.Status is CellStatus.Ok || (c.Status is CellStatus.Skipped && !c.Cell.IsCode));

    /// <summary>The first cell that failed or timed out, or null.</summary>
    public CellResult? FirstFailure => Cells.FirstOrDefault(c => c.Status is CellStatus.Failed or CellStatus.TimedOut);

    /// <summary>Results of the C# cells only.</summary>
    public IEnumerable<CellResult> CodeCells => Cells.Where(c => c.Cell.IsCode);

    /// <summary>Reads a notebook variable (declared at the top level of some cell; the latest of that name) as a .NET object.</summary>
    public bool TryGetVariable<T>(string name, out T value)
    {
        if (_session is not null) return _session.TryGetVariable(name, out value);
        value = default!;
        return false;
    }

    /// <summary>Reads a notebook variable, or throws naming the variable, the notebook and the first failure.</summary>
    /// <exception cref="KeyNotFoundException">No variable of that name and type.</exception>
    public T GetVariable<T>(string name)
    {
        if (TryGetVariable(name, out T value)) return value;
        string why = FirstFailure is { } failed ? $" (the run failed first at {failed.Describe()})" : "";
        throw new KeyNotFoundException($"{Notebook.Name}: no variable '{name}' of type {typeof(T).Name}{why}.");
    }

    /// <summary>Nothing to release: kept so callers can scope a run with <c>using</c>.</summary>
    public void Dispose() { }
}

using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.CSharp;

namespace CourseNotebooks.Host;

/// <summary>
/// The result of running a notebook: one record per cell, plus the live kernel so notebook variables can be read
/// back as .NET objects. Dispose it to release the kernel.
/// </summary>
public sealed class NotebookRun : IDisposable
{
    private readonly CompositeKernel _kernel;
    private readonly CSharpKernel _csharp;
    private bool _disposed;

    internal NotebookRun(NotebookDocument notebook, IReadOnlyList<CellResult> cells, TimeSpan elapsed,
        CompositeKernel kernel, CSharpKernel csharp)
    {
        Notebook = notebook;
        Cells = cells;
        Elapsed = elapsed;
        _kernel = kernel;
        _csharp = csharp;
    }

    /// <summary>The notebook that ran.</summary>
    public NotebookDocument Notebook { get; }

    /// <summary>One result per cell, in file order (markdown and skipped cells included).</summary>
    public IReadOnlyList<CellResult> Cells { get; }

    /// <summary>Wall time of the whole run, kernel start included.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>True when every C# cell ran Ok.</summary>
    public bool Succeeded => Cells.All(c => c.Status is CellStatus.Ok || (c.Status is CellStatus.Skipped && !c.Cell.IsCode));

    /// <summary>The first cell that failed or timed out, or null.</summary>
    public CellResult? FirstFailure => Cells.FirstOrDefault(c => c.Status is CellStatus.Failed or CellStatus.TimedOut);

    /// <summary>Results of the C# cells only.</summary>
    public IEnumerable<CellResult> CodeCells => Cells.Where(c => c.Cell.IsCode);

    /// <summary>Reads a notebook variable (declared at the top level of some cell) as a .NET object.</summary>
    public bool TryGetVariable<T>(string name, out T value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_csharp.TryGetValue(name, out T found))
        {
            value = found;
            return true;
        }
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

    /// <summary>Releases the kernel.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _kernel.Dispose();
    }
}

using System.Diagnostics;
using System.Reflection;
using CourseNotebooks.Display;

namespace CourseNotebooks.Host;

/// <summary>
/// Runs the C# cells of a notebook in this process with <see cref="ScriptSession"/> (Roslyn scripting), recording
/// each cell's console output, displays and last value as the notebook kernels would show them.
/// </summary>
/// <remarks>
/// Runs are serialised process-wide: standard output and the display sink are global, so two notebooks at once
/// would mix their outputs. While a notebook runs the current directory is its folder (relative paths resolve
/// against it); the previous directory is restored afterwards.
/// NOTE: a timed-out cell is abandoned, not stopped (see <see cref="ScriptSession"/>): later cells are skipped, and
/// its thread runs until the process ends. The command line exits at the end of a run, so this only costs CPU while
/// it lasts.
/// </remarks>
public static class NotebookRunner
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>Runs every C# cell of <paramref name="notebook"/> in order.</summary>
    public static async Task<NotebookRun> RunAsync(NotebookDocument notebook, NotebookRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        options ??= new NotebookRunOptions();
        await Gate.WaitAsync(cancellationToken);
        string previousDirectory = Environment.CurrentDirectory;
        try
        {
            string folder = notebook.FilePath is { } file ? Path.GetDirectoryName(file)! : Environment.CurrentDirectory;
            Environment.CurrentDirectory = folder;
            using var cells = new CellRunner(folder, options.MaxOutputCharsPerCell, options.References);
            return await RunCoreAsync(notebook, options, cells, cancellationToken);
        }
        finally
        {
            Environment.CurrentDirectory = previousDirectory;
            Gate.Release();
        }
    }

    /// <summary>Reads and runs a notebook file (see <see cref="NotebookDocument.Load"/> for the errors).</summary>
    public static async Task<NotebookRun> RunFileAsync(string path, NotebookRunOptions? options = null,
        CancellationToken cancellationToken = default) =>
        await RunAsync(NotebookDocument.Load(path), options, cancellationToken);

    private static async Task<NotebookRun> RunCoreAsync(NotebookDocument notebook, NotebookRunOptions options, CellRunner cells,
        CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        // The first submission pays for the compiler's start-up (1-2 s); pay it here so the first cell's time
        // budget measures the cell.
        await cells.WarmUpAsync(cancellationToken);
        var results = new List<CellResult>();
        int codeCount = notebook.CodeCells.Count();
        string? stopReason = null;
        foreach (var cell in notebook.Cells)
        {
            if (cell.IsMarkdown)
            {
                results.Add(new CellResult { Cell = cell, Status = CellStatus.Ok });
                continue;
            }
            if (!cell.IsCode)
            {
                results.Add(new CellResult { Cell = cell, Status = CellStatus.Skipped, SkipReason = $"kernel '{cell.KernelName}' is not run by this host" });
                continue;
            }
            if (stopReason is not null)
            {
                results.Add(new CellResult { Cell = cell, Status = CellStatus.Skipped, SkipReason = stopReason });
                continue;
            }
            options.Progress?.Invoke(cell.CodeOrdinal!.Value, codeCount);
            TimeSpan budget = options.NotebookTimeout - total.Elapsed < options.CellTimeout ? options.NotebookTimeout - total.Elapsed : options.CellTimeout;
            bool notebookBudget = budget < options.CellTimeout;
            var result = await cells.RunAsync(cell, budget, cancellationToken);
            if (result.Status == CellStatus.TimedOut)
            {
                string which = notebookBudget ? $"notebook time limit of {Seconds(options.NotebookTimeout)}" : $"cell time limit of {Seconds(options.CellTimeout)}";
                result = new CellResult
                {
                    Cell = cell, Status = CellStatus.TimedOut, Outputs = result.Outputs, Elapsed = result.Elapsed,
                    ErrorName = "Timeout", Error = $"{cell.Label} did not finish within the {which}",
                };
                stopReason = $"not run: {cell.Label} timed out";
            }
            results.Add(result);
        }
        return new NotebookRun(notebook, results, total.Elapsed, cells.Session);
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.#} s";
}

/// <summary>
/// Runs single cells of one notebook and records their outputs: a <see cref="ScriptSession"/> with standard output
/// and the display sink routed to the running cell. The headless runner and the grader's child process use it.
/// </summary>
public sealed partial class CellRunner : IDisposable
{
    private readonly long _maxChars;
    private readonly DisplayRegistry _displays;
    private readonly IDisposable _console;
    private readonly IDisplaySink? _previousSink;
    private OutputRecorder? _current;

    /// <summary>Starts a session in <paramref name="folder"/> and routes output to the cells it runs until disposed.</summary>
    /// <param name="folder">Where <c>#r</c> paths resolve from (the notebook's folder).</param>
    /// <param name="maxOutputCharsPerCell">Most output characters a cell keeps (the rest is dropped where it is written).</param>
    /// <param name="references">Assemblies every cell may use without <c>#r</c>.</param>
    public CellRunner(string folder, long maxOutputCharsPerCell = long.MaxValue, IEnumerable<Assembly>? references = null)
    {
        Session = new ScriptSession(folder, references);
        _maxChars = maxOutputCharsPerCell;
        _displays = new DisplayRegistry(() => _current);
        _console = CellConsole.Install(() => _current);
        _previousSink = NotebookDisplay.Sink;
        NotebookDisplay.Sink = _displays;
    }

    /// <summary>The cells' session (variables, compilations).</summary>
    public ScriptSession Session { get; }

    /// <summary>Compiles and runs an empty cell, so the compiler's start-up is not charged to the first real cell.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        var warm = new ScriptSession(Session.BaseDirectory);
        await warm.RunAsync(warm.Compile("1"), TimeSpan.FromMinutes(2), cancellationToken);
    }

    /// <summary>Compiles and runs <paramref name="cell"/> with a time limit; the result holds its outputs.</summary>
    public async Task<CellResult> RunAsync(NotebookCell cell, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cell);
        if (NugetReference().Match(cell.Source) is { Success: true } nuget)
            return new CellResult
            {
                Cell = cell, Status = CellStatus.Failed, ErrorName = "UnsupportedDirective",
                Error = $"{cell.Label}: {nuget.Value.Trim()}: NuGet references are not supported by the course runner; load libraries with #r \"path.dll\" (the course library needs no package from the network)",
            };
        return await RunAsync(cell, Session.Compile(cell.Source), timeout, cancellationToken);
    }

    [System.Text.RegularExpressions.GeneratedRegex("""^[ \t]*#r[ \t]+"nuget:[^"\n]*"?""", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex NugetReference();

    /// <summary>Runs an already compiled cell (see <see cref="ScriptSession.Compile"/>).</summary>
    public async Task<CellResult> RunAsync(NotebookCell cell, CompiledCell compiled, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cell);
        ArgumentNullException.ThrowIfNull(compiled);
        var watch = Stopwatch.StartNew();
        var recorder = new OutputRecorder(_maxChars, _displays);
        _current = recorder;
        try
        {
            if (!compiled.Compiled)
                return Result(CellStatus.Failed, $"{cell.Label}: {compiled.FirstError}", "CompilationError");
            var run = await Session.RunAsync(compiled, timeout, cancellationToken);
            if (run.TimedOut) return Result(CellStatus.TimedOut, null, null);
            if (run.Exception is { } e) return Result(CellStatus.Failed, $"{cell.Label}: {Describe(e)}", e.GetType().Name);
            if (run.HasReturnValue)
            {
                IReadOnlyList<FormattedValue> formats;
                try { formats = DisplayFormatters.Format(run.ReturnValue); }
                catch (Exception error) when (error is not OutOfMemoryException)
                {
                    formats = [new FormattedValue(MimeTypes.PlainText, $"{run.ReturnValue?.GetType().Name}: could not be shown ({error.GetType().Name}: {error.Message})")];
                }
                recorder.Show("return-" + cell.Index, run.ReturnValue, formats, OutputKind.ReturnValue);
            }
            return Result(CellStatus.Ok, null, null);
        }
        finally
        {
            if (ReferenceEquals(_current, recorder)) _current = null;
        }

        CellResult Result(CellStatus status, string? error, string? errorName) => new()
        {
            Cell = cell, Status = status, Outputs = recorder.Close(), Error = error, ErrorName = errorName, Elapsed = watch.Elapsed,
        };
    }

    /// <summary>
    /// "Type: message", followed by the inner exceptions' for the wrappers whose own message says nothing of the cause
    /// (a type initializer that threw, a failed load).
    /// </summary>
    internal static string Describe(Exception e)
    {
        string text = $"{e.GetType().Name}: {e.Message}";
        for (var inner = e.InnerException; inner is not null && e is TypeInitializationException or TargetInvocationException or AggregateException; e = inner, inner = inner.InnerException)
            text += $" ---> {inner.GetType().Name}: {inner.Message}";
        return text;
    }

    /// <summary>Puts standard output and the display sink back as they were.</summary>
    public void Dispose()
    {
        _current = null;
        _console.Dispose();
        NotebookDisplay.Sink = _previousSink;
    }
}

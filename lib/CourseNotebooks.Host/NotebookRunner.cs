using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace CourseNotebooks.Host;

/// <summary>
/// Runs the C# cells of a notebook in this process, in a real .NET Interactive kernel (the one Polyglot Notebooks
/// uses), so <c>#r "path.dll"</c>, <c>#r "nuget: ..."</c>, display() and formatters behave as in the editor.
/// </summary>
/// <remarks>
/// Runs are serialised process-wide: the kernel captures Console.Out/Err and formatters are global, so two
/// notebooks at once would mix their outputs. While a notebook runs the current directory is its folder
/// (relative <c>#r</c> paths resolve against it); the previous directory is restored afterwards.
/// NOTE: a timed-out cell is cancelled, but a CPU-bound loop that never awaits cannot be stopped inside a
/// process (.NET has no thread abort); its thread keeps running until the process ends. The command line exits
/// at the end of a run, so this only costs CPU while it lasts.
/// </remarks>
public static class NotebookRunner
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>Runs every C# cell of <paramref name="notebook"/> in order.</summary>
    /// <returns>The run; dispose it to release the kernel (variables stay readable until then).</returns>
    public static async Task<NotebookRun> RunAsync(NotebookDocument notebook, NotebookRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        options ??= new NotebookRunOptions();
        await Gate.WaitAsync(cancellationToken);
        string previousDirectory = Environment.CurrentDirectory;
        try
        {
            if (notebook.FilePath is { } file)
                Environment.CurrentDirectory = Path.GetDirectoryName(file)!;
            return await RunCoreAsync(notebook, options, cancellationToken);
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

    private static async Task<NotebookRun> RunCoreAsync(NotebookDocument notebook, NotebookRunOptions options,
        CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var extensions = new ExtensionLoader();
        var csharp = new CSharpKernel()
            .UseNugetDirective((kernel, packages) =>
            {
                // The callback replaces the default one: it must add the restored assemblies itself.
                kernel.AddAssemblyReferences(packages.SelectMany(p => p.AssemblyPaths));
                return extensions.LoadAsync(kernel, packages);
            })
            .UseKernelHelpers()
            .UseValueSharing();
        var composite = new CompositeKernel { csharp };
        composite.DefaultKernelName = csharp.Name;

        // A finite output limit is enforced where the output starts, before the kernel keeps it (see CappedConsoleWriter).
        CappedConsoleWriter.Budget? consoleBudget = null;
        IDisposable? consoleCap = null;
        if (options.MaxOutputCharsPerCell != long.MaxValue)
            (consoleBudget, consoleCap) = CappedConsoleWriter.Install(options.MaxOutputCharsPerCell);
        using var uninstallCap = consoleCap;
        var recorder = new EventRecorder(options.MaxOutputCharsPerCell, consoleBudget);
        using var subscription = composite.KernelEvents.Subscribe(recorder);
        // The first submission of a kernel pays for compiler start-up (1-2 s); pay it here so the first cell's
        // time budget measures the cell.
        await composite.SendAsync(new SubmitCode("{ }", NotebookDocument.CSharpKernel), cancellationToken);

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
            TimeSpan budget = Min(options.CellTimeout, options.NotebookTimeout - total.Elapsed);
            bool notebookBudget = budget < options.CellTimeout;
            var result = await RunCellAsync(composite, recorder, cell, budget, cancellationToken);
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
        return new NotebookRun(notebook, results, total.Elapsed, composite, csharp);
    }

    private static async Task<CellResult> RunCellAsync(CompositeKernel kernel, EventRecorder recorder, NotebookCell cell,
        TimeSpan budget, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        recorder.Start();
        var send = budget > TimeSpan.Zero
            ? kernel.SendAsync(new SubmitCode(cell.Source, NotebookDocument.CSharpKernel), cancellationToken)
            : null;
        bool finished = send is not null
            && await Task.WhenAny(send, Task.Delay(budget, cancellationToken)) == send;
        cancellationToken.ThrowIfCancellationRequested();
        if (!finished)
        {
            // Ask the kernel to cancel; a loop that never awaits keeps its thread (see the class remarks).
            _ = kernel.SendAsync(new Cancel(), CancellationToken.None);
            return new CellResult { Cell = cell, Status = CellStatus.TimedOut, Outputs = recorder.Stop().Outputs, Elapsed = watch.Elapsed };
        }
        await send!;
        var recorded = recorder.Stop();
        return new CellResult
        {
            Cell = cell,
            Status = recorded.Error is null ? CellStatus.Ok : CellStatus.Failed,
            Outputs = recorded.Outputs,
            Error = recorded.Error is null ? null : $"{cell.Label}: {recorded.Error}",
            ErrorName = recorded.ErrorName,
            Elapsed = watch.Elapsed,
        };
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.#} s";

    /// <summary>Turns kernel events of the current cell into outputs and the first error.</summary>
    private sealed class EventRecorder(long maxChars, CappedConsoleWriter.Budget? consoleBudget) : IObserver<KernelEvent>
    {
        private readonly object _lock = new();
        private long _chars;
        private long _dropped;
        private List<CellOutput> _outputs = [];
        private Dictionary<string, int> _displayIds = [];
        // Displays not yet matched by an update: the kernel's display() helper publishes its first value under one
        // id and its updates under another, so an update with an unknown id is matched to the latest of these.
        private List<int> _unclaimedDisplays = [];
        private string? _error;
        private string? _errorName;
        private bool _active;

        public void Start()
        {
            lock (_lock) { _outputs = []; _displayIds = []; _unclaimedDisplays = []; _error = null; _errorName = null; _active = true; _chars = 0; _dropped = 0; }
            consoleBudget?.StartCell();
        }

        public (IReadOnlyList<CellOutput> Outputs, string? Error, string? ErrorName) Stop()
        {
            lock (_lock)
            {
                _active = false;
                _dropped += consoleBudget?.Dropped ?? 0;
                if (_dropped > 0)
                    _outputs.Add(new CellOutput(OutputKind.StandardError,
                        [new FormattedText("text/plain", $"[output truncated: {_dropped:N0} characters beyond the limit of {maxChars:N0} were dropped]")]));
                return (_outputs.ToArray(), _error, _errorName);
            }
        }

        public void OnNext(KernelEvent e)
        {
            lock (_lock)
            {
                if (!_active) return;
                if (e is DisplayEvent shown && e is not DisplayedValueUpdated && OverLimit(shown)) return;
                switch (e)
                {
                    case StandardOutputValueProduced o: _outputs.Add(Stream(OutputKind.StandardOutput, o)); break;
                    case StandardErrorValueProduced o: _outputs.Add(Stream(OutputKind.StandardError, o)); break;
                    case ReturnValueProduced r: _outputs.Add(ValueOutput(OutputKind.ReturnValue, r)); break;
                    // An update replaces the display it refers to (e.g. "Installing Packages" becomes "Installed").
                    case DisplayedValueUpdated u when u.ValueId is not null && _displayIds.TryGetValue(u.ValueId, out int at):
                        _outputs[at] = ValueOutput(OutputKind.Display, u);
                        break;
                    case DisplayedValueUpdated u when u.ValueId is not null && _unclaimedDisplays.Count > 0:
                        int claimed = _unclaimedDisplays[^1];
                        _unclaimedDisplays.RemoveAt(_unclaimedDisplays.Count - 1);
                        _displayIds[u.ValueId] = claimed;
                        _outputs[claimed] = ValueOutput(OutputKind.Display, u);
                        break;
                    case DisplayedValueProduced or DisplayedValueUpdated:
                        var display = (DisplayEvent)e;
                        if (display.ValueId is not null) _displayIds[display.ValueId] = _outputs.Count;
                        if (display is DisplayedValueProduced) _unclaimedDisplays.Add(_outputs.Count);
                        _outputs.Add(ValueOutput(OutputKind.Display, display));
                        break;
                    case ErrorProduced err: _outputs.Add(ValueOutput(OutputKind.StandardError, err)); break;
                    case CommandFailed f when f.Command is SubmitCode && _error is null:
                        (_error, _errorName) = Describe(f);
                        break;
                }
            }
        }

        /// <summary>Counts the event's text against the cell's limit; true when it must be dropped.</summary>
        private bool OverLimit(DisplayEvent e)
        {
            if (maxChars == long.MaxValue) return false;
            long size = e.FormattedValues.Sum(f => (long)(f.Value?.Length ?? 0));
            if (_dropped == 0 && _chars + size <= maxChars)
            {
                _chars += size;
                return false;
            }
            _dropped += size;
            return true;
        }

        public void OnError(Exception error) { }

        public void OnCompleted() { }

        private static CellOutput Stream(OutputKind kind, DisplayEvent e) =>
            new(kind, [new FormattedText("text/plain", e.FormattedValues.FirstOrDefault()?.Value ?? e.Value?.ToString() ?? "")]);

        private static CellOutput ValueOutput(OutputKind kind, DisplayEvent e)
        {
            var formats = e.FormattedValues.Select(f => new FormattedText(f.MimeType, f.Value)).ToList();
            // Every value also gets a plain rendering, for .ipynb viewers and text summaries.
            if (e.Value is not null && formats.All(f => f.MimeType != "text/plain"))
            {
                try { formats.Add(new FormattedText("text/plain", Formatter.ToDisplayString(e.Value, "text/plain"))); }
                catch (Exception ex) when (ex is not OutOfMemoryException) { formats.Add(new FormattedText("text/plain", e.Value.GetType().Name)); }
            }
            return new CellOutput(kind, formats, e.Value);
        }

        private static (string Message, string Name) Describe(CommandFailed failed)
        {
            var exception = failed.Exception;
            if (exception is not null && exception is not CodeSubmissionCompilationErrorException)
            {
                while (exception is AggregateException { InnerException: { } inner }) exception = inner;
                return ($"{exception.GetType().Name}: {exception.Message}", exception.GetType().Name);
            }
            // Compile errors arrive as one message with a line per diagnostic: the first error line is the cause.
            string message = failed.Message ?? "failed";
            string first = message.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase))
                ?? message.Split('\n')[0].Trim();
            return (first, "CompilationError");
        }
    }

    /// <summary>
    /// Loads the kernel extensions a NuGet package ships in interactive-extensions/dotnet (a package's formatters,
    /// such as Plotly.NET.Interactive's, which the course no longer uses) for notebooks that <c>#r "nuget: ..."</c>
    /// one: the dotnet-interactive app does this itself, the packages do not.
    /// </summary>
    private sealed class ExtensionLoader
    {
        private readonly HashSet<string> _loaded = new(StringComparer.Ordinal);

        public async Task LoadAsync(Kernel kernel, IReadOnlyList<ResolvedPackageReference> packages)
        {
            foreach (var package in packages)
            {
                string folder = Path.Combine(package.PackageRoot, "interactive-extensions", "dotnet");
                if (!Directory.Exists(folder)) continue;
                foreach (string dll in Directory.GetFiles(folder, "*.dll").Order(StringComparer.Ordinal))
                {
                    if (!_loaded.Add(Path.GetFullPath(dll))) continue;
                    Assembly assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(dll));
                    foreach (var type in assembly.GetExportedTypes()
                                 .Where(t => typeof(IKernelExtension).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }))
                    {
                        var extension = (IKernelExtension)Activator.CreateInstance(type)!;
                        await extension.OnLoadAsync(kernel.RootKernel);
                    }
                }
            }
        }
    }
}

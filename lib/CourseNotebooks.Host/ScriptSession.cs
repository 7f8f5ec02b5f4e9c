using System.Collections.Immutable;
using System.Reflection;
using CourseNotebooks.Display;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.CodeAnalysis.Scripting.Hosting;

namespace CourseNotebooks.Host;

/// <summary>A cell compiled against the cells run before it, not yet run.</summary>
public sealed class CompiledCell
{
    internal CompiledCell(string code, Script<object> script, ImmutableArray<Diagnostic> diagnostics)
    {
        Code = code;
        Script = script;
        Diagnostics = diagnostics;
    }

    /// <summary>The cell's code.</summary>
    public string Code { get; }

    /// <summary>The compiled submission (its <see cref="Script.GetCompilation"/> gives the compiler's view).</summary>
    public Script<object> Script { get; }

    /// <summary>The compiler's diagnostics (errors and warnings).</summary>
    public ImmutableArray<Diagnostic> Diagnostics { get; }

    /// <summary>True when the cell compiled without error.</summary>
    public bool Compiled => Diagnostics.All(d => d.Severity != DiagnosticSeverity.Error);

    /// <summary>The first compile error as the notebook kernels write it, e.g. "(3,9): error CS0029: Cannot ...", or null.</summary>
    public string? FirstError => Diagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error) is { } error ? Describe(error) : null;

    /// <summary>A diagnostic as "(line,column): error CSnnnn: message", its position in the cell (1-based) and no file path.</summary>
    public static string Describe(Diagnostic diagnostic)
    {
        ArgumentNullException.ThrowIfNull(diagnostic);
        var at = diagnostic.Location.GetLineSpan().StartLinePosition;
        string severity = diagnostic.Severity.ToString().ToLowerInvariant();
        return diagnostic.Location.IsInSource
            ? $"({at.Line + 1},{at.Character + 1}): {severity} {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}"
            : $"{severity} {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}

/// <summary>How one run of a compiled cell ended.</summary>
/// <param name="ReturnValue">The value of the cell's last expression, or null.</param>
/// <param name="HasReturnValue">True when the cell ends in an expression with a value.</param>
/// <param name="Exception">What the cell threw (unwrapped), or null.</param>
/// <param name="TimedOut">True when the cell was still running at the time limit.</param>
public sealed record CellExecution(object? ReturnValue, bool HasReturnValue, Exception? Exception, bool TimedOut);

/// <summary>
/// C# cells run one after another with Roslyn's scripting API, as a notebook kernel runs them: each cell is a
/// submission that sees the variables, functions, types and <c>using</c>s of the cells before it, and
/// <c>#r "path.dll"</c> loads an assembly relative to the notebook's folder. This is the course's maintained way to
/// run notebooks (the .NET Interactive kernel is deprecated upstream); it needs no package beyond Roslyn.
/// </summary>
/// <remarks>
/// <para>A cell that fails to compile or throws leaves the session as it was before the cell, as in the notebook
/// kernels: its variables never come into being and later cells that use them fail on their own account.</para>
/// <para>Assemblies the host process has already loaded are shared with the cells when a cell references the same
/// assembly (same name and version): the course runner and the grader read the cells' values as their own types
/// (a display's value, an exercise's probe results).</para>
/// <para>NOTE: a cell that does not finish in time is abandoned, not stopped: .NET cannot abort a thread, so a loop
/// that never returns keeps its thread until the process ends. The session refuses to run more cells after that.</para>
/// </remarks>
public sealed partial class ScriptSession
{
    /// <summary>The namespaces every cell starts with, as in the .NET Interactive C# kernel.</summary>
    public static readonly IReadOnlyList<string> DefaultImports =
        ["System", "System.Collections", "System.Collections.Generic", "System.Linq", "System.Text", "System.Threading.Tasks"];

    private readonly ScriptOptions _options;
    private readonly InteractiveAssemblyLoader _loader = new();
    private readonly NotebookGlobals _globals = new();
    private ScriptState<object>? _state;
    private bool _abandoned;

    /// <summary>A session whose <c>#r</c> and <c>#load</c> paths resolve from <paramref name="baseDirectory"/>.</summary>
    /// <param name="baseDirectory">Usually the notebook's folder.</param>
    /// <param name="references">Assemblies every cell may use without <c>#r</c> (besides the .NET libraries).</param>
    public ScriptSession(string baseDirectory, IEnumerable<Assembly>? references = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(baseDirectory);
        BaseDirectory = Path.GetFullPath(baseDirectory);
        _options = ScriptOptions.Default
            .WithFilePath(Path.Combine(BaseDirectory, "notebook.csx"))
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(BaseDirectory))
            .WithSourceResolver(new SourceFileResolver([], BaseDirectory))
            .WithReferences(FrameworkReferences())
            .AddReferences([typeof(NotebookGlobals).Assembly, .. references ?? []])
            .WithImports(DefaultImports)
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithEmitDebugInformation(false)
            .WithAllowUnsafe(false);
    }

    /// <summary>The folder relative paths resolve from.</summary>
    public string BaseDirectory { get; }

    /// <summary>The compilations of the cells run so far, oldest first (each sees the ones before it).</summary>
    public IReadOnlyList<Compilation> History => _history;

    private readonly List<Compilation> _history = [];

    /// <summary>True when a cell was abandoned at its time limit: its thread may still be running.</summary>
    public bool Abandoned => _abandoned;

    /// <summary>Compiles <paramref name="code"/> as the next cell, without running it.</summary>
    public CompiledCell Compile(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        LoadReferencesIntoDefaultContext(code);
        var script = _state is null
            ? CSharpScript.Create(code, _options, typeof(NotebookGlobals), _loader)
            : _state.Script.ContinueWith(code, _options);
        ImmutableArray<Diagnostic> diagnostics;
        try { diagnostics = script.Compile(); }
        catch (CompilationErrorException e) { diagnostics = e.Diagnostics; }
        return new CompiledCell(code, script, diagnostics);
    }

    /// <summary>
    /// Runs a compiled cell (which must be the latest compiled on this session's current state) with a time limit.
    /// On success the session moves on; on a throw or a timeout it stays where it was.
    /// </summary>
    /// <exception cref="InvalidOperationException">The cell did not compile, or an earlier cell was abandoned.</exception>
    public async Task<CellExecution> RunAsync(CompiledCell cell, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cell);
        if (!cell.Compiled) throw new InvalidOperationException($"the cell did not compile: {cell.FirstError}");
        if (_abandoned) throw new InvalidOperationException("an earlier cell was abandoned at its time limit; the session cannot run more cells");
        var previous = _state;
        // Its own thread: the caller keeps control of the time limit even when the cell never yields.
        var run = Task.Factory.StartNew(
            () => previous is null
                ? cell.Script.RunAsync(_globals, _ => true, cancellationToken)
                : cell.Script.RunFromAsync(previous, _ => true, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        if (timeout <= TimeSpan.Zero || await Task.WhenAny(run, Task.Delay(timeout, cancellationToken)) != run)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _abandoned = true;
            return new CellExecution(null, false, null, TimedOut: true);
        }
        var state = await run;
        if (state.Exception is { } thrown) return new CellExecution(null, false, Unwrap(thrown), false);
        _state = state;
        _history.Add(cell.Script.GetCompilation());
        return new CellExecution(state.ReturnValue, HasValue(cell.Script), null, false);
    }

    /// <summary>Reads the latest top-level variable of that name as a <typeparamref name="T"/>.</summary>
    public bool TryGetVariable<T>(string name, out T value)
    {
        var variable = _state?.Variables.LastOrDefault(v => v.Name == name);
        if (variable?.Value is T typed || (variable is not null && variable.Value is null && default(T) is null && typeof(T).IsAssignableFrom(variable.Type)))
        {
            value = (T)variable!.Value!;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Every top-level variable so far, oldest first (a name declared again appears again).</summary>
    public IReadOnlyList<(string Name, Type Type, object? Value)> Variables =>
        _state is null ? [] : [.. _state.Variables.Select(v => (v.Name, v.Type, v.Value))];

    /// <summary>
    /// Loads the assemblies a cell's <c>#r "path.dll"</c> lines name into the process's default load context (unless an
    /// assembly of that name is already there), and lets that context find their dependencies in the same folders.
    /// </summary>
    /// <remarks>
    /// Why: Roslyn's script loader gives each assembly loaded from a path a load context of its own, and a library
    /// whose dependencies reach one assembly by two paths (the charts library: Plotly.NET and Giraffe.ViewEngine both
    /// use FSharp.Core) got two copies of it, and the first chart failed with MissingMethodException. The loader uses
    /// an assembly already in the default context, so every cell and every dependency then shares one copy, as the
    /// notebook kernels do.
    /// </remarks>
    private void LoadReferencesIntoDefaultContext(string code)
    {
        foreach (System.Text.RegularExpressions.Match m in FileReference().Matches(code))
        {
            string path = Path.GetFullPath(Path.Combine(BaseDirectory, m.Groups["path"].Value));
            if (!File.Exists(path)) continue;   // the compiler reports it
            string folder = Path.GetDirectoryName(path)!;
            lock (ProbeFolders)
            {
                if (ProbeFolders.Count == 0) System.Runtime.Loader.AssemblyLoadContext.Default.Resolving += ResolveFromProbeFolders;
                if (!ProbeFolders.Contains(folder)) ProbeFolders.Add(folder);
            }
            string name = Path.GetFileNameWithoutExtension(path);
            if (System.Runtime.Loader.AssemblyLoadContext.Default.Assemblies.Any(a => a.GetName().Name == name)) continue;
            try { System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromAssemblyPath(path); }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException) { }   // the compiler or the loader reports it
        }
    }

    private static readonly List<string> ProbeFolders = [];

    private static Assembly? ResolveFromProbeFolders(System.Runtime.Loader.AssemblyLoadContext context, AssemblyName name)
    {
        string[] folders;
        lock (ProbeFolders) folders = [.. ProbeFolders];
        foreach (string folder in folders)
        {
            string candidate = Path.Combine(folder, name.Name + ".dll");
            if (File.Exists(candidate)) return context.LoadFromAssemblyPath(candidate);
        }
        return null;
    }

    [System.Text.RegularExpressions.GeneratedRegex("""^[ \t]*#r[ \t]+"(?!nuget:)(?<path>[^"\r\n]+\.dll)"[ \t]*\r?$""", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex FileReference();

    /// <summary>True when the cell's last statement is an expression with a value (what notebooks show below it).</summary>
    private static bool HasValue(Script<object> script)
    {
        var compilation = script.GetCompilation();
        var tree = compilation.SyntaxTrees.LastOrDefault();
        if (tree?.GetRoot() is not Microsoft.CodeAnalysis.CSharp.Syntax.CompilationUnitSyntax unit) return false;
        if (unit.Members.LastOrDefault() is not Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax
            { Statement: Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionStatementSyntax { SemicolonToken.IsMissing: true } statement })
            return false;
        var type = compilation.GetSemanticModel(tree).GetTypeInfo(statement.Expression).Type;
        return type is not null && type.SpecialType != SpecialType.System_Void;
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerException: { } inner }) e = inner;
        while (e is TargetInvocationException { InnerException: { } inner }) e = inner;
        return e;
    }

    /// <summary>
    /// The .NET libraries a cell may use without <c>#r</c>: every System.* and Microsoft.CSharp assembly of the
    /// running framework (what a notebook kernel offers), read once per process.
    /// </summary>
    private static IEnumerable<MetadataReference> FrameworkReferences() => Framework.Value;

    private static readonly Lazy<IReadOnlyList<MetadataReference>> Framework = new(() =>
    {
        string folder = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return [.. Directory.GetFiles(folder, "*.dll")
            .Where(f => Path.GetFileName(f) is var n && (n.StartsWith("System.", StringComparison.Ordinal) || n is "netstandard.dll" or "Microsoft.CSharp.dll" or "mscorlib.dll"))
            .Where(IsManagedAssembly)
            .Select(f => (MetadataReference)MetadataReference.CreateFromFile(f))];
    });

    private static bool IsManagedAssembly(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException) { return false; }
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace CourseNotebooks.Charts;

// The assembly-loading workaround that lets Plotly.NET run in every notebook host, kept apart from the chart
// builders: the dotnet-interactive and dotnet-repl tools (so VS Code and Jupyter too) carry FSharp.Core 10.0, while
// Plotly.NET 6 and this library's folder carry 10.1 (the README's note on FSharp.Core says why the charts never name
// an F# type).
public static partial class Charts
{
    private static int _installed;

    /// <summary>
    /// Lets Plotly.NET (built against FSharp.Core 10.1) load in hosts that ship an older FSharp.Core: the
    /// dotnet-interactive and dotnet-repl tools (so VS Code and Jupyter too) carry FSharp.Core 10.0, and loading a
    /// chart then fails with FileNotFoundException for FSharp.Core 10.1.0.0. The handler answers that request with
    /// the FSharp.Core already loaded, whose API Plotly.NET uses is the same; in those tools it also loads
    /// Plotly.NET and its F# dependencies so that they all use that one FSharp.Core. Safe to call many times; runs
    /// by itself when this library is loaded.
    /// </summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        AppDomain.CurrentDomain.AssemblyResolve += (_, args) =>
        {
            var wanted = new AssemblyName(args.Name);
            if (wanted.Name != "FSharp.Core") return null;
            return AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "FSharp.Core");
        };
        LoadPlotlyBesideTheHostsFSharpCore();
    }

    /// <summary>Plotly.NET and the F# libraries it uses, each before the ones that use it.</summary>
    private static readonly string[] PlotlyAssemblies = ["Fable.Core", "DynamicObj", "Giraffe.ViewEngine", "Plotly.NET"];

    /// <summary>
    /// In the notebook tools (dotnet-interactive, dotnet-repl), <c>#r</c> loads this library through the script
    /// loader, which loads each dependency from this folder into a context of its own, FSharp.Core 10.1 included,
    /// beside the tools' FSharp.Core 10.0 in the default context. Plotly.NET got the tools' copy (through the resolver
    /// above) and Giraffe.ViewEngine this folder's, and the first chart failed with a MissingMethodException in
    /// Plotly.NET's Defaults. Loading Plotly.NET and its F# dependencies from this folder into the default context
    /// first, as <c>#r "nuget: Plotly.NET.Interactive"</c> used to, makes all of them use the one FSharp.Core the
    /// resolver hands out. Only where the default context holds an older FSharp.Core than this folder's (the tools);
    /// elsewhere (the course command, the tests) nothing is loaded here.
    /// </summary>
    private static void LoadPlotlyBesideTheHostsFSharpCore()
    {
        try
        {
            string? folder = Path.GetDirectoryName(typeof(Charts).Assembly.Location);
            if (string.IsNullOrEmpty(folder) || !File.Exists(Path.Combine(folder, "FSharp.Core.dll"))) return;
            var hosts = AssemblyLoadContext.Default.Assemblies.FirstOrDefault(a => a.GetName().Name == "FSharp.Core");
            var ours = AssemblyName.GetAssemblyName(Path.Combine(folder, "FSharp.Core.dll"));
            if (hosts?.GetName().Version is not { } hostVersion || ours.Version is null || hostVersion >= ours.Version) return;
            // Once any of them is loaded (a cell that drew a chart before anything else of this library ran), adding
            // the others to the default context would split them further: leave them to the script loader.
            if (AppDomain.CurrentDomain.GetAssemblies().Any(a => PlotlyAssemblies.Contains(a.GetName().Name))) return;
            foreach (string name in PlotlyAssemblies)
            {
                string path = Path.Combine(folder, name + ".dll");
                if (File.Exists(path)) AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
            }
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException)
        {
            // Then the script loader loads them as before; a chart says what went wrong when it is drawn.
        }
    }

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The resolver must be in place before a notebook's first chart loads Plotly.NET; students should not have to call Install.")]
    internal static void InstallOnLoad() => Install();
}

using System.Globalization;
using System.Text.RegularExpressions;
using CourseNotebooks.Grading;
using CourseNotebooks.Host;

namespace CourseNotebooks.Cli;

/// <summary>
/// The `course` command: `run` executes the course notebooks headless and writes executed notebooks, HTML reports
/// and a summary; `convert` writes .ipynb copies of the .dib notebooks for Jupyter users.
/// </summary>
public static class CourseCommand
{
    /// <summary>Where notebooks expect the compiled course library (their <c>#r</c> paths point here).</summary>
    public const string LibraryFolder = "artifacts/notebook-lib";

    /// <summary>The assemblies the notebooks load from <see cref="LibraryFolder"/>.</summary>
    public static readonly string[] LibraryAssemblies =
        ["CourseNotebooks.Engine.dll", "CourseNotebooks.Course.dll", "CourseNotebooks.Exercises.dll", "CourseNotebooks.Charts.dll"];

    /// <summary>The command that builds the library (printed when it is missing).</summary>
    public const string BuildLibraryCommand = "environment/build-library";

    /// <summary>Usage text.</summary>
    public const string Usage = """
        usage:
          course run [--notebooks <names or globs>] [--out <dir>] [--cell-timeout <s>] [--notebook-timeout <s>] [--root <dir>]
              Runs notebooks/*.dib in name order (or the ones named: "01-convolution", "0[1-3]*", comma-separated),
              writes <out>/executed/*.ipynb, <out>/html/*.html, <out>/summary.json and <out>/summary.md.
              Exit code 0 when every notebook ran without error, 1 otherwise, 2 for bad usage.
              Defaults: --out out, --cell-timeout 600, --notebook-timeout 3600, --root: the folder holding
              CourseNotebooks.sln, searched upwards from the current directory.
          course convert [--out <dir>] [--root <dir>]
              Writes an .ipynb copy of every notebooks/*.dib to <out> (default out/ipynb) for Jupyter users.
          course release [--notebooks <names or globs>] [--out <dir>] [--root <dir>]
              Writes the student release of the notebooks to <out> (default out/release), as .dib and .ipynb:
              every solution region (// BEGIN SOLUTION ... // END SOLUTION) becomes a line that throws.
          course export [--notebooks <names or globs>] [--out <dir>] [--root <dir>]
              Writes each notebook as a C# file-based app to <out> (default out/apps): run one with
              `dotnet run out/apps/01-convolution.cs` on a bare .NET 10 SDK; it prints what the notebook shows and
              writes its HTML report to <out>/html.
        """ + "\n" + GradeCommands.Usage;

    /// <summary>Runs the command line; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (GradeCommands.Commands.Contains(args[0]))
            return await GradeCommands.RunAsync(args[0], args.Skip(1).ToArray(), stdout, stderr);
        Options options;
        try { options = Options.Parse(args.Skip(1).ToArray(), args[0]); }
        catch (UsageException e)
        {
            stderr.WriteLine($"course: {e.Message}");
            stderr.WriteLine(Usage);
            return 2;
        }
        try
        {
            return args[0] switch
            {
                "run" => await RunNotebooksAsync(options, stdout, stderr),
                "convert" => Convert(options, stdout, stderr),
                "release" => Release(options, stdout, stderr),
                "export" => Export(options, stdout, stderr),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"course: {e.Message}");
            return 2;
        }
    }

    private static async Task<int> RunNotebooksAsync(Options options, TextWriter stdout, TextWriter stderr)
    {
        var notebooks = SelectNotebooks(options);
        string library = Path.Combine(options.Root, LibraryFolder);
        var missing = LibraryAssemblies.Where(a => !File.Exists(Path.Combine(library, a))).ToList();
        if (missing.Count > 0)
        {
            stderr.WriteLine($"course: library not built: {Path.Combine(library, missing[0])} is missing; run {BuildLibraryCommand} (or ./run-course, which builds it) first.");
            return 1;
        }

        string outDir = Path.GetFullPath(options.Out ?? Path.Combine(options.Root, "out"));
        // Reports draw their charts with the plotly.js of the built library, so they need no network.
        string? plotly = PlotlyScript.Read(library, out string? plotlyProblem);
        if (plotly is null)
            stderr.WriteLine($"course: charts in the HTML reports will need the network: {plotlyProblem}");
        var assets = new ReportAssets(plotly);
        var runOptions = new NotebookRunOptions { CellTimeout = options.CellTimeout, NotebookTimeout = options.NotebookTimeout };
        var summaries = new List<NotebookSummary>();
        for (int i = 0; i < notebooks.Count; i++)
        {
            string path = notebooks[i];
            string name = Path.GetFileNameWithoutExtension(path);
            string prefix = $"[{i + 1}/{notebooks.Count}] {name}";
            stdout.WriteLine($"{prefix}: starting");
            NotebookSummary summary;
            try
            {
                var notebook = NotebookDocument.Load(path);
                var progress = runOptions with { Progress = (j, k) => stdout.WriteLine($"{prefix}: cell {j}/{k}") };
                using var run = await NotebookRunner.RunAsync(notebook, progress);
                ExecutedNotebookWriter.Write(run, Path.Combine(outDir, "executed", name + ".ipynb"));
                HtmlReportWriter.Write(run, Path.Combine(outDir, "html", name + ".html"), assets);
                summary = NotebookSummary.FromRun(run);
            }
            catch (NotebookFormatException e)
            {
                summary = NotebookSummary.NotRun(name, e.Message);
            }
            summaries.Add(summary);
            stdout.WriteLine(summary.Passed
                ? $"{prefix}: ok ({summary.Seconds:0.0} s)"
                : $"{prefix}: FAILED: {summary.FirstError}");
            // Write the summary after every notebook, so an interrupted run still leaves one.
            WriteSummary(outDir, new RunSummary(summaries));
        }
        var all = new RunSummary(summaries);
        WriteSummary(outDir, all);
        stdout.WriteLine($"{summaries.Count(s => s.Passed)} of {summaries.Count} notebooks ran without error; results in {outDir}");
        return all.Passed ? 0 : 1;
    }

    private static void WriteSummary(string outDir, RunSummary summary)
    {
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), summary.ToJson());
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.md"), summary.ToMarkdown());
    }

    private static int Convert(Options options, TextWriter stdout, TextWriter stderr)
    {
        string outDir = Path.GetFullPath(options.Out ?? Path.Combine(options.Root, "out", "ipynb"));
        int failures = 0;
        foreach (string path in SelectNotebooks(options))
        {
            try
            {
                string target = Path.Combine(outDir, Path.GetFileNameWithoutExtension(path) + ".ipynb");
                NotebookConverter.WriteJupyter(NotebookDocument.Load(path), target);
                stdout.WriteLine($"wrote {target}");
            }
            catch (NotebookFormatException e)
            {
                stderr.WriteLine($"course: {e.Message}");
                failures++;
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private static int Release(Options options, TextWriter stdout, TextWriter stderr)
    {
        string outDir = Path.GetFullPath(options.Out ?? Path.Combine(options.Root, "out", "release"));
        int failures = 0;
        foreach (string path in SelectNotebooks(options))
        {
            try
            {
                int removed = StudentRelease.Write(path, outDir);
                stdout.WriteLine($"{Path.GetFileNameWithoutExtension(path)}: {removed} solution region(s) removed -> {outDir}");
            }
            catch (NotebookFormatException e)
            {
                stderr.WriteLine($"course: {e.Message}");
                failures++;
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private static int Export(Options options, TextWriter stdout, TextWriter stderr)
    {
        string outDir = Path.GetFullPath(options.Out ?? Path.Combine(options.Root, "out", "apps"));
        int failures = 0;
        foreach (string path in SelectNotebooks(options))
        {
            try
            {
                string written = NotebookApps.Write([path], outDir, options.Root)[0];
                stdout.WriteLine($"wrote {written}");
            }
            catch (NotebookFormatException e)
            {
                stderr.WriteLine($"course: {e.Message}");
                failures++;
            }
        }
        if (failures == 0) stdout.WriteLine($"run one with: dotnet run {Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(outDir, "<name>.cs"))}");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>The notebooks/*.dib files in name order, filtered by --notebooks.</summary>
    private static List<string> SelectNotebooks(Options options)
    {
        string folder = Path.Combine(options.Root, "notebooks");
        if (!Directory.Exists(folder))
            throw new UsageException($"no notebooks folder at {folder}");
        var all = Directory.GetFiles(folder, "*.dib").Order(StringComparer.Ordinal).ToList();
        if (options.Patterns.Count == 0) return all;
        var chosen = new List<string>();
        foreach (string pattern in options.Patterns)
        {
            var regex = NotebookPattern(pattern);
            var matches = all.Where(p => regex.IsMatch(Path.GetFileNameWithoutExtension(p))).ToList();
            if (matches.Count == 0)
                throw new UsageException($"no notebook matches '{pattern}' in {folder} (there are: {string.Join(", ", all.Select(Path.GetFileNameWithoutExtension))})");
            chosen.AddRange(matches.Where(m => !chosen.Contains(m)));
        }
        return chosen.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A notebook name or glob (*, ?, [...]; ".dib" and folders ignored) as a regex over notebook names.</summary>
    internal static Regex NotebookPattern(string pattern)
    {
        string stem = pattern.EndsWith(".dib", StringComparison.OrdinalIgnoreCase) ? pattern[..^4] : pattern;
        stem = Path.GetFileName(stem);
        return new Regex("^" + Regex.Escape(stem).Replace(@"\*", ".*").Replace(@"\?", ".").Replace(@"\[", "[").Replace(@"\]", "]") + "$");
    }

    /// <summary>The folder holding CourseNotebooks.sln at or above <paramref name="start"/>, or null.</summary>
    internal static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CourseNotebooks.sln"))) return dir.FullName;
        return null;
    }

    private sealed class UsageException(string message) : Exception(message);

    private sealed record Options(string Root, string? Out, IReadOnlyList<string> Patterns, TimeSpan CellTimeout, TimeSpan NotebookTimeout)
    {
        public static Options Parse(string[] args, string command)
        {
            string? root = null, output = null;
            var patterns = new List<string>();
            var cell = TimeSpan.FromSeconds(600);
            var notebook = TimeSpan.FromSeconds(3600);
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--out": output = Value(); break;
                    case "--root": root = Value(); break;
                    case "--notebooks" when command is "run" or "release" or "export":
                        patterns.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                        break;
                    case "--cell-timeout" when command == "run": cell = Seconds(args[i], Value()); break;
                    case "--notebook-timeout" when command == "run": notebook = Seconds(args[i], Value()); break;
                    default:
                        // Bare names after `run` are notebooks too: `course run 01-convolution 02-pooling`.
                        if (command == "run" && !args[i].StartsWith('-')) { patterns.Add(args[i]); break; }
                        throw new UsageException($"unknown option '{args[i]}' for '{command}'");
                }
            }
            root = Path.GetFullPath(root ?? FindRoot(Environment.CurrentDirectory)
                ?? throw new UsageException($"cannot find CourseNotebooks.sln above {Environment.CurrentDirectory}; pass --root <dir>"));
            if (!Directory.Exists(root)) throw new UsageException($"--root {root} does not exist");
            return new Options(root, output, patterns, cell, notebook);
        }

        private static TimeSpan Seconds(string option, string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0
                ? TimeSpan.FromSeconds(s)
                : throw new UsageException($"{option} expects a positive number of seconds, got '{text}'");

    }
}

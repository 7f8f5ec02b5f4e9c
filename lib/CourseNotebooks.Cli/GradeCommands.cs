using System.Globalization;
using CourseNotebooks.Grading;
using CourseNotebooks.Host;

namespace CourseNotebooks.Cli;

/// <summary>
/// The grading commands of `course`: <c>autograde</c> (grade a folder of submissions), <c>gradebook</c> (merge
/// per-submission results, e.g. from shards, into the gradebook, feedback and summary) and the internal
/// <c>grade-run</c> (what runs inside each submission's process).
/// </summary>
public static class GradeCommands
{
    /// <summary>Usage text of the grading commands.</summary>
    public const string Usage = """
          course autograde <submissions folder> [--notebooks <names or globs>] [--out <dir>] [--jobs <n>] [--shard <i>/<n>]
                  [--student <id>] [--force] [--no-sandbox] [--wall-time <s>] [--cell-time <s>] [--memory <MB>] [--root <dir>]
              Grades every submission (one folder per student holding notebooks, or one notebook file per student)
              against the TA's notebooks/*.dib: each in its own process, in a bubblewrap sandbox where available, with
              time, memory and output limits, --jobs at a time (default: the number of cores). Writes one result per
              submission to <out>/results (default out/grading), then the gradebook (gradebook.csv, gradebook.json),
              feedback/<student>.md and .html, and summary.md and .html. A finished result is kept when grading again
              (unless --force or the file or the TA notebook changed). With --shard i/n only that share of the
              students is graded and no gradebook is written: run `course gradebook` after all shards.
              Exit code 0 when grading finished (whatever the grades), 1 when the reference solutions failed, 2 for bad usage.
          course gradebook [--out <dir>] [--root <dir>]
              Merges <out>/results into the gradebook, feedback and summary.
        """;

    /// <summary>Runs `autograde`, `gradebook` or `grade-run` (<paramref name="args"/> without the command word).</summary>
    public static async Task<int> RunAsync(string command, string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            return command switch
            {
                "grade-run" => await GradeRunAsync(args),
                "gradebook" => WriteGradebook(Parse(args, command), stdout),
                _ => await AutogradeAsync(Parse(args, command), stdout, stderr),
            };
        }
        catch (UsageError e)
        {
            stderr.WriteLine($"course {command}: {e.Message}");
            stderr.WriteLine("usage:\n" + Usage);
            return 2;
        }
    }

    private static async Task<int> GradeRunAsync(string[] args)
    {
        if (args.Length != 0) throw new UsageError("grade-run takes no arguments: it reads its key and plan on standard input (internal)");
        // Ends the process itself, with the run's exit code, whatever threads the student's cells left running.
        await GradeRun.RunAndExitAsync(Environment.CurrentDirectory);
        return 0;
    }

    private static async Task<int> AutogradeAsync(Parsed p, TextWriter stdout, TextWriter stderr)
    {
        if (p.Submissions is null) throw new UsageError("give the submissions folder");
        if (!Directory.Exists(p.Submissions)) throw new UsageError($"submissions folder {p.Submissions} does not exist");
        string library = Path.Combine(p.Root, CourseCommand.LibraryFolder);
        // The course's own notebooks load the built library: say so before grading when it is missing.
        if (File.Exists(Path.Combine(p.Root, "CourseNotebooks.sln"))
            && CourseCommand.LibraryAssemblies.FirstOrDefault(a => !File.Exists(Path.Combine(library, a))) is { } missing)
        {
            stderr.WriteLine($"course autograde: library not built: {Path.Combine(library, missing)} is missing; run {CourseCommand.BuildLibraryCommand} (or ./run-course autograde, which builds it) first.");
            return 1;
        }
        var sandbox = Sandbox.Detect(p.NoSandbox);
        stdout.WriteLine($"autograde: {sandbox.Description}");
        // The child runs this same command: the dotnet host and this assembly.
        string program = Environment.ProcessPath ?? "dotnet";
        string[] programArguments = Path.GetFileNameWithoutExtension(program) == "dotnet" ? [typeof(GradeCommands).Assembly.Location] : [];
        var options = new AutogradeOptions(p.Notebooks, p.Submissions, p.Out, program, programArguments, p.Limits, p.Jobs, p.Shard, p.Student, p.Force);
        var grader = new Autograder(options, sandbox, stdout);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try { await grader.GradeAllAsync(); }
        catch (InvalidOperationException e) when (e.Message.StartsWith("the reference", StringComparison.Ordinal))
        {
            stderr.WriteLine($"course autograde: {e.Message}");
            return 1;
        }
        stdout.WriteLine($"autograde: graded in {clock.Elapsed.TotalSeconds:0.0} s; results in {grader.ResultsFolder}");
        if (p.Shard.Count > 1)
        {
            stdout.WriteLine($"autograde: shard {p.Shard.Index}/{p.Shard.Count} done; after every shard, run `course gradebook --out {p.Out}`");
            return 0;
        }
        return WriteGradebook(p, stdout, sandbox.Description);
    }

    private static int WriteGradebook(Parsed p, TextWriter stdout, string? sandbox = null)
    {
        var results = Gradebook.Read(Path.Combine(p.Out, "results"));
        Gradebook.Write(results, p.Out, sandbox ?? (results.All(r => r.Sandboxed) ? "Every submission ran in the bubblewrap sandbox" : "Some submissions ran without a sandbox"));
        int problems = results.Count(r => r.Problems.Count > 0);
        stdout.WriteLine($"gradebook: {results.Select(r => r.Student).Distinct().Count()} students, {results.Count} notebooks, {problems} with problems; {Path.Combine(p.Out, "gradebook.csv")}, feedback/, summary.html");
        return 0;
    }

    private sealed class UsageError(string message) : Exception(message);

    private sealed record Parsed(string Root, string Out, string? Submissions, IReadOnlyList<string> Notebooks, GradingLimits Limits,
        int Jobs, (int Index, int Count) Shard, string? Student, bool Force, bool NoSandbox);

    private static Parsed Parse(string[] args, string command)
    {
        string? root = null, output = null, submissions = null, student = null;
        var patterns = new List<string>();
        var limits = GradingLimits.Default;
        int jobs = Environment.ProcessorCount;
        (int Index, int Count) shard = (1, 1);
        bool force = false, noSandbox = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageError($"{args[i]} needs a value");
            bool grading = command == "autograde";
            switch (args[i])
            {
                case "--out": output = Value(); break;
                case "--root": root = Value(); break;
                case "--notebooks" when grading: patterns.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                case "--jobs" when grading: jobs = Positive(args[i], Value()); break;
                case "--student" when grading: student = Value(); break;
                case "--force" when grading: force = true; break;
                case "--no-sandbox" when grading: noSandbox = true; break;
                case "--wall-time" when grading: limits = limits with { WallTime = TimeSpan.FromSeconds(Positive(args[i], Value())) }; break;
                case "--cell-time" when grading: limits = limits with { CellTime = TimeSpan.FromSeconds(Positive(args[i], Value())) }; break;
                case "--memory" when grading: limits = limits with { MemoryMegabytes = Positive(args[i], Value()) }; break;
                case "--shard" when grading:
                    string text = Value();
                    string[] parts = text.Split('/');
                    if (parts.Length != 2 || !int.TryParse(parts[0], out int index) || !int.TryParse(parts[1], out int count) || count < 1 || index < 1 || index > count)
                        throw new UsageError($"--shard expects i/n with 1 <= i <= n, got '{text}'");
                    shard = (index, count);
                    break;
                default:
                    if (grading && !args[i].StartsWith('-') && submissions is null) { submissions = args[i]; break; }
                    throw new UsageError($"unknown option '{args[i]}'");
            }
        }
        root = Path.GetFullPath(root ?? CourseCommand.FindRoot(Environment.CurrentDirectory) ?? throw new UsageError($"cannot find CourseNotebooks.sln above {Environment.CurrentDirectory}; pass --root <dir>"));
        string folder = Path.Combine(root, "notebooks");
        var all = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.dib").Order(StringComparer.Ordinal).ToList() : [];
        var chosen = patterns.Count == 0 ? all : all.Where(n => patterns.Any(pt => CourseCommand.NotebookPattern(pt).IsMatch(Path.GetFileNameWithoutExtension(n)))).ToList();
        if (command == "autograde" && chosen.Count == 0)
            throw new UsageError($"no notebook matches '{string.Join(",", patterns)}' in {folder}");
        return new Parsed(root, Path.GetFullPath(output ?? Path.Combine(root, "out", "grading")),
            submissions is null ? null : Path.GetFullPath(submissions), chosen, limits, jobs, shard, student, force, noSandbox);
    }

    private static int Positive(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new UsageError($"{option} expects a positive whole number, got '{text}'");
}

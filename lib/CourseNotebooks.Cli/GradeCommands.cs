using System.Globalization;
using CourseNotebooks.Grading;
using CourseNotebooks.Host;

namespace CourseNotebooks.Cli;

/// <summary>
/// The grading commands of `course`: <c>autograde</c> (grade a folder of submissions), <c>gradebook</c> (merge
/// per-submission results, e.g. from shards, into the gradebook, feedback and summary), <c>review</c> (the TAs'
/// review page), <c>lms-export</c> (Canvas or Moodle), <c>similarity</c> (the similarity report), <c>check</c> (the
/// student's self-check) and the internal <c>grade-run</c> (what runs inside each submission's process). The work is
/// done in CourseNotebooks.Grading and CourseNotebooks.Review; this file reads options and prints.
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
              Also keeps each submission's exercise and answer cells and its time (manifest.csv in the submissions
              folder, else the file's time) in <out>/submitted, and prints whose scores changed since the last grading
              and why (also in <out>/regrade.md). Exit code 0 when grading finished (whatever the grades), 1 when the
              reference solutions failed, 2 for bad usage.
          course gradebook [--out <dir>] [--root <dir>]
              Merges <out>/results, the TAs' reviews and notebooks/course.json (deadlines, late policy) into the
              gradebook, feedback, summary and similarity report.
          course review [--out <dir>] [--port <n>] [--root <dir>]
              Serves the TAs' review page on 127.0.0.1 (default: a free port; the address is printed) until Ctrl+C:
              written answers beside the reference answer and rubric, a score and a comment; overrides of autograded
              scores with a reason. Every save rewrites the gradebook.
          course lms-export --lms canvas|moodle [--roster <csv>] [--out <dir>] [--root <dir>]
              Writes <out>/export/canvas.csv or moodle.csv: one row per student, one column per notebook, totals after
              late penalties. --roster: the LMS's own gradebook export, for its ids, names and assignment columns.
          course similarity [--min-score <0-1>] [--min-shared <n>] [--out <dir>] [--root <dir>]
              Writes <out>/similarity.html and .json: per exercise, pairs of submissions whose normalised code shares an
              unusual part of its fingerprints (winnowing, as MOSS), side by side. For the TA to read; never a penalty.
          course check <notebook.dib|.ipynb|app.cs> [--cell-timeout <s>] [--root <dir>]
              For students, before handing in: every exercise and answer cell there under its name, the notebook
              runs, the public checks (never the hidden ones), and what will and will not be graded.
              Exit code 0 when ready to hand in, 1 when not, 2 for bad usage.
        """;

    /// <summary>The grading commands (and the internal grade-run).</summary>
    public static readonly string[] Commands = ["autograde", "gradebook", "review", "lms-export", "similarity", "check", "grade-run"];

    /// <summary>Runs `autograde`, `gradebook` or `grade-run` (<paramref name="args"/> without the command word).</summary>
    public static async Task<int> RunAsync(string command, string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (command != "grade-run" && args.Any(a => a is "--help" or "-h"))
        {
            stdout.WriteLine("usage:\n" + Usage);
            return 0;
        }
        try
        {
            return command switch
            {
                "grade-run" => await GradeRunAsync(args),
                "gradebook" => WriteGradebook(Parse(args, command), stdout),
                "review" => await ReviewAsync(Parse(args, command), stdout, stderr),
                "lms-export" => Export(Parse(args, command), stdout, stderr),
                "similarity" => WriteSimilarity(Parse(args, command), stdout),
                "check" => await CheckAsync(Parse(args, command), stdout, stderr),
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

    /// <summary>Null when <paramref name="args"/> are good options for <paramref name="command"/>, else the usage error
    /// (what run-course's own check must agree with; nothing is run).</summary>
    public static string? UsageProblem(string command, string[] args)
    {
        if (args.Any(a => a is "--help" or "-h")) return null;
        try { Parse(args, command); return null; }
        catch (UsageError e) { return e.Message; }
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
        string submissions = p.Submissions!;   // Parse requires it for autograde
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
        var options = new AutogradeOptions(p.Notebooks, submissions, p.Out, program, programArguments, p.Limits, p.Jobs, p.Shard, p.Student, p.Force);
        var grader = new Autograder(options, sandbox, stdout);
        SubmissionManifest manifest;
        try { manifest = SubmissionManifest.Load(submissions); }
        catch (FormatException e) { throw new UsageError(e.Message); }
        stdout.WriteLine(manifest.Count > 0 ? $"autograde: submission times from {SubmissionManifest.FileName} ({manifest.Count} listed; others: file times)"
            : $"autograde: no {SubmissionManifest.FileName} in the submissions folder: submission times are the files' modification times");
        var regrade = RegradeReport.Before(p.Out, p.Notebooks);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<SubmissionResult> results;
        try { results = await grader.GradeAllAsync(); }
        catch (InvalidOperationException e) when (e.Message.StartsWith("the reference", StringComparison.Ordinal))
        {
            stderr.WriteLine($"course autograde: {e.Message}");
            return 1;
        }
        foreach (var result in results) SubmittedWork.Collect(result, submissions, p.Notebooks, manifest, p.Out);
        stdout.WriteLine($"autograde: graded in {clock.Elapsed.TotalSeconds:0.0} s; results in {grader.ResultsFolder}");
        var changes = regrade.After(results, p.Notebooks);
        if (changes.Count > 0)
        {
            string report = RegradeReport.Markdown(changes);
            AtomicFile.WriteAllText(Path.Combine(p.Out, "regrade.md"), report);
            stdout.WriteLine($"autograde: scores changed since the last grading ({Path.Combine(p.Out, "regrade.md")}):");
            foreach (var c in changes)
                stdout.WriteLine($"  {c.Student} {c.Notebook} {c.Exercise}: {c.Before:0.##} -> {c.After:0.##} ({RegradeReport.Signed(c.After - c.Before)}; {c.StatusBefore} -> {c.StatusAfter}): {c.Why}");
        }
        if (p.Shard.Count > 1)
        {
            stdout.WriteLine($"autograde: shard {p.Shard.Index}/{p.Shard.Count} done; after every shard, run `course gradebook --out {p.Out}`");
            return 0;
        }
        return WriteGradebook(p, stdout, sandbox.Description);
    }

    private static int WriteGradebook(Parsed p, TextWriter stdout, string? sandbox = null)
    {
        IReadOnlyList<SubmissionResult> results;
        try { results = CourseGrades.WriteGradebook(p.Out, Path.Combine(p.Root, "notebooks"), sandbox); }
        catch (FormatException e) { throw new UsageError(e.Message); }
        int problems = results.Count(r => r.Problems.Count > 0);
        int late = results.Count(r => r.Late is { DaysLate: > 0 });
        int awaiting = results.Sum(r => r.Exercises.Count(e => e.Status == CourseGrades.AwaitingReview));
        stdout.WriteLine($"gradebook: {results.Select(r => r.Student).Distinct().Count()} students, {results.Count} notebooks, {problems} with problems, {late} late, {awaiting} written answer(s) awaiting review; {Path.Combine(p.Out, "gradebook.csv")}, feedback/, summary.html, similarity.html");
        return 0;
    }

    private static async Task<int> ReviewAsync(Parsed p, TextWriter stdout, TextWriter stderr)
    {
        if (!Directory.Exists(Path.Combine(p.Out, "results")))
        {
            stderr.WriteLine($"course review: nothing graded in {p.Out} yet (no results folder): run `course autograde` first, or give its --out");
            return 1;
        }
        Review.ReviewServer server;
        try { server = await Review.ReviewServer.StartAsync(p.Out, Path.Combine(p.Root, "notebooks"), p.Port); }
        catch (IOException e)
        {
            stderr.WriteLine($"course review: cannot listen on 127.0.0.1:{p.Port}: {e.Message} (give another --port, or --port 0 for any free one)");
            return 1;
        }
        await using var running = server;
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        stdout.WriteLine($"review: open {server.Address} in a browser (this machine only); Ctrl+C stops it. Grading folder: {p.Out}");
        try { await server.WaitAsync(stop.Token); }
        catch (OperationCanceledException) { }
        return 0;
    }

    private static int Export(Parsed p, TextWriter stdout, TextWriter stderr)
    {
        var format = p.Lms ?? throw new UsageError("give --lms canvas or --lms moodle");
        string notebooksFolder = Path.Combine(p.Root, "notebooks");
        var notebooks = Directory.GetFiles(notebooksFolder, "*.dib").Order(StringComparer.Ordinal).ToList();
        try
        {
            var (csv, notes) = LmsExport.Write(format, CourseGrades.Load(p.Out, notebooksFolder), notebooks, p.Roster is null ? null : File.ReadAllText(p.Roster));
            string target = Path.Combine(p.Out, "export", format.ToString().ToLowerInvariant() + ".csv");
            AtomicFile.WriteAllText(target, csv);
            foreach (string note in notes) stdout.WriteLine($"export: {note}");
            stdout.WriteLine($"export: {csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - (format == LmsFormat.Canvas ? 2 : 1)} students -> {target}");
            return 0;
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"course lms-export: {e.Message}");
            return 1;
        }
    }

    private static int WriteSimilarity(Parsed p, TextWriter stdout)
    {
        var notebooks = Directory.GetFiles(Path.Combine(p.Root, "notebooks"), "*.dib").Order(StringComparer.Ordinal).ToList();
        var work = SubmittedWork.ReadAll(p.Out);
        var options = new SimilarityOptions(MinScore: p.MinScore, MinShared: p.MinShared);
        var pairs = Similarity.Find(work, notebooks, options);
        Similarity.Write(pairs, work, p.Out, options);
        foreach (var pair in pairs)
            stdout.WriteLine($"similarity: {pair.Notebook}/{pair.Exercise}: {pair.StudentA} and {pair.StudentB} share {pair.Score:P0} ({pair.Shared} fingerprints)");
        stdout.WriteLine($"similarity: {pairs.Count} pair(s) over {work.Count} submission(s) -> {Path.Combine(p.Out, "similarity.html")}");
        return 0;
    }

    private static async Task<int> CheckAsync(Parsed p, TextWriter stdout, TextWriter stderr)
    {
        string library = Path.Combine(p.Root, CourseCommand.LibraryFolder);
        if (CourseCommand.LibraryAssemblies.FirstOrDefault(a => !File.Exists(Path.Combine(library, a))) is { } missing)
        {
            stderr.WriteLine($"course check: library not built: {Path.Combine(library, missing)} is missing; run {CourseCommand.BuildLibraryCommand} (or ./run-course check, which builds it) first.");
            return 1;
        }
        try
        {
            var report = await SelfCheck.RunAsync(p.File!, Path.Combine(p.Root, "notebooks"), library, p.CellTimeout);
            stdout.Write(report.ToText());
            return report.Ready ? 0 : 1;
        }
        catch (NotebookFormatException e)
        {
            stderr.WriteLine($"course check: {e.Message}");
            return 1;
        }
    }

    private sealed class UsageError(string message) : Exception(message);

    private sealed record Parsed(string Root, string Out, string? Submissions, IReadOnlyList<string> Notebooks, GradingLimits Limits,
        int Jobs, (int Index, int Count) Shard, string? Student, bool Force, bool NoSandbox, int Port = 0, string? File = null,
        LmsFormat? Lms = null, string? Roster = null, double MinScore = 0.5, int MinShared = 6, TimeSpan CellTimeout = default);

    private static Parsed Parse(string[] args, string command)
    {
        string? root = null, output = null, submissions = null, student = null, file = null, roster = null;
        int port = 0, minShared = new SimilarityOptions().MinShared;
        double minScore = new SimilarityOptions().MinScore;
        var cellTimeout = TimeSpan.FromSeconds(120);
        LmsFormat? lms = null;
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
                case "--port" when command == "review":
                    string portText = Value();
                    if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
                        throw new UsageError($"--port expects a port number from 0 to 65535 (0: any free port), got '{portText}'");
                    break;
                case "--lms" when command == "lms-export":
                    string lmsText = Value();
                    lms = lmsText switch { "canvas" => LmsFormat.Canvas, "moodle" => LmsFormat.Moodle, _ => throw new UsageError($"--lms expects canvas or moodle, got '{lmsText}'") };
                    break;
                case "--roster" when command == "lms-export":
                    roster = Value();
                    if (!System.IO.File.Exists(roster)) throw new UsageError($"--roster {roster} does not exist (expected the LMS's gradebook export, a CSV file)");
                    roster = Path.GetFullPath(roster);
                    break;
                case "--min-score" when command == "similarity":
                    string scoreText = Value();
                    if (!double.TryParse(scoreText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out minScore) || minScore is <= 0 or > 1)
                        throw new UsageError($"--min-score expects a share above 0 and at most 1 (e.g. 0.5), got '{scoreText}'");
                    break;
                case "--min-shared" when command == "similarity": minShared = Positive(args[i], Value()); break;
                case "--cell-timeout" when command == "check": cellTimeout = TimeSpan.FromSeconds(Positive(args[i], Value())); break;
                case "--shard" when grading:
                    string text = Value();
                    string[] parts = text.Split('/');
                    if (parts.Length != 2 || !int.TryParse(parts[0], out int index) || !int.TryParse(parts[1], out int count) || count < 1 || index < 1 || index > count)
                        throw new UsageError($"--shard expects i/n with 1 <= i <= n, got '{text}'");
                    shard = (index, count);
                    break;
                default:
                    if (grading && !args[i].StartsWith('-') && submissions is null) { submissions = args[i]; break; }
                    if (command == "check" && !args[i].StartsWith('-') && file is null) { file = args[i]; break; }
                    throw new UsageError($"unknown option '{args[i]}' for '{command}'");
            }
        }
        root = Path.GetFullPath(root ?? CourseCommand.FindRoot(Environment.CurrentDirectory) ?? throw new UsageError($"cannot find CourseNotebooks.sln above {Environment.CurrentDirectory}; pass --root <dir>"));
        string folder = Path.Combine(root, "notebooks");
        var all = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.dib").Order(StringComparer.Ordinal).ToList() : [];
        var chosen = patterns.Count == 0 ? all : all.Where(n => patterns.Any(pt => CourseCommand.NotebookPattern(pt).IsMatch(Path.GetFileNameWithoutExtension(n)))).ToList();
        if (command == "autograde" && chosen.Count == 0)
            throw new UsageError($"no notebook matches '{string.Join(",", patterns)}' in {folder}");
        if (command == "check")
        {
            if (file is null) throw new UsageError("give the notebook to check (.dib or .ipynb)");
            if (!System.IO.File.Exists(file)) throw new UsageError($"{file} does not exist");
            if (Path.GetExtension(file).ToLowerInvariant() is not (".dib" or ".ipynb" or ".cs")) throw new UsageError($"{file} is not a notebook (expected .dib, .ipynb or an exported app's .cs)");
        }
        if (command == "lms-export" && lms is null) throw new UsageError("give --lms canvas or --lms moodle");
        if (command == "autograde")
        {
            if (submissions is null) throw new UsageError("give the submissions folder");
            if (!Directory.Exists(submissions)) throw new UsageError($"submissions folder {Path.GetFullPath(submissions)} does not exist");
        }
        return new Parsed(root, Path.GetFullPath(output ?? Path.Combine(root, "out", "grading")),
            submissions is null ? null : Path.GetFullPath(submissions), chosen, limits, jobs, shard, student, force, noSandbox,
            port, file is null ? null : Path.GetFullPath(file), lms, roster, minScore, minShared, cellTimeout);
    }

    private static int Positive(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new UsageError($"{option} expects a positive whole number, got '{text}'");
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>Where things are and how to grade.</summary>
/// <param name="Notebooks">The TA's notebooks (with solutions and hidden checks) that submissions are graded against.</param>
/// <param name="Submissions">The submissions folder: one folder per student holding notebooks (.dib or .ipynb), or
/// one notebook file per student.</param>
/// <param name="Out">The grading folder: reference/, results/, and the gradebook written from them.</param>
/// <param name="Program">The program that runs a grading notebook (the dotnet host).</param>
/// <param name="ProgramArguments">Its first arguments (the course command's assembly); then "grade-run" and its own.</param>
/// <param name="Limits">Time, memory and output limits per run.</param>
/// <param name="Jobs">Submissions graded at once (default: the number of cores).</param>
/// <param name="Shard">Grade only the stable share (Index of Count, 1-based) of the students.</param>
/// <param name="Student">Grade only this student (for a re-grade).</param>
/// <param name="Force">Grade again even when a result for the same file and reference exists.</param>
/// <param name="Tolerance">Relative tolerance for real probe values.</param>
public sealed record AutogradeOptions(
    IReadOnlyList<string> Notebooks, string Submissions, string Out, string Program, IReadOnlyList<string> ProgramArguments,
    GradingLimits Limits, int Jobs, (int Index, int Count) Shard, string? Student = null, bool Force = false, double Tolerance = 1e-6);

/// <summary>One submission file found in the submissions folder, and the notebook it is graded against.</summary>
/// <param name="Student">The student's id.</param>
/// <param name="Path">The file.</param>
/// <param name="Notebook">The TA notebook's path, or null when the file matches none.</param>
public sealed record Submission(string Student, string Path, string? Notebook);

/// <summary>
/// Grades a folder of submissions: each in its own process (sandboxed where possible) with limits, several at once,
/// comparing the values the student's code returned for the hidden probes with the reference solution's in this
/// process, so hidden expected values never reach a student's process. Results are written one file per
/// submission, atomically; a restart keeps finished results.
/// </summary>
public sealed class Autograder(AutogradeOptions options, Sandbox sandbox, TextWriter log)
{
    /// <summary>Bumped when grading changes in a way that must invalidate stored results.</summary>
    public const string Version = "1";

    private readonly ConcurrentDictionary<string, Task<Dictionary<string, ProbeRun>>> _references = new();

    /// <summary>The parent of every run's scratch folder: hidden from each run, so no run sees another's files.</summary>
    private readonly Lazy<string> _scratchRoot = new(() => Directory.CreateTempSubdirectory("course-grading-").FullName);

    /// <summary>The folder of per-submission results.</summary>
    public string ResultsFolder => Path.Combine(options.Out, "results");

    /// <summary>The submissions of the folder, each matched to a notebook, in student order.</summary>
    public IReadOnlyList<Submission> FindSubmissions()
    {
        if (!Directory.Exists(options.Submissions))
            throw new DirectoryNotFoundException($"submissions folder {options.Submissions} does not exist");
        var found = new List<Submission>();
        foreach (string entry in Directory.EnumerateFileSystemEntries(options.Submissions).Order(StringComparer.Ordinal))
        {
            string name = System.IO.Path.GetFileName(entry);
            if (name.StartsWith('.')) continue;
            if (Directory.Exists(entry))
            {
                foreach (string file in Directory.EnumerateFiles(entry, "*", SearchOption.AllDirectories).Where(IsNotebookFile).Order(StringComparer.Ordinal))
                    found.Add(new Submission(name, file, MatchNotebook(file)));
            }
            else if (IsNotebookFile(entry))
                found.Add(new Submission(System.IO.Path.GetFileNameWithoutExtension(entry), entry, MatchNotebook(entry)));
        }
        return found;
    }

    /// <summary>Grades every submission of this shard (and student), then returns the results written.</summary>
    public async Task<IReadOnlyList<SubmissionResult>> GradeAllAsync(CancellationToken cancellationToken = default)
    {
        var chosen = FindSubmissions()
            .Where(s => options.Student is null || s.Student == options.Student)
            .Where(s => InShard(s.Student))
            .ToList();
        log.WriteLine($"autograde: {chosen.Count} submission file(s){(options.Shard.Count > 1 ? $" in shard {options.Shard.Index}/{options.Shard.Count}" : "")}, {options.Jobs} at a time; {sandbox.Description}");
        using var gate = new SemaphoreSlim(Math.Max(1, options.Jobs));
        int done = 0;
        var tasks = chosen.Select(async submission =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                var result = await GradeAsync(submission, cancellationToken);
                int n = Interlocked.Increment(ref done);
                log.WriteLine($"[{n}/{chosen.Count}] {submission.Student} {result.Notebook}: {result.Points:0.##}/{result.MaxPoints} ({result.Seconds:0.0} s{(result.Problems.Count > 0 ? "; " + string.Join("; ", result.Problems) : "")})");
                return result;
            }
            finally { gate.Release(); }
        }).ToList();
        try { return await Task.WhenAll(tasks); }
        finally
        {
            if (_scratchRoot.IsValueCreated)
                try { Directory.Delete(_scratchRoot.Value, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Grades one submission (or returns its stored result when file and reference are unchanged).</summary>
    public async Task<SubmissionResult> GradeAsync(Submission submission, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        string relative = System.IO.Path.GetRelativePath(options.Submissions, submission.Path);
        string sha = Sha256(submission.Path);
        if (submission.Notebook is null)
        {
            var unmatched = new SubmissionResult(submission.Student, "(unknown)", relative, sha, "", [],
                [$"{relative}: matches none of the course's notebooks (no exercise name of theirs, and no notebook name in the file name)"], 0, 0, sandbox.Isolated);
            return Store(unmatched);
        }
        string notebookName = System.IO.Path.GetFileNameWithoutExtension(submission.Notebook);
        string referenceSha = Sha256(submission.Notebook) + "+" + Version;
        string resultPath = ResultPath(submission.Student, notebookName);
        if (!options.Force && File.Exists(resultPath))
        {
            try
            {
                var stored = SubmissionResult.FromJson(await File.ReadAllTextAsync(resultPath, cancellationToken));
                if (stored.Sha256 == sha && stored.ReferenceSha256 == referenceSha) return stored;
            }
            catch (FormatException) { }   // a damaged result is graded again
        }

        var source = NotebookDocument.Load(submission.Notebook);
        var specs = ExerciseMarkup.Parse(source);
        NotebookDocument? student = null;
        string? unreadable = null;
        try { student = LoadSubmission(submission.Path); }
        catch (NotebookFormatException e) { unreadable = e.Message.Replace(submission.Path, relative, StringComparison.Ordinal); }
        if (student is null)
        {
            var grades = specs.Select(s => new ExerciseGrade(s.Name, 0, s.Points, "unreadable", $"the notebook could not be read: {unreadable}")).ToList();
            return Store(new SubmissionResult(submission.Student, notebookName, relative, sha, referenceSha, grades, [$"unreadable: {unreadable}"], clock.Elapsed.TotalSeconds, 0, sandbox.Isolated));
        }

        var reference = await ReferenceAsync(submission.Notebook, source, cancellationToken);
        var decided = new Dictionary<string, ExerciseGrade>(StringComparer.Ordinal);
        var stubbed = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        int attempts = 0;
        while (decided.Count < specs.Count && attempts <= specs.Count)
        {
            attempts++;
            var (grading, attempt, outcome, culprit) = await RunAttemptAsync(submission.Student, source, student, stubbed, cancellationToken);
            foreach (var graded in grading.Exercises)
            {
                var spec = graded.Spec;
                if (decided.ContainsKey(spec.Name)) continue;
                switch (graded.How)
                {
                    case Submitted.Missing:
                        decided[spec.Name] = new ExerciseGrade(spec.Name, 0, spec.Points, "missing", "no cell of this exercise was found in the notebook (its first line must stay '// EXERCISE " + spec.Name + " ...')");
                        continue;
                    case Submitted.Forbidden:
                        decided[spec.Name] = new ExerciseGrade(spec.Name, 0, spec.Points, "forbidden", $"the solution calls {graded.Note}, which this exercise asks you not to use");
                        continue;
                    case Submitted.Stubbed:
                        continue;   // decided when it was stubbed
                }
                if (attempt is null) continue;
                if (attempt.Probes.TryGetValue(spec.Name, out string? json))
                    decided[spec.Name] = Judge(spec, reference[spec.Name], json, attempt.ExerciseErrors.GetValueOrDefault(spec.Name));
                else if (attempt.TimedOut == spec.Name)
                {
                    decided[spec.Name] = new ExerciseGrade(spec.Name, 0, spec.Points, "timeout", $"it ran longer than the cell time limit of {options.Limits.CellTime.TotalSeconds:0} s (an endless loop?)");
                    stubbed[spec.Name] = "timed out";
                    problems.Add($"{spec.Name} timed out");
                }
                else if (attempt.Completed || attempt.ExerciseErrors.ContainsKey(spec.Name))
                    decided[spec.Name] = attempt.ExerciseErrors.TryGetValue(spec.Name, out string? error)
                        ? new ExerciseGrade(spec.Name, 0, spec.Points, "error", $"the exercise cell failed: {error}")
                        : new ExerciseGrade(spec.Name, 0, spec.Points, "failed", "the hidden tests could not run against your cell (check the names and signatures the exercise asks for)");
            }
            if (attempt is null)
            {
                // The process died or was killed: blame the exercise whose cell was running, leave it out, go again.
                string why = outcome.Killed ?? $"the process exited with code {outcome.ExitCode} before the notebook finished";
                if (culprit is not null && !decided.ContainsKey(culprit) && specs.Any(s => s.Name == culprit))
                {
                    var spec = specs.First(s => s.Name == culprit);
                    decided[culprit] = new ExerciseGrade(culprit, 0, spec.Points, "crashed", $"grading stopped in this exercise: {why}");
                    stubbed[culprit] = why;
                    problems.Add($"{culprit} crashed the run ({why})");
                }
                else
                {
                    foreach (var spec in specs.Where(s => !decided.ContainsKey(s.Name)))
                        decided[spec.Name] = new ExerciseGrade(spec.Name, 0, spec.Points, "crashed", $"the notebook did not run to this exercise: {why}");
                    problems.Add($"the run crashed outside an exercise ({why})");
                }
            }
        }
        foreach (var spec in specs.Where(s => !decided.ContainsKey(s.Name)))
            decided[spec.Name] = new ExerciseGrade(spec.Name, 0, spec.Points, "crashed", "not graded: too many runs failed");
        var result = new SubmissionResult(submission.Student, notebookName, relative, sha, referenceSha,
            [.. specs.Select(s => decided[s.Name])], problems, clock.Elapsed.TotalSeconds, attempts, sandbox.Isolated);
        return Store(result);
    }

    /// <summary>One run of the grading notebook in a child process.</summary>
    private async Task<(GradingNotebook Grading, AttemptResult? Attempt, ProcessOutcome Outcome, string? Culprit)> RunAttemptAsync(
        string student, NotebookDocument source, NotebookDocument? submission, IReadOnlyDictionary<string, string> stubbed, CancellationToken cancellationToken)
    {
        string scratch = Directory.CreateDirectory(Path.Combine(_scratchRoot.Value, Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            var grading = GradingNotebook.Build(source, submission, scratch, stubbed);
            string notebook = Path.Combine(scratch, "grading.dib"), result = Path.Combine(scratch, "result.json"), progress = Path.Combine(scratch, "progress.txt");
            await File.WriteAllTextAsync(notebook, grading.Text, cancellationToken);
            string[] arguments =
            [
                .. options.ProgramArguments, "grade-run", notebook, result, progress,
                options.Limits.CellTime.TotalSeconds.ToString(CultureInfo.InvariantCulture), options.Limits.OutputChars.ToString(CultureInfo.InvariantCulture),
            ];
            string[] hidden = [.. options.Notebooks.Select(Path.GetDirectoryName).Distinct()!, options.Submissions, options.Out, _scratchRoot.Value];
            var outcome = await sandbox.RunAsync(options.Program, arguments, scratch, hidden, options.Limits, cancellationToken);
            AttemptResult? attempt = null;
            if (outcome.Killed is null && File.Exists(result))
            {
                try { attempt = AttemptResult.FromJson(await File.ReadAllTextAsync(result, cancellationToken)); }
                catch (FormatException) { }
            }
            string? culprit = null;
            if (attempt is null && File.Exists(progress))
            {
                string? last = File.ReadAllLines(progress).LastOrDefault(l => l.Length > 0);
                if (int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int ordinal))
                {
                    var cell = NotebookDocument.Parse(grading.Text, ".dib").CodeCells.ElementAtOrDefault(ordinal - 1);
                    culprit = cell is null ? null : ExerciseMarkup.ExerciseName(cell.Source) ?? ExerciseMarkup.HiddenName(cell.Source);
                }
            }
            return (grading, attempt, outcome, culprit);
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The reference solution's probe values for one notebook, run once per grader (and cached on disk).</summary>
    private Task<Dictionary<string, ProbeRun>> ReferenceAsync(string path, NotebookDocument source, CancellationToken cancellationToken) =>
        _references.GetOrAdd(path, async _ =>
        {
            string name = Path.GetFileNameWithoutExtension(path);
            string cache = Path.Combine(options.Out, "reference", name + ".json");
            string sha = Sha256(path) + "+" + Version;
            if (File.Exists(cache) && File.ReadAllLines(cache) is [var storedSha, .. var lines] && storedSha == sha)
                return ParseReference(string.Join("\n", lines));
            // The TA's own notebook graded as a submission, without a sandbox: it is trusted code.
            var (_, attempt, outcome, _) = await RunAttemptAsync("(reference)", source, source, new Dictionary<string, string>(), cancellationToken);
            if (attempt is null)
                throw new InvalidOperationException($"the reference run of {name} did not finish ({outcome.Killed ?? $"exit code {outcome.ExitCode}"}): {outcome.ConsoleTail}");
            var missing = ExerciseMarkup.Parse(source).Where(s => !attempt.Probes.ContainsKey(s.Name)).Select(s => $"{s.Name}: {attempt.HiddenErrors.GetValueOrDefault(s.Name) ?? attempt.ExerciseErrors.GetValueOrDefault(s.Name) ?? "no probe values"}").ToList();
            if (missing.Count > 0)
                throw new InvalidOperationException($"the reference solution of {name} gives no probe values for {string.Join("; ", missing)}");
            string json = System.Text.Json.JsonSerializer.Serialize(attempt.Probes);
            AtomicFile.WriteAllText(cache, sha + "\n" + json);
            return ParseReference(json);
        });

    private static Dictionary<string, ProbeRun> ParseReference(string json) =>
        System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(json)!.ToDictionary(kv => kv.Key, kv => ProbeRun.FromJson(kv.Value));

    /// <summary>Compares the student's probe values with the reference's, in this process.</summary>
    private ExerciseGrade Judge(ExerciseSpec spec, ProbeRun reference, string studentJson, string? cellError)
    {
        ProbeRun student;
        try { student = ProbeRun.FromJson(studentJson); }
        catch (FormatException) { return new ExerciseGrade(spec.Name, 0, spec.Points, "failed", "the hidden tests returned unreadable values"); }
        Verdict verdict;
        try { verdict = Exercise.Compare(reference, student with { Name = reference.Name }, options.Tolerance); }
        catch (ArgumentException) { return new ExerciseGrade(spec.Name, 0, spec.Points, "failed", "the hidden tests returned a different number of values than they run"); }
        if (verdict.Correct) return new ExerciseGrade(spec.Name, spec.Points, spec.Points, "passed", "");
        // A cell that failed explains the wrong values better than they do.
        return cellError is not null
            ? new ExerciseGrade(spec.Name, 0, spec.Points, "error", $"the exercise cell failed: {cellError}")
            : new ExerciseGrade(spec.Name, 0, spec.Points, "failed", verdict.Message.Replace("✘ ", "", StringComparison.Ordinal));
    }

    private SubmissionResult Store(SubmissionResult result)
    {
        AtomicFile.WriteAllText(ResultPath(result.Student, result.Notebook), result.ToJson());
        return result;
    }

    private string ResultPath(string student, string notebook) => Path.Combine(ResultsFolder, SafeName(student), SafeName(notebook) + ".json");

    private static string SafeName(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')).TrimStart('.');

    /// <summary>Reads a submission, tolerating a byte-order mark and Windows line endings.</summary>
    private static NotebookDocument LoadSubmission(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new NotebookFormatException(path, e.Message, e); }
        if (bytes.Length == 0) throw new NotebookFormatException(path, "the file is empty");
        if (bytes.Take(4096).Contains((byte)0)) throw new NotebookFormatException(path, "the file is binary, not a notebook");
        string text = new System.Text.UTF8Encoding(false).GetString(bytes).TrimStart('\uFEFF').Replace("\r\n", "\n");
        return NotebookDocument.Parse(text, Path.GetExtension(path), path);
    }

    /// <summary>The TA notebook a submission file is graded against: the one sharing most exercise names with it,
    /// else the one whose name the file name contains, else the only notebook being graded.</summary>
    private string? MatchNotebook(string file)
    {
        HashSet<string> names;
        try { names = [.. LoadSubmission(file).CodeCells.Select(c => ExerciseMarkup.ExerciseName(c.Source)).OfType<string>()]; }
        catch (NotebookFormatException) { names = []; }
        var best = options.Notebooks
            .Select(n => (Path: n, Shared: ExerciseMarkup.Parse(NotebookDocument.Load(n)).Count(s => names.Contains(s.Name))))
            .OrderByDescending(x => x.Shared).FirstOrDefault();
        if (best.Shared > 0) return best.Path;
        string stem = Path.GetFileNameWithoutExtension(file);
        return options.Notebooks.FirstOrDefault(n => stem.Contains(Path.GetFileNameWithoutExtension(n), StringComparison.OrdinalIgnoreCase))
            ?? (options.Notebooks.Count == 1 ? options.Notebooks[0] : null);
    }

    /// <summary>A stable split of students into shards: the first 8 bytes of SHA-256 of the id, modulo the count.</summary>
    private bool InShard(string student)
    {
        if (options.Shard.Count <= 1) return true;
        ulong hash = BitConverter.ToUInt64(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(student)), 0);
        return (int)(hash % (ulong)options.Shard.Count) == options.Shard.Index - 1;
    }

    private static bool IsNotebookFile(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".dib" or ".ipynb";

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}

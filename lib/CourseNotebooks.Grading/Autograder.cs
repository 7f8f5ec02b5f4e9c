using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
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
/// <param name="Notebook">The TA notebook's path, or null when the file matches none (or is refused).</param>
/// <param name="Refused">Why the entry is not graded at all (a link, a pipe, a device...), or null.</param>
/// <param name="Problems">What the TA should know about how it was chosen (another file of the same student and
/// notebook that was not graded), or none.</param>
public sealed record Submission(string Student, string Path, string? Notebook, string? Refused = null, IReadOnlyList<string>? Problems = null);

/// <summary>
/// Grades a folder of submissions: each in its own process (sandboxed where possible) with limits, several at once,
/// comparing the values the student's code returned for the hidden probes with the reference solution's in this
/// process, so hidden expected values never reach a student's process. The values arrive over a signed channel as
/// each hidden check ends (<see cref="GradingChannel"/>); the first value of each check counts. Results are written
/// one file per submission, atomically; a restart keeps finished results.
/// </summary>
public sealed class Autograder(AutogradeOptions options, Sandbox sandbox, TextWriter log)
{
    /// <summary>Bumped when grading changes in a way that must invalidate stored results.</summary>
    public const string Version = "2";

    private readonly ConcurrentDictionary<string, Task<Dictionary<(string Exercise, string Group), ProbeRun>>> _references = new();

    /// <summary>The folder of per-submission results.</summary>
    public string ResultsFolder => Path.Combine(options.Out, "results");

    /// <summary>
    /// The submissions of the folder, one per student and notebook, each matched to a notebook, in student order.
    /// Entries that are not regular files or folders (links, pipes, devices, sockets) are refused by name without being
    /// opened; when one student has several files for one notebook, the one with the most answered exercises (then the
    /// newest) is graded and the choice is recorded as a problem for the TA.
    /// </summary>
    public IReadOnlyList<Submission> FindSubmissions()
    {
        if (!Directory.Exists(options.Submissions))
            throw new DirectoryNotFoundException($"submissions folder {options.Submissions} does not exist");
        var found = new List<Submission>();
        foreach (string entry in Directory.EnumerateFileSystemEntries(options.Submissions).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(entry);
            if (name.StartsWith('.')) continue;
            var kind = SubmissionFiles.KindOf(entry);
            if (kind == EntryKind.Folder)
            {
                var files = new List<string>();
                foreach (string file in Walk(entry))
                {
                    var fileKind = SubmissionFiles.KindOf(file);
                    if (fileKind == EntryKind.File) { if (IsNotebookFile(file)) files.Add(file); }
                    else if (fileKind != EntryKind.Folder)
                        found.Add(new Submission(name, file, null, $"{Path.GetRelativePath(options.Submissions, file)} is {SubmissionFiles.Describe(fileKind, file)}: not graded"));
                }
                found.AddRange(OnePerNotebook(name, files));
            }
            else if (kind == EntryKind.File)
            {
                if (IsNotebookFile(entry)) found.Add(new Submission(Path.GetFileNameWithoutExtension(entry), entry, MatchNotebook(entry)));
            }
            else if (IsNotebookFile(entry) || kind == EntryKind.Link)
                found.Add(new Submission(IsNotebookFile(entry) ? Path.GetFileNameWithoutExtension(entry) : name, entry, null,
                    $"{name} is {SubmissionFiles.Describe(kind, entry)}: not graded"));
        }
        return found;
    }

    /// <summary>Every entry under a student's folder, links and special files included but never followed.</summary>
    private static IEnumerable<string> Walk(string folder)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(entry).StartsWith('.')) continue;
            yield return entry;
            if (SubmissionFiles.KindOf(entry) == EntryKind.Folder)
                foreach (string inner in Walk(entry)) yield return inner;
        }
    }

    /// <summary>One file per notebook for a student: the most answered, then the newest, then the first by name.</summary>
    private IEnumerable<Submission> OnePerNotebook(string student, List<string> files)
    {
        var matched = files.Select(f => (File: f, Notebook: MatchNotebook(f))).ToList();
        foreach (var unmatched in matched.Where(m => m.Notebook is null)) yield return new Submission(student, unmatched.File, null);
        foreach (var group in matched.Where(m => m.Notebook is not null).GroupBy(m => m.Notebook!))
        {
            var ranked = group.Select(m => (m.File, Answered: AnsweredExercises(m.File), Time: File.GetLastWriteTimeUtc(m.File)))
                .OrderByDescending(r => r.Answered).ThenByDescending(r => r.Time).ThenBy(r => r.File, StringComparer.Ordinal).ToList();
            var chosen = ranked[0];
            IReadOnlyList<string> problems = [];
            if (ranked.Count > 1)
            {
                string why = ranked[1].Answered < chosen.Answered ? $"it answers more exercises ({chosen.Answered} against {ranked[1].Answered})"
                    : ranked[1].Time < chosen.Time ? "it is the newest" : "it comes first by name";
                string others = string.Join(", ", ranked.Skip(1).Select(r => Path.GetRelativePath(options.Submissions, r.File)));
                problems = [$"ambiguous: {ranked.Count} files for {Path.GetFileNameWithoutExtension(group.Key)}; graded {Path.GetRelativePath(options.Submissions, chosen.File)} because {why}; not graded: {others}"];
            }
            yield return new Submission(student, chosen.File, group.Key, null, problems);
        }
    }

    /// <summary>Exercise cells whose solution is not the release's placeholder.</summary>
    private static int AnsweredExercises(string file)
    {
        try
        {
            return LoadSubmission(file).CodeCells.Count(c => ExerciseMarkup.ExerciseName(c.Source) is not null
                && !c.Source.Contains(StudentRelease.Placeholder, StringComparison.Ordinal));
        }
        catch (NotebookFormatException) { return -1; }
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
        return await Task.WhenAll(tasks);
    }

    /// <summary>Grades one submission (or returns its stored result when file and reference are unchanged).</summary>
    public async Task<SubmissionResult> GradeAsync(Submission submission, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        string relative = Path.GetRelativePath(options.Submissions, submission.Path);
        if (submission.Refused is { } refused)
            return Store(new SubmissionResult(submission.Student, "(refused)", relative, "", "", [], [refused], 0, 0, sandbox.Isolated));
        string sha;
        try { sha = SubmissionFiles.Sha256(submission.Path); }
        catch (IOException e)
        {
            return Store(new SubmissionResult(submission.Student, "(refused)", relative, "", "", [], [$"{relative}: {e.Message.Replace(submission.Path, relative, StringComparison.Ordinal)}: not graded"], 0, 0, sandbox.Isolated));
        }
        if (submission.Notebook is null)
        {
            var unmatched = new SubmissionResult(submission.Student, "(unmatched)", relative, sha, "", [],
                [$"{relative}: matches none of the course's notebooks (no exercise name of theirs, and no notebook name in the file name)"], 0, 0, sandbox.Isolated);
            return Store(unmatched);
        }
        string notebookName = Path.GetFileNameWithoutExtension(submission.Notebook);
        string referenceSha = SubmissionFiles.Sha256(submission.Notebook) + "+" + Version;
        string resultPath = ResultPath(submission.Student, notebookName);
        if (!options.Force && SubmissionFiles.KindOf(resultPath) == EntryKind.File)
        {
            try
            {
                var stored = SubmissionResult.FromJson(Encoding.UTF8.GetString(SubmissionFiles.ReadRegularFile(resultPath)));
                if (stored.Sha256 == sha && stored.ReferenceSha256 == referenceSha && stored.Student == submission.Student) return stored;
            }
            catch (Exception e) when (e is FormatException or IOException) { }   // a damaged result is graded again
        }

        var source = NotebookDocument.Load(submission.Notebook);
        var specs = ExerciseMarkup.Parse(source);
        NotebookDocument? student = null;
        string? unreadable = null;
        try { student = LoadSubmission(submission.Path); }
        catch (NotebookFormatException e) { unreadable = e.Message.Replace(submission.Path, relative, StringComparison.Ordinal); }
        var problems = new List<string>(submission.Problems ?? []);
        if (student is null)
        {
            var grades = specs.Select(s => new ExerciseGrade(s.Name, 0, s.Points, "unreadable", $"the notebook could not be read: {unreadable}")).ToList();
            return Store(new SubmissionResult(submission.Student, notebookName, relative, sha, referenceSha, grades, [.. problems, $"unreadable: {unreadable}"], clock.Elapsed.TotalSeconds, 0, sandbox.Isolated));
        }

        var reference = await ReferenceAsync(submission.Notebook, source, cancellationToken);
        var decided = new Dictionary<string, ExerciseGrade>(StringComparer.Ordinal);
        var stubbed = new Dictionary<string, string>(StringComparer.Ordinal);
        int attempts = 0;
        while (decided.Count < specs.Count && attempts <= specs.Count)
        {
            attempts++;
            var (grading, attempt, outcome) = await RunAttemptAsync(source, student, stubbed, cancellationToken);
            if (attempt.Tampered > 0) problems.Add($"{attempt.Tampered} message(s) from the run did not carry the run's signature and were ignored");
            foreach (var graded in grading.Exercises)
            {
                var spec = graded.Spec;
                if (decided.ContainsKey(spec.Name)) continue;
                switch (graded.How)
                {
                    case Submitted.Missing:
                        decided[spec.Name] = new ExerciseGrade(spec.Name, 0, spec.Points, "missing", "no cell of this exercise was found in the notebook (its first line must stay '// EXERCISE " + spec.Name + " ...')");
                        continue;
                    case Submitted.Stubbed:
                        continue;   // decided when it was stubbed
                }
                if (Decide(spec, attempt, reference.Where(kv => kv.Key.Exercise == spec.Name).ToDictionary(kv => kv.Key.Group, kv => kv.Value), outcome.Killed is null && attempt.Done) is { } grade)
                    decided[spec.Name] = grade;
            }
            if (attempt.Done || decided.Count == specs.Count) continue;
            // The run ended early: a cell's time limit, the wall time, memory, or a crash. Blame the exercise whose cell
            // was running, leave it out, and go again for the exercises not decided yet.
            string why = attempt.TimedOut is not null
                ? $"a cell ran longer than the cell time limit of {options.Limits.CellTime.TotalSeconds:0} s (an endless loop?)"
                : outcome.Killed ?? (outcome.Signal is { } signal ? $"the process was ended by signal {signal}{(signal == 6 ? " (an abort: often a stack overflow from endless recursion)" : "")}" : $"the process exited with code {outcome.ExitCode} before the notebook finished");
            string status = attempt.TimedOut is not null || (outcome.Killed?.Contains("wall-time", StringComparison.Ordinal) ?? false) ? "timeout" : "crashed";
            string? culprit = attempt.CurrentCell is int at ? grading.Plan.Cells[at].Exercise : null;
            if (culprit is not null && !decided.ContainsKey(culprit) && specs.FirstOrDefault(s => s.Name == culprit) is { } blamed)
            {
                decided[culprit] = new ExerciseGrade(culprit, 0, blamed.Points, status, $"grading stopped in this exercise: {why}");
                stubbed[culprit] = why;
                problems.Add($"{culprit}: {why}");
            }
            else
            {
                foreach (var spec in specs.Where(s => !decided.ContainsKey(s.Name)))
                    decided[spec.Name] = new ExerciseGrade(spec.Name, 0, spec.Points, status, $"the notebook did not run to this exercise: {why}");
                problems.Add($"the run stopped outside an exercise: {why}");
            }
        }
        foreach (var spec in specs.Where(s => !decided.ContainsKey(s.Name)))
            decided[spec.Name] = new ExerciseGrade(spec.Name, 0, spec.Points, "crashed", "not graded: too many runs failed");
        var result = new SubmissionResult(submission.Student, notebookName, relative, sha, referenceSha,
            [.. specs.Select(s => decided[s.Name])], problems, clock.Elapsed.TotalSeconds, attempts, sandbox.Isolated);
        return Store(result);
    }

    /// <summary>
    /// The grade of one exercise from what a run sent, or null when the run did not get far enough to tell (it is
    /// then graded again without the exercise that stopped it).
    /// </summary>
    private ExerciseGrade? Decide(ExerciseSpec spec, AttemptResult attempt, IReadOnlyDictionary<string, ProbeRun> reference, bool completed)
    {
        if (attempt.Refused.TryGetValue(spec.Name, out string? refusal))
            return new ExerciseGrade(spec.Name, 0, spec.Points, "forbidden", refusal);
        var groups = new List<GroupGrade>();
        foreach (var group in spec.Groups)
        {
            if (attempt.Probes.TryGetValue((spec.Name, group.Key), out string? json))
                groups.Add(Judge(group, reference[group.Key], json, attempt));
            else if (attempt.HiddenForbidden.TryGetValue((spec.Name, group.Key), out string? forbidden))
                return new ExerciseGrade(spec.Name, 0, spec.Points, "forbidden", $"the solution {forbidden}, which this exercise asks you not to use");
            else if (attempt.HiddenErrors.TryGetValue((spec.Name, group.Key), out string? error))
                groups.Add(new GroupGrade(group.Key, 0, group.Points, "failed", error));
            else if (!completed) return null;
            else groups.Add(new GroupGrade(group.Key, 0, group.Points, "failed", "its hidden tests did not run"));
        }
        double points = groups.Sum(g => g.Points);
        string? cellError = attempt.ExerciseErrors.GetValueOrDefault(spec.Name);
        string status = points == spec.Points ? "passed" : points > 0 ? "partial" : cellError is not null ? "error" : "failed";
        string reason = status == "passed" ? ""
            : cellError is not null ? (cellError.StartsWith("the exercise cell", StringComparison.Ordinal) ? cellError : $"the exercise cell failed: {cellError}")
            : spec.HasGroups ? string.Join("; ", groups.Where(g => g.Status != "passed").Select(g => $"{g.Group}: {g.Reason}"))
            : groups[0].Reason;
        return new ExerciseGrade(spec.Name, points, spec.Points, status, reason, spec.HasGroups ? groups : null);
    }

    /// <summary>Compares a group's probe values with the reference's, in this process.</summary>
    private GroupGrade Judge(ProbeGroup group, ProbeRun reference, string studentJson, AttemptResult attempt)
    {
        ProbeRun student;
        try { student = ProbeRun.FromJson(studentJson); }
        catch (FormatException) { return new GroupGrade(group.Key, 0, group.Points, "failed", "the hidden tests returned unreadable values"); }
        Verdict verdict;
        try { verdict = Exercise.Compare(reference, student with { Name = reference.Name }, options.Tolerance); }
        catch (ArgumentException) { return new GroupGrade(group.Key, 0, group.Points, "failed", "the hidden tests returned a different number of values than they run"); }
        if (verdict.Correct) return new GroupGrade(group.Key, group.Points, group.Points, "passed", "");
        // "✘ name: not yet (2 of 3 hidden tests failed: probe 1: wrong value; ...). Try again." -> what is in brackets.
        string message = System.Text.RegularExpressions.Regex.Match(verdict.Message, @"not yet \((?<what>.*)\)\. Try again\.$") is { Success: true } m
            ? m.Groups["what"].Value : verdict.Message.Replace("✘ ", "", StringComparison.Ordinal);
        if (message.Contains("threw OutOfMemoryException", StringComparison.Ordinal))
            message += $" (the memory limit is {options.Limits.MemoryMegabytes:N0} MB)";
        return new GroupGrade(group.Key, 0, group.Points, "failed", message);
    }

    /// <summary>One run of a grading plan in a child process, and what it sent.</summary>
    private async Task<(GradingNotebook Grading, AttemptResult Attempt, ProcessOutcome Outcome)> RunAttemptAsync(
        NotebookDocument source, NotebookDocument? submission, IReadOnlyDictionary<string, string> stubbed, CancellationToken cancellationToken)
    {
        var grading = GradingNotebook.Build(source, submission, options.Limits, stubbed);
        string key = GradingChannel.NewKey();
        var attempt = new AttemptResult(Convert.FromHexString(key), grading.Plan, options.Limits);
        var outcome = await sandbox.RunAsync(options.Program, [.. options.ProgramArguments, "grade-run"], key + "\n" + grading.Plan.ToJson(),
            View(grading), options.Limits, attempt.Accept, cancellationToken);
        return (grading, attempt, outcome);
    }

    /// <summary>What a run may read: the .NET runtime, the course command, the folders its cells load libraries from,
    /// and the course's data; its environment names the data folder.</summary>
    private SandboxView View(GradingNotebook grading)
    {
        string runtime = Path.GetDirectoryName(Path.GetFullPath(options.Program))!;
        var folders = new List<string> { RealPath(runtime), AppContext.BaseDirectory.TrimEnd('/') };
        folders.AddRange(options.ProgramArguments.Where(File.Exists).Select(a => Path.GetDirectoryName(Path.GetFullPath(a))!));
        folders.AddRange(grading.ReferenceFolders());
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["TZ"] = "UTC",
        };
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root)
        {
            environment["DOTNET_ROOT"] = root;
            folders.Add(root);
        }
        if (DataFolder() is { } data)
        {
            environment["COURSE_DATA_DIR"] = data;
            folders.Add(data);
        }
        return new SandboxView(folders, environment);
    }

    private static string RealPath(string path) => new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;

    /// <summary>The course's data folder: data/ (with its SHA256SUMS) beside the notebooks' folder, or COURSE_DATA_DIR.</summary>
    private string? DataFolder()
    {
        if (Environment.GetEnvironmentVariable("COURSE_DATA_DIR") is { Length: > 0 } set && Directory.Exists(set)) return Path.GetFullPath(set);
        foreach (string notebook in options.Notebooks)
            for (var dir = new DirectoryInfo(Path.GetDirectoryName(Path.GetFullPath(notebook))!); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "data", "SHA256SUMS"))) return Path.Combine(dir.FullName, "data");
        return null;
    }

    /// <summary>The reference solution's probe values for one notebook, run once per grader (and cached on disk).</summary>
    private Task<Dictionary<(string Exercise, string Group), ProbeRun>> ReferenceAsync(string path, NotebookDocument source, CancellationToken cancellationToken) =>
        _references.GetOrAdd(path, async _ =>
        {
            string name = Path.GetFileNameWithoutExtension(path);
            string cache = Path.Combine(options.Out, "reference", name + ".json");
            string sha = SubmissionFiles.Sha256(path) + "+" + Version;
            var specs = ExerciseMarkup.Parse(source);
            if (SubmissionFiles.KindOf(cache) == EntryKind.File
                && Encoding.UTF8.GetString(SubmissionFiles.ReadRegularFile(cache)).Split('\n', 2) is [var storedSha, var stored] && storedSha == sha)
                return ParseReference(stored);
            // The TA's own notebook graded as a submission, in the same sandbox: its solutions pass the same screens.
            var (_, attempt, outcome) = await RunAttemptAsync(source, source, new Dictionary<string, string>(), cancellationToken);
            var missing = specs.SelectMany(s => s.Groups.Select(g => (Spec: s, Group: g)))
                .Where(x => !attempt.Probes.ContainsKey((x.Spec.Name, x.Group.Key)))
                .Select(x => $"{x.Spec.Name}/{x.Group.Key}: {attempt.Refused.GetValueOrDefault(x.Spec.Name) ?? attempt.HiddenForbidden.GetValueOrDefault((x.Spec.Name, x.Group.Key)) ?? attempt.HiddenErrors.GetValueOrDefault((x.Spec.Name, x.Group.Key)) ?? attempt.ExerciseErrors.GetValueOrDefault(x.Spec.Name) ?? (outcome.Killed ?? (attempt.Done ? "no probe values" : $"the run stopped (exit code {outcome.ExitCode}): {outcome.ConsoleTail}"))}")
                .ToList();
            if (missing.Count > 0)
                throw new InvalidOperationException($"the reference solution of {name} gives no probe values for {string.Join("; ", missing)}"
                    + (attempt.NotebookErrors.Count > 0 ? $"; cells of the notebook failed first: {string.Join("; ", attempt.NotebookErrors.Select(e => $"code cell {e.Key + 1}: {e.Value}"))}" : ""));
            string json = System.Text.Json.JsonSerializer.Serialize(attempt.Probes.ToDictionary(kv => kv.Key.Exercise + "/" + kv.Key.Group, kv => kv.Value));
            AtomicFile.WriteAllText(cache, sha + "\n" + json);
            return ParseReference(json);
        });

    private static Dictionary<(string, string), ProbeRun> ParseReference(string json) =>
        System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(json)!
            .ToDictionary(kv => (kv.Key[..kv.Key.IndexOf('/')], kv.Key[(kv.Key.IndexOf('/') + 1)..]), kv => ProbeRun.FromJson(kv.Value));

    private SubmissionResult Store(SubmissionResult result)
    {
        AtomicFile.WriteAllText(ResultPath(result.Student, result.Notebook), result.ToJson());
        return result;
    }

    private string ResultPath(string student, string notebook) =>
        Path.Combine(ResultsFolder, SubmissionFiles.FileNameOf(student), SubmissionFiles.FileNameOf(notebook) + ".json");

    /// <summary>Reads a submission (a regular file of at most <see cref="SubmissionFiles.MaxNotebookBytes"/>),
    /// tolerating a byte-order mark and Windows line endings.</summary>
    private static NotebookDocument LoadSubmission(string path)
    {
        byte[] bytes;
        try { bytes = SubmissionFiles.ReadRegularFile(path); }
        catch (IOException e) { throw new NotebookFormatException(path, e.Message, e); }
        catch (UnauthorizedAccessException e) { throw new NotebookFormatException(path, e.Message, e); }
        if (bytes.Length == 0) throw new NotebookFormatException(path, "the file is empty");
        if (bytes.Take(4096).Contains((byte)0)) throw new NotebookFormatException(path, "the file is binary, not a notebook");
        string text = new UTF8Encoding(false).GetString(bytes).TrimStart('\uFEFF').Replace("\r\n", "\n");
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
        ulong hash = BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(student)), 0);
        return (int)(hash % (ulong)options.Shard.Count) == options.Shard.Index - 1;
    }

    /// <summary>A notebook (.dib, .ipynb) or a notebook exported as a C# file-based app (.cs, see NotebookApps).</summary>
    private static bool IsNotebookFile(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".dib" or ".ipynb" or ".cs";
}

/// <summary>
/// What one run sent, message by message: the first probe values of each hidden check (later ones, or any message
/// without the run's signature, change nothing), the student cells that failed or were refused, and how far it got.
/// </summary>
internal sealed class AttemptResult(byte[] key, GradingPlan plan, GradingLimits limits)
{
    public Dictionary<(string Exercise, string Group), string> Probes { get; } = [];
    public Dictionary<string, string> ExerciseErrors { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Refused { get; } = new(StringComparer.Ordinal);
    public Dictionary<(string Exercise, string Group), string> HiddenErrors { get; } = [];
    public Dictionary<(string Exercise, string Group), string> HiddenForbidden { get; } = [];
    /// <summary>The TA's cells that failed, by position in the plan (for the reference run's diagnostics).</summary>
    public SortedDictionary<int, string> NotebookErrors { get; } = [];
    public int? CurrentCell { get; private set; }
    public int? TimedOut { get; private set; }
    public bool Done { get; private set; }
    public int Tampered { get; private set; }

    public void Accept(string line)
    {
        if (line.Length == 0) return;
        lock (this)
        {
            if (Done) return;
            var message = GradingChannel.Verify(line, key);
            if (message is null) { Tampered++; return; }
            switch (message.Type)
            {
                case "cell" when message.Index is int i && i >= 0 && i < plan.Cells.Count:
                    CurrentCell = i;
                    break;
                case "probe" when message.Exercise is { } e && message.Group is { } g && message.Probes is { } json:
                    Probes.TryAdd((e, g), json);
                    break;
                case "exercise" when message.Exercise is { } e:
                    if (message.Status is "forbidden") Refused.TryAdd(e, $"the solution {message.Reason}");
                    else ExerciseErrors.TryAdd(e, Explain(message.Reason ?? "failed"));
                    break;
                case "hidden" when message.Exercise is { } e && message.Group is { } g:
                    if (message.Status is "forbidden") HiddenForbidden.TryAdd((e, g), message.Reason ?? "");
                    else HiddenErrors.TryAdd((e, g), message.Status == "compile"
                        ? $"the hidden tests could not be compiled against your cell ({ErrorCode(message.Reason)}: check the names and signatures the exercise asks for)"
                        : $"the hidden tests failed with {ExceptionType(message.Reason)}");
                    break;
                case "notebook" when message.Index is int failed:
                    NotebookErrors.TryAdd(failed, message.Reason ?? "failed");
                    break;
                case "timeout":
                    TimedOut = message.Index;
                    break;
                case "done":
                    Done = true;
                    break;
            }
        }
    }

    /// <summary>A student cell's own error, with the memory limit when it ran out of memory.</summary>
    private string Explain(string reason) => reason.StartsWith("OutOfMemoryException", StringComparison.Ordinal)
        ? $"{reason} (the memory limit is {limits.MemoryMegabytes:N0} MB)" : reason;

    /// <summary>The compiler's error code only: the message quotes hidden code.</summary>
    private static string ErrorCode(string? reason) =>
        System.Text.RegularExpressions.Regex.Match(reason ?? "", @"error (CS\d+)") is { Success: true } m ? $"error {m.Groups[1].Value}" : "a compile error";

    /// <summary>The exception's type only: its message could carry the hidden inputs.</summary>
    private string ExceptionType(string? reason)
    {
        string type = (reason ?? "an error").Split(':')[0].Trim();
        return type == "OutOfMemoryException" ? $"{type} (the memory limit is {limits.MemoryMegabytes:N0} MB)" : type;
    }
}

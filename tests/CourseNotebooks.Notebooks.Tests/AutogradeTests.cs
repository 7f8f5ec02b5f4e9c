using System.Diagnostics;
using CourseNotebooks.Grading;
using CourseNotebooks.Host;
using Xunit.Abstractions;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>
/// The autograder on a tiny course (fixtures/grading/notebooks/01-tiny.dib: a code exercise that forbids Math.Pow, an
/// integer answer, a real-valued function that forbids Math.ScaleB, an exercise that reports on its surroundings, and
/// one whose hidden probes come in two groups of a point each; a lecture cell holds a delegate that calls Math.Pow
/// and a ReLU layer behind its base type) and fixture submissions of every kind a TA meets, hostile ones included:
/// correct, wrong, reordered and duplicated cells with CRLF and a BOM, a deleted exercise, a forbidden call written
/// plainly, with a Unicode escape, behind a comment marker inside a string, by reflection, through dynamic, through the
/// notebook's delegate, through the notebook's layer behind its base type, or defined in another exercise's cell; a
/// correct solution that only mentions a forbidden name; an endless loop, Environment.Exit, a memory hog, a 4 GB
/// allocation inside the probed function, a slow but correct notebook graded with a short thread-pool timeout, a
/// correct notebook that leaves a foreground thread running, a process-exit handler, a thread that prints forged
/// probe lines, a formatter registration, an .ipynb cell that smuggles in a hidden cell, a cell that throws, one that
/// does not compile, one that prints about 200 MB, one that declares its own Exercise, one that searches the loaded
/// assemblies, one that exits in its first cell, one that throws in every cell, an exercise right on values and wrong
/// on edge cases (partial credit), a binary file and an empty one; and, made by the test: a link to /dev/zero, a link
/// to the TA's notebook, a named pipe, ids with HTML, with a leading '=', and three ids a careless file-name cleaning
/// maps alike, a folder holding an answered notebook and the untouched release of it, and a named pipe planted where a
/// stored result goes. Runs the real `course autograde` command in its own process, as a TA would.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class AutogradeTests(NotebookFixture fixture, ITestOutputHelper output)
{
    /// <summary>Set by .ci/run: a missing sandbox fails the isolation checks instead of relaxing them.</summary>
    public const string RequireSandboxVariable = "COURSE_REQUIRE_SANDBOX";

    private string Course => Path.Combine(fixture.Root, "tests", "CourseNotebooks.Notebooks.Tests", "fixtures", "grading");

    private const string HtmlId = "<img src=x onerror=alert(1)>";
    private const string FormulaId = "=SUM(1,2)";

    [Fact]
    public async Task Autograde_EveryKindOfSubmission_GetsItsExactRows_AndARestartKeepsThem()
    {
        await fixture.BuildLibraryOnceAsync();
        var sandbox = Sandbox.Detect();
        output.WriteLine(sandbox.Description);
        if (Environment.GetEnvironmentVariable(RequireSandboxVariable) == "1")
            Assert.True(sandbox.Isolated, $"{RequireSandboxVariable}=1 but bubblewrap cannot run here: {sandbox.Description}");
        string work = Directory.CreateTempSubdirectory("course-autograde-").FullName;
        try
        {
            string submissions = CopySubmissions(Path.Combine(work, "submissions"));
            string outDir = Path.Combine(work, "out");
            MakeSpecialEntries(submissions, outDir);

            // A short thread-pool timeout: pool threads retire after a third of a second idle. A sandbox started from
            // one then died with it (the slow submission scored 0); runs now have threads of their own.
            var (exit, log) = await CourseAsync(submissions, outDir, ["DOTNET_ThreadPool_ThreadTimeoutMs=300"], "--jobs", "2");
            Assert.True(exit == 0, log);

            var rows = File.ReadAllLines(Path.Combine(outDir, "gradebook.csv"));
            Assert.Equal(Gradebook.CsvHeader, rows[0]);
            var parsed = rows.Skip(1).Select(ParseRow).ToList();
            var grades = parsed.ToDictionary(r => (r.Student, r.Exercise));
            string Status(string student, string exercise) => grades[(student, exercise)].Status;
            string Reason(string student, string exercise) => grades[(student, exercise)].Reason;
            double Points(string student) => grades.Values.Where(r => r.Student == student).Sum(r => r.Points);
            const double Full = 7;

            // Every graded submission has a row per exercise and no row twice; refused entries one row each.
            Assert.Equal(parsed.Count, grades.Count);
            foreach (string s in new[] { "correct", "reordered", "exitsfirst", "printer", "mentions", "slow", "foreground", "a b", "a_b", "A_b", HtmlId, "'" + FormulaId, "asapp" })
                Assert.True(Points(s) == Full, $"{s}: {Points(s)} of {Full}\n{log}");
            Assert.Equal(["failed", "failed", "failed", "passed", "passed"], Statuses("wrong"));
            Assert.Equal("missing", Status("missing", "half"));
            Assert.Equal(Full - 1, Points("missing"));
            Assert.Equal("timeout", Status("endless", "sum-to-ten"));
            Assert.Equal(Full - 1, Points("endless"));            // the loop costs its own exercise only
            Assert.Equal("error", Status("hog", "sum-to-ten"));
            Assert.Contains("OutOfMemoryException", Reason("hog", "sum-to-ten"));
            Assert.Contains("the memory limit is 512 MB", Reason("hog", "sum-to-ten"));
            // A 4 GB array inside the probed function: named as memory, never as a wrong signature.
            Assert.Equal("failed", Status("hugealloc", "square"));
            Assert.Contains("threw OutOfMemoryException (the memory limit is 512 MB)", Reason("hugealloc", "square"));
            Assert.Equal(Full - 2, Points("hugealloc"));
            // A function that throws on the hidden inputs: the feedback names the exception's type, not its message.
            Assert.Equal("failed", Status("thrower", "square"));
            Assert.Contains("threw InvalidOperationException", Reason("thrower", "square"));
            Assert.DoesNotContain("not today", Reason("thrower", "square"));
            Assert.Equal("error", Status("noparse", "square"));
            Assert.Contains("error CS", Reason("noparse", "square"));
            Assert.Equal(["failed", "passed", "passed", "passed", "passed"], Statuses("redefiner"));
            Assert.Equal(["failed", "error", "failed", "failed", "error"], Statuses("throwseverywhere"));
            Assert.All(new[] { "binary", "empty" }, s => Assert.Equal(["unreadable", "unreadable", "unreadable", "unreadable", "unreadable"], Statuses(s)));

            // Forbidden, whatever path the call takes; judged on the compiled code, so a name in a comment or a
            // string (the "mentions" submission, full marks above) counts for nothing.
            foreach (var (student, exercise, says) in new[]
            {
                ("forbidden", "square", "calls Math.Pow"), ("escaped", "square", "calls Math.Pow"), ("stringmarker", "square", "calls Math.Pow"),
                ("lecturepower", "square", "'lecturePower'"), ("baselayer", "relu-sum", "'lectureLayer', which holds a ReLU"),
                ("othercell", "half", "calls Math.ScaleB"), ("reflection", "square", "uses reflection"), ("dynamicpow", "square", "uses dynamic"),
                ("reflector", "sum-to-ten", "uses reflection"), ("exits", "sum-to-ten", "the process's exit"), ("exithandler", "square", "uses the process"),
                ("formatter", "square", "the notebook's display"), ("hostile", "isolated", "uses "),
            })
            {
                Assert.True(Status(student, exercise) == "forbidden", $"{student}/{exercise}: {Status(student, exercise)} ({Reason(student, exercise)})");
                Assert.Contains(says, Reason(student, exercise));
                Assert.Equal(Full - grades[(student, exercise)].MaxPoints, Points(student));
            }
            Assert.Contains("Halver (in the cell of exercise square)", Reason("othercell", "half"));
            // Values sent after a probe, or lines printed to look like the grader's messages, change nothing.
            Assert.Equal("failed", Status("forger", "square"));
            Assert.Equal("error", Status("smuggler", "square"));
            Assert.Equal(Full - 2, Points("smuggler"));
            // Partial credit: the values group passes, the edge-cases group fails, and both are named.
            Assert.Equal("partial", Status("partial", "relu-sum"));
            Assert.Equal(1, grades[("partial", "relu-sum")].Points);
            Assert.Equal("values 1/1; edge cases 0/1", grades[("partial", "relu-sum")].Groups);
            Assert.StartsWith("edge cases: ", Reason("partial", "relu-sum"));

            // Refused entries: one row each, named as what they are, nothing opened.
            Assert.Equal("refused", Status("zero", "(none)"));
            Assert.Contains("symbolic link (to /dev/zero)", Reason("zero", "(none)"));
            Assert.Equal("refused", Status("linked", "(none)"));
            Assert.Contains("symbolic link", Reason("linked", "(none)"));
            Assert.Equal("refused", Status("piped", "(none)"));
            Assert.Contains("named pipe", Reason("piped", "(none)"));
            // One submission per student and notebook; the ambiguity is said.
            Assert.Equal(Full, Points("both"));
            Assert.Contains("ambiguous: 2 files for 01-tiny; graded both/01-tiny.dib because it answers more exercises (5 against 0); not graded: both/01-tiny.ipynb", File.ReadAllText(Path.Combine(outDir, "summary.html")));

            // Pages and files: no student's text becomes markup, no id becomes a formula, no two ids share a file.
            string summaryHtml = File.ReadAllText(Path.Combine(outDir, "summary.html"));
            Assert.DoesNotContain("<img src=x", summaryHtml);
            Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", summaryHtml);
            Assert.Contains("\n\"'=SUM(1,2)\",01-tiny,square,", File.ReadAllText(Path.Combine(outDir, "gradebook.csv")));
            var feedbackFiles = Directory.GetFiles(Path.Combine(outDir, "feedback"), "*.md");
            Assert.Equal(feedbackFiles.Length, feedbackFiles.Select(f => f.ToLowerInvariant()).Distinct().Count());
            foreach (string id in new[] { "a b", "a_b", "A_b", HtmlId })
                Assert.Single(feedbackFiles, f => File.ReadAllText(f).StartsWith("# Feedback for " + Gradebook.Text(id) + "\n", StringComparison.Ordinal));
            Assert.DoesNotContain("<img", File.ReadAllText(Directory.GetFiles(Path.Combine(outDir, "feedback"), "*.html").Single(f => File.ReadAllText(f).Contains("onerror", StringComparison.Ordinal))));

            // Feedback names what failed, never a hidden expected value (49, 16, 0 for square; 55; 2.5 and -0.125 for half).
            string feedback = File.ReadAllText(Path.Combine(outDir, "feedback", "wrong.md"));
            Assert.Contains("wrong value", feedback);
            foreach (string expected in new[] { "49", "16", "55", "2.5", "0.125" })
                Assert.DoesNotContain(expected, feedback);
            Assert.DoesNotContain("Every hidden test passed", feedback);
            Assert.Contains("Every hidden test passed", File.ReadAllText(Path.Combine(outDir, "feedback", "correct.md")));
            Assert.Contains("edge cases", File.ReadAllText(Path.Combine(outDir, "feedback", "partial.md")));
            string summary = File.ReadAllText(Path.Combine(outDir, "summary.md"));
            Assert.Contains("endless", summary);
            Assert.Contains("<svg", summaryHtml);

            // A restart keeps every finished result (no child runs: seconds, not minutes) and writes the same gradebook.
            var before = Directory.GetFiles(Path.Combine(outDir, "results"), "*.json", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);
            var clock = Stopwatch.StartNew();
            var (again, againLog) = await CourseAsync(submissions, outDir, [], "--jobs", "2");
            Assert.True(again == 0, againLog);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the restart took {clock.Elapsed.TotalSeconds:0} s: results were not kept\n{againLog}");
            Assert.All(before, kv => Assert.Equal(kv.Value, File.ReadAllText(kv.Key)));
            Assert.Equal(rows, File.ReadAllLines(Path.Combine(outDir, "gradebook.csv")));

            // Graded again one at a time (--jobs 1, --force), three students give the same rows as in the parallel run.
            static string WithoutSeconds(string row) => row[..row.LastIndexOf(',')];
            foreach (string student in new[] { "wrong", "endless", "reordered" })
            {
                var (alone, aloneLog) = await CourseAsync(submissions, outDir, [], "--force", "--jobs", "1", "--student", student);
                Assert.True(alone == 0, aloneLog);
            }
            Assert.Equal(rows.Select(WithoutSeconds), File.ReadAllLines(Path.Combine(outDir, "gradebook.csv")).Select(WithoutSeconds));

            string[] Statuses(string student) => [.. parsed.Where(r => r.Student == student).Select(r => r.Status)];
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Entries no fixture file can hold: links, a named pipe, ids with characters a file name cannot keep as they are,
    /// two notebooks of one student for one notebook, and a named pipe where a stored result goes.
    /// </summary>
    private void MakeSpecialEntries(string submissions, string outDir)
    {
        File.CreateSymbolicLink(Path.Combine(submissions, "zero.dib"), "/dev/zero");
        Directory.CreateDirectory(Path.Combine(submissions, "linked"));
        File.CreateSymbolicLink(Path.Combine(submissions, "linked", "01-tiny.dib"), Path.Combine(Course, "notebooks", "01-tiny.dib"));
        Directory.CreateDirectory(Path.Combine(submissions, "piped"));
        MakeFifo(Path.Combine(submissions, "piped", "01-tiny.dib"));
        string correct = Path.Combine(submissions, "correct", "01-tiny.dib");
        foreach (string id in new[] { "a b", "a_b", "A_b", HtmlId, FormulaId, "both" })
        {
            Directory.CreateDirectory(Path.Combine(submissions, id));
            File.Copy(correct, Path.Combine(submissions, id, "01-tiny.dib"));
        }
        // The untouched student release beside the answered notebook, and newer than it.
        string release = Directory.CreateTempSubdirectory("course-release-").FullName;
        StudentRelease.Write(Path.Combine(Course, "notebooks", "01-tiny.dib"), release);
        File.Copy(Path.Combine(release, "01-tiny.ipynb"), Path.Combine(submissions, "both", "01-tiny.ipynb"));
        Directory.Delete(release, recursive: true);
        File.SetLastWriteTimeUtc(Path.Combine(submissions, "both", "01-tiny.dib"), DateTime.UtcNow.AddHours(-1));
        // The course worked through as a file-based app (./run-course export): graded like the notebook.
        string app = NotebookApps.Export(NotebookDocument.Load(Path.Combine(Course, "notebooks", "01-tiny.dib")), Path.Combine(submissions, "asapp"), fixture.Root);
        Directory.CreateDirectory(Path.Combine(submissions, "asapp"));
        File.WriteAllText(Path.Combine(submissions, "asapp", "01-tiny.cs"), app);
        // A named pipe where a stored result of "correct" goes: the grader must neither block on it nor trust it.
        Directory.CreateDirectory(Path.Combine(outDir, "results", "correct"));
        MakeFifo(Path.Combine(outDir, "results", "correct", "01-tiny.json"));
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    /// <summary>The fixture submissions, with the hostile one told where the course's folder is.</summary>
    private string CopySubmissions(string to)
    {
        string from = Path.Combine(Course, "submissions");
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (file.EndsWith(".dib", StringComparison.Ordinal) && File.ReadAllText(file).Contains("@@GRADING_ROOT@@", StringComparison.Ordinal))
                File.WriteAllText(target, File.ReadAllText(file).Replace("@@GRADING_ROOT@@", Course, StringComparison.Ordinal));
            else
                File.Copy(file, target);
        }
        return to;
    }

    private async Task<(int Exit, string Log)> CourseAsync(string submissions, string outDir, string[] environment, params string[] more)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "course.dll"), "autograde", submissions, "--root", Course, "--out", outDir,
                "--cell-time", "10", "--memory", "512", "--wall-time", "120",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in more) start.ArgumentList.Add(argument);
        foreach (string variable in environment) start.Environment[variable[..variable.IndexOf('=')]] = variable[(variable.IndexOf('=') + 1)..];
        // A secret in the grader's environment: the student's process must not see it.
        start.Environment["COURSE_GRADER_SECRET"] = "s3cret";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await process.WaitForExitAsync(timeout.Token);
        string log = await stdout + await stderr;
        output.WriteLine(log);
        return (process.ExitCode, log);
    }

    private sealed record Row(string Student, string Exercise, double Points, double MaxPoints, string Status, string Reason, string Groups);

    /// <summary>One CSV row (quoted fields may hold commas).</summary>
    private static Row ParseRow(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return new Row(cells[0], cells[2], double.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(cells[4], System.Globalization.CultureInfo.InvariantCulture), cells[5], cells[6], cells[7]);
    }
}

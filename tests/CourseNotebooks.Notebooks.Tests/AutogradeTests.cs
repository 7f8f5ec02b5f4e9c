using System.Diagnostics;
using CourseNotebooks.Grading;
using Xunit.Abstractions;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>
/// The autograder on a tiny course (fixtures/grading/notebooks/01-tiny.dib: a code exercise with a forbidden API, an
/// integer answer, a real-valued function, and an exercise that reports on its surroundings) and fixture
/// submissions of every kind a TA meets: correct, wrong (by 1 and by 1e-2), reordered and duplicated cells with
/// CRLF and a BOM, a deleted exercise, a forbidden call, an endless loop, Environment.Exit, a memory hog, a cell
/// that throws, one that does not compile, one that prints about 200 MB, one that declares its own Exercise with
/// forged probe values, one that searches the loaded assemblies for answers, one that exits in its first cell, one
/// that throws in every cell, a hostile one, a binary file and an empty one. Runs the real `course
/// autograde` command in its own process, as a TA would.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class AutogradeTests(NotebookFixture fixture, ITestOutputHelper output)
{
    /// <summary>Set by .ci/run: a missing sandbox fails the isolation checks instead of relaxing them.</summary>
    public const string RequireSandboxVariable = "COURSE_REQUIRE_SANDBOX";

    private string Course => Path.Combine(fixture.Root, "tests", "CourseNotebooks.Notebooks.Tests", "fixtures", "grading");

    [Fact]
    public async Task Autograde_EveryKindOfSubmission_GetsItsExactRows_AndARestartKeepsThem()
    {
        await fixture.BuildLibraryOnceAsync();
        var sandbox = Sandbox.Detect();
        bool sandboxed = sandbox.Isolated;
        // Where bubblewrap cannot run, the isolation checks are relaxed, and the reason is printed.
        output.WriteLine(sandbox.Description);
        if (Environment.GetEnvironmentVariable(RequireSandboxVariable) == "1")
            Assert.True(sandboxed, $"{RequireSandboxVariable}=1 but bubblewrap cannot run here: {sandbox.Description}");
        string work = Directory.CreateTempSubdirectory("course-autograde-").FullName;
        try
        {
            string submissions = CopySubmissions(Path.Combine(work, "submissions"));
            string outDir = Path.Combine(work, "out");

            var (exit, log) = await CourseAsync(submissions, outDir, "--jobs", "2");
            Assert.True(exit == 0, log);

            var rows = File.ReadAllLines(Path.Combine(outDir, "gradebook.csv"));
            Assert.Equal(Gradebook.CsvHeader, rows[0]);
            var grades = rows.Skip(1).Select(ParseRow).ToDictionary(r => (r.Student, r.Exercise));
            string Status(string student, string exercise) => grades[(student, exercise)].Status;
            double Points(string student) => grades.Values.Where(r => r.Student == student).Sum(r => r.Points);

            // Every submission has a row per exercise, and no row twice.
            Assert.Equal(18 * 4, grades.Count);
            Assert.Equal(5, Points("correct"));
            Assert.Equal(5, Points("reordered"));       // reordered, duplicated (the last copy counts), CRLF, BOM, an edited check
            Assert.Equal(["failed", "failed", "failed", "passed"], Statuses("wrong"));
            Assert.Equal("missing", Status("missing", "half"));
            Assert.Equal(4, Points("missing"));
            Assert.Equal("forbidden", Status("forbidden", "square"));
            Assert.Equal(3, Points("forbidden"));
            Assert.Equal("timeout", Status("endless", "sum-to-ten"));
            Assert.Equal(4, Points("endless"));           // the loop costs its own exercise only
            Assert.Equal("crashed", Status("exits", "sum-to-ten"));
            Assert.Equal(4, Points("exits"));
            Assert.Equal("error", Status("hog", "sum-to-ten"));
            Assert.Contains("OutOfMemoryException", grades[("hog", "sum-to-ten")].Reason);
            Assert.Equal(4, Points("hog"));
            // A function that throws on the hidden inputs: the feedback names the exception's type, not its message,
            // which the student's code could fill with the hidden inputs.
            Assert.Equal("failed", Status("thrower", "square"));
            Assert.Contains("threw InvalidOperationException", grades[("thrower", "square")].Reason);
            Assert.DoesNotContain("not today", grades[("thrower", "square")].Reason);
            Assert.Equal("error", Status("noparse", "square"));
            Assert.Contains("CS", grades[("noparse", "square")].Reason);          // a compiler error code
            // About 200 MB printed in one cell under a 512 MB heap: the output is cut where it is written, before the
            // kernel keeps it, so the cell runs to its end, is graded like any other, and keeps the output limit.
            Assert.Equal(5, Points("printer"));
            Assert.Equal("passed", Status("printer", "sum-to-ten"));
            // A cell that declares its own Exercise (with a probe returning forged values) changes nothing: the hidden
            // checks call the engine's by its full name; its wrong Square fails and every later exercise is graded.
            Assert.Equal(["failed", "passed", "passed", "passed"], Statuses("redefiner"));
            // Reflection over every loaded assembly finds no expected value: there is none in the student's process.
            Assert.Equal("failed", Status("reflector", "sum-to-ten"));
            Assert.Equal(4, Points("reflector"));
            // Environment.Exit in the student's first cell: grading runs the TA's setup, not the student's.
            Assert.Equal(5, Points("exitsfirst"));
            // Every cell throws, the setup included: every exercise is graded, each with its reason.
            Assert.Equal(["failed", "error", "failed", "failed"], Statuses("throwseverywhere"));
            Assert.All(new[] { "binary", "empty" }, s => Assert.Equal(["unreadable", "unreadable", "unreadable", "unreadable"], Statuses(s)));
            // The hostile cell reports whether it could read the grader's secret, see the TA's notebooks, write
            // above its folder or reach the network: in the sandbox it can do none of these.
            Assert.Equal(sandboxed ? "passed" : "failed", Status("hostile", "isolated"));
            Assert.False(File.Exists(Path.Combine(Course, "escaped.txt")) && sandboxed, "a sandboxed submission wrote above its folder");

            // Feedback names what failed, never a hidden expected value (49, 16, 0 for square; 55; 2.5 and -0.125 for half).
            string feedback = File.ReadAllText(Path.Combine(outDir, "feedback", "wrong.md"));
            Assert.Contains("wrong value", feedback);
            foreach (string expected in new[] { "49", "16", "55", "2.5", "0.125" })
                Assert.DoesNotContain(expected, feedback);
            Assert.DoesNotContain("Every hidden test passed", feedback);
            Assert.Contains("Every hidden test passed", File.ReadAllText(Path.Combine(outDir, "feedback", "correct.md")));
            string summary = File.ReadAllText(Path.Combine(outDir, "summary.md"));
            Assert.Contains("endless", summary);
            Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir, "summary.html")));

            // A restart keeps every finished result (no child runs: seconds, not minutes) and writes the same gradebook.
            var before = Directory.GetFiles(Path.Combine(outDir, "results"), "*.json", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);
            var clock = Stopwatch.StartNew();
            var (again, againLog) = await CourseAsync(submissions, outDir, "--jobs", "2");
            Assert.True(again == 0, againLog);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the restart took {clock.Elapsed.TotalSeconds:0} s: results were not kept\n{againLog}");
            Assert.All(before, kv => Assert.Equal(kv.Value, File.ReadAllText(kv.Key)));
            Assert.Equal(rows, File.ReadAllLines(Path.Combine(outDir, "gradebook.csv")));

            // Graded again one at a time (--jobs 1, --force), three students give the same rows as in the parallel run.
            static string WithoutSeconds(string row) => row[..row.LastIndexOf(',')];
            foreach (string student in new[] { "wrong", "endless", "reordered" })
            {
                var (alone, aloneLog) = await CourseAsync(submissions, outDir, "--force", "--jobs", "1", "--student", student);
                Assert.True(alone == 0, aloneLog);
            }
            Assert.Equal(rows.Select(WithoutSeconds), File.ReadAllLines(Path.Combine(outDir, "gradebook.csv")).Select(WithoutSeconds));

            string[] Statuses(string student) => [.. rows.Skip(1).Select(ParseRow).Where(r => r.Student == student).Select(r => r.Status)];
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            File.Delete(Path.Combine(Course, "escaped.txt"));
        }
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

    private async Task<(int Exit, string Log)> CourseAsync(string submissions, string outDir, params string[] more)
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
        // A secret in the grader's environment: the student's process must not see it.
        start.Environment["COURSE_GRADER_SECRET"] = "s3cret";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private sealed record Row(string Student, string Exercise, double Points, string Status, string Reason);

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
        return new Row(cells[0], cells[2], double.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture), cells[5], cells[6]);
    }
}

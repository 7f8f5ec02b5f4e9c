using System.Diagnostics;
using CourseNotebooks.Grading;
using CourseNotebooks.Host;
using Xunit.Abstractions;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>
/// A TA's term on the fixture course, with the real `course` command in its own process: a mock class (see
/// <see cref="MockClass"/>; ten students, or COURSE_MOCK_CLASS of them) is graded with its manifest's times, two
/// written answers are scored, the late policy applies, the gradebook is exported for Canvas, the similarity report
/// finds the planted copy and nothing else, and after the TA changes a hidden probe a regrade names the student whose
/// score moved and why. A student's `course check` on their own notebook says what will be graded without running a
/// hidden probe.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class CourseGradingEndToEndTests(NotebookFixture fixture, ITestOutputHelper output)
{
    private static int Size => int.TryParse(Environment.GetEnvironmentVariable("COURSE_MOCK_CLASS"), out int n) && n >= 10 ? n : 10;

    /// <summary>The fixture course copied to <paramref name="root"/>, its #r lines made absolute (so the copy can be edited).</summary>
    private static string CopyCourse(string root)
    {
        string from = Path.Combine(MockClass.Course, "notebooks");
        string to = Directory.CreateDirectory(Path.Combine(root, "notebooks")).FullName;
        foreach (string file in Directory.GetFiles(from))
            File.WriteAllText(Path.Combine(to, Path.GetFileName(file)), NotebookConverter.RebaseReferences(File.ReadAllText(file), from, to));
        return root;
    }

    [Fact]
    public async Task MockClass_IsGradedReviewedPenalisedExportedAndCompared_AndARegradeExplainsItself()
    {
        await fixture.BuildLibraryOnceAsync();
        string work = Directory.CreateTempSubdirectory("course-term-").FullName;
        try
        {
            string root = CopyCourse(Path.Combine(work, "course"));
            string submissions = Path.Combine(work, "submissions");
            string grading = Path.Combine(work, "grading");
            MockClass.Write(submissions, Size);
            string[] common = ["--root", root, "--out", grading];

            var clock = Stopwatch.StartNew();
            var (exit, log) = await MockClass.CourseAsync(["autograde", submissions, .. common, "--jobs", "2", "--cell-time", "20", "--memory", "512"]);
            double gradeSeconds = clock.Elapsed.TotalSeconds;
            output.WriteLine(log);
            Assert.True(exit == 0, log);
            Assert.Contains($"submission times from manifest.csv ({Size} listed", log);

            // Two written answers scored (the review page's store; the page itself has its own browser test).
            var reviews = new ReviewStore(grading);
            var results = Gradebook.Read(Path.Combine(grading, "results")).ToDictionary(r => r.Student);
            reviews.Save(new TaReview("s01", "01-stats", "explain-variance", ReviewKind.Written, 2, "Both points.", DateTimeOffset.UtcNow, results["s01"].Sha256), 2);
            reviews.Save(new TaReview("s06", "01-stats", "explain-variance", ReviewKind.Written, 1, "Units only.", DateTimeOffset.UtcNow, results["s06"].Sha256), 2);
            (exit, log) = await MockClass.CourseAsync(["gradebook", .. common]);
            Assert.True(exit == 0, log);
            output.WriteLine(log);

            var rows = File.ReadAllLines(Path.Combine(grading, "gradebook.csv")).Skip(1).Select(Row.Parse).ToList();
            var byStudent = rows.GroupBy(r => r.Student).ToDictionary(g => g.Key, g => g.ToDictionary(r => r.Exercise));
            double Final(string s) => byStudent[s].Values.Sum(r => r.Final);
            Assert.Equal(Size, byStudent.Count);
            Assert.All(byStudent.Values, exercises => Assert.Equal(["square", "standardize", "explain-variance"], exercises.Keys));

            foreach (string s in new[] { "s02", "s03", "s04", "s05", "s09" })
            {
                Assert.Equal(5, Final(s));
                Assert.Equal("awaiting review", byStudent[s]["explain-variance"].Status);
                Assert.Equal("on time", byStudent[s]["square"].Late);
            }
            Assert.Equal(7, Final("s01"));                                        // 5 autograded + 2 from the TA
            Assert.Equal("reviewed", byStudent["s01"]["explain-variance"].Status);
            Assert.Equal(("failed", "failed"), (byStudent["s06"]["square"].Status, byStudent["s06"]["standardize"].Status));
            Assert.Equal(1, Final("s06"));                                        // the TA's point only
            // 2 days late: square's 2 points less 20 %; standardize was left as released.
            Assert.StartsWith("2 days late: -20%; submitted 2026-10-22 19:59 UTC (manifest)", byStudent["s07"]["square"].Late);
            Assert.Equal((2, 0.2, 1.6), (byStudent["s07"]["square"].Points, byStudent["s07"]["square"].Penalty, byStudent["s07"]["square"].Final));
            Assert.Equal(1.6, Final("s07"), 1e-9);
            // Past the 5 days late work is accepted: its points are shown, and count nothing.
            Assert.Equal((2, 1.0, 0), (byStudent["s08"]["square"].Points, byStudent["s08"]["square"].Penalty, byStudent["s08"]["square"].Final));
            Assert.Contains("after the 5 days late work is accepted", byStudent["s08"]["square"].Late);
            // Hostile: forbidden in both exercises, its answer only text.
            Assert.Equal(("forbidden", "forbidden"), (byStudent["s10"]["square"].Status, byStudent["s10"]["standardize"].Status));
            Assert.Equal(0, Final("s10"));
            Assert.DoesNotContain("<script>", File.ReadAllText(Path.Combine(grading, "summary.html")));

            // Similarity: the planted copy (s03 and s09); never two of the five independent solutions, never the short
            // exercise every correct student writes alike. In a larger class the later students repeat the first ten's
            // code: s03's solution then has six holders out of 24 answers, more than the fifth of the class whose
            // shared code is taken for the lecture's idiom, so only the smaller families are listed (printed below).
            var pairs = System.Text.Json.JsonSerializer.Deserialize<List<SimilarPair>>(File.ReadAllText(Path.Combine(grading, "similarity.json")))!;
            var flagged = pairs.Select(p => (p.StudentA, p.StudentB)).ToHashSet();
            // The one-line square every correct student writes alike is never listed (the hostile ones' Math.Pow line,
            // repeated from s10 on, is: six tokens the class does not share).
            Assert.All(pairs.Where(p => p.Exercise == "square"), p => Assert.Equal((9, 9), (KindOf(p.StudentA), KindOf(p.StudentB))));
            for (int a = 1; a <= 5; a++)
                for (int b = a + 1; b <= 5; b++)
                    Assert.DoesNotContain(($"s{a:00}", $"s{b:00}"), flagged);
            if (Size == 10)
            {
                Assert.Equal(("s03", "s09"), Assert.Single(flagged));
                Assert.Contains("totalOfSquares / count - average * average", File.ReadAllText(Path.Combine(grading, "similarity.html")));
            }
            foreach (var pair in pairs) output.WriteLine($"similar: {pair.StudentA} {pair.StudentB} {pair.Score:P0} ({pair.Shared} fingerprints)");

            // Canvas: one row per student, the notebook's total after penalties.
            (exit, log) = await MockClass.CourseAsync(["lms-export", "--lms", "canvas", .. common]);
            Assert.True(exit == 0, log);
            var canvas = File.ReadAllLines(Path.Combine(grading, "export", "canvas.csv"));
            Assert.Equal("Student,ID,SIS User ID,SIS Login ID,Section,01-stats", canvas[0]);
            Assert.Equal("Points Possible,,,,,7", canvas[1]);
            Assert.Contains("s07,,,s07,,1.6", canvas);
            Assert.Contains("s01,,,s01,,7", canvas);
            Assert.Equal(Size + 2, canvas.Length);

            // The TA changes square's hidden probes (no negative input any more): s06's x * |x| now passes, and the
            // regrade says so, by how much and why; nobody else's score moves.
            string ta = Path.Combine(root, "notebooks", "01-stats.dib");
            File.WriteAllText(ta, File.ReadAllText(ta).Replace("() => Square(-4)", "() => Square(5)", StringComparison.Ordinal));
            clock.Restart();
            (exit, log) = await MockClass.CourseAsync(["autograde", submissions, .. common, "--jobs", "2", "--cell-time", "20", "--memory", "512"]);
            double regradeSeconds = clock.Elapsed.TotalSeconds;
            output.WriteLine(log);
            Assert.True(exit == 0, log);
            var changed = log.Split('\n').Where(l => l.StartsWith("  s", StringComparison.Ordinal)).ToList();
            Assert.Contains("  s06 01-stats square: 0 -> 2 (+2; failed -> passed): its hidden probes changed", changed);
            Assert.All(changed, l => Assert.Equal(5, KindOfLine(l)));
            Assert.Contains("| s06 | +2 |", File.ReadAllText(Path.Combine(grading, "regrade.md")));

            output.WriteLine($"mock class of {Size}: graded in {gradeSeconds:0.0} s, regraded in {regradeSeconds:0.0} s");
            output.WriteLine(File.ReadAllText(Path.Combine(grading, "summary.md")));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static int KindOf(string student) => MockClass.KindOf(int.Parse(student[1..], System.Globalization.CultureInfo.InvariantCulture) - 1);

    /// <summary>The kind of the student a regrade line names ("  s16 ..." is kind 5).</summary>
    private static int KindOfLine(string line) => MockClass.KindOf(int.Parse(line.Trim()[1..3], System.Globalization.CultureInfo.InvariantCulture) - 1);

    [Fact]
    public async Task StudentCheck_SaysWhatWillBeGraded_AndRunsNoHiddenProbe()
    {
        await fixture.BuildLibraryOnceAsync();
        string work = Directory.CreateTempSubdirectory("course-check-").FullName;
        try
        {
            MockClass.Write(work, 10);
            // A course root as a student has it: the notebooks and the built library.
            string root = CopyCourse(Path.Combine(work, "course"));
            string library = Directory.CreateDirectory(Path.Combine(root, "artifacts", "notebook-lib")).FullName;
            foreach (string dll in Directory.GetFiles(Path.Combine(fixture.Root, "artifacts", "notebook-lib"), "*.dll"))
                File.Copy(dll, Path.Combine(library, Path.GetFileName(dll)));
            // s07 left standardize as released; a hidden cell pasted into its notebook would leave a file if it ran.
            string mine = Path.Combine(work, "s07", "01-stats.dib");
            string marker = Path.Combine(work, "hidden-ran");
            File.AppendAllText(mine, $"\n\n#!csharp\n\n// HIDDEN square\nSystem.IO.File.WriteAllText(@\"{marker}\", \"ran\");\n");
            var (exit, log) = await MockClass.CourseAsync(["check", mine, "--root", root]);
            output.WriteLine(log);

            Assert.Equal(1, exit);   // not ready: standardize is not answered
            Assert.False(File.Exists(marker), "a hidden cell ran");
            Assert.Contains("check: 01-stats", log);
            Assert.Matches(@"✔ square\s+2 pts\s+public check passed", log);
            Assert.Matches(@"✘ standardize\s+3 pts\s+not answered yet", log);
            Assert.Matches(@"✔ explain-variance\s+2 pts\s+written answer: a TA will read and score it", log);
            Assert.Contains("Will be graded: 2 exercise(s), 5 points, by hidden tests", log);
            Assert.Contains("1 written answer(s), 2 points, read and scored by a TA", log);
            Assert.Contains("Scores 0 as it stands: standardize (unanswered)", log);

            // A complete notebook whose square is wrong: ready to hand in, and the public check says not yet.
            var (ok, okLog) = await MockClass.CourseAsync(["check", Path.Combine(work, "s06", "01-stats.dib"), "--root", root]);
            output.WriteLine(okLog);
            Assert.Equal(0, ok);
            Assert.Matches(@"~ standardize\s+3 pts\s+public check: ✘ standardize: not yet", okLog);   // square x * |x| passes the public example 3
            Assert.Contains("Ready to hand in.", okLog);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private sealed record Row(string Student, string Exercise, double Points, string Status, string Late, double Penalty, double Final)
    {
        public static Row Parse(string line)
        {
            var c = CsvCells(line);
            static double D(string s) => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
            return new Row(c[0], c[2], D(c[3]), c[5], c[9], D(c[10]), D(c[11]));
        }

        private static List<string> CsvCells(string line)
        {
            var cells = new List<string>();
            var cell = new System.Text.StringBuilder();
            bool quoted = false;
            for (int i = 0; i < line.Length; i++)
            {
                char ch = line[i];
                if (quoted && ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (ch == '"') quoted = !quoted;
                else if (ch == ',' && !quoted) { cells.Add(cell.ToString()); cell.Clear(); }
                else cell.Append(ch);
            }
            cells.Add(cell.ToString());
            return cells;
        }
    }
}

using CourseNotebooks.Grading;
using CourseNotebooks.Host;

namespace CourseNotebooks.Host.Tests;

/// <summary>
/// The parts of grading a real course that need no notebook run: written-answer markup and its release, deadlines
/// and late penalties, the submission manifest, how TA reviews and overrides enter the gradebook, the Canvas and Moodle
/// exports, and the similarity report on planted copies and on independent correct solutions.
/// </summary>
public sealed class CourseGradingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("course-grading-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A TA notebook: one exercise (3 points), a markdown written answer (2 points) with a rubric, and a code one (1 point).</summary>
    private const string TaNotebook = """
        #!csharp

        // EXERCISE double-it (3 points)
        int DoubleIt(int x)
        {
            // BEGIN SOLUTION
            return 2 * x;
            // END SOLUTION
        }

        #!csharp

        // CHECK double-it
        DoubleIt(1)

        #!csharp

        // HIDDEN double-it
        DoubleIt(21)

        #!markdown

        // ANSWER why-double (2 points)
        Why double?

        // BEGIN SOLUTION
        Because the reference says so.
        // END SOLUTION

        #!markdown

        // RUBRIC why-double
        One point per reason.

        #!csharp

        // ANSWER derive (1 point)
        // Derive the output size.
        // BEGIN SOLUTION
        // (n + 2p - k) / s + 1
        // END SOLUTION
        """;

    private string WriteNotebook(string name = "01-demo")
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "notebooks")).FullName;
        string path = Path.Combine(folder, name + ".dib");
        File.WriteAllText(path, TaNotebook);
        return path;
    }

    [Fact]
    public void Release_EmptiesWrittenAnswers_WithAPromptForTheirKind_AndDropsRubrics()
    {
        string released = StudentRelease.StripSolutions(TaNotebook, "demo");

        Assert.DoesNotContain("RUBRIC", released);
        Assert.DoesNotContain("One point per reason", released);
        Assert.DoesNotContain("Because the reference says so", released);
        Assert.DoesNotContain("(n + 2p - k)", released);
        Assert.Contains("// ANSWER why-double (2 points)\nWhy double?\n\n" + WrittenAnswers.MarkdownPrompt, released);
        Assert.Contains("// Derive the output size.\n" + WrittenAnswers.CodePrompt, released);
        // The code exercise still gets the throwing placeholder.
        Assert.Contains("    " + StudentRelease.Placeholder, released);
    }

    [Fact]
    public void WrittenAnswers_ParseWithReferenceAndRubric_AndTheStudentsTextIsWhatTheReleaseLacks()
    {
        var doc = NotebookDocument.Load(WriteNotebook());
        var answers = WrittenAnswers.Parse(doc);

        Assert.Equal(["why-double", "derive"], answers.Select(a => a.Name));
        Assert.Equal([2, 1], answers.Select(a => a.Points));
        Assert.Equal("Because the reference says so.", answers[0].Reference);
        Assert.Equal("One point per reason.", answers[0].Rubric);
        string released = WrittenAnswers.Released(answers[0]);
        Assert.Equal("", WrittenAnswers.AnswerText(released, released));
        Assert.Equal("Twice is nice.", WrittenAnswers.AnswerText(released.Replace(WrittenAnswers.MarkdownPrompt, "Twice is nice."), released));
    }

    [Theory]
    [InlineData("// RUBRIC nothing-here\nno answer", "a rubric cell names 'nothing-here'")]
    [InlineData("// ANSWER double-it (1 point)\ntext", "the name 'double-it' is used twice")]
    [InlineData("// ANSWER bad name (1 point)\ntext", "is not '// ANSWER name (N points)'")]
    public void WrittenAnswers_BadMarkup_IsNamedInTheError(string extraCell, string says)
    {
        var doc = NotebookDocument.Parse(TaNotebook + "\n\n#!markdown\n\n" + extraCell, ".dib", Path.Combine(_dir, "x.dib"));
        var error = Assert.Throws<NotebookFormatException>(() => WrittenAnswers.Parse(doc));
        Assert.Contains(says, error.Message);
    }

    [Theory]
    [InlineData("2026-10-20T23:59:00+02:00", 0, 0.0, "on time")]                 // exactly at the deadline
    [InlineData("2026-10-21T00:10:00+02:00", 0, 0.0, "within the 15 min grace")] // inside the grace period
    [InlineData("2026-10-21T00:20:00+02:00", 1, 0.1, "1 day late: -10%")]        // 21 minutes late: one started day
    [InlineData("2026-10-22T23:59:00+02:00", 2, 0.2, "2 days late: -20%")]       // exactly two days
    [InlineData("2026-10-23T00:00:00+02:00", 3, 0.3, "3 days late: -30%")]       // one minute into the third day
    [InlineData("2026-10-26T08:00:00Z", 6, 1.0, "after the 5 days late work is accepted: no points")]
    public void LatePolicy_CountsStartedDaysFromTheDeadline(string submitted, int days, double penalty, string says)
    {
        var policy = new DeadlinePolicy(DateTimeOffset.Parse("2026-10-20T23:59:00+02:00"), GraceMinutes: 15, PenaltyPerDay: 0.1, DaysAccepted: 5);
        var late = policy.Judge(DateTimeOffset.Parse(submitted), "manifest");

        Assert.Equal(days, late.DaysLate);
        Assert.Equal(penalty, late.Penalty, 1e-12);
        Assert.Contains(says, late.Text);
    }

    [Fact]
    public void CourseFile_GivesDefaultsOverridesAndExtensions()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "nb")).FullName;
        File.WriteAllText(Path.Combine(folder, CoursePolicy.FileName), """
            {
              // deadlines of the course
              "defaults": { "graceMinutes": 10, "penaltyPerDay": 0.1, "daysAccepted": 3 },
              "notebooks": {
                "01-demo": { "deadline": "2026-10-20T23:59:00+02:00" },
                "02-more": { "deadline": "2026-10-27T23:59:00Z", "penaltyPerDay": 0.25 }
              },
              "extensions": { "alice": { "01-demo": "2026-10-23T23:59:00+02:00" } }
            }
            """);
        var policy = CoursePolicy.Load(folder);
        var t = DateTimeOffset.Parse("2026-10-22T12:00:00+02:00");

        Assert.Equal(0, policy.Judge("alice", "01-demo", t, "manifest")!.Penalty);            // extension
        Assert.Equal(0.2, policy.Judge("bob", "01-demo", t, "manifest")!.Penalty, 1e-12);      // 2 started days
        Assert.Equal(0.25, policy.Judge("bob", "02-more", DateTimeOffset.Parse("2026-10-28T01:00:00Z"), "file time")!.Penalty, 1e-12);
        Assert.Null(policy.Judge("bob", "03-none", t, "manifest"));                              // no deadline
        Assert.Contains("(extension)", policy.Judge("alice", "01-demo", DateTimeOffset.Parse("2026-10-24T12:00:00+02:00"), "manifest")!.Text);
    }

    [Theory]
    [InlineData("""{ "notebooks": { "01-demo": { "deadline": "2026-10-20 23:59" } } }""", "notebooks.01-demo.deadline is '2026-10-20 23:59', expected an ISO 8601 time with its offset")]
    [InlineData("""{ "notebooks": { "01-demo": { } } }""", "notebook '01-demo' has no \"deadline\"")]
    [InlineData("""{ "notebooks": { "01-demo": { "deadline": "2026-10-20T23:59:00Z", "penaltyPerDay": 2 } } }""", "penaltyPerDay must be between 0 and 1, got 2")]
    [InlineData("""{ "notebooks": {}, "extensions": { "al": { "09-x": "2026-10-20T23:59:00Z" } } }""", "the extension of 'al' names notebook '09-x'")]
    public void CourseFile_Errors_NameTheFieldAndTheExpectedForm(string json, string says)
    {
        File.WriteAllText(Path.Combine(_dir, CoursePolicy.FileName), json);
        var error = Assert.Throws<FormatException>(() => CoursePolicy.Load(_dir));
        Assert.Contains(says, error.Message);
        Assert.Contains(CoursePolicy.FileName, error.Message);
    }

    [Fact]
    public void Manifest_IsReadByStudentAndNotebook_AndABadLineIsNamed()
    {
        File.WriteAllText(Path.Combine(_dir, SubmissionManifest.FileName), "student,notebook,submitted_at\nalice,01-demo,2026-10-21T08:00:00Z\n\"o'neil, j\",01-demo,2026-10-20T08:00:00+02:00\n");
        var manifest = SubmissionManifest.Load(_dir);
        Assert.Equal(DateTimeOffset.Parse("2026-10-21T08:00:00Z"), manifest.TimeOf("alice", "01-demo"));
        Assert.Equal(DateTimeOffset.Parse("2026-10-20T06:00:00Z"), manifest.TimeOf("o'neil, j", "01-demo"));
        Assert.Null(manifest.TimeOf("bob", "01-demo"));

        File.WriteAllText(Path.Combine(_dir, SubmissionManifest.FileName), "student,notebook,submitted_at\nalice,01-demo,yesterday\n");
        Assert.Contains("line 2 is 'alice,01-demo,yesterday'", Assert.Throws<FormatException>(() => SubmissionManifest.Load(_dir)).Message);
    }

    private static SubmissionResult Result(string student, double doubled, string sha = "sha-1") =>
        new(student, "01-demo", $"{student}/01-demo.dib", sha, "ref", [new ExerciseGrade("double-it", doubled, 3, doubled == 3 ? "passed" : "failed", doubled == 3 ? "" : "probe 1: wrong value")],
            [], 1.5, 1, true);

    private static SubmittedWork Work(string student, string answer, DateTimeOffset at, string sha = "sha-1") =>
        new(student, "01-demo", $"{student}/01-demo.dib", sha, at, "manifest",
            [new SubmittedCell("double-it", false, "// EXERCISE double-it (3 points)\nint DoubleIt(int x) => x + x;", true),
             new SubmittedCell("why-double", true, answer, true), new SubmittedCell("derive", true, "", true)]);

    [Fact]
    public void Gradebook_CarriesWrittenScores_Overrides_AndLatePenalties_RowByRow()
    {
        string notebook = WriteNotebook();
        File.WriteAllText(Path.Combine(_dir, "notebooks", CoursePolicy.FileName),
            """{ "defaults": { "penaltyPerDay": 0.1, "daysAccepted": 5 }, "notebooks": { "01-demo": { "deadline": "2026-10-20T23:59:00Z" } } }""");
        string grading = Path.Combine(_dir, "grading");
        var reviews = new ReviewStore(grading);
        reviews.Save(new TaReview("alice", "01-demo", "why-double", ReviewKind.Written, 1.5, "Good, but say why units matter.", DateTimeOffset.UtcNow, "sha-1"), 2);
        reviews.Save(new TaReview("bob", "01-demo", "double-it", ReviewKind.Override, 2, "Right idea; the probe's overflow case is unfair.", DateTimeOffset.UtcNow, "sha-1"), 3);
        // A review of a file the student has since replaced is not applied.
        reviews.Save(new TaReview("carol", "01-demo", "why-double", ReviewKind.Written, 2, "old", DateTimeOffset.UtcNow, "sha-old"), 2);
        Assert.Throws<ArgumentException>(() => reviews.Save(new TaReview("bob", "01-demo", "double-it", ReviewKind.Override, 2, " ", DateTimeOffset.UtcNow, "sha-1"), 3));
        Assert.Throws<ArgumentException>(() => reviews.Save(new TaReview("bob", "01-demo", "why-double", ReviewKind.Written, 2.5, "", DateTimeOffset.UtcNow, "sha-1"), 2));

        var due = DateTimeOffset.Parse("2026-10-20T23:59:00Z");
        var grades = CourseGrades.Apply(
            [Result("alice", 3), Result("bob", 0), Result("carol", 3)],
            [Work("alice", "Because.", due.AddHours(-1)), Work("bob", "", due.AddHours(30)), Work("carol", "Twice.", due)],
            reviews.All(), [notebook], CoursePolicy.Load(Path.Combine(_dir, "notebooks")));
        Gradebook.Write(grades, grading, "test");
        var rows = File.ReadAllLines(Path.Combine(grading, "gradebook.csv")).Skip(1).Select(l => l[..l.LastIndexOf(',')]).ToList();

        Assert.Equal(
        [
            "alice,01-demo,double-it,3,3,passed,,,,on time,0,3",
            "alice,01-demo,why-double,1.5,2,reviewed,,,\"Good, but say why units matter.\",on time,0,1.5",
            "alice,01-demo,derive,0,1,unanswered,the answer cell is empty,,,on time,0,0",
            "bob,01-demo,double-it,2,3,overridden,probe 1: wrong value,,\"score set by a TA to 2 of 3 (the autograder gave 0, failed): Right idea; the probe's overflow case is unfair.\",\"2 days late: -20%; submitted 2026-10-22 05:59 UTC (manifest), due 2026-10-20 23:59 UTC\",0.2,1.6",
            "bob,01-demo,why-double,0,2,unanswered,the answer cell is empty,,,\"2 days late: -20%; submitted 2026-10-22 05:59 UTC (manifest), due 2026-10-20 23:59 UTC\",0.2,0",
            "bob,01-demo,derive,0,1,unanswered,the answer cell is empty,,,\"2 days late: -20%; submitted 2026-10-22 05:59 UTC (manifest), due 2026-10-20 23:59 UTC\",0.2,0",
            "carol,01-demo,double-it,3,3,passed,,,,on time,0,3",
            "carol,01-demo,why-double,0,2,awaiting review,a TA has not scored this answer yet,,\"a TA's score (2 points, " + DateTimeOffset.UtcNow.ToString("yyyy-MM-dd") + ") was for an earlier file: to be reviewed again\",on time,0,0",
            "carol,01-demo,derive,0,1,unanswered,the answer cell is empty,,,on time,0,0",
        ], rows);
        Assert.Equal(1.6, grades.Single(r => r.Student == "bob").FinalPoints, 1e-12);
        string feedback = File.ReadAllText(Path.Combine(grading, "feedback", "bob.md"));
        Assert.Contains("1.6 of 6 points", feedback);
        Assert.Contains("2 points before the late penalty", feedback);
        Assert.Contains("TA: score set by a TA to 2 of 3", feedback);
        string summary = File.ReadAllText(Path.Combine(grading, "summary.md"));
        Assert.Contains("| bob | 1.6 (2) | 6 |", summary);
        Assert.Contains("01\\-demo/why\\-double: 1", summary);   // carol's answer awaits review
    }

    [Fact]
    public void CanvasExport_HasCanvasColumns_PointsPossible_AndTotalsAfterPenalty()
    {
        string notebook = WriteNotebook();
        var late = new LateWork(DateTimeOffset.UnixEpoch, "manifest", DateTimeOffset.UnixEpoch, 2, 0.2, "2 days late");
        var grades = new[] { Result("alice", 3), Result("bob", 3) with { Late = late }, Result("=cmd", 0) };

        var (csv, notes) = LmsExport.Write(LmsFormat.Canvas, grades, [notebook]);
        Assert.Equal(
        [
            "Student,ID,SIS User ID,SIS Login ID,Section,01-demo",
            "Points Possible,,,,,6",
            "'=cmd,,,'=cmd,,0",
            "alice,,,alice,,3",
            "bob,,,bob,,2.4",
        ], csv.TrimEnd('\n').Split('\n'));
        Assert.Empty(notes);

        // With Canvas's own export as the roster: its ids and names, and its column for the assignment.
        const string roster = "Student,ID,SIS User ID,SIS Login ID,Section,01-demo (88123),Current Score\n"
            + "    Points Possible,,,,,6,(read only)\n"
            + "\"Smith, Alice\",101,S-1,alice,Lab A,,\n\"Jones, Dan\",103,S-3,dan,Lab B,,\n";
        (csv, notes) = LmsExport.Write(LmsFormat.Canvas, grades, [notebook], roster);
        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("Student,ID,SIS User ID,SIS Login ID,Section,01-demo (88123)", lines[0]);
        Assert.Contains("\"Smith, Alice\",101,S-1,alice,Lab A,3", lines);
        Assert.Contains("\"Jones, Dan\",103,S-3,dan,Lab B,0", lines);
        Assert.Contains(notes, n => n.Contains("column 'SIS Login ID'", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.StartsWith("bob is not in the roster", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.StartsWith("dan is in the roster but handed in nothing", StringComparison.Ordinal));
    }

    [Fact]
    public void MoodleExport_HasMoodlesIdentityColumns_AndOneColumnPerNotebook()
    {
        string notebook = WriteNotebook();
        var (csv, _) = LmsExport.Write(LmsFormat.Moodle, [Result("alice", 3), Result("bob", 0)], [notebook]);
        Assert.Equal(["First name,Last name,ID number,Email address,01-demo", ",,alice,,3", ",,bob,,0"], csv.TrimEnd('\n').Split('\n'));

        const string roster = "First name,Last name,ID number,Institution,Department,Email address,Assignment: 01-demo (Real),Last downloaded from this course\n"
            + "Alice,Smith,,Uni,CS,alice@example.edu,-,\n";
        var (withRoster, notes) = LmsExport.Write(LmsFormat.Moodle, [Result("alice@example.edu", 3)], [notebook], roster);
        Assert.Equal(["First name,Last name,ID number,Email address,Assignment: 01-demo (Real)", "Alice,Smith,,alice@example.edu,3"], withRoster.TrimEnd('\n').Split('\n'));
        Assert.Contains(notes, n => n.Contains("column 'Email address'", StringComparison.Ordinal));
    }

    /// <summary>Correct solutions of the reference's exercise, each written its own way.</summary>
    public static readonly string[] Independent =
    [
        """
        double[] Standardize(double[] values)
        {
            double total = 0;
            for (int i = 0; i < values.Length; i++) total += values[i];
            double mu = total / values.Length;
            double squares = 0;
            for (int i = 0; i < values.Length; i++) squares += (values[i] - mu) * (values[i] - mu);
            double sigma = Math.Sqrt(squares / values.Length);
            if (sigma == 0) return new double[values.Length];
            return values.Select(v => (v - mu) / sigma).ToArray();
        }
        """,
        """
        double[] Standardize(double[] values)
        {
            var mean = values.Average();
            var sd = Math.Sqrt(values.Select(x => (x - mean) * (x - mean)).Average());
            return sd == 0 ? values.Select(_ => 0.0).ToArray() : values.Select(x => (x - mean) / sd).ToArray();
        }
        """,
        """
        double[] Standardize(double[] values)
        {
            int n = values.Length;
            double sum = 0, sumSq = 0;
            foreach (var x in values) { sum += x; sumSq += x * x; }
            double m = sum / n;
            double s = Math.Sqrt(Math.Max(0, sumSq / n - m * m));
            var z = new double[n];
            if (s > 0)
                for (int k = 0; k < n; k++) z[k] = (values[k] - m) / s;
            return z;
        }
        """,
        """
        double[] Standardize(double[] values)
        {
            double mean = values.Sum() / values.Length;
            double acc = 0;
            int j = 0;
            while (j < values.Length) { acc += Math.Pow(values[j] - mean, 2); j++; }
            double dev = Math.Sqrt(acc / values.Length);
            double[] output = new double[values.Length];
            for (j = 0; j < output.Length; j++) output[j] = dev == 0 ? 0 : (values[j] - mean) / dev;
            return output;
        }
        """,
        """
        double[] Standardize(double[] values)
        {
            double mean = 0;
            foreach (double v in values) mean += v;
            mean /= values.Length;
            double variance = 0;
            foreach (double v in values) variance += (v - mean) * (v - mean);
            double std = Math.Sqrt(variance / values.Length);
            var result = new double[values.Length];
            for (int i = 0; i < values.Length; i++)
                result[i] = std == 0 ? 0 : (values[i] - mean) / std;
            return result;
        }
        """,
    ];

    /// <summary>The third solution, copied: every name changed, comments added, reformatted.</summary>
    private const string Renamed = """
        // my own work!!
        double[] Standardize(double[] data)
        {
            int count = data.Length;   // how many
            double total = 0,
                   totalOfSquares = 0;
            foreach (var d in data)
            {
                total += d;
                totalOfSquares += d * d;
            }
            double average = total / count;
            /* spread */
            double spread = Math.Sqrt(Math.Max(0, totalOfSquares / count - average * average));
            var scores = new double[count];
            if (spread > 0)
                for (int idx = 0; idx < count; idx++)
                    scores[idx] = (data[idx] - average) / spread;
            return scores;
        }
        """;

    /// <summary>The first solution, copied with its white space and comments changed only.</summary>
    private const string Reformatted = """
        double[] Standardize(double[] values) {
            double total = 0; for (int i = 0; i < values.Length; i++) total += values[i];   // sum
            double mu = total / values.Length;
            double squares = 0; for (int i = 0; i < values.Length; i++) squares += (values[i] - mu) * (values[i] - mu);
            double sigma = Math.Sqrt(squares / values.Length);
            if (sigma == 0) { return new double[values.Length]; }
            return values.Select(v => (v - mu) / sigma).ToArray();
        }
        """;

    private const string Stub = """
        // EXERCISE standardize (3 points)
        double[] Standardize(double[] values)
        {
            throw new NotImplementedException("Exercise: replace this line with your answer.");
        }
        """;

    private static List<(string, string, List<Similarity.Fingerprint>)> Class(params (string Student, string Code)[] submissions)
    {
        var options = new SimilarityOptions();
        var stub = Similarity.Fingerprints(Stub, options).Select(f => f.Hash).ToHashSet();
        return [.. submissions.Select(s => (s.Student, s.Code, Similarity.Fingerprints(s.Code, options).Where(f => !stub.Contains(f.Hash)).ToList()))];
    }

    [Fact]
    public void Similarity_FindsPlantedCopies_WithRenamedNamesAndNewLayout_AndShowsTheSharedLines()
    {
        var submissions = Class(
            ("s1", Independent[0]), ("s2", Independent[1]), ("s3", Independent[2]), ("s4", Independent[3]), ("s5", Independent[4]),
            ("s6", Renamed), ("s7", Reformatted));
        var pairs = Similarity.Compare("01-stats", "standardize", submissions, new SimilarityOptions()).ToList();

        Assert.Equal([("s3", "s6"), ("s1", "s7")], pairs.Select(p => (p.StudentA, p.StudentB)).Order().Reverse().ToList());
        var renamed = pairs.Single(p => p.StudentB == "s6");
        Assert.True(renamed.Score > 0.9, $"the renamed copy shares {renamed.Score:P0}");
        // Side by side: s3's sum-of-squares line against the copy's.
        Assert.Contains(renamed.Matches, m => m.TextA.Contains("sumSq / n - m * m", StringComparison.Ordinal)
            && m.TextB.Contains("totalOfSquares / count - average * average", StringComparison.Ordinal));
    }

    [Fact]
    public void Similarity_DoesNotFlagIndependentCorrectSolutions_NorTheReleasedStub()
    {
        var pairs = Similarity.Compare("01-stats", "standardize",
            Class([.. Independent.Select((code, i) => ($"s{i}", code)), ("untouched1", Stub), ("untouched2", Stub)]), new SimilarityOptions()).ToList();
        Assert.Empty(pairs);
    }

    [Fact]
    public void Similarity_Normalising_IgnoresCommentsWhiteSpaceAndNames()
    {
        var a = Similarity.Normalise("int total = a + b; // sum\n");
        var b = Similarity.Normalise("int   sum=x+\n  y;   /* other */");
        Assert.Equal(a.Select(t => t.Text), b.Select(t => t.Text));
        Assert.Equal(["int", "id", "=", "id", "+", "id", ";"], a.Select(t => t.Text));
        Assert.Equal([1, 1, 1, 1, 1, 2, 2], b.Select(t => t.Line));
    }
}

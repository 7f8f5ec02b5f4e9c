using System.Diagnostics;
using System.Text;
using CourseNotebooks.Grading;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>
/// A class of students for the fixture course (fixtures/course: 01-stats with exercises square and standardize and the
/// written answer explain-variance; deadline 2026-10-20T23:59+02:00, 10 % a day, 5 days accepted): one notebook per
/// student made from the student release, and the collection step's manifest.csv. Students come in ten kinds, in
/// order, repeating from the eleventh on (whose code then copies the first ten's, so the similarity report lists them):
/// <list type="number">
/// <item>s01-s05: correct, each standardize written its own way;</item>
/// <item>s06: wrong (square is x * |x|, standardize forgets to divide);</item>
/// <item>s07: 2 days late, square only (standardize left as released);</item>
/// <item>s08: 6 days late, past the 5 days late work is accepted;</item>
/// <item>s09: s03's standardize copied with every name changed, comments added and reformatted;</item>
/// <item>s10: hostile: Math.Pow where it is forbidden, Environment.Exit in standardize, HTML in the written answer.</item>
/// </list>
/// </summary>
internal static class MockClass
{
    /// <summary>The fixture course's folder (its notebooks/ holds 01-stats.dib and course.json).</summary>
    public static string Course => Path.Combine(NotebookFixture.FindRoot(), "tests", "CourseNotebooks.Notebooks.Tests", "fixtures", "course");

    /// <summary>The deadline of 01-stats in the fixture's course.json.</summary>
    public static readonly DateTimeOffset Deadline = DateTimeOffset.Parse("2026-10-20T23:59:00+02:00");

    /// <summary>Student ids of a class of <paramref name="size"/>.</summary>
    public static IReadOnlyList<string> Ids(int size) => [.. Enumerable.Range(1, size).Select(i => $"s{i:00}")];

    /// <summary>Correct solutions of standardize, each written its own way (the first five students').</summary>
    public static readonly string[] Correct =
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
            if (s > 1e-12)
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
            while (j < values.Length) { acc += (values[j] - mean) * (values[j] - mean); j++; }
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

    /// <summary>The third solution copied: names changed, comments added, reformatted.</summary>
    public const string Copied = """
        // all my own work
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
            /* the spread */
            double spread = Math.Sqrt(Math.Max(0, totalOfSquares / count - average * average));
            var scores = new double[count];
            if (spread > 1e-12)
                for (int idx = 0; idx < count; idx++)
                    scores[idx] = (data[idx] - average) / spread;
            return scores;
        }
        """;

    /// <summary>What kind a student is (0-based: 0-4 correct, 5 wrong, 6 late, 7 too late, 8 copied, 9 hostile).</summary>
    public static int KindOf(int index) => index % 10;

    /// <summary>Writes the class's submissions (one folder per student) and manifest.csv into <paramref name="submissions"/>.</summary>
    public static void Write(string submissions, int size)
    {
        string ta = Path.Combine(Course, "notebooks", "01-stats.dib");
        string release = StudentRelease.StripSolutions(File.ReadAllText(ta), ta);
        var manifest = new StringBuilder(SubmissionManifest.Header + "\n");
        var ids = Ids(size);
        for (int i = 0; i < size; i++)
        {
            int kind = KindOf(i);
            string square = kind switch
            {
                5 => "return x * Math.Abs(x);",
                9 => "return (int)Math.Pow(x, 2);",
                _ => "return x * x;",
            };
            string? standardize = kind switch
            {
                < 5 => Correct[kind],
                5 => "double[] Standardize(double[] values) => values.Select(v => v - values.Average()).ToArray();",
                8 => Copied,
                9 => "double[] Standardize(double[] values) { Environment.Exit(3); return values; }",
                _ => null,   // left as released
            };
            string answer = kind == 9 ? "<script>alert('pwned')</script> **bold** | pipe"
                : $"The standard deviation keeps the units of the data (answer of {ids[i]}).";
            var cells = NotebookDocument.Parse(release, ".dib", Path.Combine(submissions, ids[i], "01-stats.dib")).Cells.Select(c =>
            {
                string source = c.Source;
                if (ExerciseMarkup.ExerciseName(source) == "square")
                    source = source.Replace(StudentRelease.Placeholder, square, StringComparison.Ordinal);
                else if (ExerciseMarkup.ExerciseName(source) == "standardize" && standardize is not null)
                    source = "// EXERCISE standardize (3 points)\n" + standardize;
                else if (WrittenAnswers.AnswerName(source) == "explain-variance")
                    source = source.Replace(WrittenAnswers.MarkdownPrompt, answer, StringComparison.Ordinal);
                return (c.KernelName, source);
            });
            string folder = Directory.CreateDirectory(Path.Combine(submissions, ids[i])).FullName;
            // The release's #r points from the release folder: keep the course's own #r (from the fixture's notebooks/).
            string text = NotebookDocument.FromCells("01-stats", cells).ToDib();
            File.WriteAllText(Path.Combine(folder, "01-stats.dib"), text);
            var at = kind switch
            {
                6 => Deadline.AddDays(1).AddHours(22),   // 1 day 22 h late: 2 started days
                7 => Deadline.AddDays(5).AddHours(14),   // 5 days 14 h late: past the 5 accepted
                _ => Deadline.AddHours(-3 - i),
            };
            manifest.Append($"{ids[i]},01-stats,{at.ToUniversalTime():yyyy-MM-dd'T'HH:mm:ss'Z'}\n");
        }
        File.WriteAllText(Path.Combine(submissions, SubmissionManifest.FileName), manifest.ToString());
    }

    /// <summary>Runs the built `course` command (the test's own copy) with these arguments; returns its exit code and output.</summary>
    public static async Task<(int Exit, string Log)> CourseAsync(IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "course.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(15));
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}

using System.Diagnostics;
using CourseNotebooks.Cli;

namespace CourseNotebooks.Host.Tests;

/// <summary>
/// The root script run-course: it checks the options itself before building anything (so a typo fails in seconds on a
/// fresh clone), with its own copy of the option table of CourseCommand. These tests keep the two copies in step and
/// check that the script hands the right command to `course`.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class RunCourseScriptTests : IDisposable
{
    private static readonly string Script = Path.Combine(FindRepositoryRoot(), "run-course");
    private readonly string _root = Directory.CreateTempSubdirectory("run-course-").FullName;

    public RunCourseScriptTests()
    {
        File.WriteAllText(Path.Combine(_root, "CourseNotebooks.sln"), "");
        Directory.CreateDirectory(Path.Combine(_root, "notebooks"));
        File.Copy(Fixtures.Path("good.dib"), Path.Combine(_root, "notebooks", "01-good.dib"));
        File.Copy(Fixtures.Path("broken.dib"), Path.Combine(_root, "notebooks", "02-broken.dib"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Argument lists as a student types them after ./run-course (without --root).</summary>
    public static TheoryData<string[]> Arguments() => new()
    {
        Array.Empty<string>(),
        new[] { "run" },
        new[] { "convert" },
        new[] { "release" },
        new[] { "--bogus-flag" },
        new[] { "run", "--bogus-flag" },
        new[] { "--notebooks", "01-good" },
        new[] { "--notebooks", "0[1-2]*,02-broken.dib" },
        new[] { "--notebooks", "0[1-2]*,09-tsne" },
        new[] { "--notebooks", " 01-good , " },
        new[] { "--notebooks", "*" },
        new[] { "--notebooks", "nope?" },
        new[] { "01-good", "02-broken" },
        new[] { "conver" },
        new[] { "release", "--notebooks", "02*" },
        new[] { "release", "--notebooks", "03*" },
        new[] { "release", "01-good" },
        new[] { "convert", "--notebooks", "01-good" },
        new[] { "convert", "--cell-timeout", "5" },
        new[] { "--cell-timeout", "120", "--notebook-timeout", "900", "--out", "some/where" },
        new[] { "--cell-timeout", "0" },
        new[] { "--cell-timeout", "-3" },
        new[] { "--cell-timeout", "2.5" },
        new[] { "--cell-timeout", "1e3" },
        new[] { "--cell-timeout", "ten" },
        new[] { "--notebook-timeout", "0.000" },
        new[] { "run", "--help" },
        new[] { "export" },
        new[] { "export", "--notebooks", "01-good" },
        new[] { "export", "--notebooks", "nope" },
        new[] { "export", "--cell-timeout", "5" },
    };

    [Theory]
    [MemberData(nameof(Arguments))]
    public async Task ScriptCheck_AcceptsExactlyWhatTheCommandAccepts(string[] args)
    {
        var script = RunScript([.. args, "--root", _root], checkOnly: true);

        // What `course` says to the same words: the script means `run` when no command comes first.
        string[] commandArgs = args.Length > 0 && args[0] is "run" or "convert" or "release" or "export" ? args : ["run", .. args];
        var stderr = new StringWriter();
        int course = await CourseCommand.RunAsync([.. commandArgs, "--root", _root], new StringWriter(), stderr);

        Assert.True(script.Exit is 0 or 2, $"run-course exited {script.Exit}, expected 0 or 2; stderr: {script.Stderr}");
        Assert.True((script.Exit == 2) == (course == 2),
            $"run-course {string.Join(' ', args)}: the script exited {script.Exit} ({script.Stderr.Trim()}), " +
            $"the command {course} ({stderr.ToString().Split('\n')[0].Trim()}); both should reject it (2) or neither");
    }

    /// <summary>Argument lists for the grading commands; SUBMISSIONS, NOTEBOOK and ROSTER stand for files the test makes.</summary>
    public static TheoryData<string[]> GradingArguments() => new()
    {
        new[] { "autograde" },
        new[] { "autograde", "SUBMISSIONS" },
        new[] { "autograde", "no-such-folder" },
        new[] { "autograde", "SUBMISSIONS", "--jobs", "2", "--shard", "2/3", "--force", "--no-sandbox" },
        new[] { "autograde", "SUBMISSIONS", "--shard", "4/3" },
        new[] { "autograde", "SUBMISSIONS", "--shard", "0/3" },
        new[] { "autograde", "SUBMISSIONS", "--shard", "two" },
        new[] { "autograde", "SUBMISSIONS", "--jobs", "0" },
        new[] { "autograde", "SUBMISSIONS", "--memory", "-5" },
        new[] { "autograde", "SUBMISSIONS", "--wall-time", "007" },
        new[] { "autograde", "SUBMISSIONS", "--notebooks", "01-good" },
        new[] { "autograde", "SUBMISSIONS", "--notebooks", "nope" },
        new[] { "autograde", "SUBMISSIONS", "--notebooks", "0[1-2]*,nope" },
        new[] { "autograde", "SUBMISSIONS", "--port", "80" },
        new[] { "autograde", "SUBMISSIONS", "SUBMISSIONS" },
        new[] { "autograde", "--help" },
        new[] { "gradebook" },
        new[] { "gradebook", "--force" },
        new[] { "gradebook", "--out" },
        new[] { "review" },
        new[] { "review", "--port", "0" },
        new[] { "review", "--port", "8080" },
        new[] { "review", "--port", "65536" },
        new[] { "review", "--port", "eighty" },
        new[] { "review", "-h" },
        new[] { "lms-export" },
        new[] { "lms-export", "--lms", "canvas" },
        new[] { "lms-export", "--lms", "moodle", "--roster", "ROSTER" },
        new[] { "lms-export", "--lms", "blackboard" },
        new[] { "lms-export", "--lms", "canvas", "--roster", "no-such-roster.csv" },
        new[] { "similarity" },
        new[] { "similarity", "--min-score", "0.6", "--min-shared", "4" },
        new[] { "similarity", "--min-score", "1.5" },
        new[] { "similarity", "--min-score", "0" },
        new[] { "similarity", "--min-shared", "0" },
        new[] { "check" },
        new[] { "check", "NOTEBOOK" },
        new[] { "check", "NOTEBOOK", "--cell-timeout", "30" },
        new[] { "check", "NOTEBOOK", "NOTEBOOK" },
        new[] { "check", "no-such.dib" },
        new[] { "check", "ROSTER" },
        new[] { "check", "--jobs", "2" },
    };

    [Theory]
    [MemberData(nameof(GradingArguments))]
    public void ScriptCheck_OfGradingCommands_AcceptsExactlyWhatTheCommandAccepts(string[] typed)
    {
        string submissions = Directory.CreateDirectory(Path.Combine(_root, "submissions")).FullName;
        string roster = Path.Combine(_root, "roster.csv");
        File.WriteAllText(roster, "Student,ID,SIS User ID,SIS Login ID,Section\n");
        string[] args = [.. typed.Select(a => a switch { "SUBMISSIONS" => submissions, "NOTEBOOK" => Path.Combine(_root, "notebooks", "01-good.dib"), "ROSTER" => roster, _ => a })];

        var script = RunScript([.. args, "--root", _root], checkOnly: true);
        string? problem = GradeCommands.UsageProblem(args[0], [.. args.Skip(1), "--root", _root]);

        Assert.True(script.Exit is 0 or 2, $"run-course exited {script.Exit}, expected 0 or 2; stderr: {script.Stderr}");
        Assert.True((script.Exit == 2) == (problem is not null),
            $"run-course {string.Join(' ', typed)}: the script exited {script.Exit} ({script.Stderr.Trim()}), the command said {problem ?? "nothing against it"}; both should reject it or neither");
        Assert.Equal("", script.DotnetCalls);
    }

    [Theory]
    [InlineData("review --port 0", false)]
    [InlineData("gradebook", false)]
    [InlineData("check NOTEBOOK", true)]
    public void GradingCommands_BuildWhatTheyNeed_ThenPassTheArgumentsOn(string typed, bool needsLibrary)
    {
        string notebook = Path.Combine(_root, "notebooks", "01-good.dib");
        string[] args = [.. typed.Split(' ').Select(a => a == "NOTEBOOK" ? notebook : a)];
        var result = RunScript([.. args, "--root", _root], checkOnly: false);

        Assert.Equal(0, result.Exit);
        var calls = result.DotnetCalls.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(needsLibrary, calls.Any(c => c.Contains("CourseNotebooks.Charts.csproj")));
        Assert.Equal($"lib/CourseNotebooks.Cli/bin/Release/net10.0/course.dll {string.Join(' ', args)} --root {_root}", calls[^1]);
    }

    [Fact]
    public void GradingCommandHelp_AnswersWithoutBuilding_AndNamesTheCommandsOptions()
    {
        var result = RunScript(["lms-export", "--help"], checkOnly: false);

        Assert.Equal(0, result.Exit);
        Assert.Equal("", result.DotnetCalls);
        Assert.Contains("./run-course lms-export --lms canvas|moodle [--roster <csv>] [--out <dir>] [--root <dir>]", result.Stderr + result.Stdout);
        // The same synopsis as the command's own usage.
        Assert.Contains("course lms-export --lms canvas|moodle [--roster <csv>] [--out <dir>] [--root <dir>]", GradeCommands.Usage);
    }

    [Fact]
    public void BadOption_FailsWithUsageAndExit2_BeforeAnyBuild()
    {
        var result = RunScript(["--bogus-flag"], checkOnly: false);

        Assert.Equal(2, result.Exit);
        Assert.Contains("unknown option '--bogus-flag' for 'run'", result.Stderr);
        Assert.Contains("usage: ./run-course", result.Stderr);
        Assert.Equal("", result.DotnetCalls);
    }

    [Theory]
    [InlineData("", "run")]
    [InlineData("--notebooks 01-good", "run --notebooks 01-good")]
    [InlineData("run 01-good", "run 01-good")]
    [InlineData("convert", "convert")]
    [InlineData("release --notebooks 01-good", "release --notebooks 01-good")]
    [InlineData("export --notebooks 01-good", "export --notebooks 01-good")]
    public void GoodArguments_BuildWhatTheCommandNeeds_ThenPassThemOn(string typed, string passed)
    {
        string[] args = typed.Length == 0 ? [] : typed.Split(' ');
        var result = RunScript([.. args, "--root", _root], checkOnly: false);

        Assert.Equal(0, result.Exit);
        var calls = result.DotnetCalls.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Only `run` loads the course library, so only `run` builds it.
        Assert.Equal(passed.StartsWith("run"), calls.Any(c => c.Contains("CourseNotebooks.Charts.csproj")));
        Assert.Contains(calls, c => c.StartsWith("build lib/CourseNotebooks.Cli"));
        Assert.Equal($"lib/CourseNotebooks.Cli/bin/Release/net10.0/course.dll {passed} --root {_root}", calls[^1]);
    }

    [Theory]
    [InlineData("help")]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Help_PrintsTheCommandsUsage_AtOnce_WithoutABuild(string word)
    {
        var result = RunScript([word], checkOnly: false);

        Assert.Equal(0, result.Exit);
        Assert.Equal("", result.DotnetCalls);
        // The text the script prints is the command's own usage, kept in step by this test.
        string usage = File.ReadAllText(Path.Combine(FindRepositoryRoot(), "lib", "CourseNotebooks.Cli", "usage.txt"));
        Assert.Equal(CourseCommand.Usage.ReplaceLineEndings("\n").Trim(), usage.ReplaceLineEndings("\n").Trim());
        Assert.Equal(usage.Trim(), result.Stdout.Trim());
    }

    private sealed record ScriptResult(int Exit, string Stderr, string DotnetCalls, string Stdout = "");

    /// <summary>
    /// Runs run-course with a stand-in `dotnet` first on the PATH that only records its arguments, so nothing is
    /// built and the test sees what the script would have built and run.
    /// </summary>
    private ScriptResult RunScript(string[] args, bool checkOnly)
    {
        string bin = Directory.CreateDirectory(Path.Combine(_root, "fake-bin")).FullName;
        string calls = Path.Combine(_root, "dotnet-calls.txt");
        File.WriteAllText(calls, "");
        string fake = Path.Combine(bin, "dotnet");
        File.WriteAllText(fake, $"#!/usr/bin/env bash\necho \"$*\" >> '{calls}'\n");
        // run-course is a bash script: these tests need bash, and so a Unix-like system.
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Script);
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        start.Environment["RUN_COURSE_CHECK_ONLY"] = checkOnly ? "1" : "";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"run-course {string.Join(' ', args)} still running after 30 s, expected it to end at once");
        }
        return new ScriptResult(process.ExitCode, stderr, File.ReadAllText(calls), stdout.Result);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CourseNotebooks.sln")) && File.Exists(Path.Combine(dir.FullName, "run-course")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no folder above {AppContext.BaseDirectory} holds CourseNotebooks.sln and run-course");
    }
}

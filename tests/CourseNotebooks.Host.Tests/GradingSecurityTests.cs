using System.Diagnostics;
using CourseNotebooks.Grading;
using CourseNotebooks.Host;

namespace CourseNotebooks.Host.Tests;

/// <summary>
/// The grader's defences, one at a time and without a sandbox: the compiled-code screen on small cells, the signed
/// channel, file kinds and ids, and the gradebook's escaping.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class GradingSecurityTests
{
    /// <summary>Compiles and runs cells (TA cells, then student cells by exercise name) and screens the last one.</summary>
    private static async Task<(CodeScreen Screen, ScriptSession Session, Microsoft.CodeAnalysis.Compilation Last)> Cells(params (string? Exercise, string Code)[] cells)
    {
        var session = new ScriptSession(AppContext.BaseDirectory);
        var screen = new CodeScreen(() => session.Variables);
        Microsoft.CodeAnalysis.Compilation? last = null;
        foreach (var (exercise, code) in cells)
        {
            var compiled = session.Compile(code);
            Assert.True(compiled.Compiled, compiled.FirstError);
            last = compiled.Script.GetCompilation();
            screen.Add(last, new CellAuthor(exercise));
            var run = await session.RunAsync(compiled, TimeSpan.FromSeconds(30));
            Assert.Null(run.Exception);
        }
        return (screen, session, last!);
    }

    [Theory]
    [InlineData("int Square(int x) => (int)Math.Pow(x, 2);", "calls Math.Pow")]
    [InlineData("int Square(int x) => (int)Math.\\u0050ow(x, 2);", "calls Math.Pow")]
    [InlineData("int Square(int x) { string s = \"//\"; return (int)Math.Pow(x, 2); }", "calls Math.Pow")]
    [InlineData("int Square(int x) => Helper(x); static int Helper(int v) => (int)Math.Pow(v, 2);", "Helper")]
    [InlineData("int Square(int x) => new Func<int, int>(v => (int)Math.Pow(v, 2))(x);", "calls Math.Pow")]
    [InlineData("class P { public virtual int Of(int v) => (int)Math.Pow(v, 2); } int Square(int x) => new P().Of(x);", "calls Math.Pow")]
    [InlineData("int Square(int x) => lecturePower(x);", "'lecturePower'")]
    [InlineData("int Square(int x) => (int)((Func<int, int>)boxed)(x);", "'boxed'")]
    public async Task Forbidden_IsFound_OnEveryPathToTheCall(string studentCell, string says)
    {
        var (screen, session, _) = await Cells(
            (null, "Func<int, int> lecturePower = v => (int)Math.Pow(v, 2); object boxed = lecturePower;"),
            ("square", studentCell));
        var hidden = session.Compile("new[] { Square(7), Square(-4) }");
        screen.Add(hidden.Script.GetCompilation(), new CellAuthor(null));

        string? found = screen.Forbidden(hidden.Script.GetCompilation(), ["Math.Pow"]);
        Assert.NotNull(found);
        Assert.Contains(says, found);
    }

    [Theory]
    [InlineData("// Math.Pow is not used here\nint Square(int x) { Console.WriteLine(\"Math.Pow\"); return x * x; }")]
    [InlineData("int Square(int x) => x * x; double Unused(double v) => Math.Sqrt(v);")]
    [InlineData("int Square(int x) => x * x;")]
    public async Task Forbidden_IsNotFound_InACorrectSolutionThatOnlyNamesIt(string studentCell)
    {
        var (screen, session, _) = await Cells(
            (null, "Func<int, int> lecturePower = v => (int)Math.Pow(v, 2);"),
            ("square", studentCell));
        var hidden = session.Compile("new[] { Square(7), Square(-4) }");
        screen.Add(hidden.Script.GetCompilation(), new CellAuthor(null));

        Assert.Null(screen.Forbidden(hidden.Script.GetCompilation(), ["Math.Pow"]));
    }

    [Fact]
    public async Task Forbidden_InTheTasOwnCells_CountsOnlyWhenStudentCodeReachesIt()
    {
        // The hidden check builds its inputs with a lecture helper that uses the forbidden API: not the student's doing.
        var (screen, session, _) = await Cells(
            (null, "int Input(int v) => (int)Math.Pow(v, 2);"),
            ("square", "int Square(int x) => x * x;"));
        var hidden = session.Compile("Square(Input(3))");
        screen.Add(hidden.Script.GetCompilation(), new CellAuthor(null));
        Assert.Null(screen.Forbidden(hidden.Script.GetCompilation(), ["Math.Pow"]));
    }

    [Theory]
    [InlineData("var t = typeof(Math).GetMethod(\"Pow\");", "reflection")]
    [InlineData("dynamic d = 3; int y = d * d;", "dynamic")]
    [InlineData("System.IO.File.WriteAllText(\"x\", \"y\");", "files")]
    [InlineData("Environment.Exit(0);", "the process's exit")]
    [InlineData("AppDomain.CurrentDomain.ProcessExit += (_, _) => { };", "the process")]
    [InlineData("var s = Console.OpenStandardOutput();", "standard streams")]
    [InlineData("System.Linq.Expressions.Expression<Func<int>> e = () => 1; var f = e.Compile();", "expression trees")]
    [InlineData("var p = System.Diagnostics.Process.GetCurrentProcess();", "processes")]
    [InlineData("var h = new System.Net.Http.HttpClient();", "the network")]
    [InlineData("int Peek(int[] a) { var span = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref a[0], 1000); return span[999]; }", "raw memory")]
    [InlineData("class C { ~C() { } }", "finalizer")]
    [InlineData("[System.Runtime.InteropServices.DllImport(\"libc\")] static extern int write(int fd, byte[] buffer, nint count);", "without a body")]
    [InlineData("class Peek { [System.Runtime.CompilerServices.UnsafeAccessor(System.Runtime.CompilerServices.UnsafeAccessorKind.Field, Name = \"_items\")] public static extern ref int[] Items(List<int> list); }", "private members of other types")]
    public async Task Capabilities_NoExerciseMayUse_AreRefusedWithWhatTheyAre(string studentCell, string says)
    {
        var session = new ScriptSession(AppContext.BaseDirectory);
        var screen = new CodeScreen(() => session.Variables);
        var compiled = session.Compile(studentCell);
        Assert.True(compiled.Compiled, compiled.FirstError);
        screen.Add(compiled.Script.GetCompilation(), new CellAuthor("any"));
        string? refused = screen.Capabilities(compiled.Script.GetCompilation());
        Assert.NotNull(refused);
        Assert.Contains(says, refused);
        await Task.CompletedTask;
    }

    [Theory]
    [InlineData("List<int> xs = [1, 2, 3]; int First() { Span<int> s = [xs[0], 2, 3]; return s[0]; } var name = xs.GetType().Name;")]
    [InlineData("record Point(int X, int Y); var p = new Point(1, 2) with { Y = 3 }; string t = $\"{p}\";")]
    [InlineData("class Grid { public int this[int i] => i; } var g = new Grid()[3];")]
    [InlineData("var t = System.Threading.Tasks.Task.Run(() => 1).Result; var th = new System.Threading.Thread(() => { }); th.Start(); th.Join();")]
    [InlineData("async Task<int> Later() { await Task.Yield(); return 1; } int v = await Later(); foreach (var (k, x) in new Dictionary<string, int> { [\"a\"] = 1 }) { }")]
    [InlineData("var sb = new StringBuilder(); var sw = new System.IO.StringWriter(); Console.WriteLine(Math.Sqrt(2)); var r = new Random(1).Next();")]
    public async Task Capabilities_OrdinaryCode_IsNotRefused(string studentCell)
    {
        var session = new ScriptSession(AppContext.BaseDirectory);
        var screen = new CodeScreen(() => session.Variables);
        var compiled = session.Compile(studentCell);
        Assert.True(compiled.Compiled, compiled.FirstError);
        screen.Add(compiled.Script.GetCompilation(), new CellAuthor("any"));
        Assert.Null(screen.Capabilities(compiled.Script.GetCompilation()));
        await Task.CompletedTask;
    }

    [Fact]
    public void Channel_TakesOnlyLinesSignedWithTheRunsKey()
    {
        byte[] key = Convert.FromHexString(GradingChannel.NewKey());
        var message = new GradingMessage("probe", Exercise: "square", Group: "all", Probes: "{}");
        string line = GradingChannel.Sign(message, key);
        Assert.Equal(message, GradingChannel.Verify(line, key));
        Assert.Null(GradingChannel.Verify(line, Convert.FromHexString(GradingChannel.NewKey())));          // another run's key
        Assert.Null(GradingChannel.Verify(line.Replace("square", "squarf", StringComparison.Ordinal), key));  // edited
        Assert.Null(GradingChannel.Verify(new string('0', 64) + line[64..], key));                             // forged signature
        Assert.Null(GradingChannel.Verify("garbage", key));
    }

    [Fact]
    public void FileNames_AreOneToOne_EvenOnACaseInsensitiveFileSystem()
    {
        string[] ids = ["alice", "Alice", "a b", "a_b", "a/b", "A_b", "a_b-0123456789abcdef", "..", ".hidden", "<script>", "=SUM(1,2)", "", "ü", "u"];
        var names = ids.Select(SubmissionFiles.FileNameOf).ToList();
        Assert.Equal(ids.Length, names.Select(n => n.ToLowerInvariant()).Distinct().Count());
        Assert.Equal("alice", SubmissionFiles.FileNameOf("alice"));
        Assert.All(names, n => Assert.Matches("^[a-z0-9][a-z0-9._-]*$", n));
    }

    [Fact]
    public void FileKinds_AreReadWithoutFollowingLinks_OrOpeningPipes()
    {
        string dir = Directory.CreateTempSubdirectory("kinds-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "file"), "x");
            File.CreateSymbolicLink(Path.Combine(dir, "link"), Path.Combine(dir, "file"));
            using (var mkfifo = Process.Start("mkfifo", [Path.Combine(dir, "pipe")])!) mkfifo.WaitForExit();
            Assert.Equal(EntryKind.File, SubmissionFiles.KindOf(Path.Combine(dir, "file")));
            Assert.Equal(EntryKind.Link, SubmissionFiles.KindOf(Path.Combine(dir, "link")));
            Assert.Equal(EntryKind.Pipe, SubmissionFiles.KindOf(Path.Combine(dir, "pipe")));
            Assert.Equal(EntryKind.Folder, SubmissionFiles.KindOf(dir));
            Assert.Equal(EntryKind.Device, SubmissionFiles.KindOf("/dev/zero"));
            Assert.Equal(EntryKind.Missing, SubmissionFiles.KindOf(Path.Combine(dir, "none")));
            // Reading a pipe or a device is refused at once, not blocked on.
            Assert.Throws<IOException>(() => SubmissionFiles.ReadRegularFile(Path.Combine(dir, "pipe")));
            Assert.Throws<IOException>(() => SubmissionFiles.ReadRegularFile("/dev/zero"));
            Assert.Throws<IOException>(() => SubmissionFiles.ReadRegularFile(Path.Combine(dir, "link")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Gradebook_EscapesStudentText_InPagesAndCsv()
    {
        var result = new SubmissionResult("<img src=x onerror=alert(1)>", "01-tiny", "f.dib", "", "",
            [new ExerciseGrade("square", 0, 2, "error", "the exercise cell failed: Exception: <b>boom</b> | ** [x](javascript:alert(1))")], [], 1, 1, true);
        var formula = result with { Student = "=SUM(1,2)" };
        string dir = Directory.CreateTempSubdirectory("gradebook-").FullName;
        try
        {
            Gradebook.Write([result, formula], dir, "sandbox");
            string summary = File.ReadAllText(Path.Combine(dir, "summary.html"));
            string feedback = string.Concat(Directory.GetFiles(Path.Combine(dir, "feedback"), "*.html").Select(File.ReadAllText));
            foreach (string page in new[] { summary, feedback })
            {
                Assert.DoesNotContain("<img", page);
                Assert.DoesNotContain("<b>boom", page);
                Assert.DoesNotContain("href=\"javascript", page);
            }
            Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", summary);
            Assert.Contains("&lt;b&gt;boom&lt;/b&gt;", feedback);
            string csv = File.ReadAllText(Path.Combine(dir, "gradebook.csv"));
            Assert.Contains("\n\"'=SUM(1,2)\",01-tiny,", csv);
            Assert.DoesNotContain("\n=SUM", csv);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Gradebook_GivesARowToWhatWasNotGraded()
    {
        var refused = new SubmissionResult("zero", "(refused)", "zero.dib", "", "", [], ["zero.dib is a symbolic link (to /dev/zero), not a file: not graded"], 0, 0, true);
        var unmatched = new SubmissionResult("notes", "(unmatched)", "notes.ipynb", "", "", [], ["notes.ipynb: matches none of the course's notebooks"], 0, 0, true);
        var rows = Gradebook.Rows([refused, unmatched]);
        Assert.Equal(["refused", "unmatched"], rows.Select(r => (string)r["status"]));
        Assert.All(rows, r => Assert.Equal("(none)", r["exercise"]));
        Assert.Contains("symbolic link", (string)rows[0]["reason"]);
    }
}

using System.Text;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>
/// The grading side that runs inside the student's process (the hidden <c>course grade-run</c> command): reads the
/// key and the <see cref="GradingPlan"/> from standard input, runs the cells in order (Roslyn scripting, with time and
/// output limits), screens student code by what it compiles to (<see cref="CodeScreen"/>), and sends each hidden
/// check's probe values to the grader as soon as the check ends, over the signed <see cref="GradingChannel"/>. Nothing
/// here knows an expected value; nothing is written to disk.
/// </summary>
/// <remarks>
/// When every cell has run it says so and ends the process at once: a thread the student's code left running can
/// neither keep the run alive nor change what was sent.
/// </remarks>
public static class GradeRun
{
    /// <summary>Exit code of a run stopped by a cell's time limit (the grader has been told which cell).</summary>
    public const int TimedOutExitCode = 3;

    /// <summary>Runs the plan read from <paramref name="input"/>, sending messages to <paramref name="output"/>; returns
    /// the exit code (it does not end the process: see <see cref="RunAndExitAsync"/>).</summary>
    public static async Task<int> RunAsync(TextReader input, Stream output, string folder)
    {
        string keyHex = (await input.ReadLineAsync())?.Trim() ?? "";
        string planJson = await input.ReadToEndAsync();
        byte[] key = Convert.FromHexString(keyHex);
        var plan = GradingPlan.FromJson(planJson);
        using var channel = new GradingChannel.Writer(output, key);
        var timeout = TimeSpan.FromSeconds(plan.CellSeconds);
        // The protocol's assembly is shared with the cells: a hidden check's ProbeRun is this process's type.
        using var runner = new CellRunner(folder, plan.MaxOutputChars, [typeof(ProbeRun).Assembly]);
        var screen = new CodeScreen(() => runner.Session.Variables);
        for (int i = 0; i < plan.Cells.Count; i++)
        {
            var cell = plan.Cells[i];
            channel.Send(new GradingMessage("cell", Index: i));
            var notebookCell = new NotebookCell(i + 1, i + 1, NotebookDocument.CSharpKernel, cell.Source);
            CellResult result;
            switch (cell.Kind)
            {
                case GradingCellKind.Exercise:
                    result = await RunExerciseAsync(runner, screen, cell, notebookCell, timeout, channel);
                    break;
                case GradingCellKind.Hidden:
                    var compiled = runner.Session.Compile(cell.Source);
                    if (!compiled.Compiled)
                    {
                        channel.Send(new GradingMessage("hidden", Exercise: cell.Exercise, Group: cell.Group, Status: "compile", Reason: compiled.FirstError));
                        continue;
                    }
                    screen.Add(compiled.Script.GetCompilation(), new CellAuthor(null));
                    if (screen.Forbidden(compiled.Script.GetCompilation(), cell.Forbid ?? []) is { } forbidden)
                    {
                        channel.Send(new GradingMessage("hidden", Exercise: cell.Exercise, Group: cell.Group, Status: "forbidden", Reason: forbidden));
                        continue;
                    }
                    result = await runner.RunAsync(notebookCell, compiled, timeout);
                    if (result.Status == CellStatus.Ok && result.ReturnValue is ProbeRun run)
                        channel.Send(new GradingMessage("probe", Exercise: cell.Exercise, Group: cell.Group, Probes: run.ToJson()));
                    else if (result.Status is CellStatus.Ok or CellStatus.Failed)
                        channel.Send(new GradingMessage("hidden", Exercise: cell.Exercise, Group: cell.Group, Status: "error",
                            Reason: result.Status == CellStatus.Ok ? "the hidden check returned no probe values" : FirstLine(WithoutLabel(result))));
                    break;
                default:
                    var notebook = runner.Session.Compile(cell.Source);
                    if (notebook.Compiled) screen.Add(notebook.Script.GetCompilation(), new CellAuthor(null));
                    result = await runner.RunAsync(notebookCell, notebook, timeout);
                    if (result.Status == CellStatus.Failed)
                        channel.Send(new GradingMessage("notebook", Index: i, Status: "error", Reason: FirstLine(WithoutLabel(result))));
                    break;
            }
            if (result.Status == CellStatus.TimedOut)
            {
                channel.Send(new GradingMessage("timeout", Index: i, Exercise: cell.Exercise));
                return TimedOutExitCode;
            }
        }
        channel.Send(new GradingMessage("done"));
        return 0;
    }

    /// <summary>
    /// Runs <see cref="RunAsync"/> on this process's standard streams and ends the process with its exit code, whatever
    /// threads the cells left running.
    /// </summary>
    public static async Task RunAndExitAsync(string folder)
    {
        // The real standard output is the channel; cells write to the runner's capture, never here, and whatever a
        // thread prints after the runner let go of the console goes nowhere.
        var output = Console.OpenStandardOutput();
        Console.SetOut(TextWriter.Null);
        int exit;
        using (var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8))
            exit = await RunAsync(input, output, folder);
        output.Flush();
        Environment.Exit(exit);
    }

    private static async Task<CellResult> RunExerciseAsync(CellRunner runner, CodeScreen screen, GradingCell cell, NotebookCell notebookCell,
        TimeSpan timeout, GradingChannel.Writer channel)
    {
        var compiled = runner.Session.Compile(cell.Source);
        string? refused = null, status = null;
        if (!compiled.Compiled) (status, refused) = ("compile", $"the exercise cell does not compile: {compiled.FirstError}");
        else
        {
            screen.Add(compiled.Script.GetCompilation(), new CellAuthor(cell.Exercise));
            if (screen.Capabilities(compiled.Script.GetCompilation()) is { } capability) (status, refused) = ("forbidden", capability);
        }
        if (refused is not null)
        {
            channel.Send(new GradingMessage("exercise", Exercise: cell.Exercise, Status: status, Reason: refused));
            // The released stub stands in, so the cells after it still compile.
            var stub = runner.Session.Compile(cell.Stub ?? "");
            if (stub.Compiled) screen.Add(stub.Script.GetCompilation(), new CellAuthor(null));
            return await runner.RunAsync(notebookCell with { Source = cell.Stub ?? "" }, stub, timeout);
        }
        var result = await runner.RunAsync(notebookCell, compiled, timeout);
        if (result.Status == CellStatus.Failed)
            channel.Send(new GradingMessage("exercise", Exercise: cell.Exercise, Status: "error", Reason: FirstLine(WithoutLabel(result))));
        return result;
    }

    /// <summary>The error without the runner's "cell N:" prefix, which numbers the grading run, not the student's notebook.</summary>
    private static string WithoutLabel(CellResult cell)
    {
        string error = cell.Error ?? cell.Status.ToString();
        string label = cell.Cell.Label + ": ";
        return error.StartsWith(label, StringComparison.Ordinal) ? error[label.Length..] : error;
    }

    private static string FirstLine(string text)
    {
        string line = text.Split('\n')[0].Trim();
        return line.Length <= 300 ? line : line[..300] + "...";
    }
}

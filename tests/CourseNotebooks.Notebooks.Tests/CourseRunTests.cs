using System.Diagnostics;
using System.Text.Json;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>
/// The course's main job as a student runs it: the `course run` command in its own process, several notebooks in
/// one run (each loads the library into the same process again), reports written for offline reading.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class CourseRunTests(NotebookFixture fixture)
{
    [Fact]
    public async Task CourseRun_TwoNotebooksInOneProcess_BothPass_AndTheReportsCarryPlotlyInline()
    {
        await fixture.RunAsync("03-backprop-conv");   // builds the library the command checks for
        string outDir = Directory.CreateTempSubdirectory("course-run-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "course.dll"), "run", "--notebooks", "03-backprop-conv,02-pooling", "--out", outDir, "--root", fixture.Root },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        string log = await stdout + await stderr;

        Assert.True(process.ExitCode == 0, $"course run exited {process.ExitCode}:\n{log[Math.Max(0, log.Length - 3000)..]}");
        Assert.Contains("2 of 2 notebooks ran without error", log);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "summary.json")));
        Assert.All(summary.RootElement.GetProperty("notebooks").EnumerateArray(), n => Assert.True(n.GetProperty("passed").GetBoolean(), n.ToString()));
        foreach (string name in new[] { "03-backprop-conv", "02-pooling" })
        {
            string html = await File.ReadAllTextAsync(Path.Combine(outDir, "html", name + ".html"));
            // The library's plotly.js inlined once, charts drawn from their figures, not the notebook HTML that
            // fetches plotly.js from its CDN (the browser test opens the pages).
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, @"\* plotly\.js v\d"));
            Assert.Contains("Plotly.newPlot(\"chart-", html);
            Assert.DoesNotContain("course-chart-", html);
        }
        Directory.Delete(outDir, recursive: true);
    }
}

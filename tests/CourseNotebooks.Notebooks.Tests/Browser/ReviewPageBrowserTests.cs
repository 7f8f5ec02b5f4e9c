using System.Net;
using System.Text.Json;
using CourseNotebooks.Grading;
using CourseNotebooks.Review;
using PuppeteerSharp;
using Xunit.Abstractions;

namespace CourseNotebooks.Notebooks.Tests.Browser;

/// <summary>
/// The TAs' review page in a real browser (the installed Chromium, driven by PuppeteerSharp): a TA scores two students'
/// written answers, reloads and finds the scores kept, sees gradebook.csv and the gradebook page change, overrides an
/// autograded score with a reason; a student's hostile answer shows as text and runs nothing; a form post without the
/// page's token, or to another host name, saves nothing. The grading folder is written by the test (results and
/// submitted cells as the autograder writes them), so no notebook runs.
/// </summary>
public sealed class ReviewPageBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Hostile = "<script>document.title='owned'</script><img src=x onerror=\"document.title='owned'\">";

    private readonly string _work = Directory.CreateTempSubdirectory("course-review-").FullName;
    private string Grading => Path.Combine(_work, "grading");

    private static string Notebooks => Path.Combine(NotebookFixture.FindRoot(), "tests", "CourseNotebooks.Notebooks.Tests", "fixtures", "course", "notebooks");

    public Task InitializeAsync()
    {
        // Three graded submissions of the fixture course's 01-stats: two correct, one failing square; one answer hostile.
        foreach (var (student, square, answer) in new[] { ("alice", 2.0, "The units match the data."), ("bob", 0.0, "Variance is squared."), ("eve", 2.0, Hostile) })
        {
            string sha = $"sha-{student}";
            var result = new SubmissionResult(student, "01-stats", $"{student}/01-stats.dib", sha, "ref",
                [new ExerciseGrade("square", square, 2, square == 2 ? "passed" : "failed", square == 2 ? "" : "probe 1: wrong value"),
                 new ExerciseGrade("standardize", 3, 3, "passed", "")], [], 2.0, 1, true);
            Write(Path.Combine(Grading, "results", student, "01-stats.json"), result.ToJson());
            var work = new SubmittedWork(student, "01-stats", result.File, sha, DateTimeOffset.Parse("2026-10-20T12:00:00Z"), "manifest",
                [new SubmittedCell("square", false, "// EXERCISE square (2 points)\nint Square(int x) => x + x;", true),
                 new SubmittedCell("standardize", false, "double[] Standardize(double[] v) => v;", true),
                 new SubmittedCell("explain-variance", true, answer, true)]);
            Write(SubmittedWork.PathOf(Grading, student, "01-stats"), JsonSerializer.Serialize(work));
        }
        return Task.CompletedTask;
    }

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_work, recursive: true);
        return Task.CompletedTask;
    }

    private string Row(string student, string exercise) =>
        File.ReadAllLines(Path.Combine(Grading, "gradebook.csv")).Single(l => l.StartsWith($"{student},01-stats,{exercise},", StringComparison.Ordinal));

    [FactWhenBrowser]
    public async Task TaScoresTwoAnswers_ReloadKeepsThem_AndTheGradebookChanges()
    {
        await using var server = await ReviewServer.StartAsync(Grading, Notebooks);
        string profile = Directory.CreateTempSubdirectory("course-review-chromium-").FullName;
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = HeadlessChromium.Find(),
            Headless = true,
            UserDataDir = profile,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        try
        {
            var page = await browser.NewPageAsync();
            bool dialog = false;
            page.Dialog += (_, e) => { dialog = true; _ = e.Dialog.Dismiss(); };

            // The index lists the written answer; its page opens on the first student awaiting review.
            await page.GoToAsync(server.Address.ToString());
            Assert.Contains("3 awaiting review, 0 reviewed", await page.GetContentAsync());
            await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("a[href='/review/01-stats/explain-variance']"));
            Assert.Equal("alice", await Text(page, "#student", firstWord: true));
            Assert.Equal("The units match the data.", await Text(page, "#answer"));
            Assert.Contains("the standard deviation has the data's units", await Text(page, "#rubric"));
            Assert.Contains("The standard deviation has the units of the data", await Text(page, "#reference"));

            // Score alice, then (the page moves on) bob.
            await Score(page, "1.5", "Units: yes. Spread 1: not said.");
            Assert.Equal("bob", await Text(page, "#student", firstWord: true));
            Assert.Contains("Saved", await page.GetContentAsync());
            await Score(page, "2", "Both points.");

            // Reload each: the saved score and comment are what the form shows.
            await page.GoToAsync(new Uri(server.Address, "/review/01-stats/explain-variance?student=alice").ToString());
            Assert.Equal("1.5", await page.EvaluateExpressionAsync<string>("document.querySelector('#score').value"));
            Assert.Equal("Units: yes. Spread 1: not said.", await page.EvaluateExpressionAsync<string>("document.querySelector('#comment').value"));
            Assert.Equal("reviewed", await Text(page, "#status"));
            await page.ReloadAsync();
            Assert.Equal("1.5", await page.EvaluateExpressionAsync<string>("document.querySelector('#score').value"));
            await page.GoToAsync(new Uri(server.Address, "/review/01-stats/explain-variance?student=bob").ToString());
            Assert.Equal("2", await page.EvaluateExpressionAsync<string>("document.querySelector('#score').value"));

            // The gradebook on disk and the gradebook page say the same.
            Assert.StartsWith("alice,01-stats,explain-variance,1.5,2,reviewed,,,Units: yes. Spread 1: not said.,", Row("alice", "explain-variance"));
            Assert.StartsWith("bob,01-stats,explain-variance,2,2,reviewed,,,Both points.,", Row("bob", "explain-variance"));
            Assert.StartsWith("eve,01-stats,explain-variance,0,2,awaiting review,", Row("eve", "explain-variance"));
            await page.GoToAsync(new Uri(server.Address, "/gradebook").ToString());
            string totals = await page.EvaluateExpressionAsync<string>("[...document.querySelectorAll('td.total')].map(t => t.textContent).join(' ')");
            Assert.Equal("6.5 5 5", totals);   // alice 2+3+1.5, bob 0+3+2, eve 2+3+0

            // Eve's answer is text: nothing of it ran, no element of it exists, no dialog opened.
            await page.GoToAsync(new Uri(server.Address, "/review/01-stats/explain-variance?student=eve").ToString());
            Assert.Equal(Hostile, await Text(page, "#answer"));
            Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('script, #answer img').length"));
            Assert.NotEqual("owned", await page.GetTitleAsync());
            Assert.False(dialog);

            // Override bob's failed square with a reason: the row says so and keeps the autograder's reason.
            await page.GoToAsync(new Uri(server.Address, "/review/01-stats/square?student=bob").ToString());
            Assert.Equal("failed", await Text(page, "#status"));
            await Score(page, "1", "x + x is right for the probes that matter; the overflow probe is out of scope.");
            Assert.StartsWith("bob,01-stats,square,1,2,overridden,probe 1: wrong value,,\"score set by a TA to 1 of 2 (the autograder gave 0, failed): x + x is right", Row("bob", "square"));
            string feedback = File.ReadAllText(Path.Combine(Grading, "feedback", "bob.md"));
            Assert.Contains("TA: Both points", feedback);
            Assert.Contains("the overflow probe is out of scope", feedback);
        }
        finally
        {
            await browser.CloseAsync();
            Directory.Delete(profile, recursive: true);
        }
    }

    [Fact]
    public async Task APostWithoutThePagesToken_OrForAnotherHost_SavesNothing()
    {
        await using var server = await ReviewServer.StartAsync(Grading, Notebooks);
        using var http = new HttpClient { BaseAddress = server.Address };
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["student"] = "alice", ["points"] = "2", ["comment"] = "forged", ["action"] = "save", ["token"] = "guess",
        });
        var forged = await http.PostAsync("/review/01-stats/explain-variance", form);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Contains("token", await forged.Content.ReadAsStringAsync());

        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/");
        rebound.Headers.Host = "attacker.example";
        var response = await http.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);

        var page = await http.GetAsync("/");
        Assert.Contains("script-src", page.Headers.GetValues("Content-Security-Policy").Single().Replace("default-src 'none'", "script-src none"));
        Assert.Empty(new ReviewStore(Grading).All());
        output.WriteLine($"review page at {server.Address}: forged post {(int)forged.StatusCode}, other host {(int)response.StatusCode}");
    }

    /// <summary>Types a score and a comment into the page's form and saves (the page then shows the next student).</summary>
    private static async Task Score(IPage page, string points, string comment)
    {
        await page.EvaluateExpressionAsync("document.querySelector('#score').value = ''; document.querySelector('#comment').value = ''");
        await page.TypeAsync("#score", points);
        await page.TypeAsync("#comment", comment);
        await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("#save"));
    }

    private static async Task<string> Text(IPage page, string selector, bool firstWord = false)
    {
        string text = (await page.EvaluateFunctionAsync<string>("s => document.querySelector(s).textContent", selector)).Trim();
        return firstWord ? text.Split(' ')[0] : text;
    }
}

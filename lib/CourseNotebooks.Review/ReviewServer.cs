using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using CourseNotebooks.Grading;
using CourseNotebooks.Host;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CourseNotebooks.Review;

/// <summary>
/// The TAs' review page: one exercise at a time across all students. For a written answer it shows the student's
/// answer beside the reference answer and the rubric, and takes a score and a comment; for an autograded exercise it
/// shows the autograder's verdict and the student's code, and takes an override with its reason. Each save is written
/// atomically (<see cref="ReviewStore"/>) and the gradebook, feedback and summary are written again at once, so they
/// always say what the TAs decided; a reload shows what was saved.
/// </summary>
/// <remarks>
/// Listens on 127.0.0.1 only and needs no account: anyone who can reach it is on this machine. What it defends
/// against is the students' text (every student string is HTML-escaped, and the pages carry a Content-Security-Policy
/// that allows no script at all), and other web pages open in the TA's browser: a form post must carry this server's
/// random token and come with this server's own Host (so neither a cross-site form nor a DNS-rebinding page can
/// save a score).
/// </remarks>
public sealed class ReviewServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ReviewServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The page's address (http://127.0.0.1:port/).</summary>
    public Uri Address { get; }

    /// <summary>Starts the page over <paramref name="gradingFolder"/> on 127.0.0.1:<paramref name="port"/> (0: a free port).</summary>
    /// <param name="gradingFolder">The grading folder (out/grading) with results/ and submitted/.</param>
    /// <param name="notebooksFolder">The TA's notebooks (reference answers, rubrics, course.json).</param>
    /// <param name="port">The port; 0 picks a free one.</param>
    public static async Task<ReviewServer> StartAsync(string gradingFolder, string notebooksFolder, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var pages = new ReviewPages(gradingFolder, notebooksFolder, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            var local = context.Connection.LocalPort;
            string host = context.Request.Host.Value ?? "";
            if (host != $"127.0.0.1:{local}" && host != $"localhost:{local}")
            {
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                await context.Response.WriteAsync($"this page answers to 127.0.0.1:{local} only, not to '{host}'");
                return;
            }
            await next(context);
        });
        app.MapGet("/", () => Html(pages.Index()));
        app.MapGet("/gradebook", () => Html(pages.GradebookPage()));
        app.MapGet("/review/{notebook}/{exercise}", (string notebook, string exercise, string? student, string? saved) =>
            pages.Exercise(notebook, exercise, student, saved) is { } page ? Html(page) : Results.NotFound($"no exercise '{exercise}' in notebook '{notebook}'"));
        app.MapPost("/review/{notebook}/{exercise}", async (HttpContext context, string notebook, string exercise) =>
        {
            var form = await context.Request.ReadFormAsync();
            var (status, location, message) = pages.Save(notebook, exercise, form["student"].ToString(), form["token"].ToString(),
                form["points"].ToString(), form["comment"].ToString(), form["action"].ToString());
            return status == StatusCodes.Status303SeeOther ? Results.Redirect(location!, permanent: false) : Results.Content(Page("Not saved", $"<p>{Encode(message)}</p><p><a href=\"/review/{Uri.EscapeDataString(notebook)}/{Uri.EscapeDataString(exercise)}\">back to {Encode(exercise)}</a></p>"), "text/html; charset=utf-8", Encoding.UTF8, status);
        });
        await app.StartAsync();
        int actual = new Uri(app.Urls.First()).Port;
        return new ReviewServer(app, new Uri($"http://127.0.0.1:{actual}/"));
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (Ctrl+C in the command).</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static IResult Html(string page) => Results.Content(page, "text/html; charset=utf-8", Encoding.UTF8);

    /// <summary>HTML-escaped text (quotes too, so it is safe inside attributes).</summary>
    internal static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A whole page: no script, one small style block.</summary>
    internal static string Page(string title, string body) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{Encode(title)}</title>
        <style>
        body {"{"} font-family: system-ui, sans-serif; margin: 1.5rem; {"}"}
        table {"{"} border-collapse: collapse; {"}"} td, th {"{"} border: 1px solid #d0d7de; padding: .2rem .5rem; text-align: left; vertical-align: top; {"}"}
        pre {"{"} white-space: pre-wrap; background: #f6f8fa; padding: .5rem; margin: 0; {"}"}
        .columns {"{"} display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; {"}"}
        .saved {"{"} background: #dafbe1; padding: .3rem .6rem; {"}"} .muted {"{"} color: #57606a; {"}"}
        nav a {"{"} margin-right: .6rem; {"}"} .current {"{"} font-weight: bold; {"}"}
        </style></head><body>
        {body}
        </body></html>
        """;
}

/// <summary>What the review page shows and saves (the HTTP side is <see cref="ReviewServer"/>).</summary>
internal sealed class ReviewPages(string gradingFolder, string notebooksFolder, string token)
{
    private readonly ReviewStore _reviews = new(gradingFolder);
    private readonly object _saving = new();

    private static string E(string? text) => ReviewServer.Encode(text);

    private static string Url(string notebook, string exercise, string? student = null, bool saved = false) =>
        $"/review/{Uri.EscapeDataString(notebook)}/{Uri.EscapeDataString(exercise)}" +
        (student is null ? "" : $"?student={Uri.EscapeDataString(student)}{(saved ? "&saved=1" : "")}");

    private static string Num(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>One exercise or written answer of a TA notebook.</summary>
    private sealed record Item(string Notebook, string Name, int Points, bool Written, string Reference, string Rubric);

    private List<Item> Items()
    {
        var items = new List<Item>();
        if (!Directory.Exists(notebooksFolder)) return items;
        foreach (string path in Directory.GetFiles(notebooksFolder, "*.dib").Order(StringComparer.Ordinal))
        {
            var doc = NotebookDocument.Load(path);
            string notebook = Path.GetFileNameWithoutExtension(path);
            var exercises = ExerciseMarkup.Parse(doc);
            var answers = WrittenAnswers.Parse(doc);
            foreach (var cell in doc.Cells)
            {
                if (cell.IsCode && exercises.FirstOrDefault(e => e.ExerciseCell.Index == cell.Index) is { } e)
                    items.Add(new Item(notebook, e.Name, e.Points, false, e.Solution, ""));
                else if (answers.FirstOrDefault(a => a.Cell.Index == cell.Index) is { } a)
                    items.Add(new Item(notebook, a.Name, a.Points, true, a.Reference, a.Rubric));
            }
        }
        return items;
    }

    private IReadOnlyList<SubmissionResult> Grades() => CourseGrades.Load(gradingFolder, notebooksFolder);

    public string Index()
    {
        var grades = Grades();
        var body = new StringBuilder("<h1>Review</h1><p class=\"muted\">One exercise at a time across all students. Written answers need a TA's score; an autograded exercise's score can be overridden with a reason. <a href=\"/gradebook\">Gradebook</a></p>");
        foreach (var notebook in Items().GroupBy(i => i.Notebook))
        {
            var graded = grades.Where(r => r.Notebook == notebook.Key && r.Exercises.Count > 0).ToList();
            if (graded.Count == 0) continue;
            body.Append($"<h2>{E(notebook.Key)}</h2><table><tr><th>exercise</th><th>kind</th><th>points</th><th>students</th><th>to do</th></tr>");
            foreach (var item in notebook)
            {
                var rows = graded.Select(r => r.Exercises.FirstOrDefault(e => e.Name == item.Name)).OfType<ExerciseGrade>().ToList();
                string todo = item.Written
                    ? $"{rows.Count(g => g.Status == CourseGrades.AwaitingReview)} awaiting review, {rows.Count(g => g.Status == CourseGrades.Reviewed)} reviewed"
                    : $"{rows.Count(g => g.Status != "passed")} not passed, {rows.Count(g => g.Status == CourseGrades.Overridden)} overridden";
                body.Append($"<tr><td><a href=\"{E(Url(item.Notebook, item.Name))}\">{E(item.Name)}</a></td><td>{(item.Written ? "written answer" : "autograded")}</td><td>{item.Points}</td><td>{rows.Count}</td><td>{todo}</td></tr>");
            }
            body.Append("</table>");
        }
        return ReviewServer.Page("Review", body.ToString());
    }

    public string GradebookPage()
    {
        var grades = Grades().Where(r => r.Exercises.Count > 0).ToList();
        var notebooks = grades.Select(r => r.Notebook).Distinct().Order(StringComparer.Ordinal).ToList();
        var body = new StringBuilder("<h1>Gradebook</h1><p class=\"muted\">Points after late penalties, as gradebook.csv has them now. <a href=\"/\">Review</a></p><table><tr><th>student</th>");
        foreach (string n in notebooks) body.Append($"<th>{E(n)}</th>");
        body.Append("<th>total</th></tr>");
        foreach (var student in grades.GroupBy(r => r.Student).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            body.Append($"<tr><td>{E(student.Key)}</td>");
            foreach (string n in notebooks)
                body.Append($"<td data-notebook=\"{E(n)}\">{(student.FirstOrDefault(r => r.Notebook == n) is { } r ? $"{Num(r.FinalPoints)} / {r.MaxPoints}" : "")}</td>");
            body.Append($"<td class=\"total\">{Num(student.Sum(r => r.FinalPoints))}</td></tr>");
        }
        return ReviewServer.Page("Gradebook", body.Append("</table>").ToString());
    }

    public string? Exercise(string notebook, string exercise, string? student, string? saved)
    {
        var item = Items().FirstOrDefault(i => i.Notebook == notebook && i.Name == exercise);
        if (item is null) return null;
        var results = Grades().Where(r => r.Notebook == notebook && r.Exercises.Count > 0).OrderBy(r => r.Student, StringComparer.Ordinal).ToList();
        var body = new StringBuilder($"<p><a href=\"/\">Review</a> / {E(notebook)}</p><h1>{E(exercise)} <span class=\"muted\">({(item.Written ? "written answer" : "autograded")}, {item.Points} points)</span></h1>");
        if (results.Count == 0) return ReviewServer.Page(exercise, body.Append("<p>No graded submission of this notebook yet: run <code>course autograde</code> first.</p>").ToString());
        // Without a student: the first one still to review (or the first one).
        var current = results.FirstOrDefault(r => r.Student == student)
            ?? results.FirstOrDefault(r => r.Exercises.FirstOrDefault(e => e.Name == exercise)?.Status is CourseGrades.AwaitingReview)
            ?? results[0];
        var grade = current.Exercises.First(e => e.Name == exercise);
        int at = results.IndexOf(current);

        body.Append("<nav>");
        foreach (var r in results)
        {
            var g = r.Exercises.FirstOrDefault(e => e.Name == exercise);
            string mark = g?.Status switch { CourseGrades.Reviewed or CourseGrades.Overridden => "✔", CourseGrades.AwaitingReview => "…", "passed" => "✔", _ => "✘" };
            body.Append($"<a href=\"{E(Url(notebook, exercise, r.Student))}\" class=\"{(r == current ? "current" : "")}\">{E(r.Student)} {mark}</a>");
        }
        body.Append("</nav>");
        if (saved == "1") body.Append("<p class=\"saved\">Saved; the gradebook is written again.</p>");
        body.Append($"<h2 id=\"student\">{E(current.Student)} <span class=\"muted\">({at + 1} of {results.Count})</span></h2>");
        body.Append($"<p>Status: <strong id=\"status\">{E(grade.Status)}</strong>, <span id=\"points\">{Num(grade.Points)}</span> of {grade.MaxPoints} points.");
        if (grade.Reason.Length > 0) body.Append($" {E(grade.Reason)}.");
        if (current.Late is { } late) body.Append($" Notebook: {E(late.Text)}.");
        body.Append("</p>");

        var work = SubmittedWork.Read(gradingFolder, current.Student, notebook) is { } stored && stored.Sha256 == current.Sha256 ? stored : null;
        var cell = work?.Cell(exercise);
        string answer = cell is null ? "(the submission's cells were not collected: grade it again)" : !cell.Present ? "(no cell of this name)" : cell.Source.Length == 0 ? "(empty)" : cell.Source;
        body.Append($"<div class=\"columns\"><section><h3>{(item.Written ? "The student's answer" : "The student's cell")}</h3><pre id=\"answer\">{E(answer)}</pre></section>");
        body.Append($"<section><h3>Reference {(item.Written ? "answer" : "solution")}</h3><pre id=\"reference\">{E(item.Reference)}</pre>");
        if (item.Rubric.Length > 0) body.Append($"<h3>Rubric</h3><pre id=\"rubric\">{E(item.Rubric)}</pre>");
        body.Append("</section></div>");

        var review = _reviews.Find(current.Student, notebook, exercise);
        bool fresh = review is not null && review.AnswerSha256 == current.Sha256;
        string points = fresh ? Num(review!.Points) : "";
        string comment = fresh ? review!.Comment : "";
        if (review is not null && !fresh) body.Append($"<p class=\"muted\">An earlier review ({Num(review.Points)} points) was of a file the student has since replaced.</p>");
        body.Append($"<form method=\"post\" action=\"{E(Url(notebook, exercise))}\"><input type=\"hidden\" name=\"token\" value=\"{token}\"><input type=\"hidden\" name=\"student\" value=\"{E(current.Student)}\">");
        body.Append(item.Written
            ? $"<h3>Score</h3><p><label>Points (0 to {item.Points}) <input type=\"number\" id=\"score\" name=\"points\" min=\"0\" max=\"{item.Points}\" step=\"0.25\" required value=\"{points}\"></label></p><p><label>Comment for the student<br><textarea id=\"comment\" name=\"comment\" rows=\"4\" cols=\"80\">{E(comment)}</textarea></label></p>"
            : $"<h3>Override the autograder</h3><p><label>Points (0 to {item.Points}) <input type=\"number\" id=\"score\" name=\"points\" min=\"0\" max=\"{item.Points}\" step=\"0.25\" value=\"{points}\"></label></p><p><label>Reason, for the student (required)<br><textarea id=\"comment\" name=\"comment\" rows=\"3\" cols=\"80\">{E(comment)}</textarea></label></p>");
        body.Append("<p><button type=\"submit\" id=\"save\" name=\"action\" value=\"save\">Save and go to the next student</button>");
        if (review is not null) body.Append(" <button type=\"submit\" id=\"remove\" name=\"action\" value=\"remove\" formnovalidate>Remove this review</button>");
        body.Append("</p></form>");
        return ReviewServer.Page($"{exercise}: {current.Student}", body.ToString());
    }

    /// <summary>Saves (or removes) a review; returns 303 and where to go next, or an error status and its message.</summary>
    public (int Status, string? Location, string Message) Save(string notebook, string exercise, string student, string formToken, string pointsText,
        string comment, string action)
    {
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(formToken), Encoding.UTF8.GetBytes(token)))
            return (StatusCodes.Status403Forbidden, null, "the form does not carry this review page's token: reload the page and save again");
        var item = Items().FirstOrDefault(i => i.Notebook == notebook && i.Name == exercise);
        if (item is null) return (StatusCodes.Status404NotFound, null, $"no exercise '{exercise}' in notebook '{notebook}'");
        var results = Grades().Where(r => r.Notebook == notebook && r.Exercises.Count > 0).OrderBy(r => r.Student, StringComparer.Ordinal).ToList();
        var result = results.FirstOrDefault(r => r.Student == student);
        if (result is null) return (StatusCodes.Status404NotFound, null, $"no graded submission of {notebook} by '{student}'");
        lock (_saving)
        {
            if (action == "remove") _reviews.Delete(student, notebook, exercise);
            else
            {
                if (!double.TryParse(pointsText, NumberStyles.Float, CultureInfo.InvariantCulture, out double points))
                    return (StatusCodes.Status400BadRequest, null, $"points must be a number from 0 to {item.Points}, got '{pointsText}'");
                try
                {
                    _reviews.Save(new TaReview(student, notebook, exercise, item.Written ? ReviewKind.Written : ReviewKind.Override, points, comment.Trim(),
                        DateTimeOffset.UtcNow, result.Sha256), item.Points);
                }
                catch (ArgumentException e) { return (StatusCodes.Status400BadRequest, null, e.Message); }
            }
            CourseGrades.WriteGradebook(gradingFolder, notebooksFolder, similarity: false);
        }
        int at = results.IndexOf(result);
        string next = at + 1 < results.Count ? results[at + 1].Student : student;
        return (StatusCodes.Status303SeeOther, Url(notebook, exercise, next, saved: true), "saved");
    }
}

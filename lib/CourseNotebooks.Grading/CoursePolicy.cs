using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CourseNotebooks.Grading;

/// <summary>One notebook's deadline and late policy.</summary>
/// <param name="Deadline">When it is due (with its UTC offset).</param>
/// <param name="GraceMinutes">Work handed in up to this long after the deadline counts as on time (a slow upload).</param>
/// <param name="PenaltyPerDay">Share of the points taken off per started day late (0.1: 10 % per day).</param>
/// <param name="DaysAccepted">Late work is accepted for this many days; later work earns nothing.</param>
public sealed record DeadlinePolicy(DateTimeOffset Deadline, int GraceMinutes = 0, double PenaltyPerDay = 0, int DaysAccepted = 0)
{
    /// <summary>
    /// How late <paramref name="submitted"/> is and what it costs. Days late are counted from the deadline (not from the
    /// end of the grace period) and rounded up: one minute past the grace period is one day late. The penalty is
    /// days x <see cref="PenaltyPerDay"/>, at most 1; beyond <see cref="DaysAccepted"/> days it is 1.
    /// </summary>
    public LateWork Judge(DateTimeOffset submitted, string timeSource, DateTimeOffset? extension = null)
    {
        var due = extension ?? Deadline;
        var late = submitted - due;
        if (late <= TimeSpan.FromMinutes(GraceMinutes))
            return new LateWork(submitted, timeSource, due, 0, 0, late > TimeSpan.Zero ? $"on time (within the {GraceMinutes} min grace period)" : "on time");
        int days = (int)Math.Ceiling(late.TotalDays);
        string when = $"submitted {Stamp(submitted)} ({timeSource}), due {Stamp(due)}{(extension is null ? "" : " (extension)")}";
        if (days > DaysAccepted)
            return new LateWork(submitted, timeSource, due, days, 1, $"{days} day{(days == 1 ? "" : "s")} late, after the {DaysAccepted} day{(DaysAccepted == 1 ? "" : "s")} late work is accepted: no points; {when}");
        double penalty = Math.Min(1, days * PenaltyPerDay);
        return new LateWork(submitted, timeSource, due, days, penalty,
            $"{days} day{(days == 1 ? "" : "s")} late: -{penalty * 100:0.#}%; {when}");
    }

    private static string Stamp(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}

/// <summary>How late a submission was, and its penalty.</summary>
/// <param name="SubmittedAt">When it was handed in.</param>
/// <param name="TimeSource">"manifest" or "file time".</param>
/// <param name="Due">Its deadline (the student's extension, where one was given).</param>
/// <param name="DaysLate">Started days after the deadline (0 when on time, grace period included).</param>
/// <param name="Penalty">Share of the points taken off, 0 to 1.</param>
/// <param name="Text">In words, for the gradebook's row and the feedback.</param>
public sealed record LateWork(DateTimeOffset SubmittedAt, string TimeSource, DateTimeOffset Due, int DaysLate, double Penalty, string Text);

/// <summary>
/// The course file, <c>notebooks/course.json</c>: each notebook's deadline and late policy, defaults for all of them,
/// and per-student extensions. Notebooks it does not name have no deadline (never late).
/// </summary>
/// <example>
/// <code>
/// {
///   "defaults": { "graceMinutes": 15, "penaltyPerDay": 0.1, "daysAccepted": 5 },
///   "notebooks": {
///     "01-convolution": { "deadline": "2026-10-20T23:59:00+02:00" },
///     "02-pooling": { "deadline": "2026-10-27T23:59:00+01:00", "penaltyPerDay": 0.2 }
///   },
///   "extensions": { "alice": { "01-convolution": "2026-10-23T23:59:00+02:00" } }
/// }
/// </code>
/// </example>
public sealed class CoursePolicy
{
    /// <summary>The course file's name, in the notebooks folder.</summary>
    public const string FileName = "course.json";

    private readonly Dictionary<string, DeadlinePolicy> _notebooks;
    private readonly Dictionary<(string Student, string Notebook), DateTimeOffset> _extensions;

    private CoursePolicy(Dictionary<string, DeadlinePolicy> notebooks, Dictionary<(string, string), DateTimeOffset> extensions)
    {
        _notebooks = notebooks;
        _extensions = extensions;
    }

    /// <summary>No deadlines at all.</summary>
    public static CoursePolicy None { get; } = new([], []);

    /// <summary>The deadlines, by notebook name.</summary>
    public IReadOnlyDictionary<string, DeadlinePolicy> Notebooks => _notebooks;

    /// <summary>The lateness of a submission, or null when its notebook has no deadline or its time is not known.</summary>
    public LateWork? Judge(string student, string notebook, DateTimeOffset? submitted, string timeSource) =>
        submitted is { } at && _notebooks.TryGetValue(notebook, out var policy)
            ? policy.Judge(at, timeSource, _extensions.TryGetValue((student, notebook), out var extended) ? extended : null)
            : null;

    /// <summary>Reads <c>course.json</c> from <paramref name="notebooksFolder"/>; no file means no deadlines.</summary>
    /// <exception cref="FormatException">The file does not parse, or a value is out of range (the message names the
    /// file, the notebook and the field).</exception>
    public static CoursePolicy Load(string notebooksFolder)
    {
        string path = Path.Combine(notebooksFolder, FileName);
        if (!File.Exists(path)) return None;
        CourseFile? file;
        try { file = JsonSerializer.Deserialize<CourseFile>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new FormatException($"{path}: not a course file: {e.Message}", e); }
        if (file is null) return None;
        var defaults = file.Defaults ?? new NotebookEntry();
        var notebooks = new Dictionary<string, DeadlinePolicy>(StringComparer.Ordinal);
        foreach (var (name, entry) in file.Notebooks ?? [])
        {
            if (entry.Deadline is null) throw new FormatException($"{path}: notebook '{name}' has no \"deadline\" (expected an ISO 8601 time with its offset, e.g. 2026-10-20T23:59:00+02:00)");
            var policy = new DeadlinePolicy(Time(entry.Deadline, path, $"notebooks.{name}.deadline"),
                entry.GraceMinutes ?? defaults.GraceMinutes ?? 0, entry.PenaltyPerDay ?? defaults.PenaltyPerDay ?? 0, entry.DaysAccepted ?? defaults.DaysAccepted ?? 0);
            if (policy.GraceMinutes < 0) throw new FormatException($"{path}: notebook '{name}': graceMinutes must be 0 or more, got {policy.GraceMinutes}");
            if (policy.PenaltyPerDay is < 0 or > 1) throw new FormatException($"{path}: notebook '{name}': penaltyPerDay must be between 0 and 1, got {policy.PenaltyPerDay}");
            if (policy.DaysAccepted < 0) throw new FormatException($"{path}: notebook '{name}': daysAccepted must be 0 or more, got {policy.DaysAccepted}");
            notebooks[name] = policy;
        }
        var extensions = new Dictionary<(string, string), DateTimeOffset>();
        foreach (var (student, given) in file.Extensions ?? [])
            foreach (var (notebook, until) in given)
            {
                if (!notebooks.ContainsKey(notebook)) throw new FormatException($"{path}: the extension of '{student}' names notebook '{notebook}', which has no deadline here");
                extensions[(student, notebook)] = Time(until, path, $"extensions.{student}.{notebook}");
            }
        return new CoursePolicy(notebooks, extensions);
    }

    private static DateTimeOffset Time(string text, string path, string field)
    {
        // An offset is required: a deadline without one would move with the grading machine's time zone.
        if (!DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mmzzz", "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm'Z'"],
                CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            throw new FormatException($"{path}: {field} is '{text}', expected an ISO 8601 time with its offset (2026-10-20T23:59:00+02:00 or ...Z)");
        return time;
    }

    private sealed class CourseFile
    {
        public NotebookEntry? Defaults { get; set; }
        public Dictionary<string, NotebookEntry>? Notebooks { get; set; }
        public Dictionary<string, Dictionary<string, string>>? Extensions { get; set; }
    }

    private sealed class NotebookEntry
    {
        public string? Deadline { get; set; }
        public int? GraceMinutes { get; set; }
        public double? PenaltyPerDay { get; set; }
        public int? DaysAccepted { get; set; }
    }
}

/// <summary>
/// When each submission was handed in, as the TA's collection step recorded it: <c>manifest.csv</c> at the top of the
/// submissions folder, with the header <c>student,notebook,submitted_at</c> and one row per submission (times in
/// ISO 8601 with their offset). Without it the grader takes each file's modification time and says so.
/// </summary>
public sealed class SubmissionManifest
{
    /// <summary>The manifest's file name, in the submissions folder.</summary>
    public const string FileName = "manifest.csv";

    /// <summary>The manifest's header line.</summary>
    public const string Header = "student,notebook,submitted_at";

    private readonly Dictionary<(string, string), DateTimeOffset> _times;

    private SubmissionManifest(Dictionary<(string, string), DateTimeOffset> times) => _times = times;

    /// <summary>No manifest.</summary>
    public static SubmissionManifest Empty { get; } = new([]);

    /// <summary>The listed time of a student's notebook, or null.</summary>
    public DateTimeOffset? TimeOf(string student, string notebook) => _times.TryGetValue((student, notebook), out var t) ? t : null;

    /// <summary>Number of listed submissions.</summary>
    public int Count => _times.Count;

    /// <summary>Reads <c>manifest.csv</c> from the submissions folder (a regular file only); none gives an empty manifest.</summary>
    /// <exception cref="FormatException">A line does not parse (the message names the file and the line).</exception>
    public static SubmissionManifest Load(string submissions)
    {
        string path = Path.Combine(submissions, FileName);
        if (SubmissionFiles.KindOf(path) == EntryKind.Missing) return Empty;
        string text;
        try { text = System.Text.Encoding.UTF8.GetString(SubmissionFiles.ReadRegularFile(path)).TrimStart('\uFEFF'); }
        catch (IOException e) { throw new FormatException($"{path}: {e.Message}", e); }
        var lines = text.Replace("\r\n", "\n").Split('\n').Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count == 0 || lines[0].Trim() != Header)
            throw new FormatException($"{path}: the first line must be '{Header}', got '{(lines.Count > 0 ? lines[0].Trim() : "")}'");
        var times = new Dictionary<(string, string), DateTimeOffset>();
        for (int i = 1; i < lines.Count; i++)
        {
            var cells = Csv.Split(lines[i]);
            if (cells.Count != 3 || !DateTimeOffset.TryParse(cells[2], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                throw new FormatException($"{path}: line {i + 1} is '{lines[i]}', expected student,notebook,time (ISO 8601, e.g. 2026-10-20T22:14:03Z)");
            times[(cells[0], cells[1])] = at;
        }
        return new SubmissionManifest(times);
    }
}

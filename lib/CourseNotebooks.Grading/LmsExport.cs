using System.Text;
using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>The learning-management systems whose gradebook import the export writes.</summary>
public enum LmsFormat
{
    /// <summary>Canvas: Gradebook, Import.</summary>
    Canvas,
    /// <summary>Moodle: Grade administration, Import, CSV file.</summary>
    Moodle,
}

/// <summary>
/// The gradebook as an LMS imports it: one row per student, one column per graded notebook holding its total after the
/// late penalty (a student with no submission of a notebook gets 0). The identity columns follow each system's own
/// export, which is its import format:
/// <list type="bullet">
/// <item>Canvas: <c>Student, ID, SIS User ID, SIS Login ID, Section</c>, then the assignments, and a second row
/// <c>Points Possible</c>. Canvas matches a row by ID, SIS User ID or SIS Login ID; a column named as an existing
/// assignment ("01-convolution (12345)", as Canvas exports it) updates it, a new name creates an assignment.
/// (Canvas guides: "How do I import grades in the Gradebook?"; the university guides that restate it list the five
/// identity columns as required.)</item>
/// <item>Moodle: the identity columns of Moodle's plain-text grade export (<c>First name, Last name, ID number,
/// Email address</c>), then one column per grade item; on import the TA maps a column to a user field ("ID number" to
/// useridnumber, or "Email address" to useremail) and each notebook column to a grade item. (MoodleDocs, "Grade
/// import": the import file format is the same as the export format.)</item>
/// </list>
/// A roster (the LMS's own gradebook export) fills the identity columns and the assignment column names; the roster
/// column that holds the course's student ids is found by matching them. Without a roster the student id goes to
/// SIS Login ID (Canvas) or ID number (Moodle).
/// </summary>
public static class LmsExport
{
    /// <summary>Canvas's identity columns, in its export's order.</summary>
    public static readonly string[] CanvasColumns = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"];

    /// <summary>Moodle's identity columns (of its plain-text export) that the export fills.</summary>
    public static readonly string[] MoodleColumns = ["First name", "Last name", "ID number", "Email address"];

    /// <summary>The CSV text, and what the TA should know (roster matches, students missing from the roster).</summary>
    /// <param name="format">Canvas or Moodle.</param>
    /// <param name="grades">The combined grades (<see cref="CourseGrades"/>).</param>
    /// <param name="notebooks">The TA's notebooks, for each notebook's points.</param>
    /// <param name="roster">The LMS's gradebook export as CSV text, or null.</param>
    /// <exception cref="FormatException">The roster has no header or no column holding the students' ids.</exception>
    public static (string Csv, IReadOnlyList<string> Notes) Write(LmsFormat format, IReadOnlyList<SubmissionResult> grades, IReadOnlyList<string> notebooks,
        string? roster = null)
    {
        var graded = grades.Where(r => r.Exercises.Count > 0).ToList();
        var maxPoints = notebooks.ToDictionary(n => Path.GetFileNameWithoutExtension(n), n =>
        {
            var doc = NotebookDocument.Load(n);
            return ExerciseMarkup.Parse(doc).Sum(e => e.Points) + WrittenAnswers.Parse(doc).Sum(a => a.Points);
        }, StringComparer.Ordinal);
        var columns = graded.Select(r => r.Notebook).Distinct().Where(maxPoints.ContainsKey).Order(StringComparer.Ordinal).ToList();
        var students = grades.Select(r => r.Student).Distinct().Order(StringComparer.Ordinal).ToList();
        var total = graded.GroupBy(r => (r.Student, r.Notebook)).ToDictionary(g => g.Key, g => g.Sum(r => r.FinalPoints));
        string[] identity = format == LmsFormat.Canvas ? CanvasColumns : MoodleColumns;
        string idColumn = format == LmsFormat.Canvas ? "SIS Login ID" : "ID number";
        var notes = new List<string>();

        var rosterRows = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var headers = columns.ToDictionary(c => c, c => c);
        var order = new List<string>();
        if (roster is not null)
        {
            var lines = roster.TrimStart('\uFEFF').Replace("\r\n", "\n").Split('\n').Where(l => l.Trim().Length > 0).ToList();
            if (lines.Count == 0) throw new FormatException("the roster is empty: expected the LMS's gradebook export, header first");
            var header = Csv.Split(lines[0]);
            var rows = lines.Skip(1).Select(Csv.Split).Where(r => !r[0].Trim().StartsWith("Points Possible", StringComparison.Ordinal)).ToList();
            int best = Enumerable.Range(0, header.Count).MaxBy(c => rows.Count(r => c < r.Count && students.Contains(r[c].Trim())));
            int matched = rows.Count(r => best < r.Count && students.Contains(r[best].Trim()));
            if (matched == 0)
                throw new FormatException($"no column of the roster holds the course's student ids (the submission folders' names, e.g. '{students.FirstOrDefault()}'); its columns: {string.Join(", ", header)}");
            notes.Add($"roster: students matched by its column '{header[best]}' ({matched} of {rows.Count} rows)");
            foreach (var row in rows.Where(r => best < r.Count))
            {
                string id = row[best].Trim();
                rosterRows[id] = Enumerable.Range(0, header.Count).ToDictionary(c => header[c], c => c < row.Count ? row[c] : "");
                order.Add(id);
            }
            // An existing assignment keeps the name the LMS gave it ("01-convolution (12345)" in Canvas).
            foreach (string c in columns)
                if (header.FirstOrDefault(h => h == c || h.StartsWith(c + " (", StringComparison.Ordinal) || h.Contains(": " + c, StringComparison.Ordinal)) is { } existing)
                    headers[c] = existing;
            foreach (string missing in students.Where(s => !rosterRows.ContainsKey(s)))
                notes.Add($"{missing} is not in the roster: exported with the id in '{idColumn}' only; the LMS will reject the row unless it knows that id");
            foreach (string absent in order.Where(s => !students.Contains(s)))
                notes.Add($"{absent} is in the roster but handed in nothing: exported with 0 points");
        }
        var everyone = order.Concat(students.Where(s => !order.Contains(s))).ToList();

        var csv = new StringBuilder();
        csv.AppendJoin(',', identity.Concat(columns.Select(c => headers[c])).Select(Csv.Text)).Append('\n');
        if (format == LmsFormat.Canvas)
            csv.AppendJoin(',', new[] { "Points Possible" }.Concat(Enumerable.Repeat("", identity.Length - 1)).Concat(columns.Select(c => maxPoints[c].ToString(System.Globalization.CultureInfo.InvariantCulture)))).Append('\n');
        foreach (string student in everyone)
        {
            var known = rosterRows.GetValueOrDefault(student);
            var cells = identity.Select(col => known is not null ? known.GetValueOrDefault(col, "") : col == idColumn ? student : col == "Student" ? student : "");
            csv.AppendJoin(',', cells.Select(Csv.Text).Concat(columns.Select(c => Csv.Number(total.GetValueOrDefault((student, c)))))).Append('\n');
        }
        return (csv.ToString(), notes);
    }
}

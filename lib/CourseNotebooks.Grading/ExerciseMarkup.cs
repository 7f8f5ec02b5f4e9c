using System.Text.RegularExpressions;

using CourseNotebooks.Host;

namespace CourseNotebooks.Grading;

/// <summary>
/// One exercise of a notebook as its markup declares it: a stable name, points, the APIs its solution must not
/// call, the cell the student edits, its public check cells and its hidden check cells.
/// </summary>
/// <param name="Name">Stable name (lower-case words joined by hyphens), the key of grading and feedback.</param>
/// <param name="Points">Points it is worth.</param>
/// <param name="Forbidden">APIs whose use in the solution region is flagged (e.g. "ConvArithmetic").</param>
/// <param name="ExerciseCell">The cell holding the solution region.</param>
/// <param name="Solution">The text between the solution markers.</param>
/// <param name="CheckCells">Public check cells (released).</param>
/// <param name="HiddenCells">Hidden check cells (never released).</param>
/// <param name="Groups">The groups of hidden checks, each earning its own points (one group with all the points
/// when the hidden cells declare none).</param>
public sealed record ExerciseSpec(string Name, int Points, IReadOnlyList<string> Forbidden, NotebookCell ExerciseCell, string Solution,
    IReadOnlyList<NotebookCell> CheckCells, IReadOnlyList<NotebookCell> HiddenCells, IReadOnlyList<ProbeGroup> Groups)
{
    /// <summary>
    /// The forbidden APIs whose name appears in the solution region as a whole identifier: a quick check for a TA
    /// writing the reference solution. Grading never uses it: a submission is judged on its compiled code
    /// (<see cref="CodeScreen"/>), where a name in a comment or a string counts for nothing.
    /// </summary>
    public IReadOnlyList<string> ForbiddenUses(string? solution = null)
    {
        string text = solution ?? Solution;
        return [.. Forbidden.Where(api => Regex.IsMatch(text, $@"(?<!\w){Regex.Escape(api)}(?!\w)"))];
    }

    /// <summary>True when the points are split over named groups (partial credit).</summary>
    public bool HasGroups => Groups.Count > 1 || Groups.Any(g => g.Label is not null);
}

/// <summary>
/// Hidden probes that earn points together: all of a group's probes must pass for its points. An exercise without
/// groups has one, unnamed, worth all its points (all or nothing).
/// </summary>
/// <param name="Label">The group's name as written after the exercise name (e.g. "edge cases"), or null.</param>
/// <param name="Points">Points the group earns.</param>
/// <param name="Cells">Its hidden cells.</param>
public sealed record ProbeGroup(string? Label, int Points, IReadOnlyList<NotebookCell> Cells)
{
    /// <summary>The group's key in results: its label, or "all" for an exercise without groups.</summary>
    public string Key => Label ?? "all";
}

/// <summary>
/// Reads the exercise markup of a notebook (the engine's Exercise documents it): cells are found by the marker on
/// their first line and the exercise name after it, never by position, so reordered or repeated cells read the
/// same. Text-level only: the host knows nothing of the engine.
/// </summary>
public static partial class ExerciseMarkup
{
    /// <summary>First-line prefix of an exercise cell: <c>// EXERCISE name (N points) [forbid: A, B]</c>.</summary>
    public const string ExerciseMarker = "// EXERCISE ";

    /// <summary>First-line prefix of a public check cell: <c>// CHECK name</c>.</summary>
    public const string CheckMarker = "// CHECK ";

    /// <summary>
    /// First-line prefix of a hidden check cell: <c>// HIDDEN name</c>, or <c>// HIDDEN name: group (N points)</c> for
    /// a group of probes worth its own points (partial credit; every hidden cell of that exercise then names a group,
    /// and the groups' points add up to the exercise's).
    /// </summary>
    public const string HiddenMarker = "// HIDDEN ";

    /// <summary>
    /// The exercises of <paramref name="notebook"/>, in the order of their exercise cells.
    /// </summary>
    /// <param name="notebook">A source notebook, or a student release.</param>
    /// <param name="released">True for a student release, which has no hidden checks and no solutions.</param>
    /// <exception cref="NotebookFormatException">A header does not parse, a name repeats, a check names no exercise,
    /// an exercise has no check or no hidden check, or its cell has not exactly one solution region.</exception>
    public static IReadOnlyList<ExerciseSpec> Parse(NotebookDocument notebook, bool released = false)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        string file = notebook.FilePath ?? notebook.Name;
        var headers = new List<(NotebookCell Cell, string Name, int Points, string[] Forbidden)>();
        var checks = new Dictionary<string, List<NotebookCell>>(StringComparer.Ordinal);
        var hidden = new Dictionary<string, List<NotebookCell>>(StringComparer.Ordinal);
        foreach (var cell in notebook.CodeCells)
        {
            string first = FirstLine(cell.Source);
            if (first.StartsWith(ExerciseMarker, StringComparison.Ordinal))
            {
                var m = Header().Match(first);
                if (!m.Success)
                    throw new NotebookFormatException(file, $"{cell.Label}: '{first}' is not '{ExerciseMarker}name (N points)' optionally followed by 'forbid: Api, Api'");
                string name = m.Groups["name"].Value;
                if (headers.Any(h => h.Name == name))
                    throw new NotebookFormatException(file, $"{cell.Label}: exercise '{name}' is declared twice");
                string[] forbidden = m.Groups["forbid"].Success
                    ? [.. m.Groups["forbid"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)]
                    : [];
                headers.Add((cell, name, int.Parse(m.Groups["points"].Value, System.Globalization.CultureInfo.InvariantCulture), forbidden));
            }
            else if (first.StartsWith(CheckMarker, StringComparison.Ordinal)) Add(checks, first[CheckMarker.Length..].Trim(), cell);
            else if (first.StartsWith(HiddenMarker, StringComparison.Ordinal)) Add(hidden, HiddenName(cell.Source)!, cell);
        }
        foreach (string name in checks.Keys.Concat(hidden.Keys).Where(n => headers.All(h => h.Name != n)).Distinct())
            throw new NotebookFormatException(file, $"a check cell names exercise '{name}', which no '{ExerciseMarker.Trim()}' cell declares");

        var result = new List<ExerciseSpec>();
        foreach (var (cell, name, points, forbidden) in headers)
        {
            if (!checks.TryGetValue(name, out var publicChecks))
                throw new NotebookFormatException(file, $"exercise '{name}' ({cell.Label}) has no '{CheckMarker}{name}' cell");
            if (!hidden.TryGetValue(name, out var hiddenChecks) && !released)
                throw new NotebookFormatException(file, $"exercise '{name}' ({cell.Label}) has no '{HiddenMarker}{name}' cell");
            hiddenChecks ??= [];
            result.Add(new ExerciseSpec(name, points, forbidden, cell, released ? "" : SolutionOf(cell, name, file), publicChecks, hiddenChecks,
                GroupsOf(name, points, hiddenChecks, file)));
        }
        return result;
    }

    private static IReadOnlyList<ProbeGroup> GroupsOf(string name, int points, IReadOnlyList<NotebookCell> cells, string file)
    {
        if (cells.Count == 0) return [new ProbeGroup(null, points, [])];
        var parsed = cells.Select(c => (Cell: c, Match: Hidden().Match(FirstLine(c.Source)))).ToList();
        var bad = parsed.FirstOrDefault(p => !p.Match.Success);
        if (bad.Cell is not null)
            throw new NotebookFormatException(file, $"{bad.Cell.Label}: '{FirstLine(bad.Cell.Source)}' is not '{HiddenMarker}name' optionally followed by ': group (N points)'");
        var grouped = parsed.Where(p => p.Match.Groups["group"].Success).ToList();
        if (grouped.Count == 0) return [new ProbeGroup(null, points, cells)];
        if (grouped.Count != parsed.Count)
            throw new NotebookFormatException(file, $"exercise '{name}': {grouped.Count} of its {parsed.Count} hidden cells name a group; name one in every hidden cell or in none");
        var groups = grouped.GroupBy(p => p.Match.Groups["group"].Value.Trim()).Select(g =>
        {
            var pointsOf = g.Select(p => int.Parse(p.Match.Groups["points"].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToList();
            if (pointsOf.Count != 1)
                throw new NotebookFormatException(file, $"exercise '{name}': the hidden cells of group '{g.Key}' give it different points ({string.Join(", ", pointsOf)})");
            return new ProbeGroup(g.Key, pointsOf[0], [.. g.Select(p => p.Cell)]);
        }).ToList();
        int total = groups.Sum(g => g.Points);
        if (total != points)
            throw new NotebookFormatException(file, $"exercise '{name}' is worth {points} points but its groups add up to {total} ({string.Join(", ", groups.Select(g => $"{g.Label}: {g.Points}"))})");
        return groups;
    }

    /// <summary>The group a hidden cell belongs to, or null when it names none.</summary>
    public static string? HiddenGroup(string cellSource) =>
        Hidden().Match(FirstLine(cellSource)) is { Success: true } m && m.Groups["group"].Success ? m.Groups["group"].Value.Trim() : null;

    /// <summary>True when the cell's first line marks it as a hidden check.</summary>
    public static bool IsHidden(string cellSource) => FirstLine(cellSource).StartsWith(HiddenMarker, StringComparison.Ordinal);

    /// <summary>The exercise name of an exercise cell (null for any other cell or a header that does not parse).</summary>
    public static string? ExerciseName(string cellSource) =>
        Header().Match(FirstLine(cellSource)) is { Success: true } m ? m.Groups["name"].Value : null;

    /// <summary>The exercise a public check cell belongs to (null for any other cell).</summary>
    public static string? CheckName(string cellSource) => NameAfter(cellSource, CheckMarker);

    /// <summary>The exercise a hidden check cell belongs to (null for any other cell).</summary>
    public static string? HiddenName(string cellSource) =>
        NameAfter(cellSource, HiddenMarker) is { } rest ? rest.Split(':')[0].Trim() : null;

    private static string? NameAfter(string cellSource, string marker)
    {
        string first = FirstLine(cellSource);
        return first.StartsWith(marker, StringComparison.Ordinal) ? first[marker.Length..].Trim() : null;
    }

    private static void Add(Dictionary<string, List<NotebookCell>> cells, string name, NotebookCell cell)
    {
        if (!cells.TryGetValue(name, out var list)) cells[name] = list = [];
        list.Add(cell);
    }

    private static string SolutionOf(NotebookCell cell, string name, string file)
    {
        var lines = cell.Source.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        int[] begins = [.. Enumerable.Range(0, lines.Length).Where(i => lines[i].Trim() == StudentRelease.BeginSolution)];
        int[] ends = [.. Enumerable.Range(0, lines.Length).Where(i => lines[i].Trim() == StudentRelease.EndSolution)];
        if (begins.Length != 1 || ends.Length != 1 || ends[0] < begins[0])
            throw new NotebookFormatException(file, $"exercise '{name}' ({cell.Label}) needs exactly one solution region, found {begins.Length} '{StudentRelease.BeginSolution}' and {ends.Length} '{StudentRelease.EndSolution}'");
        return string.Join("\n", lines[(begins[0] + 1)..ends[0]]);
    }

    private static string FirstLine(string source)
        => source.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";

    [GeneratedRegex(@"^// HIDDEN (?<name>[a-z0-9]+(?:-[a-z0-9]+)*)(?::\s*(?<group>[^()]+?)\s*\((?<points>[0-9]+) points?\))?$")]
    private static partial Regex Hidden();

    [GeneratedRegex(@"^// EXERCISE (?<name>[a-z0-9]+(?:-[a-z0-9]+)*) \((?<points>[0-9]+) points?\)(?:\s+forbid:\s*(?<forbid>.+))?$")]
    private static partial Regex Header();
}

using System.Net;
using System.Text;
using System.Text.Json;
using CourseNotebooks.Host;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace CourseNotebooks.Grading;

/// <summary>Settings of the similarity report.</summary>
/// <param name="K">Tokens per k-gram (the noise threshold: shared runs shorter than this are never seen).</param>
/// <param name="Window">Winnowing window, in k-grams: any shared run of at least Window + K - 1 tokens is found.</param>
/// <param name="MinScore">A pair is listed when its shared fingerprints are at least this share of the smaller submission's.</param>
/// <param name="MinShared">... and at least this many (short answers that every correct solution shares are not listed).</param>
/// <param name="CommonShare">Fingerprints found in more than this share of an exercise's submissions (and in more than
/// two) are ignored, as MOSS ignores code most of the class has: the lecture's idiom, not a copy.</param>
public sealed record SimilarityOptions(int K = 6, int Window = 5, double MinScore = 0.5, int MinShared = 6, double CommonShare = 0.2);

/// <summary>A pair of submissions of one exercise that share an unusual part of their code.</summary>
/// <param name="Notebook">The notebook.</param>
/// <param name="Exercise">The exercise.</param>
/// <param name="StudentA">One student (the first by id).</param>
/// <param name="StudentB">The other.</param>
/// <param name="Score">Shared fingerprints over the smaller submission's fingerprints, 0 to 1.</param>
/// <param name="Shared">Shared fingerprints.</param>
/// <param name="Matches">The shared passages, line ranges side by side (1-based lines of each student's cell).</param>
public sealed record SimilarPair(string Notebook, string Exercise, string StudentA, string StudentB, double Score, int Shared,
    IReadOnlyList<SharedPassage> Matches);

/// <summary>A passage two submissions share: lines of A's cell and of B's, with their text.</summary>
public sealed record SharedPassage(int FromA, int ToA, string TextA, int FromB, int ToB, string TextB);

/// <summary>
/// The similarity report: per exercise, pairs of submissions whose normalised code shares an unusual fraction of
/// fingerprints, found by winnowing as MOSS does (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for
/// document fingerprinting", SIGMOD 2003). For the TA to read, never a penalty: a listed pair is a question, and
/// short exercises have few ways to be right.
/// </summary>
/// <remarks>
/// <para>Normalising: the student's cell is split into C# tokens (Roslyn's lexer), which drops comments and white
/// space; every identifier becomes one token <c>id</c> and every string or character literal <c>str</c>, so renamed
/// variables, reformatting and rewritten comments change nothing. Keywords, operators and numbers stay.</para>
/// <para>Fingerprints: the hash of every run of <see cref="SimilarityOptions.K"/> tokens; in each window of
/// <see cref="SimilarityOptions.Window"/> consecutive hashes the smallest is kept (the rightmost on ties), each kept
/// position once. Removed before pairs are compared: the fingerprints of the released stub (the cell as the
/// release has it: signature and placeholder) and those most of the class shares.</para>
/// </remarks>
public static class Similarity
{
    /// <summary>The pairs above the thresholds, by notebook, exercise and score.</summary>
    /// <param name="work">The submissions' cells (<see cref="SubmittedWork"/>).</param>
    /// <param name="notebooks">The TA's notebooks (for each exercise's released stub).</param>
    /// <param name="options">Thresholds.</param>
    public static IReadOnlyList<SimilarPair> Find(IReadOnlyList<SubmittedWork> work, IReadOnlyList<string> notebooks, SimilarityOptions? options = null)
    {
        options ??= new SimilarityOptions();
        var pairs = new List<SimilarPair>();
        foreach (string path in notebooks)
        {
            string notebook = Path.GetFileNameWithoutExtension(path);
            foreach (var spec in ExerciseMarkup.Parse(NotebookDocument.Load(path)))
            {
                var stub = Fingerprints(StudentRelease.StripSolutions(spec.ExerciseCell.Source, notebook), options).Select(f => f.Hash).ToHashSet();
                var answered = work.Where(w => w.Notebook == notebook)
                    .Select(w => (w.Student, Cell: w.Cell(spec.Name)))
                    .Where(x => x.Cell is { Present: true } c && !c.Source.Contains(StudentRelease.Placeholder, StringComparison.Ordinal))
                    .Select(x => (x.Student, Source: x.Cell!.Source, Prints: Fingerprints(x.Cell.Source, options).Where(f => !stub.Contains(f.Hash)).ToList()))
                    .ToList();
                pairs.AddRange(Compare(notebook, spec.Name, answered, options));
            }
        }
        return pairs;
    }

    /// <summary>Pairs of one exercise's submissions above the thresholds, best first.</summary>
    internal static IEnumerable<SimilarPair> Compare(string notebook, string exercise, IReadOnlyList<(string Student, string Source, List<Fingerprint> Prints)> answered,
        SimilarityOptions options)
    {
        int limit = Math.Max(2, (int)Math.Floor(options.CommonShare * answered.Count));
        var frequency = answered.SelectMany(a => a.Prints.Select(f => f.Hash).Distinct()).CountBy(h => h).ToDictionary(kv => kv.Key, kv => kv.Value);
        var kept = answered.Select(a => (a.Student, a.Source, Prints: a.Prints.Where(f => frequency[f.Hash] <= limit).ToList())).ToList();
        var found = new List<SimilarPair>();
        for (int i = 0; i < kept.Count; i++)
            for (int j = i + 1; j < kept.Count; j++)
            {
                var (a, b) = string.CompareOrdinal(kept[i].Student, kept[j].Student) < 0 ? (kept[i], kept[j]) : (kept[j], kept[i]);
                var hashesA = a.Prints.Select(f => f.Hash).ToHashSet();
                var hashesB = b.Prints.Select(f => f.Hash).ToHashSet();
                int smaller = Math.Min(hashesA.Count, hashesB.Count);
                if (smaller == 0) continue;
                var shared = hashesA.Intersect(hashesB).ToHashSet();
                double score = shared.Count / (double)smaller;
                if (shared.Count < options.MinShared || score < options.MinScore) continue;
                found.Add(new SimilarPair(notebook, exercise, a.Student, b.Student, score, shared.Count, Passages(a.Source, a.Prints, b.Source, b.Prints, shared)));
            }
        return found.OrderByDescending(p => p.Score).ThenBy(p => p.StudentA, StringComparer.Ordinal);
    }

    /// <summary>One kept fingerprint: its hash and the lines of the k-gram it stands for.</summary>
    internal readonly record struct Fingerprint(ulong Hash, int FirstLine, int LastLine);

    /// <summary>The winnowed fingerprints of a cell's code (see the remarks of <see cref="Similarity"/>).</summary>
    internal static List<Fingerprint> Fingerprints(string source, SimilarityOptions options)
    {
        var tokens = Normalise(source);
        var grams = new List<Fingerprint>();
        for (int i = 0; i + options.K <= tokens.Count; i++)
        {
            ulong hash = 14695981039346656037UL;   // FNV-1a over the k-gram's tokens
            for (int t = i; t < i + options.K; t++)
            {
                foreach (char c in tokens[t].Text) hash = (hash ^ c) * 1099511628211UL;
                hash = (hash ^ 0x1F) * 1099511628211UL;
            }
            grams.Add(new Fingerprint(hash, tokens[i].Line, tokens[i + options.K - 1].Line));
        }
        var kept = new List<Fingerprint>();
        int lastKept = -1;
        int windows = grams.Count == 0 ? 0 : Math.Max(1, grams.Count - options.Window + 1);
        for (int start = 0; start < windows; start++)
        {
            int best = start;
            for (int g = start; g < Math.Min(grams.Count, start + options.Window); g++)
                if (grams[g].Hash <= grams[best].Hash) best = g;
            if (best != lastKept) kept.Add(grams[best]);
            lastKept = best;
        }
        return kept;
    }

    /// <summary>The cell's tokens with identifiers and text literals abstracted, each with its 1-based line.</summary>
    internal static List<(string Text, int Line)> Normalise(string source)
    {
        var tokens = new List<(string, int)>();
        var options = new CSharpParseOptions(kind: SourceCodeKind.Script);
        string code = source.Replace("\r\n", "\n");
        var lines = Microsoft.CodeAnalysis.Text.SourceText.From(code).Lines;
        foreach (var token in SyntaxFactory.ParseTokens(code, options: options))
        {
            if (token.IsKind(SyntaxKind.EndOfFileToken)) break;
            string text = token.Kind() switch
            {
                SyntaxKind.IdentifierToken => "id",
                SyntaxKind.StringLiteralToken or SyntaxKind.CharacterLiteralToken or SyntaxKind.InterpolatedStringStartToken
                    or SyntaxKind.InterpolatedStringTextToken or SyntaxKind.SingleLineRawStringLiteralToken or SyntaxKind.MultiLineRawStringLiteralToken => "str",
                _ => token.Text,
            };
            if (text.Length == 0) continue;
            tokens.Add((text, lines.GetLineFromPosition(token.SpanStart).LineNumber + 1));
        }
        return tokens;
    }

    /// <summary>The shared passages: each shared fingerprint's lines in A and in B, overlapping ranges merged, in A's order.</summary>
    private static List<SharedPassage> Passages(string sourceA, List<Fingerprint> printsA, string sourceB, List<Fingerprint> printsB, HashSet<ulong> shared)
    {
        var linesA = sourceA.Replace("\r\n", "\n").Split('\n');
        var linesB = sourceB.Replace("\r\n", "\n").Split('\n');
        var firstInB = new Dictionary<ulong, Fingerprint>();
        foreach (var f in printsB.Where(f => shared.Contains(f.Hash))) firstInB.TryAdd(f.Hash, f);
        var ranges = new List<(int FromA, int ToA, int FromB, int ToB)>();
        foreach (var f in printsA.Where(f => shared.Contains(f.Hash)).OrderBy(f => f.FirstLine))
        {
            var g = firstInB[f.Hash];
            if (ranges.Count > 0 && f.FirstLine <= ranges[^1].ToA + 1 && g.FirstLine <= ranges[^1].ToB + 1 && g.LastLine >= ranges[^1].FromB - 1)
                ranges[^1] = (ranges[^1].FromA, Math.Max(ranges[^1].ToA, f.LastLine), Math.Min(ranges[^1].FromB, g.FirstLine), Math.Max(ranges[^1].ToB, g.LastLine));
            else ranges.Add((f.FirstLine, f.LastLine, g.FirstLine, g.LastLine));
        }
        return [.. ranges.Select(r => new SharedPassage(r.FromA, r.ToA, Lines(linesA, r.FromA, r.ToA), r.FromB, r.ToB, Lines(linesB, r.FromB, r.ToB)))];
    }

    private static string Lines(string[] lines, int from, int to) => string.Join("\n", lines[(from - 1)..Math.Min(lines.Length, to)]);

    /// <summary>Writes similarity.json and similarity.html (every student string escaped) to the grading folder.</summary>
    public static void Write(IReadOnlyList<SimilarPair> pairs, IReadOnlyList<SubmittedWork> work, string gradingFolder, SimilarityOptions options)
    {
        AtomicFile.WriteAllText(Path.Combine(gradingFolder, "similarity.json"), JsonSerializer.Serialize(pairs, new JsonSerializerOptions { WriteIndented = true }));
        static string H(string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Similarity report</title>
            <style>body { font-family: system-ui, sans-serif; max-width: 80rem; margin: 2rem auto; padding: 0 1rem; }
            table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #d0d7de; padding: .2rem .5rem; vertical-align: top; }
            pre { margin: 0; white-space: pre-wrap; font-size: .85rem; } .note { color: #57606a; }</style>
            </head><body><h1>Similarity report</h1>
            """);
        html.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"<p class=\"note\">Pairs of submissions of one exercise whose code, with comments, white space and names set aside, shares at least {options.MinScore:P0} of the smaller one's fingerprints (and at least {options.MinShared}); the released stub and code more than {options.CommonShare:P0} of the class shares are left out. A listed pair is a question for a TA, not a finding: short exercises have few ways to be right. No score is changed by this report.</p>");
        var submissions = work.GroupBy(w => w.Notebook).ToDictionary(g => g.Key, g => g.Count());
        if (pairs.Count == 0) html.Append("<p>No pair above the thresholds.</p>");
        foreach (var exercise in pairs.GroupBy(p => (p.Notebook, p.Exercise)))
        {
            html.Append($"<h2>{H(exercise.Key.Notebook)} / {H(exercise.Key.Exercise)}: {exercise.Count()} pair(s) of {submissions.GetValueOrDefault(exercise.Key.Notebook)} submissions</h2>");
            foreach (var pair in exercise)
            {
                html.Append(System.Globalization.CultureInfo.InvariantCulture, $"<h3>{H(pair.StudentA)} and {H(pair.StudentB)}: {pair.Score:P0} ({pair.Shared} shared fingerprints)</h3>");
                html.Append($"<table><tr><th>{H(pair.StudentA)}</th><th>{H(pair.StudentB)}</th></tr>");
                foreach (var m in pair.Matches)
                    html.Append($"<tr><td>lines {m.FromA}-{m.ToA}<pre>{H(m.TextA)}</pre></td><td>lines {m.FromB}-{m.ToB}<pre>{H(m.TextB)}</pre></td></tr>");
                html.Append("</table>");
            }
        }
        AtomicFile.WriteAllText(Path.Combine(gradingFolder, "similarity.html"), html.Append("</body></html>\n").ToString());
    }
}

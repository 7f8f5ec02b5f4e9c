using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Convolution;

/// <summary>
/// One product in a single-channel convolution: weight w_Weight times input a_Input contributes to output z_Output
/// (all 1-based, row-major, as on the slides). The forward pass and both gradients are sums over these triples.
/// Introduced in notebook 03-backprop-conv.
/// </summary>
/// <param name="Weight">i in w_i, 1..KH*KW.</param>
/// <param name="Input">j in a_j, 1..H*W.</param>
/// <param name="Output">k in z_k, 1..OH*OW.</param>
public readonly record struct ConvTerm(int Weight, int Input, int Output);

/// <summary>Which equation a slide line states. Introduced in notebook 03-backprop-conv.</summary>
public enum SlideLineKind
{
    /// <summary><c>z_k = sum of w_i a_j</c>; terms are (weight, input) pairs.</summary>
    Output,

    /// <summary><c>dL/dw_i = sum of a_j dL/dz_k</c>; terms are (input, output) pairs.</summary>
    WeightGradient,

    /// <summary><c>dL/da_j = sum of w_i dL/dz_k</c>; terms are (weight, output) pairs.</summary>
    InputGradient,
}

/// <summary>
/// One equation as written on a slide, in structured form: e.g. dL/dw7 = a11 dz1 + a3 dz2 is
/// (WeightGradient, 7, [(11, 1), (3, 2)]). Built directly or by <see cref="ConvSymbolic.Parse"/>.
/// Introduced in notebook 03-backprop-conv.
/// </summary>
/// <param name="Kind">Which equation.</param>
/// <param name="Index">k of z_k, i of w_i or j of a_j.</param>
/// <param name="Terms">The pairs in the order written; their meaning depends on <paramref name="Kind"/>.</param>
/// <param name="Partial">True when the slide elides terms ("\dots"): missing terms are then not reported.</param>
public sealed record SlideLine(SlideLineKind Kind, int Index, IReadOnlyList<(int First, int Second)> Terms, bool Partial = false);

/// <summary>A term whose key matches but whose partner differs, e.g. key z3: derivation a11, slide a1. Introduced in notebook 03-backprop-conv.</summary>
/// <param name="Key">The index that identifies the term: the w of a z line, the z of a gradient line.</param>
/// <param name="Expected">The partner the derivation gives (an a for z and dL/dw lines, a w for dL/da lines).</param>
/// <param name="Actual">The partner the slide writes.</param>
public sealed record TermMismatch(int Key, int Expected, int Actual);

/// <summary>
/// How a slide line differs from the derivation. Each term is identified by its key (the w in a z line; the z in a
/// gradient line: a weight meets each output at most once, and an input meets each output through one weight).
/// Introduced in notebook 03-backprop-conv.
/// </summary>
/// <param name="Line">The slide line compared.</param>
/// <param name="Wrong">Keys present on both sides with a different partner.</param>
/// <param name="Extra">Slide terms whose key the derivation does not have (First, Second as written).</param>
/// <param name="Missing">Derivation terms whose key the slide lacks (empty for partial lines).</param>
public sealed record LineComparison(SlideLine Line, IReadOnlyList<TermMismatch> Wrong, IReadOnlyList<(int First, int Second)> Extra,
    IReadOnlyList<(int First, int Second)> Missing)
{
    /// <summary>True when nothing differs.</summary>
    public bool IsCorrect => Wrong.Count == 0 && Extra.Count == 0 && Missing.Count == 0;

    /// <summary>A one-line erratum in plain text, e.g. "dL/dw1: dz3 multiplies a11, the slide has a1".</summary>
    public string Describe()
    {
        var (head, keyName, partnerName, first, second) = ConvSymbolic.Names(Line.Kind);
        var parts = new List<string>();
        foreach (var m in Wrong)
            parts.Add(Line.Kind == SlideLineKind.Output
                ? $"w{m.Key} multiplies a{m.Expected}, the slide has a{m.Actual}"
                : $"d{keyName}{m.Key} multiplies {partnerName}{m.Expected}, the slide has {partnerName}{m.Actual}");
        foreach (var t in Extra) parts.Add($"the slide's term {first}{t.First} {second}{t.Second} does not occur");
        foreach (var t in Missing) parts.Add($"the term {first}{t.First} {second}{t.Second} is missing");
        return $"{head}{Line.Index}: " + (parts.Count == 0 ? "correct" : string.Join("; ", parts));
    }
}

/// <summary>
/// The forward pass and the backward pass of one single-channel convolution, symbolically, in the slides' names:
/// input a_1..a_{H W} and weights w_1..w_{KH KW} row-major, outputs z_1..z_{OH OW}. From the triples
/// (w_i, a_j, z_k) it lists z_k = sum w_i a_j, dL/dw_i = sum a_j dL/dz_k and dL/da_j = sum w_i dL/dz_k, renders them
/// in LaTeX as the slides write them, and compares slide lines with the derivation (notebook 03-backprop-conv uses
/// this to list the slides' errata). Built by <see cref="ConvSymbolic.Derive"/>.
/// Introduced in notebook 03-backprop-conv.
/// </summary>
public sealed class ConvDerivation
{
    internal ConvDerivation(int height, int width, int kernelHeight, int kernelWidth, int stride, int padding, int outputHeight,
        int outputWidth, IReadOnlyList<ConvTerm> terms)
    {
        (Height, Width, KernelHeight, KernelWidth, Stride, Padding) = (height, width, kernelHeight, kernelWidth, stride, padding);
        (OutputHeight, OutputWidth, Terms) = (outputHeight, outputWidth, terms);
    }

    /// <summary>H.</summary>
    public int Height { get; }

    /// <summary>W.</summary>
    public int Width { get; }

    /// <summary>KH.</summary>
    public int KernelHeight { get; }

    /// <summary>KW.</summary>
    public int KernelWidth { get; }

    /// <summary>Stride in both dimensions.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on each side (padded positions contribute no term).</summary>
    public int Padding { get; }

    /// <summary>OH.</summary>
    public int OutputHeight { get; }

    /// <summary>OW.</summary>
    public int OutputWidth { get; }

    /// <summary>Every product w_i a_j that feeds some z_k, ordered by k then i.</summary>
    public IReadOnlyList<ConvTerm> Terms { get; }

    /// <summary>z_k's terms as (weight i, input j), by i.</summary>
    public IReadOnlyList<(int Weight, int Input)> OutputTerms(int k)
        => [.. Terms.Where(t => t.Output == Check(k, OutputHeight * OutputWidth, "output")).OrderBy(t => t.Weight).Select(t => (t.Weight, t.Input))];

    /// <summary>dL/dw_i's terms as (input j, output k), by k.</summary>
    public IReadOnlyList<(int Input, int Output)> WeightGradientTerms(int i)
        => [.. Terms.Where(t => t.Weight == Check(i, KernelHeight * KernelWidth, "weight")).OrderBy(t => t.Output).Select(t => (t.Input, t.Output))];

    /// <summary>dL/da_j's terms as (weight i, output k), by k (empty for an input no window covers).</summary>
    public IReadOnlyList<(int Weight, int Output)> InputGradientTerms(int j)
        => [.. Terms.Where(t => t.Input == Check(j, Height * Width, "input")).OrderBy(t => t.Output).Select(t => (t.Weight, t.Output))];

    /// <summary>
    /// <c>z_k = w_1 \times a_1 + ...</c>. With <paramref name="shownTerms"/> the line is shortened as on the slides: the
    /// first terms, then <c>\dots</c> and the last term.
    /// </summary>
    public string OutputLatex(int k, int? shownTerms = null)
    {
        var terms = OutputTerms(k).Select(t => $"w{Sub(t.Weight)} \\times a{Sub(t.Input)}").ToList();
        string rhs = shownTerms is int n && n + 1 < terms.Count
            ? string.Join(" + ", terms.Take(n)) + " \\dots " + terms[^1]
            : Sum(terms);
        return $"z{Sub(k)} = {rhs}";
    }

    /// <summary><c>\frac{\partial L}{\partial w_i} = a_j \frac{\partial L}{\partial z_k} + ...</c>, as on the slides.</summary>
    public string WeightGradientLatex(int i) => WeightGradientLatex(i, " = ");

    /// <summary><c>\frac{\partial L}{\partial a_j} = w_i \frac{\partial L}{\partial z_k} + ...</c> (0 when a_j feeds no output).</summary>
    public string InputGradientLatex(int j) => InputGradientLatex(j, " = ");

    /// <summary>All z_k lines in one <c>aligned</c> environment.</summary>
    public string OutputBlock()
        => Aligned(Enumerable.Range(1, OutputHeight * OutputWidth).Select(k => OutputLatex(k).Replace(" = ", " &= ", StringComparison.Ordinal)));

    /// <summary>All dL/dw_i lines in one <c>aligned</c> environment, in the slides' layout.</summary>
    public string WeightGradientBlock()
        => Aligned(Enumerable.Range(1, KernelHeight * KernelWidth).Select(i => WeightGradientLatex(i, " &= ")));

    /// <summary>All dL/da_j lines in one <c>aligned</c> environment.</summary>
    public string InputGradientBlock()
        => Aligned(Enumerable.Range(1, Height * Width).Select(j => InputGradientLatex(j, " &= ")));

    /// <summary>Compares a slide line with the derivation (see <see cref="LineComparison"/>).</summary>
    public LineComparison Compare(SlideLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        // Each line is a map key -> partner: z_k: w -> a; dL/dw_i: z -> a; dL/da_j: z -> w.
        Dictionary<int, int> truth = line.Kind switch
        {
            SlideLineKind.Output => OutputTerms(line.Index).ToDictionary(t => t.Weight, t => t.Input),
            SlideLineKind.WeightGradient => WeightGradientTerms(line.Index).ToDictionary(t => t.Output, t => t.Input),
            _ => InputGradientTerms(line.Index).ToDictionary(t => t.Output, t => t.Weight),
        };
        bool keyFirst = line.Kind == SlideLineKind.Output;
        var wrong = new List<TermMismatch>();
        var extra = new List<(int, int)>();
        var seen = new HashSet<int>();
        foreach (var (first, second) in line.Terms)
        {
            int key = keyFirst ? first : second, partner = keyFirst ? second : first;
            seen.Add(key);
            if (!truth.TryGetValue(key, out int expected)) extra.Add((first, second));
            else if (expected != partner) wrong.Add(new TermMismatch(key, expected, partner));
        }
        var missing = line.Partial
            ? []
            : truth.Where(kv => !seen.Contains(kv.Key)).OrderBy(kv => kv.Key)
                .Select(kv => keyFirst ? (kv.Key, kv.Value) : (kv.Value, kv.Key)).ToList();
        return new LineComparison(line, wrong, extra, missing);
    }

    /// <summary>The lines of <paramref name="lines"/> that differ from the derivation.</summary>
    public IReadOnlyList<LineComparison> Errata(IEnumerable<SlideLine> lines)
        => [.. lines.Select(Compare).Where(c => !c.IsCorrect)];

    private string WeightGradientLatex(int i, string equals)
        => $"{Partial("w", i)}{equals}{Sum(WeightGradientTerms(i).Select(t => $"a{Sub(t.Input)} {Partial("z", t.Output)}"))}";

    private string InputGradientLatex(int j, string equals)
        => $"{Partial("a", j)}{equals}{Sum(InputGradientTerms(j).Select(t => $"w{Sub(t.Weight)} {Partial("z", t.Output)}"))}";

    private static string Aligned(IEnumerable<string> lines) => "\\begin{aligned} " + string.Join(" \\\\ ", lines) + " \\end{aligned}";

    private static string Sum(IEnumerable<string> terms)
    {
        var text = string.Join(" + ", terms);
        return text.Length == 0 ? "0" : text;
    }

    private static string Partial(string symbol, int index) => $"\\frac{{\\partial L}}{{\\partial {symbol}{Sub(index)}}}";

    // The slides write a_1 but a_{11}: braces only where LaTeX needs them, so the text matches theirs exactly.
    private static string Sub(int index) => index < 10 ? $"_{index}" : $"_{{{index}}}";

    private static int Check(int index, int count, string what)
    {
        if (index < 1 || index > count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"ConvDerivation: {what} index must be in 1..{count}, got {index}.");
        return index;
    }
}

/// <summary>
/// Symbolic convolution in the slides' naming (see <see cref="ConvDerivation"/>) and a reader for slide lines.
/// Introduced in notebook 03-backprop-conv.
/// </summary>
public static partial class ConvSymbolic
{
    /// <summary>
    /// The triples (w_i, a_j, z_k) of a single-channel convolution of an H x W input with a KH x KW kernel.
    /// The slides' example is <c>Derive(5, 5, 3, 3, stride: 2)</c>: z_1 = w_1 a_1 + w_2 a_2 + ... + w_9 a_13.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the padding is negative.</exception>
    /// <exception cref="ArgumentException">The input is smaller than the kernel.</exception>
    public static ConvDerivation Derive(int height, int width, int kernelHeight, int kernelWidth, int stride = 1, int padding = 0)
    {
        const string who = "ConvSymbolic.Derive";
        ShapeCheck.Positive(who, "height", height);
        ShapeCheck.Positive(who, "width", width);
        ShapeCheck.Positive(who, "kernel height", kernelHeight);
        ShapeCheck.Positive(who, "kernel width", kernelWidth);
        ShapeCheck.Positive(who, "stride", stride);
        ShapeCheck.NonNegative(who, "padding", padding);
        int oh = ConvArithmetic.OutputSize(who, "input height", height, kernelHeight, stride, padding, 1);
        int ow = ConvArithmetic.OutputSize(who, "input width", width, kernelWidth, stride, padding, 1);
        var terms = new List<ConvTerm>();
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
                for (int kh = 0; kh < kernelHeight; kh++)
                    for (int kw = 0; kw < kernelWidth; kw++)
                    {
                        int ih = i * stride - padding + kh, iw = j * stride - padding + kw;
                        if ((uint)ih >= (uint)height || (uint)iw >= (uint)width) continue;
                        terms.Add(new ConvTerm(kh * kernelWidth + kw + 1, ih * width + iw + 1, i * ow + j + 1));
                    }
        return new ConvDerivation(height, width, kernelHeight, kernelWidth, stride, padding, oh, ow, terms);
    }

    /// <summary>
    /// Reads one slide line, in plain text ("dL/dw7 = a11 dz1 + a3 dz2", "z4 = w1 a13 + ... + w9 a23",
    /// "dL/da7 = w2 dz1 + w5 dz1") or in the slides' LaTeX (<c>\frac{\partial L}{\partial w_7} = a_{11} \frac{\partial L}{\partial z_1} + ...</c>,
    /// <c>z_4 = w_1 \times a_{13} + ... \dots w_9 \times a_{23}</c>). "\dots" or "..." marks the line as partial.
    /// </summary>
    /// <exception cref="FormatException">The line is not of one of the three forms; the message quotes it.</exception>
    public static SlideLine Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string text = Normalize(line);
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0) throw new FormatException($"ConvSymbolic.Parse: expected 'lhs = rhs', got \"{line}\".");
        var lhs = Symbol().Matches(text[..eq]);
        if (lhs.Count != 1) throw new FormatException($"ConvSymbolic.Parse: expected one of z_k, dL/dw_i, dL/da_j on the left, got \"{line}\".");
        var (kind, expectFirst, expectSecond) = (lhs[0].Groups["d"].Success, lhs[0].Groups["s"].Value) switch
        {
            (false, "z") => (SlideLineKind.Output, "w", "a"),
            (true, "w") => (SlideLineKind.WeightGradient, "a", "dz"),
            (true, "a") => (SlideLineKind.InputGradient, "w", "dz"),
            _ => throw new FormatException($"ConvSymbolic.Parse: the left side must be z_k, dL/dw_i or dL/da_j, got \"{line}\"."),
        };
        string rhs = text[(eq + 1)..];
        bool partial = rhs.Contains("...", StringComparison.Ordinal);
        var terms = new List<(int, int)>();
        foreach (var chunk in rhs.Replace("...", "+", StringComparison.Ordinal).Split('+'))
        {
            var symbols = Symbol().Matches(chunk);
            if (symbols.Count == 0) continue;
            string Name(Match m) => (m.Groups["d"].Success ? "d" : "") + m.Groups["s"].Value;
            if (symbols.Count != 2 || Name(symbols[0]) != expectFirst || Name(symbols[1]) != expectSecond)
                throw new FormatException(
                    $"ConvSymbolic.Parse: each term of this line must be '{expectFirst}N {expectSecond}M', got \"{chunk.Trim()}\" in \"{line}\".");
            terms.Add((Number(symbols[0]), Number(symbols[1])));
        }
        return new SlideLine(kind, Number(lhs[0]), terms, partial);
    }

    /// <summary>Reads every line of an <c>aligned</c> block (lines separated by <c>\\</c>), or newline-separated text lines.</summary>
    public static IReadOnlyList<SlideLine> ParseLines(string block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var body = block.Replace("\\begin{aligned}", "", StringComparison.Ordinal).Replace("\\end{aligned}", "", StringComparison.Ordinal);
        return [.. body.Split(["\\\\", "\n"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Replace("$", "", StringComparison.Ordinal).Length > 0).Select(Parse)];
    }

    /// <summary>Display pieces for a line kind: head ("dL/dw"), key and partner names and the term's two symbols.</summary>
    internal static (string Head, string KeyName, string PartnerName, string First, string Second) Names(SlideLineKind kind) => kind switch
    {
        SlideLineKind.Output => ("z", "w", "a", "w", "a"),
        SlideLineKind.WeightGradient => ("dL/dw", "z", "a", "a", "dz"),
        _ => ("dL/da", "z", "w", "w", "dz"),
    };

    /// <summary>Turns the slides' LaTeX into the plain form: "\frac{\partial L}{\partial z_1}" becomes "dz1", "a_{11}" becomes "a11".</summary>
    private static string Normalize(string line)
    {
        var text = LatexPartial().Replace(line, m => $" dL/d{m.Groups[1].Value}{m.Groups[2].Value} ");
        text = LatexIndex().Replace(text, m => $"{m.Groups[1].Value}{m.Groups[2].Value}");
        var sb = new StringBuilder(text);
        foreach (var noise in new[] { "\\times", "&", "$", "\\cdot", "*" }) sb.Replace(noise, " ");
        foreach (var dots in new[] { "\\ldots", "\\cdots", "\\dots", "…" }) sb.Replace(dots, "...");
        return sb.ToString();
    }

    private static int Number(Match m) => int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);

    // "dL/dw7", "dz1" (d prefix), "a11", "w9", "z4".
    [GeneratedRegex(@"(?<d>dL/d|d)?(?<s>[wza])(?<n>\d+)")]
    private static partial Regex Symbol();

    [GeneratedRegex(@"\\frac\s*\{\s*\\partial\s+L\s*\}\s*\{\s*\\partial\s+([wza])_\{?(\d+)\}?\s*\}")]
    private static partial Regex LatexPartial();

    [GeneratedRegex(@"([wza])_\{?(\d+)\}?")]
    private static partial Regex LatexIndex();
}

using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace CourseNotebooks.Host;

/// <summary>
/// What a report page needs to draw on its own, with no network: plotly.js for charts (supplied by whoever writes
/// the report, since the host knows no chart library) and the KaTeX formula renderer, which the host carries.
/// </summary>
/// <param name="PlotlyJavaScript">The plotly.js source that draws outputs of mime type
/// <see cref="HtmlReportWriter.PlotlyMimeType"/>; null when the writer has none, and such charts then fall back to
/// their HTML form, which loads plotly.js from the internet.</param>
public sealed record ReportAssets(string? PlotlyJavaScript = null)
{
    /// <summary>No plotly.js: charts use their own HTML.</summary>
    public static ReportAssets None { get; } = new();
}

/// <summary>
/// The KaTeX files vendored by environment/vendor-katex into Report/katex and embedded in this assembly: the
/// script, its auto-render extension, and the stylesheet with every font inlined as a data URI, so a page that
/// includes them asks nothing of the network.
/// </summary>
internal static partial class Katex
{
    private static readonly Lazy<string> LazyStyle = new(InlineFonts);

    /// <summary>The KaTeX version, from the vendored VERSION file.</summary>
    public static string Version => Resource("VERSION").Trim();

    /// <summary>katex.min.js followed by auto-render.min.js.</summary>
    public static string Script => Resource("katex.min.js") + "\n" + Resource("auto-render.min.js");

    /// <summary>katex.min.css with its woff2 fonts inlined (the woff and ttf fallbacks dropped).</summary>
    public static string Style => LazyStyle.Value;

    /// <summary>KaTeX's MIT licence text, which must travel with every copy.</summary>
    public static string Licence => Resource("LICENSE");

    private static string InlineFonts()
    {
        string css = FontSources().Replace(Resource("katex.min.css"), match =>
            $"url(data:font/woff2;base64,{Convert.ToBase64String(ResourceBytes("fonts/" + match.Groups["font"].Value + ".woff2"))}) format(\"woff2\")");
        // A new KaTeX release could reference its fonts differently: a page with a dangling font url would fetch it.
        if (css.Contains("url(fonts/", StringComparison.Ordinal))
            throw new InvalidOperationException("katex.min.css still references a font file after inlining; check the vendored KaTeX version");
        return css;
    }

    /// <summary>One font's three sources: woff2, woff, ttf.</summary>
    [GeneratedRegex("""url\(fonts/(?<font>[A-Za-z0-9_-]+)\.woff2\) format\("woff2"\),url\(fonts/\k<font>\.woff\) format\("woff"\),url\(fonts/\k<font>\.ttf\) format\("truetype"\)""")]
    private static partial Regex FontSources();

    private static string Resource(string name) => Encoding.UTF8.GetString(ResourceBytes(name));

    private static byte[] ResourceBytes(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("katex/" + name)
            ?? throw new InvalidOperationException($"embedded KaTeX file 'katex/{name}' is missing from {Assembly.GetExecutingAssembly().GetName().Name}; run environment/vendor-katex");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

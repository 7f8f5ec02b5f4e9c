namespace CourseNotebooks.Display;

/// <summary>One rendering of a value.</summary>
/// <param name="MimeType">e.g. <c>text/plain</c>, <c>text/html</c>, <c>application/vnd.plotly.v1+json</c>.</param>
/// <param name="Text">The rendering.</param>
public sealed record FormattedValue(string MimeType, string Text);

/// <summary>The mime types every host understands.</summary>
public static class MimeTypes
{
    /// <summary>Plain text: what text-only hosts, logs and diffs show.</summary>
    public const string PlainText = "text/plain";

    /// <summary>HTML: what notebook front ends and the course's reports show.</summary>
    public const string Html = "text/html";
}

/// <summary>
/// A piece of HTML to show as it is (an audio player, a table written by hand), with the plain text that text-only
/// hosts show instead.
/// </summary>
/// <param name="Markup">The HTML.</param>
/// <param name="PlainText">What a text-only host shows (default: "[HTML]").</param>
public sealed record HtmlContent(string Markup, string PlainText = "[HTML]")
{
    /// <inheritdoc />
    public override string ToString() => PlainText;
}

/// <summary>Markdown to show rendered (formulas included, as a markdown cell shows them), with its source as the
/// plain text. Notebooks use it for generated derivations: <c>display(new MarkdownContent("$$y = wx$$"))</c>.</summary>
/// <param name="Markdown">The markdown.</param>
public sealed record MarkdownContent(string Markdown)
{
    /// <summary>The markdown mime type.</summary>
    public const string MimeType = "text/markdown";

    /// <inheritdoc />
    public override string ToString() => Markdown;
}

/// <summary>
/// Text to show under one mime type exactly as given (a figure's JSON under Plotly's type, say), with a plain-text
/// form for text-only hosts.
/// </summary>
/// <param name="MimeType">The mime type of <paramref name="Text"/>.</param>
/// <param name="Text">The content.</param>
/// <param name="PlainText">What a text-only host shows (default: the mime type in brackets).</param>
public sealed record MimeContent(string MimeType, string Text, string? PlainText = null)
{
    /// <inheritdoc />
    public override string ToString() => PlainText ?? $"[{MimeType}]";
}

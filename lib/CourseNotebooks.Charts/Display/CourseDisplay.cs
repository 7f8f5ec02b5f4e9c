using System.Collections;
using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;

namespace CourseNotebooks.Charts;

/// <summary>
/// How the course's values look in every notebook host (VS Code, Jupyter, dotnet-repl, the headless run): tensors
/// as grids, <see cref="ModelSummary"/> as its full table with totals, <see cref="TextTable"/>s and arrays of
/// records (the notebooks' per-layer tables) as tables, each in text/plain and text/html, every row shown; charts
/// as HTML that draws them (<see cref="ChartHtml"/>) and in Plotly's own mime type.
/// Introduced in notebook 01-convolution, whose setup cell (the same in every notebook) calls <see cref="Install"/>.
/// </summary>
/// <remarks>
/// The formatters live here, not in the engine, so the engine stays free of any notebook host. Without them the
/// kernel shows a ModelSummary as an object dump cut after 20 items, and arrays of records as collapsed
/// "{ Layer = conv1, ... }" lines in plain text.
/// </remarks>
public static class CourseDisplay
{
    /// <summary>Tensors up to this many elements are drawn as a grid of numbers; larger ones as shape and summary.</summary>
    public const int GridUpTo = 400;

    /// <summary>
    /// Registers the course's formatters with the notebook kernel. Call it once per notebook (the setup cell does);
    /// calling it again re-registers the same formatters, which is harmless.
    /// </summary>
    public static void Install()
    {
        Register<Tensor<float>>(t => t.ToString(), TensorHtml);
        Register<Tensor<double>>(t => t.ToString(), TensorHtml);
        Register<ModelSummary>(s => s.ToString(), s => Table(s).ToHtml());
        Register<TextTable>(t => t.ToPlainText(), t => t.ToHtml());
        Register<Verdict>(v => v.Message, VerdictHtml);
        Register<ProbeRun>(ProbeText, ProbeHtml);
        // Probe runs also go out as JSON, which is what the grader reads from a hidden cell (never its text).
        Formatter.Register<ProbeRun>((run, writer) => writer.Write(run.ToJson()), ProbeRun.MimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(ProbeRun), HtmlFormatter.MimeType, PlainTextFormatter.MimeType, ProbeRun.MimeType);
        foreach (string mime in new[] { PlainTextFormatter.MimeType, HtmlFormatter.MimeType })
            Formatter.Register(new RecordSequenceFormatter(mime));
        Formatter.SetPreferredMimeTypesFor(typeof(IEnumerable), HtmlFormatter.MimeType, PlainTextFormatter.MimeType);
        // Charts go out twice: as HTML that draws them with plotly.js (ChartHtml: the page's copy, or the CDN's), and
        // as the figure JSON under Plotly's own mime type, which JupyterLab, VS Code and the HTML reports draw offline.
        Formatter.Register<GenericChart>((chart, writer) => writer.Write(ChartHtml.Of(chart)), HtmlFormatter.MimeType);
        Formatter.Register<GenericChart>((chart, writer) => writer.Write(Charts.ChartJson(chart)), Charts.PlotlyMimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(GenericChart), HtmlFormatter.MimeType, Charts.PlotlyMimeType);
    }

    /// <summary>A model summary as a <see cref="TextTable"/>: every layer, then the totals row.</summary>
    public static TextTable Table(ModelSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var table = new TextTable(ModelSummary.ColumnHeaders, ModelSummary.NumericColumns) { Caption = summary.Caption, Note = summary.FlopsNote };
        foreach (var row in summary.TableRows()) table.AddRow(row);
        return table.AddFooter(summary.TotalRow());
    }

    /// <summary>
    /// A tensor as HTML: a table of values (4 significant digits) for 1-D and 2-D tensors of at most
    /// <see cref="GridUpTo"/> elements, the plain-text grid (one plane per leading index) for small 3-D and 4-D
    /// ones, and the shape with min, max and mean for larger ones.
    /// </summary>
    public static string TensorHtml<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Length > GridUpTo || tensor.Rank > 2)
            return "<pre>" + WebUtility.HtmlEncode(tensor.ToString()) + "</pre>";
        int columns = tensor.Rank == 0 ? 1 : tensor.Size(-1);
        int rows = tensor.Rank < 2 ? 1 : tensor.Size(0);
        var sb = new StringBuilder("<div class=\"course-tensor\"><div>Tensor").Append(tensor.ShapeString).Append("</div><table>");
        for (int r = 0; r < rows; r++)
        {
            sb.Append("<tr>");
            for (int c = 0; c < columns; c++)
                sb.Append("<td style=\"").Append(TextTable.NumericCellStyle).Append("\">")
                  .Append(tensor.Data[r * columns + c].ToString("G4", CultureInfo.InvariantCulture)).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</table></div>").ToString();
    }

    /// <summary>A check's verdict as one coloured line: green when right, red otherwise.</summary>
    public static string VerdictHtml(Verdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        (string mark, string colour, string background) = verdict.Correct ? ("\u2714", "#1a7f37", "#dafbe1") : ("\u2718", "#cf222e", "#ffebe9");
        return $"<div class=\"course-verdict\" style=\"color:{colour};background:{background};padding:.3rem .6rem;border-radius:4px;font-weight:600\">"
               + $"{mark} {WebUtility.HtmlEncode(verdict.Message)}</div>";
    }

    /// <summary>A hidden check's probe values, one numbered line each (the grader's view; never released).</summary>
    public static string ProbeText(ProbeRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var sb = new StringBuilder($"hidden probes of {run.Name}: {run.Values.Count}");
        for (int i = 0; i < run.Values.Count; i++) sb.Append($"\n  {i + 1}. {run.Values[i]}");
        return sb.ToString();
    }

    private static string ProbeHtml(ProbeRun run) =>
        "<pre class=\"course-probes\" style=\"white-space:pre-wrap;overflow-wrap:anywhere\">" + WebUtility.HtmlEncode(ProbeText(run)) + "</pre>";

    private static void Register<T>(Func<T, string> plain, Func<T, string> html)
    {
        Formatter.Register<T>((value, writer) => writer.Write(plain(value)), PlainTextFormatter.MimeType);
        Formatter.Register<T>((value, writer) => writer.Write(html(value)), HtmlFormatter.MimeType);
        // Both renderings go out, so .ipynb files and text-only hosts keep a readable form next to the HTML.
        Formatter.SetPreferredMimeTypesFor(typeof(T), HtmlFormatter.MimeType, PlainTextFormatter.MimeType);
    }

    /// <summary>
    /// Sequences of records or anonymous objects as tables. The kernel picks a formatter by type alone and a
    /// formatter that returns false leaves the output empty, so any other sequence (a string, an int[]) is handed
    /// to the most specific formatter the kernel would otherwise have used.
    /// </summary>
    private sealed class RecordSequenceFormatter(string mimeType) : ITypeFormatter
    {
        public string MimeType { get; } = mimeType;

        public Type Type => typeof(IEnumerable);

        public bool Format(object instance, FormatContext context)
        {
            if (instance is not IEnumerable items || instance is string || ElementType(instance.GetType()) is not { } element
                || !TextTable.IsRecordLike(element))
                return Fallback(instance).Format(instance, context);
            var table = TextTable.FromRecords(items, element);
            context.Writer.Write(MimeType == HtmlFormatter.MimeType ? table.ToHtml() : table.ToPlainText());
            return true;
        }

        private ITypeFormatter Fallback(object instance)
        {
            var candidates = Formatter.RegisteredFormatters(true)
                .Where(f => f.MimeType == MimeType && !IsSequenceFormatter(f) && !f.Type.ContainsGenericParameters
                            && f.Type.IsInstanceOfType(instance))
                .ToList();
            // The most derived type wins, as in the kernel's own choice (System.Object is always a candidate).
            return candidates.First(c => candidates.All(o => ReferenceEquals(o, c) || !c.Type.IsAssignableFrom(o.Type) || o.Type == c.Type));
        }

        /// <summary>
        /// Any copy of this formatter, matched by name: the kernel's formatter list is global to the process, and a
        /// process that runs several notebooks (the headless run) loads this library once per notebook kernel, so
        /// an earlier notebook's copy is a different type. Choosing it as the fallback would send the two copies
        /// back and forth until the stack overflows.
        /// </summary>
        private static bool IsSequenceFormatter(ITypeFormatter formatter) =>
            formatter.GetType().FullName == typeof(RecordSequenceFormatter).FullName;

        private static Type? ElementType(Type type)
        {
            if (type.IsArray) return type.GetElementType();
            return type.GetInterfaces().Append(type)
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
        }
    }
}

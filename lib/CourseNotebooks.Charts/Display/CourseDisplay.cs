using System.Collections;
using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Display;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;
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
    /// Registers the course's renderings with the display protocol that every host reads, and, inside a .NET
    /// Interactive kernel (VS Code, Jupyter, dotnet-repl), connects that protocol to the kernel. Call it once per
    /// notebook (the setup cell does); calling it again registers the same renderings, which is harmless.
    /// </summary>
    public static void Install()
    {
        Register<Tensor<float>>(t => t.ToString(), TensorHtml);
        Register<Tensor<double>>(t => t.ToString(), TensorHtml);
        Register<ModelSummary>(s => s.ToString(), s => Table(s).ToHtml());
        Register<TextTable>(t => t.ToPlainText(), t => t.ToHtml());
        Register<Verdict>(v => v.Message, VerdictHtml);
        Register<ProbeRun>(ProbeText, ProbeHtml);
        DisplayFormatters.Register<ProbeRun>(ProbeRun.MimeType, run => run.ToJson());
        DisplayFormatters.SetMimeOrder(typeof(ProbeRun), MimeTypes.Html, MimeTypes.PlainText, ProbeRun.MimeType);
        // Sequences of records (the notebooks' per-layer tables) as tables; any other sequence is declined and
        // shown the default way.
        foreach (string mime in new[] { MimeTypes.PlainText, MimeTypes.Html })
            DisplayFormatters.Register(typeof(IEnumerable), mime, value => RecordTable(value, mime));
        // Charts go out as HTML that draws them with plotly.js (ChartHtml: the page's copy, or the CDN's), as the
        // figure JSON under Plotly's own mime type (JupyterLab, VS Code and the HTML reports draw it offline), and as
        // one line of text for text-only hosts: never the figure's object dump.
        DisplayFormatters.Register<GenericChart>(MimeTypes.Html, ChartHtml.Of);
        DisplayFormatters.Register<GenericChart>(Charts.PlotlyMimeType, Charts.ChartJson);
        DisplayFormatters.Register<GenericChart>(MimeTypes.PlainText, Charts.Describe);
        DisplayFormatters.SetMimeOrder(typeof(GenericChart), MimeTypes.Html, Charts.PlotlyMimeType, MimeTypes.PlainText);
        DisplayFormatters.Register<HoverImageMap>(MimeTypes.Html, m => m.ToHtml());
        DisplayFormatters.Register<HoverImageMap>(Charts.PlotlyMimeType, m => Charts.ChartJson(m.Chart));
        DisplayFormatters.Register<HoverImageMap>(MimeTypes.PlainText, m => m.ToString());
        DisplayFormatters.SetMimeOrder(typeof(HoverImageMap), MimeTypes.Html, Charts.PlotlyMimeType, MimeTypes.PlainText);
        ConnectKernel();
    }

    /// <summary>The file of the bridge to the .NET Interactive kernels, beside this library.</summary>
    public const string KernelBridgeFile = "CourseNotebooks.Interactive.dll";

    /// <summary>
    /// Inside a .NET Interactive kernel (its assembly is loaded in this process), loads the kernel bridge from this
    /// library's folder into this library's load context and runs its initializer, which mirrors the display
    /// protocol into the kernel's formatters and displays. Elsewhere (the course runner, a console program, a
    /// file-based app) nothing is loaded: no kernel type is ever part of this library's compile-time surface.
    /// </summary>
    private static void ConnectKernel()
    {
        if (!AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Microsoft.DotNet.Interactive")) return;
        string? folder = Path.GetDirectoryName(typeof(CourseDisplay).Assembly.Location);
        if (string.IsNullOrEmpty(folder) || !File.Exists(Path.Combine(folder, KernelBridgeFile))) return;
        var context = AssemblyLoadContext.GetLoadContext(typeof(CourseDisplay).Assembly) ?? AssemblyLoadContext.Default;
        var bridge = context.Assemblies.FirstOrDefault(a => a.GetName().Name == Path.GetFileNameWithoutExtension(KernelBridgeFile))
            ?? context.LoadFromAssemblyPath(Path.Combine(folder, KernelBridgeFile));
        RuntimeHelpers.RunModuleConstructor(bridge.ManifestModule.ModuleHandle);
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
    /// A tensor as HTML: a table of values (4 significant digits, never in exponent form) for 1-D and 2-D tensors of at most
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
                  .Append(NumberText.Readable(double.CreateTruncating(tensor.Data[r * columns + c]), 4)).Append("</td>");
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
        DisplayFormatters.Register(MimeTypes.PlainText, plain);
        DisplayFormatters.Register(MimeTypes.Html, html);
        // Both renderings go out, so .ipynb files and text-only hosts keep a readable form next to the HTML.
        DisplayFormatters.SetMimeOrder(typeof(T), MimeTypes.Html, MimeTypes.PlainText);
    }

    /// <summary>A sequence of records or anonymous objects as a table; null (declined) for any other value.</summary>
    private static string? RecordTable(object value, string mime)
    {
        if (value is string || ElementType(value.GetType()) is not { } element) return null;
        // A List<object> of anonymous rows (all of one type) is as much a table as an array of them: its rows would
        // otherwise print as one long line of "{ Kernel = 3, ..., AdjointRelativeGap = 7.455033780898712E-16 }".
        if (element == typeof(object) && ((IEnumerable)value).Cast<object?>().Select(item => item?.GetType()).Distinct().ToList() is [{ } only])
            element = only;
        if (!TextTable.IsRecordLike(element)) return null;
        var table = TextTable.FromRecords((IEnumerable)value, element);
        return mime == MimeTypes.Html ? table.ToHtml() : table.ToPlainText();
    }

    private static Type? ElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        return type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
    }
}

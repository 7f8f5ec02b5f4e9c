using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Reflection;
using System.Runtime.CompilerServices;
using CourseNotebooks.Engine;
using Plotly.NET;
using CSharpChart = Plotly.NET.CSharp.Chart;

namespace CourseNotebooks.Charts;

/// <summary>
/// Plotly.NET charts of engine tensors: heatmaps of feature maps and kernels, image grids, training curves and 2-D
/// embeddings. Every method returns a Plotly.NET <see cref="GenericChart"/>, which notebooks display as an
/// interactive chart (with Plotly.NET.Interactive loaded) and tests read back as JSON (<see cref="ChartJson"/>).
/// Introduced in notebook 01-convolution.
/// </summary>
public static class Charts
{
    private static int _installed;

    /// <summary>Grids at most this many cells get their values written in each cell by default.</summary>
    public const int AnnotateUpTo = 144;

    /// <summary>
    /// Lets Plotly.NET (built against FSharp.Core 10.1) load in hosts that ship an older FSharp.Core: the
    /// dotnet-interactive and dotnet-repl tools (so VS Code and Jupyter too) carry FSharp.Core 10.0, and loading a
    /// chart then fails with FileNotFoundException for FSharp.Core 10.1.0.0. The handler answers that request with
    /// the FSharp.Core already loaded, whose API Plotly.NET uses is the same. Safe to call many times; runs
    /// by itself when this library is loaded.
    /// </summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        AppDomain.CurrentDomain.AssemblyResolve += (_, args) =>
        {
            var wanted = new AssemblyName(args.Name);
            if (wanted.Name != "FSharp.Core") return null;
            return AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "FSharp.Core");
        };
    }

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The resolver must be in place before a notebook's first chart loads Plotly.NET; students should not have to call Install.")]
    internal static void InstallOnLoad() => Install();

    /// <summary>The chart's figure (data and layout) as Plotly JSON: check charts by their data, not pixels.</summary>
    public static string ChartJson(GenericChart chart) => GenericChart.toFigureJson(chart);

    /// <summary>
    /// A heatmap of a 2-D tensor [H, W], or of one plane of [C, H, W] or [N, C, H, W] (chosen by
    /// <paramref name="n"/> and <paramref name="c"/>). Row 0 is drawn on top, as matrices are written on the
    /// slides; x is the column index, y the row index.
    /// </summary>
    /// <param name="tensor">The values.</param>
    /// <param name="title">Chart title.</param>
    /// <param name="annotate">Write each value in its cell; by default only for grids of at most
    /// <see cref="AnnotateUpTo"/> cells.</param>
    /// <param name="n">Batch index for a 4-D tensor.</param>
    /// <param name="c">Channel index for a 3-D or 4-D tensor.</param>
    /// <exception cref="ArgumentException">Rank not 2, 3 or 4, or n/c out of range.</exception>
    public static GenericChart Heatmap<T>(Tensor<T> tensor, string? title = null, bool? annotate = null, int n = 0, int c = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var z = Plane(tensor, n, c, nameof(Heatmap));
        bool withText = annotate ?? z.Length * z[0].Length <= AnnotateUpTo;
        GenericChart chart = withText
            ? CSharpChart.AnnotatedHeatmap<double, int, int, string>(
                zData: z,
                annotationText: z.Select(row => row.Select(Format)),
                X: Enumerable.Range(0, z[0].Length).ToArray(),
                Y: Enumerable.Range(0, z.Length).ToArray(),
                ReverseYAxis: true)
            : CSharpChart.Heatmap<double, int, int, string>(
                zData: z,
                X: Enumerable.Range(0, z[0].Length).ToArray(),
                Y: Enumerable.Range(0, z.Length).ToArray(),
                ReverseYAxis: true);
        return WithTitle(chart, title);
    }

    /// <summary>
    /// A grid of single-channel images from a [N, 1, H, W] (or [N, H, W]) tensor, <paramref name="columns"/> per
    /// row, each drawn in grey with row 0 on top.
    /// </summary>
    /// <exception cref="ArgumentException">Not [N, 1, H, W] or [N, H, W], or columns &lt; 1.</exception>
    public static GenericChart Images<T>(Tensor<T> images, int columns = 8, string? title = null, IReadOnlyList<string>? captions = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool nchw = images.Rank == 4 && images.Size(1) == 1;
        if (!nchw && images.Rank != 3)
            throw new ArgumentException($"Charts.Images: expected images of shape [N, 1, H, W] or [N, H, W], got {images.ShapeString}.", nameof(images));
        if (columns < 1)
            throw new ArgumentException($"Charts.Images: columns must be at least 1, got {columns}.", nameof(columns));
        int count = images.Size(0);
        var planes = Enumerable.Range(0, count).Select(i =>
            (GenericChart)CSharpChart.Heatmap<double, int, int, string>(
                zData: Plane(images, nchw ? i : 0, nchw ? 0 : i, nameof(Images)),
                ColorScale: StyleParam.Colorscale.Greys, ReverseScale: true, ShowScale: false, ReverseYAxis: true));
        int rows = (count + columns - 1) / columns;
        var grid = captions is null
            ? CSharpChart.Grid(planes, rows, Math.Min(columns, count))
            : CSharpChart.Grid(planes, rows, Math.Min(columns, count), SubPlotTitles: captions.ToArray());
        return WithTitle(grid, title);
    }

    /// <summary>
    /// Line chart of one or more series against their step (1, 2, ...): loss or accuracy per epoch, for instance.
    /// </summary>
    public static GenericChart Lines(string? title, string xTitle, string yTitle, params (string Name, IReadOnlyList<double> Values)[] series)
    {
        if (series.Length == 0)
            throw new ArgumentException("Charts.Lines: at least one series is needed.", nameof(series));
        var traces = series.Select(s => (GenericChart)CSharpChart.Line<int, double, string>(
            x: Enumerable.Range(1, s.Values.Count).ToArray(), y: s.Values, Name: s.Name, ShowMarkers: s.Values.Count <= 50));
        var chart = Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<string, string, string>(
            Plotly.NET.CSharp.GenericChartExtensions.WithXAxisStyle<string, string, string>(
                CSharpChart.Combine(traces), TitleText: xTitle),
            TitleText: yTitle);
        return WithTitle(chart, title);
    }

    /// <summary>Line chart of named series against their step, with default axis titles.</summary>
    public static GenericChart Lines(params (string Name, IReadOnlyList<double> Values)[] series) =>
        Lines(null, "step", "value", series);

    /// <summary>
    /// Scatter plot of 2-D points [N, 2] (a PCA or t-SNE map), one colour and legend entry per label.
    /// </summary>
    /// <exception cref="ArgumentException">Points not [N, 2], or labels not of length N.</exception>
    public static GenericChart Scatter2D<T>(Tensor<T> points, int[] labels, string? title = null, IReadOnlyList<string>? labelNames = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (points.Rank != 2 || points.Size(1) != 2)
            throw new ArgumentException($"Charts.Scatter2D: expected points of shape [N, 2], got {points.ShapeString}.", nameof(points));
        if (labels.Length != points.Size(0))
            throw new ArgumentException($"Charts.Scatter2D: {points.Size(0)} points but {labels.Length} labels.", nameof(labels));
        var traces = labels.Distinct().Order().Select(label =>
        {
            var rows = Enumerable.Range(0, labels.Length).Where(i => labels[i] == label).ToArray();
            string name = labelNames is not null && label >= 0 && label < labelNames.Count ? labelNames[label] : label.ToString(CultureInfo.InvariantCulture);
            return (GenericChart)CSharpChart.Point<double, double, string>(
                x: rows.Select(i => double.CreateTruncating(points.Data[2 * i])).ToArray(),
                y: rows.Select(i => double.CreateTruncating(points.Data[2 * i + 1])).ToArray(),
                Name: name);
        });
        return WithTitle(CSharpChart.Combine(traces), title);
    }

    private static GenericChart WithTitle(GenericChart chart, string? title) =>
        title is null ? chart : Plotly.NET.Chart.withTitle(title, null).Invoke(chart);

    private static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>One [H, W] plane as rows of doubles.</summary>
    private static double[][] Plane<T>(Tensor<T> tensor, int n, int c, string caller) where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int batch, int channels) = tensor.Rank switch
        {
            2 => (1, 1),
            3 => (1, tensor.Size(0)),
            4 => (tensor.Size(0), tensor.Size(1)),
            _ => throw new ArgumentException($"Charts.{caller}: expected a tensor of rank 2 [H, W], 3 [C, H, W] or 4 [N, C, H, W], got {tensor.ShapeString}.", nameof(tensor)),
        };
        if ((uint)n >= (uint)batch || (uint)c >= (uint)channels)
            throw new ArgumentException($"Charts.{caller}: plane (n={n}, c={c}) is outside tensor {tensor.ShapeString}.");
        int h = tensor.Size(-2), w = tensor.Size(-1);
        if (h == 0 || w == 0)
            throw new ArgumentException($"Charts.{caller}: tensor {tensor.ShapeString} has an empty plane.", nameof(tensor));
        int offset = (n * channels + c) * h * w;
        var rows = new double[h][];
        for (int r = 0; r < h; r++)
        {
            rows[r] = new double[w];
            for (int col = 0; col < w; col++) rows[r][col] = double.CreateTruncating(tensor.Data[offset + r * w + col]);
        }
        return rows;
    }
}

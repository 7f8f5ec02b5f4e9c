using System.Globalization;
using System.IO.Compression;
using System.Text;
using CourseNotebooks.Engine.Tensors;
using Plotly.NET;

namespace CourseNotebooks.Charts;

// The charts of notebook 11-tsne-maps: 2-D maps coloured by class, rows of maps side by side, and a map whose hovered
// point shows its image. Built from plain Plotly objects like the rest of Charts (see the remarks at the top of Charts.cs).
public static partial class Charts
{
    /// <summary>The class colours of <see cref="Map"/> and <see cref="MapRow"/>: class c gets entry c mod 10 (Plotly's
    /// default qualitative palette, so it looks like the other charts).</summary>
    public static IReadOnlyList<string> ClassColours { get; } =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>
    /// A 2-D map (t-SNE, PCA) as a scatter plot coloured by class: one trace per class present, in ascending label order,
    /// named by <paramref name="classNames"/> (or the label), with marker colour <see cref="ClassColours"/>[label mod 10];
    /// each point carries its row index as customdata and "class name, point #index" as hover text. The axes have no
    /// units: only neighbourhoods in a t-SNE map mean something, so the tick labels are hidden.
    /// Introduced in notebook 11-tsne-maps.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="map">The points [N, 2].</param>
    /// <param name="labels">One non-negative label per point.</param>
    /// <param name="classNames">Names of the labels (optional).</param>
    /// <exception cref="ArgumentException">Not [N, 2], labels of the wrong count, or a negative label.</exception>
    public static GenericChart Map(string title, Tensor<double> map, int[] labels, IReadOnlyList<string>? classNames = null)
    {
        var traces = MapTraces(nameof(Map), map, labels, classNames, axis: 1, showLegend: true);
        var layout = Layout(title,
            ("xaxis", Obj(("showticklabels", false), ("zeroline", false), ("title", Obj(("text", "map axis 1 (no unit)"))))),
            ("yaxis", Obj(("showticklabels", false), ("zeroline", false), ("title", Obj(("text", "map axis 2 (no unit)"))))),
            ("width", 720), ("height", 560), ("hovermode", "closest"));
        return Figure(layout, traces);
    }

    /// <summary>
    /// Maps side by side in one figure, one panel each with its caption as the panel's x-axis title; panel p draws on
    /// axes x(p+1)/y(p+1), with one trace per class as in <see cref="Map"/> (the legend lists the classes once, from
    /// the first panel). Introduced in notebook 11-tsne-maps.
    /// </summary>
    /// <exception cref="ArgumentException">No panels, or a panel's map or labels are invalid (as for <see cref="Map"/>).</exception>
    public static GenericChart MapRow(string title, IReadOnlyList<(string Caption, Tensor<double> Map, int[] Labels)> panels,
        IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0) throw new ArgumentException("Charts.MapRow: at least one panel is needed.", nameof(panels));
        var traces = new List<Trace>();
        var properties = new List<(string, object)> { ("width", Math.Clamp(230 * panels.Count, 600, 900)), ("height", 340), ("hovermode", "closest") };
        double gap = 0.04, width = (1 - gap * (panels.Count - 1)) / panels.Count;
        for (int p = 0; p < panels.Count; p++)
        {
            traces.AddRange(MapTraces(nameof(MapRow), panels[p].Map, panels[p].Labels, classNames, p + 1, showLegend: p == 0));
            string suffix = p == 0 ? "" : (p + 1).ToString(CultureInfo.InvariantCulture);
            double left = p * (width + gap);
            properties.Add(("xaxis" + suffix, Obj(("domain", new[] { left, left + width }), ("showticklabels", false), ("zeroline", false),
                ("title", Obj(("text", panels[p].Caption))), ("anchor", "y" + suffix))));
            properties.Add(("yaxis" + suffix, Obj(("showticklabels", false), ("zeroline", false), ("anchor", "x" + suffix))));
        }
        return Figure(Layout(title, [.. properties]), [.. traces]);
    }

    /// <summary>
    /// A map chart (from <see cref="Map"/>) with the images of its points: in hosts that run the chart's script
    /// (VS Code, Jupyter), hovering a point shows its image beside the map; elsewhere the map keeps its hover text.
    /// </summary>
    /// <param name="chart">A chart from <see cref="Map"/> (its points carry their row index as customdata).</param>
    /// <param name="images">The images of the points, [N, 1, H, W], [N, H, W] or [N, H*W] with H = W, values in [0, 1].</param>
    /// <exception cref="ArgumentException">Images that are not square.</exception>
    public static HoverImageMap WithHoverImages(GenericChart chart, Tensor<float> images) => new(chart, images);

    private static Trace[] MapTraces(string caller, Tensor<double> map, int[] labels, IReadOnlyList<string>? classNames, int axis, bool showLegend)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(labels);
        if (map.Rank != 2 || map.Size(1) != 2)
            throw new ArgumentException($"Charts.{caller}: expected the map as [N, 2], got {map.ShapeString}.", nameof(map));
        if (labels.Length != map.Size(0))
            throw new ArgumentException($"Charts.{caller}: {map.Size(0)} points but {labels.Length} labels.", nameof(labels));
        if (labels.Any(l => l < 0)) throw new ArgumentException($"Charts.{caller}: labels must be non-negative.", nameof(labels));
        string suffix = axis == 1 ? "" : axis.ToString(CultureInfo.InvariantCulture);
        return [.. labels.Distinct().Order().Select(label =>
        {
            var rows = Enumerable.Range(0, labels.Length).Where(i => labels[i] == label).ToArray();
            string name = classNames is not null && label < classNames.Count ? classNames[label] : label.ToString(CultureInfo.InvariantCulture);
            return Trace("scatter", ("name", name), ("mode", "markers"), ("legendgroup", name), ("showlegend", showLegend),
                ("xaxis", "x" + suffix), ("yaxis", "y" + suffix),
                ("marker", Obj(("color", ClassColours[label % ClassColours.Count]), ("size", 5))),
                ("x", rows.Select(i => map.Data[2 * i]).ToArray()),
                ("y", rows.Select(i => map.Data[2 * i + 1]).ToArray()),
                ("customdata", rows),
                ("text", rows.Select(i => $"{name}, point #{i}").ToArray()),
                ("hovertemplate", "%{text}<extra></extra>"));
        })];
    }
}

/// <summary>
/// A map chart with the images of its points (<see cref="Charts.WithHoverImages"/>): shown as the chart's HTML plus an
/// image panel that a plotly_hover handler fills with the hovered point's image, cut from one PNG sprite sheet of all
/// the images (<see cref="SpritePng"/>, <see cref="SpriteColumns"/> per row). In Plotly's own mime type it is the chart
/// alone, which the HTML reports draw with the hover text. Introduced in notebook 11-tsne-maps.
/// </summary>
public sealed partial class HoverImageMap
{
    /// <summary>Images per row of the sprite sheet.</summary>
    public const int SpriteColumns = 50;

    /// <summary>How many times larger than its pixels the hovered image is drawn.</summary>
    public const int Zoom = 4;

    internal HoverImageMap(GenericChart chart, Tensor<float> images)
    {
        ArgumentNullException.ThrowIfNull(chart);
        ArgumentNullException.ThrowIfNull(images);
        Chart = chart;
        Count = images.Size(0);
        int pixels = Count == 0 ? 0 : images.Length / Count;
        Side = (int)Math.Round(Math.Sqrt(pixels));
        if (Count == 0 || Side * Side != pixels)
            throw new ArgumentException($"Charts.WithHoverImages: expected square images [N, 1, H, W] or [N, H*W], got {images.ShapeString}.", nameof(images));
        SpritePng = Png.Grey(SpriteWidth, SpriteHeight, (x, y) =>
        {
            int n = (y / Side) * SpriteColumns + x / Side;
            if (n >= Count) return 255;
            double v = images.Data[n * pixels + (y % Side) * Side + x % Side];
            return (byte)Math.Round(255 * Math.Clamp(v, 0, 1));
        });
    }

    /// <summary>The map.</summary>
    public GenericChart Chart { get; }

    /// <summary>Number of images (points).</summary>
    public int Count { get; }

    /// <summary>Image side in pixels.</summary>
    public int Side { get; }

    /// <summary>Width of the sprite sheet in pixels.</summary>
    public int SpriteWidth => Side * Math.Min(SpriteColumns, Count);

    /// <summary>Height of the sprite sheet in pixels.</summary>
    public int SpriteHeight => Side * ((Count + SpriteColumns - 1) / SpriteColumns);

    /// <summary>All images as one 8-bit greyscale PNG, image n at column n mod <see cref="SpriteColumns"/>, row n div it.</summary>
    public byte[] SpritePng { get; }

    /// <summary>
    /// The chart's HTML (<see cref="ChartHtml.Of"/>, first, as every chart of the course starts) followed by an image panel
    /// and a script that puts the panel beside the chart and fills it on plotly_hover.
    /// </summary>
    public string ToHtml()
    {
        string chartHtml = ChartHtml.Of(Chart);
        string chartId = ChartId().Match(chartHtml).Groups[1].Value;
        string id = "course-hover-" + Guid.NewGuid().ToString("N");
        int shown = Side * Zoom;
        string sprite = "data:image/png;base64," + Convert.ToBase64String(SpritePng);
        var sb = new StringBuilder(chartHtml);
        sb.Append(CultureInfo.InvariantCulture, $"<div id=\"{id}\" style=\"font:13px sans-serif;width:{shown + 8}px\">");
        sb.Append(CultureInfo.InvariantCulture,
            $"<div class=\"course-hover-image\" style=\"width:{shown}px;height:{shown}px;border:1px solid #ccc;background-color:#000;image-rendering:pixelated;" +
            $"background-image:url('{sprite}');background-repeat:no-repeat;background-size:{SpriteWidth * Zoom}px {SpriteHeight * Zoom}px;background-position:{shown}px 0\"></div>");
        sb.Append("<div class=\"course-hover-caption\">hover a point to see its image</div></div>");
        sb.Append(CultureInfo.InvariantCulture, $$"""
            <script type="text/javascript">
            (function () {
              var panel = document.getElementById("{{id}}"), chart = document.getElementById("{{chartId}}"), tries = 0;
              if (!panel || !chart) return;
              // Chart and panel side by side (the chart's own script finds its div by id, wherever it is).
              var row = document.createElement("div");
              row.style.cssText = "display:flex;align-items:flex-start;gap:12px;flex-wrap:wrap";
              chart.parentNode.insertBefore(row, chart);
              row.appendChild(chart);
              row.appendChild(panel);
              var image = panel.querySelector(".course-hover-image"), caption = panel.querySelector(".course-hover-caption");
              function attach() {
                if (typeof chart.on !== "function") { if (tries++ < 300) setTimeout(attach, 100); return; }
                chart.on("plotly_hover", function (event) {
                  var point = event.points && event.points[0];
                  if (!point || point.customdata === undefined) return;
                  var n = Number(point.customdata), size = {{shown}};
                  image.style.backgroundPosition = (-(n % {{SpriteColumns}}) * size) + "px " + (-Math.floor(n / {{SpriteColumns}}) * size) + "px";
                  caption.textContent = point.text || ("point #" + n);
                });
                panel.setAttribute("data-hover", "ready");
              }
              attach();
            })();
            </script>
            """);
        return sb.ToString();
    }

    [System.Text.RegularExpressions.GeneratedRegex("id=\"(course-chart-[0-9a-f]+)\"")]
    private static partial System.Text.RegularExpressions.Regex ChartId();

    /// <summary>What text-only hosts show.</summary>
    public override string ToString() => $"a map of {Count} points with their {Side}x{Side} images on hover";
}

/// <summary>A minimal PNG writer: 8-bit greyscale, no filtering, zlib from the BCL.</summary>
internal static class Png
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    public static byte[] Grey(int width, int height, Func<int, int, byte> pixel)
    {
        var raw = new byte[height * (width + 1)];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = pixel(x, y);   // filter byte 0 (none) per row
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(raw);
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        WriteBigEndian(header, 0, (uint)width);
        WriteBigEndian(header, 4, (uint)height);
        header[8] = 8;   // bit depth; colour type 0 (grey), compression, filter and interlace 0
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var head = new byte[8];
        WriteBigEndian(head, 0, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, 0, 4, head, 4);
        png.Write(head);
        png.Write(data);
        uint crc = 0xFFFFFFFF;
        foreach (byte b in head.AsSpan(4)) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        var tail = new byte[4];
        WriteBigEndian(tail, 0, crc ^ 0xFFFFFFFF);
        png.Write(tail);
    }

    private static void WriteBigEndian(byte[] buffer, int offset, uint value)
    {
        buffer[offset] = (byte)(value >> 24);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}

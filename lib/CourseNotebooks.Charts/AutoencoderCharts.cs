using CourseNotebooks.Course.Embeddings;
using CourseNotebooks.Engine.Tensors;
using Plotly.NET;

namespace CourseNotebooks.Charts;

// The charts of notebooks 10-autoencoder-vs-pca and 13-convolutional-autoencoder: PCA's explained variance,
// reconstructions side by side, and reconstruction error against code size. Built from plain Plotly objects like the
// rest of Charts (see the remarks at the top of Charts.cs).
public static partial class Charts
{
    /// <summary>
    /// PCA's explained variance: the share of the total variance of each of the first components as bars, and the
    /// cumulative share (the variance kept by a code of k numbers) as a line, on one axis from 0 to 1. Trace 0 the
    /// bars ("per component"), trace 1 the line ("cumulative"); x is the component number 1, 2, ...
    /// Introduced in notebook 10-autoencoder-vs-pca.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="ratio">Explained-variance ratios, descending (<see cref="Pca.ExplainedVarianceRatio"/>).</param>
    /// <param name="components">How many to draw (default all).</param>
    /// <exception cref="ArgumentException">No ratios, or a count outside 1..ratios.</exception>
    public static GenericChart ExplainedVariance(string title, IReadOnlyList<double> ratio, int? components = null)
    {
        ArgumentNullException.ThrowIfNull(ratio);
        int count = components ?? ratio.Count;
        if (ratio.Count == 0 || count < 1 || count > ratio.Count)
            throw new ArgumentException($"Charts.ExplainedVariance: expected 1 to {ratio.Count} components, got {count}.", nameof(components));
        var x = Enumerable.Range(1, count).ToArray();
        var per = ratio.Take(count).ToArray();
        var cumulative = new double[count];
        double sum = 0;
        for (int i = 0; i < count; i++) cumulative[i] = sum += per[i];
        var layout = Layout(title, ("xaxis", AxisTitle("component k")),
            ("yaxis", Obj(("title", Obj(("text", "share of the total variance"))), ("range", new[] { 0.0, 1.0 }))),
            ("legend", Obj(("x", 0.6), ("y", 0.5))));
        return Figure(layout,
            Trace("bar", ("name", "per component"), ("x", x), ("y", per)),
            Trace("scatter", ("name", "cumulative"), ("x", x), ("y", cumulative), ("mode", "lines")));
    }

    /// <summary>
    /// Reconstructions side by side: one row per source (original, PCA, autoencoder, ...), the same
    /// <paramref name="count"/> images in each, a caption over each row's first image naming the row. Drawn with
    /// <see cref="Images{T}"/>, so trace r * count + i is image i of row r (its z the pixels, row 0 on top).
    /// Introduced in notebook 10-autoencoder-vs-pca.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="count">Images per row (the first ones of each tensor).</param>
    /// <param name="rows">Caption and images [N, 1, H, W] or [N, H*W] with H = W, N at least count; all the same size.</param>
    /// <exception cref="ArgumentException">No rows, too few images, or rows of different image sizes.</exception>
    public static GenericChart ReconstructionGrid(string title, int count, params (string Name, Tensor<float> Images)[] rows)
    {
        if (rows.Length == 0) throw new ArgumentException("Charts.ReconstructionGrid: at least one row is needed.", nameof(rows));
        if (count < 1) throw new ArgumentException($"Charts.ReconstructionGrid: count must be at least 1, got {count}.", nameof(count));
        int pixels = rows[0].Images.Length / Math.Max(1, rows[0].Images.Size(0));
        int side = (int)Math.Round(Math.Sqrt(pixels));
        if (side * side != pixels)
            throw new ArgumentException($"Charts.ReconstructionGrid: images of {pixels} pixels are not square.", nameof(rows));
        var all = new Tensor<float>(rows.Length * count, 1, side, side);
        var captions = new List<string>();
        for (int r = 0; r < rows.Length; r++)
        {
            var images = rows[r].Images;
            if (images.Size(0) < count || images.Length / images.Size(0) != pixels)
                throw new ArgumentException($"Charts.ReconstructionGrid: row \"{rows[r].Name}\" must hold at least {count} images of {pixels} pixels, got {images.ShapeString}.", nameof(rows));
            images.Data.AsSpan(0, count * pixels).CopyTo(all.Data.AsSpan(r * count * pixels));
            for (int i = 0; i < count; i++) captions.Add(i == 0 ? rows[r].Name : "");
        }
        return Images(all, columns: count, title: title, captions: captions);
    }

    /// <summary>
    /// Reconstruction error against code size, one line with markers per method, the code sizes on a logarithmic
    /// axis and the error axis from 0. Trace k is series k, x the code sizes, y the errors.
    /// Introduced in notebook 10-autoencoder-vs-pca.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="yTitle">The error axis' title, with its unit.</param>
    /// <param name="codeSizes">The code sizes (positive).</param>
    /// <param name="series">Legend name and one error per code size.</param>
    /// <exception cref="ArgumentException">No series, or a series without one value per code size.</exception>
    public static GenericChart ErrorByCodeSize(string title, string yTitle, IReadOnlyList<int> codeSizes, params (string Name, IReadOnlyList<double> Errors)[] series)
    {
        ArgumentNullException.ThrowIfNull(codeSizes);
        if (series.Length == 0) throw new ArgumentException("Charts.ErrorByCodeSize: at least one series is needed.", nameof(series));
        foreach (var s in series)
            if (s.Errors.Count != codeSizes.Count)
                throw new ArgumentException($"Charts.ErrorByCodeSize: series \"{s.Name}\" has {s.Errors.Count} values for {codeSizes.Count} code sizes.", nameof(series));
        var traces = series.Select(s => Trace("scatter", ("name", s.Name), ("x", codeSizes.ToArray()), ("y", s.Errors.ToArray()), ("mode", "lines+markers"))).ToArray();
        var layout = Layout(title,
            ("xaxis", Obj(("title", Obj(("text", "code size (numbers per image)"))), ("type", "log"), ("tickvals", codeSizes.ToArray()))),
            ("yaxis", Obj(("title", Obj(("text", yTitle))), ("rangemode", "tozero"))));
        return Figure(layout, traces);
    }
}

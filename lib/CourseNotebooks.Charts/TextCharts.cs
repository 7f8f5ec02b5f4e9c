using CourseNotebooks.Engine.Tensors;
using Plotly.NET;

namespace CourseNotebooks.Charts;

// The charts of notebook 09-cnn-for-text: accuracies of several models per test set with their spread over repeated
// runs, and one sentence's filter responses word by word. Built from plain Plotly objects like the rest of Charts.
public static partial class Charts
{
    /// <summary>
    /// Grouped bars with error bars: for each category (a test set), one bar per series (a model) at its mean, with
    /// ± error. The value axis is fixed to [0, 1] (an accuracy axis that does not magnify a small difference) and
    /// labelled in percent. Trace k is series k: x the categories, y the means, error_y.array the errors.
    /// Introduced in notebook 09-cnn-for-text (CNN against bag of words, trained on two sites and tested on the third).
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="yTitle">The value axis' title.</param>
    /// <param name="categories">One label per group of bars.</param>
    /// <param name="series">Legend name, a mean per category and an error per category (non-negative).</param>
    /// <exception cref="ArgumentException">No series, a series without one mean and one error per category, or a negative error.</exception>
    public static GenericChart AccuracyBars(string title, string yTitle, IReadOnlyList<string> categories,
        params (string Name, IReadOnlyList<double> Means, IReadOnlyList<double> Errors)[] series)
    {
        ArgumentNullException.ThrowIfNull(categories);
        if (series.Length == 0)
            throw new ArgumentException("Charts.AccuracyBars: at least one series is needed.", nameof(series));
        foreach (var s in series)
        {
            if (s.Means.Count != categories.Count || s.Errors.Count != categories.Count)
                throw new ArgumentException($"Charts.AccuracyBars: series \"{s.Name}\" has {s.Means.Count} means and {s.Errors.Count} errors for {categories.Count} categories.", nameof(series));
            if (s.Errors.Any(e => !(e >= 0)))
                throw new ArgumentException($"Charts.AccuracyBars: series \"{s.Name}\" has a negative or NaN error.", nameof(series));
        }
        var traces = series.Select((s, k) => Trace("bar", ("name", s.Name), ("x", categories.ToArray()), ("y", s.Means.ToArray()),
            ("error_y", Obj(("type", "data"), ("array", s.Errors.ToArray()), ("visible", true))),
            ("marker", Obj(("color", SeriesColours[k % SeriesColours.Length]))))).ToArray();
        var layout = Layout(title, ("barmode", "group"),
            ("yaxis", Obj(("title", Obj(("text", yTitle))), ("range", new[] { 0.0, 1.0 }), ("tickformat", ".0%"))));
        return Figure(layout, traces);
    }

    /// <summary>
    /// One sentence under several filters: a heatmap with the sentence's words along x and one row per filter, each
    /// cell the filter's response to the window that starts at that word (responses [filters, positions]; positions
    /// beyond the words are not drawn). Hovering a cell names the window's words. Row 0 on top.
    /// Introduced in notebook 09-cnn-for-text.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="words">The sentence's words, in order (padding left out).</param>
    /// <param name="width">The filters' width in words (the window that starts at a word covers this many).</param>
    /// <param name="filterNames">A label per row.</param>
    /// <param name="responses">[filters, positions] with positions at least the number of windows that start on a word.</param>
    /// <exception cref="ArgumentException">The responses are not [filterNames.Count, ≥ min(words, ...)].</exception>
    public static GenericChart SentenceResponses(string title, IReadOnlyList<string> words, int width, IReadOnlyList<string> filterNames, Tensor<float> responses)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(filterNames);
        ArgumentNullException.ThrowIfNull(responses);
        if (responses.Rank != 2 || responses.Size(0) != filterNames.Count)
            throw new ArgumentException($"Charts.SentenceResponses: responses: expected [{filterNames.Count}, positions], got {responses.ShapeString}.", nameof(responses));
        int positions = Math.Min(words.Count, responses.Size(1));
        var z = Enumerable.Range(0, filterNames.Count)
            .Select(f => Enumerable.Range(0, positions).Select(p => (double)responses[f, p]).ToArray()).ToArray();
        // Duplicate words would merge on a category axis: the x values are the positions, the ticks show the words.
        var windows = Enumerable.Range(0, filterNames.Count)
            .Select(_ => Enumerable.Range(0, positions).Select(p => string.Join(' ', words.Skip(p).Take(width))).ToArray()).ToArray();
        var heatmap = Trace("heatmap", ("z", z), ("x", Enumerable.Range(0, positions).ToArray()), ("y", filterNames.ToArray()),
            ("text", windows), ("hovertemplate", "%{y}<br>%{text}: %{z:.2f}<extra></extra>"), ("colorscale", "RdBu"), ("reversescale", true),
            ("zmid", 0.0), ("colorbar", Obj(("title", Obj(("text", "response"))))));
        var layout = Layout(title,
            ("xaxis", Obj(("title", Obj(("text", $"first word of the {width}-word window"))), ("tickmode", "array"),
                ("tickvals", Enumerable.Range(0, positions).ToArray()), ("ticktext", words.Take(positions).ToArray()))),
            ("yaxis", Obj(("title", Obj(("text", "filter"))), ("autorange", "reversed"))));
        return Figure(layout, heatmap);
    }
}

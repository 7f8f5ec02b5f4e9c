using System.Globalization;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Evaluation;
using CourseNotebooks.Course.Networks;
using Plotly.NET;

namespace CourseNotebooks.Charts;

// The charts of notebook 07-training-on-real-data: training and validation curves, a confusion matrix with class names,
// and a grid of misclassified images with their predicted and true labels. Built from plain Plotly objects like the
// rest of Charts (see the remarks at the top of Charts.cs).
public static partial class Charts
{
    /// <summary>
    /// Training curves of a <see cref="Training.Fit"/> history in two panels: the loss (left) and the accuracy
    /// (right, axis fixed to 0–100 %) per epoch, each for the training batches as they were trained and for the
    /// held-out set evaluated after the epoch (named by the epochs' <see cref="Training.EpochResult.HeldOutName"/>).
    /// Trace order: training loss, held-out loss, training accuracy, held-out accuracy (the held-out traces only when
    /// the history has them). Introduced in notebook 07-training-on-real-data.
    /// </summary>
    /// <exception cref="ArgumentException">An empty history.</exception>
    public static GenericChart TrainingCurves(string title, IReadOnlyList<Training.EpochResult> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0)
            throw new ArgumentException("Charts.TrainingCurves: the history has no epochs.", nameof(history));
        double[] epochs = [.. history.Select(e => (double)e.Epoch)];
        string heldOut = history[0].HeldOutName;
        bool hasLoss = history.All(e => e.TestLoss is not null), hasAccuracy = history.All(e => e.TestAccuracy is not null);
        var traces = new List<Trace>
        {
            Trace("scatter", ("name", "training loss (as trained)"), ("x", epochs), ("y", history.Select(e => e.Loss).ToArray()),
                ("mode", "lines+markers"), ("line", Obj(("color", SeriesColours[1]))), ("xaxis", "x"), ("yaxis", "y")),
        };
        if (hasLoss)
            traces.Add(Trace("scatter", ("name", $"{heldOut} loss"), ("x", epochs), ("y", history.Select(e => e.TestLoss!.Value).ToArray()),
                ("mode", "lines+markers"), ("line", Obj(("color", SeriesColours[0]))), ("xaxis", "x"), ("yaxis", "y")));
        traces.Add(Trace("scatter", ("name", "training accuracy (as trained)"), ("x", epochs), ("y", history.Select(e => e.TrainAccuracy).ToArray()),
            ("mode", "lines+markers"), ("line", Obj(("color", SeriesColours[1]), ("dash", "dot"))), ("xaxis", "x2"), ("yaxis", "y2")));
        if (hasAccuracy)
            traces.Add(Trace("scatter", ("name", $"{heldOut} accuracy"), ("x", epochs), ("y", history.Select(e => e.TestAccuracy!.Value).ToArray()),
                ("mode", "lines+markers"), ("line", Obj(("color", SeriesColours[0]), ("dash", "dot"))), ("xaxis", "x2"), ("yaxis", "y2")));
        var layout = Layout(title,
            ("xaxis", Obj(("domain", new[] { 0.0, 0.45 }), ("title", Obj(("text", "epoch"))), ("dtick", 1), ("anchor", "y"))),
            ("yaxis", Obj(("title", Obj(("text", "mean cross-entropy (nats)"))), ("rangemode", "tozero"), ("anchor", "x"))),
            ("xaxis2", Obj(("domain", new[] { 0.55, 1.0 }), ("title", Obj(("text", "epoch"))), ("dtick", 1), ("anchor", "y2"))),
            ("yaxis2", Obj(("title", Obj(("text", "accuracy"))), ("range", new[] { 0.0, 1.0 }), ("tickformat", ".0%"), ("anchor", "x2"))),
            ("legend", Obj(("orientation", "h"), ("x", 0), ("y", -0.25))), ("height", 460));
        return Figure(layout, [.. traces]);
    }

    /// <summary>
    /// A confusion matrix as a heatmap with the class names on both axes: row = true class (top to bottom in label
    /// order), column = predicted class, each cell's count written in it, and the share of its row in the hover text.
    /// The colour scale is the count (z), so the diagonal stands out and the largest confusions are the darkest
    /// off-diagonal cells. Introduced in notebook 07-training-on-real-data.
    /// </summary>
    public static GenericChart ConfusionMatrixHeatmap(string title, ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int k = matrix.Classes;
        var z = new int[k][];
        var share = new string[k][];
        for (int t = 0; t < k; t++)
        {
            z[t] = new int[k];
            share[t] = new string[k];
            int support = matrix.Support(t);
            for (int p = 0; p < k; p++)
            {
                z[t][p] = matrix[t, p];
                share[t][p] = support == 0 ? "-" : ((double)matrix[t, p] / support).ToString("P1", CultureInfo.InvariantCulture);
            }
        }
        string[] names = [.. matrix.ClassNames];
        var heatmap = Trace("heatmap", ("z", z), ("x", names), ("y", names), ("text", share), ("colorscale", "Blues"),
            ("texttemplate", "%{z}"), ("hovertemplate", "true %{y}, predicted %{x}: %{z} (%{text} of the row)<extra></extra>"),
            ("colorbar", Obj(("title", Obj(("text", "images"))))));
        const int Cell = 52;
        var layout = Layout(title,
            ("xaxis", Obj(("title", Obj(("text", "predicted class"))), ("side", "bottom"), ("tickangle", -40), ("constrain", "domain"))),
            ("yaxis", Obj(("title", Obj(("text", "true class"))), ("autorange", "reversed"), ("scaleanchor", "x"), ("constrain", "domain"))),
            ("width", Math.Min(960, k * Cell + 300)), ("height", k * Cell + 260));
        return Figure(layout, heatmap);
    }

    /// <summary>
    /// The images of <paramref name="mistakes"/> from <paramref name="data"/>, in the given order, each captioned with
    /// the predicted class and its probability and, below, the true class ("Shirt 97%" / "true: T-shirt/top"). A grid of
    /// <see cref="Images{T}"/> with those captions. Introduced in notebook 07-training-on-real-data.
    /// </summary>
    /// <exception cref="ArgumentException">No mistakes, or an index outside the data.</exception>
    public static GenericChart MistakeGrid(string title, LabeledImages data, IReadOnlyList<Mistake> mistakes, int columns = 6)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(mistakes);
        if (mistakes.Count == 0)
            throw new ArgumentException("Charts.MistakeGrid: there are no mistakes to draw.", nameof(mistakes));
        var subset = data.Subset([.. mistakes.Select(m => m.Index)]);
        var captions = mistakes.Select(m => MistakeCaption(data.ClassNames, m)).ToArray();
        return Images(subset.Images, columns, title, captions);
    }

    /// <summary>The caption <see cref="MistakeGrid"/> writes over one mistake: predicted class and probability, then the true class.</summary>
    public static string MistakeCaption(IReadOnlyList<string> classNames, Mistake mistake)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(mistake);
        return string.Create(CultureInfo.InvariantCulture, $"{classNames[mistake.Predicted]} {mistake.Confidence:P0}<br>true: {classNames[mistake.Label]}");
    }
}

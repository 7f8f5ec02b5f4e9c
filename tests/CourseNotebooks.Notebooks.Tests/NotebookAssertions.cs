using System.Text.Json;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;

using Plots = CourseNotebooks.Charts.Charts;

namespace CourseNotebooks.Notebooks.Tests;

/// <summary>Shared checks on an executed notebook.</summary>
internal static class NotebookAssertions
{
    /// <summary>Every code cell ran without error.</summary>
    public static void AllCellsSucceeded(NotebookRun run)
        => Assert.True(run.Succeeded, run.FirstFailure?.Describe());

    /// <summary>The exercise verdicts the notebook returned, in order.</summary>
    public static IReadOnlyList<Verdict> Verdicts(NotebookRun run)
        => [.. run.CodeCells.Select(c => c.ReturnValue).OfType<Verdict>()];

    /// <summary>The figure JSON of a chart the notebook kept in a variable.</summary>
    public static JsonDocument ChartOf(NotebookRun run, string variable)
        => JsonDocument.Parse(Plots.ChartJson(run.GetVariable<Plotly.NET.GenericChart>(variable)));

    /// <summary>The z values of a heatmap trace, row by row, flattened.</summary>
    public static float[] HeatmapValues(JsonDocument figure, int trace = 0)
        => [.. figure.RootElement.GetProperty("data")[trace].GetProperty("z").EnumerateArray()
            .SelectMany(row => row.EnumerateArray()).Select(v => v.GetSingle())];

    /// <summary>Asserts two sequences agree element by element within an absolute tolerance.</summary>
    public static void Close(IReadOnlyList<float> expected, IReadOnlyList<float> actual, double tolerance = 1e-6)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>Everything the one code cell whose source contains <paramref name="fragment"/> printed to standard output.</summary>
    public static string Output(NotebookRun run, string fragment) =>
        string.Concat(run.CodeCells.Single(c => c.Cell.Source.Contains(fragment, StringComparison.Ordinal))
            .Outputs.Where(o => o.Kind == OutputKind.StandardOutput).Select(o => o.PlainText));

    /// <summary>The y values of trace <paramref name="trace"/> of a chart's figure JSON.</summary>
    public static double[] Ys(JsonDocument chart, int trace) =>
        chart.RootElement.GetProperty("data")[trace].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray();
}

/// <summary>Reads properties of the anonymous-typed rows notebooks display as tables.</summary>
internal static class Rows
{
    public static IReadOnlyList<object> Of(NotebookRun run, string variable)
        => [.. ((System.Collections.IEnumerable)run.GetVariable<object>(variable)).Cast<object>()];

    public static T Get<T>(object row, string property)
        => (T)(row.GetType().GetProperty(property) ?? throw new InvalidOperationException($"no property {property} on {row.GetType()}")).GetValue(row)!;
}

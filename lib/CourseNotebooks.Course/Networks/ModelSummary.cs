using System.Globalization;
using System.Numerics;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Networks;

/// <summary>
/// One row of a <see cref="ModelSummary"/>: a leaf layer with its shapes and costs for one forward pass.
/// Introduced in notebook 06-alexnet.
/// </summary>
/// <param name="Index">Row number, 0-based, in forward order.</param>
/// <param name="Path">Position in the model as dotted child indices ("3", or "1.0" inside a nested Sequential),
/// the prefix of this layer's names in <see cref="Module{T}.NamedParameters"/>.</param>
/// <param name="Name">The layer's <see cref="Module{T}.Name"/>.</param>
/// <param name="InputShape">Shape entering the layer.</param>
/// <param name="OutputShape">Shape leaving the layer (<see cref="Module{T}.OutputShape"/>).</param>
/// <param name="Parameters">Learnable scalars of the layer.</param>
/// <param name="MultiplyAdds">Multiply-adds of one forward pass (<see cref="Module{T}.MultiplyAdds"/>).</param>
/// <param name="ParameterFraction">Parameters / total parameters (0 when the model has none).</param>
/// <param name="MultiplyAddFraction">MultiplyAdds / total multiply-adds (0 when the model has none).</param>
public sealed record ModelSummaryRow(int Index, string Path, string Name, int[] InputShape, int[] OutputShape,
    long Parameters, long MultiplyAdds, double ParameterFraction, double MultiplyAddFraction)
{
    /// <summary>2 * <see cref="MultiplyAdds"/>: one multiply and one add each.</summary>
    public long Flops => 2 * MultiplyAdds;
}

/// <summary>
/// A per-layer table of a model for one input shape: output shapes, parameter counts and multiply-adds, with totals
/// and each layer's share. Introduced in notebook 06-alexnet (where most parameters sit in the fully connected
/// layers while most multiply-adds sit in the convolutions). PyTorch: torchinfo.summary / torchsummary.
/// </summary>
/// <remarks>
/// <para>Rows: <see cref="Sequential{T}"/> containers are walked recursively (their input shape flows from child to
/// child); any other module is one row, even if it has children of its own (its shapes need not chain), counting
/// all its parameters and multiply-adds.</para>
/// <para>FLOPs are reported as 2 x multiply-adds (a multiply-add is a multiply and an add), the convention of most
/// papers; some tools call multiply-adds "FLOPs", so compare like with like. Layers that do no multiplications
/// (ReLU, pooling) count 0.</para>
/// <para>Nothing is computed on tensors: shapes come from <see cref="Module{T}.OutputShape"/>, so the summary of
/// AlexNet at [1, 3, 227, 227] is instant.</para>
/// </remarks>
public sealed class ModelSummary
{
    private ModelSummary(int[] inputShape, int[] outputShape, IReadOnlyList<ModelSummaryRow> rows, long parameters, long multiplyAdds)
    {
        InputShape = inputShape;
        OutputShape = outputShape;
        Rows = rows;
        TotalParameters = parameters;
        TotalMultiplyAdds = multiplyAdds;
    }

    /// <summary>The input shape the summary was computed for.</summary>
    public int[] InputShape { get; }

    /// <summary>The model's output shape.</summary>
    public int[] OutputShape { get; }

    /// <summary>One row per leaf layer, in forward order.</summary>
    public IReadOnlyList<ModelSummaryRow> Rows { get; }

    /// <summary>All learnable scalars of the model (equals <see cref="Module{T}.ParameterCount"/>).</summary>
    public long TotalParameters { get; }

    /// <summary>Multiply-adds of one forward pass (equals <see cref="Module{T}.MultiplyAdds"/>).</summary>
    public long TotalMultiplyAdds { get; }

    /// <summary>2 * <see cref="TotalMultiplyAdds"/>.</summary>
    public long TotalFlops => 2 * TotalMultiplyAdds;

    /// <summary>Summarises <paramref name="model"/> for an input of shape <paramref name="inputShape"/> (batch
    /// included, e.g. [1, 3, 227, 227]: multiply-adds scale with the batch). Shape errors of a layer propagate with
    /// that layer's message.</summary>
    public static ModelSummary Of<T>(Module<T> model, params int[] inputShape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        var leaves = new List<(string Path, Module<T> Module, int[] In, int[] Out)>();
        int[] output = Walk(model, "", (int[])inputShape.Clone(), leaves);

        long parameters = 0, multiplyAdds = 0;
        var costs = new List<(long Parameters, long MultiplyAdds)>();
        foreach (var (_, module, input, _) in leaves)
        {
            var cost = (module.ParameterCount(), module.MultiplyAdds(input));
            costs.Add(cost);
            parameters += cost.Item1;
            multiplyAdds += cost.Item2;
        }
        var rows = new List<ModelSummaryRow>(leaves.Count);
        for (int r = 0; r < leaves.Count; r++)
        {
            var (path, module, input, output1) = leaves[r];
            var (p, m) = costs[r];
            rows.Add(new ModelSummaryRow(r, path, module.Name, input, output1, p, m,
                parameters > 0 ? (double)p / parameters : 0, multiplyAdds > 0 ? (double)m / multiplyAdds : 0));
        }
        return new ModelSummary((int[])inputShape.Clone(), output, rows, parameters, multiplyAdds);
    }

    private static int[] Walk<T>(Module<T> module, string path, int[] input, List<(string, Module<T>, int[], int[])> leaves)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (module is Sequential<T> sequential)
        {
            var shape = input;
            for (int i = 0; i < sequential.Layers.Count; i++)
                shape = Walk(sequential.Layers[i], path.Length == 0 ? $"{i}" : $"{path}.{i}", shape, leaves);
            return shape;
        }
        var output = module.OutputShape(input);
        leaves.Add((path.Length == 0 ? "0" : path, module, input, output));
        return output;
    }

    /// <summary>The table's column headers, in order (shared by <see cref="ToString"/> and the display library's HTML table).</summary>
    public static IReadOnlyList<string> ColumnHeaders { get; } = ["#", "Layer", "Output shape", "Params", "% params", "Mult-adds", "% mult-adds"];

    /// <summary>Per column of <see cref="ColumnHeaders"/>: true where the column holds numbers (right-aligned).</summary>
    public static IReadOnlyList<bool> NumericColumns { get; } = [false, false, false, true, true, true, true];

    /// <summary>The body of the table, one formatted row per layer (invariant culture, thousands separators).</summary>
    public IReadOnlyList<string[]> TableRows() =>
        [.. Rows.Select(r => new[] { r.Path, r.Name, Tensor<float>.ShapeText(r.OutputShape), Count(r.Parameters), Percent(r.ParameterFraction),
            Count(r.MultiplyAdds), Percent(r.MultiplyAddFraction) })];

    /// <summary>The totals row of the table.</summary>
    public string[] TotalRow() =>
        ["", "Total", Tensor<float>.ShapeText(OutputShape), Count(TotalParameters), Percent(TotalParameters > 0 ? 1 : 0),
            Count(TotalMultiplyAdds), Percent(TotalMultiplyAdds > 0 ? 1 : 0)];

    /// <summary>The line above the table.</summary>
    public string Caption => $"Input shape {Tensor<float>.ShapeText(InputShape)}";

    /// <summary>The line below the table.</summary>
    public string FlopsNote => $"FLOPs (2 x multiply-adds): {Count(TotalFlops)}";

    private static string Count(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string Percent(double f) => (100 * f).ToString("F1", CultureInfo.InvariantCulture) + "%";

    /// <summary>
    /// The table: one line per layer (path, name, output shape, parameters, % of parameters, multiply-adds, % of
    /// multiply-adds), then totals; numbers right-aligned with thousands separators (invariant culture). Every row
    /// is shown, however many layers there are.
    /// </summary>
    public override string ToString()
        => PlainTable.Render(ColumnHeaders, NumericColumns, TableRows(), [TotalRow()], Caption, FlopsNote);
}

using System.Collections;
using System.Globalization;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Exercises;

/// <summary>What one probe of a hidden check produced: numbers, text, or the exception it threw. Introduced in notebook 01-convolution.</summary>
/// <param name="Numbers">A number, or the numbers of an array, tensor or sequence, as doubles (null otherwise).</param>
/// <param name="Text">A string or other non-numeric value's text (null for numbers).</param>
/// <param name="Error">The exception's type and message when the probe threw (null otherwise).</param>
public sealed record ProbeValue(double[]? Numbers, string? Text, string? Error)
{
    /// <summary>Converts a probe's value: numbers, booleans (1 or 0), arrays, tensors and sequences of numbers to
    /// <see cref="Numbers"/>, anything else to its text.</summary>
    public static ProbeValue Of(object? value) => value switch
    {
        null => new ProbeValue(null, "null", null),
        string s => new ProbeValue(null, s, null),
        bool b => new ProbeValue([b ? 1 : 0], null, null),
        Tensor<float> t => new ProbeValue([.. t.Data.Select(v => (double)v)], null, null),
        Tensor<double> t => new ProbeValue([.. t.Data], null, null),
        IConvertible c when value.GetType().IsPrimitive || value is decimal => new ProbeValue([c.ToDouble(CultureInfo.InvariantCulture)], null, null),
        IEnumerable e when e.Cast<object?>().ToList() is var items && items.All(i => i is not null && i.GetType().IsPrimitive)
            => new ProbeValue([.. items.Select(i => ((IConvertible)i!).ToDouble(CultureInfo.InvariantCulture))], null, null),
        _ => new ProbeValue(null, value.ToString(), null),
    };

    /// <inheritdoc />
    public override string ToString() => Error ?? Text ?? "[" + string.Join(", ", Numbers!.Select(n => n.ToString("R", CultureInfo.InvariantCulture))) + "]";
}

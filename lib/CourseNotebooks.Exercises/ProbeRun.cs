using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CourseNotebooks.Exercises;

/// <summary>The values of all probes of one hidden check, in order. Introduced in notebook 01-convolution.</summary>
/// <param name="Name">The exercise's name.</param>
/// <param name="Values">One value per probe.</param>
public sealed record ProbeRun(string Name, IReadOnlyList<ProbeValue> Values)
{
    /// <summary>
    /// The mime type under which a notebook shows a probe run as <see cref="ToJson"/>: the grader reads the values
    /// the student's code produced from the hidden cells' outputs under this type, in its own process.
    /// </summary>
    public const string MimeType = "application/vnd.course.probes+json";

    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The run as JSON: {"Name": ..., "Values": [{"Numbers": [...]} | {"Text": ...} | {"Error": ...}]}.
    /// Numbers that are not finite are written as text ("NaN", "Infinity"), which compares as a wrong value.</summary>
    public string ToJson() => JsonSerializer.Serialize(new ProbeRun(Name, [.. Values.Select(Finite)]), Options);

    /// <summary>Reads <see cref="ToJson"/>'s output.</summary>
    /// <exception cref="FormatException">The text is not a probe run.</exception>
    public static ProbeRun FromJson(string json)
    {
        try
        {
            var run = JsonSerializer.Deserialize<ProbeRun>(json, Options);
            if (run is null || string.IsNullOrWhiteSpace(run.Name) || run.Values is null)
                throw new FormatException($"not a probe run: {Shorten(json)}");
            return run;
        }
        catch (JsonException e) { throw new FormatException($"not a probe run ({e.Message}): {Shorten(json)}", e); }
    }

    private static ProbeValue Finite(ProbeValue value) =>
        value.Numbers is { } numbers && numbers.Any(n => !double.IsFinite(n))
            ? new ProbeValue(null, "[" + string.Join(", ", numbers.Select(n => n.ToString("R", CultureInfo.InvariantCulture))) + "]", null)
            : value;

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..120] + "...";
}

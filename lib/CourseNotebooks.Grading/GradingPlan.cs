using System.Text.Json;
using System.Text.Json.Serialization;

namespace CourseNotebooks.Grading;

/// <summary>What a cell of a grading run is.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GradingCellKind>))]
public enum GradingCellKind
{
    /// <summary>The TA's own cell (setup, lecture): run as it is.</summary>
    Notebook,
    /// <summary>A student's exercise cell: screened for capabilities no exercise may use, then run; its stub runs
    /// instead when it is refused or does not compile, so later cells still compile.</summary>
    Exercise,
    /// <summary>A hidden check (the TA's): screened for the exercise's forbidden APIs reached through student code,
    /// then run; its probe values go to the grader as soon as it ends.</summary>
    Hidden,
}

/// <summary>One cell of a grading run.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Source">The code to run.</param>
/// <param name="Exercise">For exercise and hidden cells: the exercise's name.</param>
/// <param name="Group">For hidden cells: the probe group's key.</param>
/// <param name="Forbid">For hidden cells: the exercise's forbidden APIs.</param>
/// <param name="Stub">For exercise cells: the released stub, run when the student's cell cannot be.</param>
public sealed record GradingCell(GradingCellKind Kind, string Source, string? Exercise = null, string? Group = null,
    IReadOnlyList<string>? Forbid = null, string? Stub = null);

/// <summary>
/// Everything a grading run needs, handed to the student's process on its standard input (never as a file, so nothing
/// in its folder can be swapped or read back): the cells in order, where <c>#r</c> paths resolve from, and limits.
/// </summary>
/// <param name="Cells">The cells, in order.</param>
/// <param name="CellSeconds">Longest time one cell may run.</param>
/// <param name="MaxOutputChars">Most output characters one cell keeps.</param>
/// <param name="MemoryMegabytes">The managed heap limit, for messages.</param>
public sealed record GradingPlan(IReadOnlyList<GradingCell> Cells, double CellSeconds, long MaxOutputChars, int MemoryMegabytes)
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>As JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads <see cref="ToJson"/>'s output.</summary>
    /// <exception cref="FormatException">Not a grading plan.</exception>
    public static GradingPlan FromJson(string json)
    {
        try { return JsonSerializer.Deserialize<GradingPlan>(json, Json) ?? throw new FormatException("empty grading plan"); }
        catch (JsonException e) { throw new FormatException($"not a grading plan: {e.Message}", e); }
    }
}

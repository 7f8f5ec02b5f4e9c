using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CourseNotebooks.Grading;

/// <summary>One message from a grading run to the grader.</summary>
/// <param name="Type">cell (a cell starts), notebook (a cell of the TA's failed), exercise (a student cell failed or was refused), probe (a hidden check's
/// values), hidden (a hidden check failed or was refused), timeout (a cell ran out of time), done (every cell ran).</param>
/// <param name="Index">For cell and timeout: the cell's 0-based position in the plan.</param>
/// <param name="Exercise">The exercise concerned.</param>
/// <param name="Group">For probe and hidden: the probe group.</param>
/// <param name="Status">For exercise and hidden: error, forbidden or compile.</param>
/// <param name="Reason">What happened, for the student (never a hidden input or expected value).</param>
/// <param name="Probes">For probe: the probe run as JSON.</param>
public sealed record GradingMessage(string Type, int? Index = null, string? Exercise = null, string? Group = null,
    string? Status = null, string? Reason = null, string? Probes = null);

/// <summary>
/// The channel from a grading run (the student's process) to the grader: one message a line on the run's standard
/// output, each signed with HMAC-SHA256 under a key the grader made for this run alone and passed on standard input
/// before any student code ran. Student code cannot write there (the run keeps the real standard output to itself
/// and cells may not open streams), and cannot sign (the key lives in the run's private state, out of reach of code
/// that may not reflect): a line that does not verify is counted, never believed.
/// </summary>
public static class GradingChannel
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>A fresh 256-bit key, as hex.</summary>
    public static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>The line for <paramref name="message"/>: signature, a space, the JSON.</summary>
    public static string Sign(GradingMessage message, byte[] key)
    {
        string json = JsonSerializer.Serialize(message, Json);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(json))) + " " + json;
    }

    /// <summary>The message of a signed line, or null when the line does not verify or parse.</summary>
    public static GradingMessage? Verify(string line, byte[] key)
    {
        int space = line.IndexOf(' ');
        if (space != 64) return null;
        string json = line[(space + 1)..];
        byte[] expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(json));
        byte[] given;
        try { given = Convert.FromHexString(line.AsSpan(0, 64)); }
        catch (FormatException) { return null; }
        if (!CryptographicOperations.FixedTimeEquals(expected, given)) return null;
        try { return JsonSerializer.Deserialize<GradingMessage>(json, Json); }
        catch (JsonException) { return null; }
    }

    /// <summary>Writes signed messages to a stream (the run's real standard output), a line each, flushed at once.</summary>
    public sealed class Writer(Stream stream, byte[] key) : IDisposable
    {
        private readonly StreamWriter _out = new(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        private readonly object _lock = new();

        /// <summary>Sends one message.</summary>
        public void Send(GradingMessage message)
        {
            lock (_lock) _out.WriteLine(Sign(message, key));
        }

        /// <inheritdoc />
        public void Dispose() => _out.Dispose();
    }
}

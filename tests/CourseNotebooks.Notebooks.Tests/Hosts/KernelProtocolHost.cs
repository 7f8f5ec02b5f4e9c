using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests.Hosts;

/// <summary>
/// A notebook run the way VS Code's Polyglot Notebooks extension runs it: the pinned dotnet-interactive tool started
/// as <c>dotnet interactive stdio</c> in the notebook's folder, one <c>SubmitCode</c> command envelope per cell on its
/// standard input, and the kernel's event envelopes read back from its standard output until the cell's command
/// succeeds or fails. Outputs are kept as the kernel formatted them (mime type to text).
/// </summary>
internal static class KernelProtocolHost
{
    public static async Task<NotebookRun> RunAsync(NotebookDocument notebook, TimeSpan cellTimeout)
    {
        string folder = Path.GetDirectoryName(notebook.FilePath!)!;
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { "interactive", "stdio" },
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_INTERACTIVE_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet interactive stdio");
        _ = process.StandardError.ReadToEndAsync();
        var results = new List<CellResult>();
        try
        {
            int n = 0;
            foreach (var cell in notebook.Cells)
            {
                if (!cell.IsCode)
                {
                    results.Add(new CellResult { Cell = cell, Status = cell.IsMarkdown ? CellStatus.Ok : CellStatus.Skipped });
                    continue;
                }
                string token = $"course-{++n}";
                var envelope = new JsonObject
                {
                    ["token"] = token,
                    ["commandType"] = "SubmitCode",
                    ["command"] = new JsonObject { ["code"] = cell.Source, ["targetKernelName"] = "csharp" },
                };
                await process.StandardInput.WriteLineAsync(envelope.ToJsonString());
                await process.StandardInput.FlushAsync();
                results.Add(await ReadCellAsync(process.StandardOutput, cell, token, cellTimeout));
            }
        }
        finally
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        return NotebookRun.FromResults(notebook, results, clock.Elapsed);
    }

    private static async Task<CellResult> ReadCellAsync(StreamReader output, NotebookCell cell, string token, TimeSpan timeout)
    {
        var outputs = new List<CellOutput>();
        var displays = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            string? line;
            try { line = await output.ReadLineAsync(cancel.Token); }
            catch (OperationCanceledException) { return new CellResult { Cell = cell, Status = CellStatus.TimedOut, Outputs = outputs, Elapsed = clock.Elapsed, Error = $"{cell.Label}: timed out" }; }
            if (line is null) return new CellResult { Cell = cell, Status = CellStatus.Failed, Outputs = outputs, Error = $"{cell.Label}: the kernel ended", ErrorName = "KernelEnded" };
            if (!line.StartsWith('{')) continue;   // the kernel's banner
            JsonNode? envelope;
            try { envelope = JsonNode.Parse(line); }
            catch (JsonException) { continue; }
            string? owner = envelope?["command"]?["token"]?.GetValue<string>();
            if (owner is null || (owner != token && !owner.StartsWith(token + ".", StringComparison.Ordinal))) continue;
            string type = envelope!["eventType"]?.GetValue<string>() ?? "";
            var body = envelope["event"];
            switch (type)
            {
                case "StandardOutputValueProduced":
                case "StandardErrorValueProduced":
                    var kind = type.StartsWith("StandardOutput", StringComparison.Ordinal) ? OutputKind.StandardOutput : OutputKind.StandardError;
                    string text = Formats(body).FirstOrDefault(f => f.MimeType == "text/plain")?.Text ?? "";
                    if (outputs.Count > 0 && outputs[^1].Kind == kind && outputs[^1].DisplayId is null)
                        outputs[^1] = outputs[^1] with { Formats = [new FormattedText("text/plain", outputs[^1].PlainText + text)] };
                    else outputs.Add(new CellOutput(kind, [new FormattedText("text/plain", text)]));
                    break;
                case "DisplayedValueProduced":
                    string id = body?["valueId"]?.GetValue<string>() ?? Guid.NewGuid().ToString("N");
                    displays[id] = outputs.Count;
                    outputs.Add(new CellOutput(OutputKind.Display, Formats(body)) { DisplayId = id });
                    break;
                case "DisplayedValueUpdated":
                    string updated = body?["valueId"]?.GetValue<string>() ?? "";
                    if (displays.TryGetValue(updated, out int at)) outputs[at] = outputs[at] with { Formats = Formats(body) };
                    else
                    {
                        displays[updated] = outputs.Count;
                        outputs.Add(new CellOutput(OutputKind.Display, Formats(body)) { DisplayId = updated });
                    }
                    break;
                case "ReturnValueProduced":
                    outputs.Add(new CellOutput(OutputKind.ReturnValue, Formats(body)));
                    break;
                case "CommandFailed" when owner == token:
                    return new CellResult
                    {
                        Cell = cell, Status = CellStatus.Failed, Outputs = outputs, Elapsed = clock.Elapsed,
                        Error = $"{cell.Label}: {body?["message"]?.GetValue<string>()}", ErrorName = "CommandFailed",
                    };
                case "CommandSucceeded" when owner == token:
                    return new CellResult { Cell = cell, Status = CellStatus.Ok, Outputs = outputs, Elapsed = clock.Elapsed };
            }
        }
    }

    private static IReadOnlyList<FormattedText> Formats(JsonNode? body) =>
        body?["formattedValues"] is JsonArray values
            ? [.. values.Select(v => new FormattedText(v?["mimeType"]?.GetValue<string>() ?? "text/plain", v?["value"]?.GetValue<string>() ?? ""))]
            : [];
}

using System.Text.Json.Nodes;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests.Hosts;

/// <summary>Reads an executed .ipynb (from dotnet-repl, Jupyter or a notebook app) back as a run: each code cell's
/// outputs with their mime types, and Ok or Failed by its error output.</summary>
internal static class ExecutedNotebooks
{
    public static NotebookRun Read(string path, NotebookDocument source)
    {
        var notebook = JsonNode.Parse(File.ReadAllText(path))!;
        var cells = (notebook["cells"] as JsonArray ?? []).Where(c => c?["cell_type"]?.GetValue<string>() == "code").ToList();
        var code = source.CodeCells.ToList();
        if (cells.Count != code.Count)
            throw new InvalidOperationException($"{path}: {cells.Count} code cells, the notebook has {code.Count}");
        var results = new List<CellResult>();
        int k = 0;
        foreach (var cell in source.Cells)
        {
            if (!cell.IsCode) { results.Add(new CellResult { Cell = cell, Status = CellStatus.Ok }); continue; }
            var outputs = new List<CellOutput>();
            string? error = null;
            foreach (var output in cells[k++]!["outputs"] as JsonArray ?? [])
            {
                switch (output?["output_type"]?.GetValue<string>())
                {
                    case "stream":
                        var kind = output["name"]?.GetValue<string>() == "stderr" ? OutputKind.StandardError : OutputKind.StandardOutput;
                        outputs.Add(new CellOutput(kind, [new FormattedText("text/plain", Text(output["text"]))]));
                        break;
                    case "display_data":
                    case "execute_result":
                        var formats = (output["data"] as JsonObject ?? []).Select(kv => new FormattedText(kv.Key,
                            kv.Value is JsonObject ? kv.Value.ToJsonString() : Text(kv.Value))).ToList();
                        outputs.Add(new CellOutput(output["output_type"]!.GetValue<string>() == "execute_result" ? OutputKind.ReturnValue : OutputKind.Display, formats));
                        break;
                    case "error":
                        error = $"{output["ename"]}: {output["evalue"]}";
                        break;
                }
            }
            results.Add(new CellResult { Cell = cell, Status = error is null ? CellStatus.Ok : CellStatus.Failed, Outputs = outputs, Error = error });
        }
        return NotebookRun.FromResults(source, results, TimeSpan.Zero);
    }

    private static string Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l?.GetValue<string>())),
        JsonValue value => value.GetValue<string>(),
        _ => node?.ToJsonString() ?? "",
    };
}

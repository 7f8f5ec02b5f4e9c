using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace CourseNotebooks.Course.Tests;

/// <summary>
/// Docs that stay true: every public type of the engine, the course library and the exercise protocol names, in its
/// XML documentation, the notebook that introduces it ("Introduced in notebook 01-convolution"), and that notebook
/// exists and uses the type by name (in its code or its text).
/// </summary>
public class DocumentationTests
{
    public static TheoryData<string> Assemblies => ["CourseNotebooks.Engine", "CourseNotebooks.Course", "CourseNotebooks.Exercises"];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void EveryPublicType_NamesTheNotebookThatIntroducesIt_AndThatNotebookUsesIt(string assembly)
    {
        var docs = XDocument.Load(Path.Combine(AppContext.BaseDirectory, assembly + ".xml")).Descendants("member")
            .ToDictionary(m => (string)m.Attribute("name")!, m => Regex.Replace(m.Value, @"\s+", " "));
        string notebooks = Path.Combine(FindRoot(), "notebooks");
        var problems = new List<string>();
        foreach (var type in Assembly.Load(assembly).GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            string id = "T:" + type.FullName!.Replace('+', '.');
            string name = type.Name.Split('`')[0];
            var match = Regex.Match(docs.GetValueOrDefault(id, ""), @"Introduced\b[^.]*?\bnotebooks? (\d\d-[a-z0-9-]+)");
            if (!match.Success)
            {
                problems.Add($"{type.FullName}: its documentation names no notebook (\"Introduced in notebook NN-name\")");
                continue;
            }
            string notebook = match.Groups[1].Value, path = Path.Combine(notebooks, notebook + ".dib");
            if (!File.Exists(path)) problems.Add($"{type.FullName}: notebook {notebook} does not exist");
            else if (!Regex.IsMatch(File.ReadAllText(path), $@"\b{Regex.Escape(name)}\b"))
                problems.Add($"{type.FullName}: notebook {notebook} does not use {name}");
        }
        Assert.True(problems.Count == 0, $"{problems.Count} public types:\n" + string.Join("\n", problems));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CourseNotebooks.sln"))) return dir.FullName;
        throw new InvalidOperationException($"CourseNotebooks.sln not found above {AppContext.BaseDirectory}");
    }
}

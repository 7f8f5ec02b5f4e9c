using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;

namespace CourseNotebooks.Cli;

/// <summary>
/// Finds the plotly.js that the HTML reports inline: the copy Plotly.NET carries as a resource of its assembly, in
/// the built course library. Read from the file without loading the assembly, because the notebooks load that same
/// library into this process and a second copy of it must not be loaded first.
/// </summary>
public static class PlotlyScript
{
    /// <summary>The Plotly.NET assembly in the built library folder.</summary>
    public const string AssemblyFile = "Plotly.NET.dll";

    /// <summary>
    /// The plotly.js source inside <paramref name="libraryFolder"/>/Plotly.NET.dll, or null (with the reason in
    /// <paramref name="problem"/>) when the file or its resource is missing.
    /// </summary>
    public static string? Read(string libraryFolder, out string? problem)
    {
        string path = Path.Combine(libraryFolder, AssemblyFile);
        problem = null;
        if (!File.Exists(path))
        {
            problem = $"{path} is missing";
            return null;
        }
        using var pe = new PEReader(File.OpenRead(path));
        var metadata = pe.GetMetadataReader();
        var found = new List<string>();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            string name = metadata.GetString(resource.Name);
            // An embedded resource has no implementation handle; its bytes sit in the PE's resources section.
            if (resource.Implementation.IsNil && name.Contains("plotly-", StringComparison.Ordinal) && name.EndsWith(".min.js", StringComparison.Ordinal))
                found.Add(name);
        }
        if (found.Count != 1)
        {
            problem = $"expected one plotly-*.min.js resource in {path}, found {found.Count}: [{string.Join(", ", found)}]";
            return null;
        }
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (metadata.GetString(resource.Name) != found[0]) continue;
            var section = pe.GetSectionData(pe.PEHeaders.CorHeader!.ResourcesDirectory.RelativeVirtualAddress);
            var reader = section.GetReader((int)resource.Offset, section.Length - (int)resource.Offset);
            int length = reader.ReadInt32();   // each resource is a 4-byte length followed by its bytes
            return Encoding.UTF8.GetString(reader.ReadBytes(length));
        }
        return null;
    }
}

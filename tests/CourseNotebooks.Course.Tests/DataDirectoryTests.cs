using System.Runtime.CompilerServices;
using CourseNotebooks.Course.Data;

namespace CourseNotebooks.Course.Tests;

/// <summary>A fact that runs only when environment/fetch-data has written data/full/ (it is not committed).</summary>
/// <remarks>
/// When it skips, the reason goes into the test's display name too: `dotnet test` at its default verbosity prints the
/// names of skipped tests but not xunit's skip reason, so a plain run would not say why or how to include them.
/// </remarks>
public sealed class FactWhenFullDataFetchedAttribute : FactAttribute
{
    public FactWhenFullDataFetchedAttribute([CallerMemberName] string test = "")
    {
        string full;
        try
        {
            full = Path.Combine(Datasets.FindDataDirectory(), "full");
        }
        catch (DirectoryNotFoundException e)
        {
            SkipBecause(test, e.Message);
            return;
        }
        if (!File.Exists(Path.Combine(full, "fashion-mnist", "t10k-labels-idx1-ubyte.gz")) ||
            !File.Exists(Path.Combine(full, "mnist", "t10k-labels-idx1-ubyte.gz")))
            SkipBecause(test, "data/full/ is missing: run environment/fetch-data to include these tests.");
    }

    private void SkipBecause(string test, string reason)
    {
        Skip = reason;
        DisplayName = $"{test} (not run: {reason})";
    }
}

/// <summary>
/// Tests that set COURSE_DATA_DIR: the variable is process-wide, so this collection runs alone, after the
/// parallel ones, and restores it.
/// </summary>
[CollectionDefinition(nameof(EnvironmentVariableCollection), DisableParallelization = true)]
public sealed class EnvironmentVariableCollection;

[Collection(nameof(EnvironmentVariableCollection))]
public sealed class DataDirectoryTests
{
    [Fact]
    public void FindDataDirectory_WithoutTheVariable_FindsTheRepositoryDataFolder()
    {
        string? saved = Environment.GetEnvironmentVariable(Datasets.DataDirectoryVariable);
        try
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, null);
            string dir = Datasets.FindDataDirectory();
            Assert.Equal("data", Path.GetFileName(dir));
            Assert.True(File.Exists(Path.Combine(dir, "SHA256SUMS")));
            Assert.True(Directory.Exists(Path.Combine(dir, "mnist-sample")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, saved);
        }
    }

    [Fact]
    public void FindDataDirectory_UsesTheVariableAndRejectsAMissingFolder()
    {
        string? saved = Environment.GetEnvironmentVariable(Datasets.DataDirectoryVariable);
        string temp = Directory.CreateTempSubdirectory("course-data-dir-").FullName;
        try
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, temp);
            Assert.Equal(temp, Datasets.FindDataDirectory());
            var missing = Assert.Throws<DataFileException>(() => Datasets.FashionMnist());
            Assert.StartsWith(Path.Combine(temp, "full", "fashion-mnist"), missing.FilePath);

            string nowhere = Path.Combine(temp, "nowhere");
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, nowhere);
            var e = Assert.Throws<DirectoryNotFoundException>(() => Datasets.FindDataDirectory());
            Assert.Contains(Datasets.DataDirectoryVariable, e.Message);
            Assert.Contains(nowhere, e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, saved);
            Directory.Delete(temp, recursive: true);
        }
    }

    [Fact]
    public void FactWhenFullDataFetched_WithoutFullData_SkipsAndPutsTheReasonInTheName()
    {
        string? saved = Environment.GetEnvironmentVariable(Datasets.DataDirectoryVariable);
        string temp = Directory.CreateTempSubdirectory("course-data-dir-").FullName;
        try
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, temp);
            var fact = new FactWhenFullDataFetchedAttribute("SomeTest");

            Assert.Contains("environment/fetch-data", fact.Skip);
            Assert.Equal($"SomeTest (not run: {fact.Skip})", fact.DisplayName);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirectoryVariable, saved);
            Directory.Delete(temp, recursive: true);
        }
    }
}

using CourseNotebooks.Grading;
using CourseNotebooks.Host;

namespace CourseNotebooks.Host.Tests;

public class StudentReleaseTests
{
    private const string Notebook = """
        #!csharp

        int answer =
        // BEGIN SOLUTION
            6 * 7;
        // END SOLUTION
        Console.WriteLine(answer == 42);

        #!csharp

        var grid = new int[2];
            // BEGIN SOLUTION
            grid[0] = 1;
            grid[1] = 2;
            // END SOLUTION
        Console.WriteLine(grid.Sum());
        """;

    [Fact]
    public void StripSolutions_ReplacesEachRegionByOneThrowingLine_KeepingEverythingElse()
    {
        string stripped = StudentRelease.StripSolutions(Notebook, "x.dib");
        Assert.DoesNotContain("6 * 7", stripped);
        Assert.DoesNotContain("grid[0] = 1", stripped);
        Assert.DoesNotContain("SOLUTION", stripped);
        Assert.Contains("int answer =\n    " + StudentRelease.Placeholder, stripped);
        Assert.Contains("var grid = new int[2];\n    " + StudentRelease.Placeholder + "\nConsole.WriteLine(grid.Sum());", stripped);
        Assert.Equal(2, StudentRelease.CountSolutions(Notebook));
        Assert.Equal(0, StudentRelease.CountSolutions(stripped));
    }

    [Theory]
    [InlineData("a\n// BEGIN SOLUTION\nb\n", "line 2: the solution region is never closed")]
    [InlineData("a\n// END SOLUTION\n", "line 2: '// END SOLUTION' without a '// BEGIN SOLUTION' before it")]
    [InlineData("// BEGIN SOLUTION\n// BEGIN SOLUTION\n", "line 2: a solution region starts inside the one opened at line 1")]
    public void StripSolutions_RejectsUnbalancedMarkers_NamingFileAndLine(string text, string expected)
    {
        var error = Assert.Throws<NotebookFormatException>(() => StudentRelease.StripSolutions(text, "broken.dib"));
        Assert.Contains("broken.dib", error.Message);
        Assert.Contains(expected, error.Message);
    }
}

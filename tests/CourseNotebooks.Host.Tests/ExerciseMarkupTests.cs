using CourseNotebooks.Grading;
using CourseNotebooks.Host;

namespace CourseNotebooks.Host.Tests;

public class ExerciseMarkupTests
{
    private static string Dib(params string[] cells) => string.Join("\n\n", cells.Select(c => "#!csharp\n\n" + c)) + "\n";

    private const string ExerciseCell = "// EXERCISE output-size (2 points) forbid: ConvArithmetic, Conv2d\nint Size(int i)\n{\n    // BEGIN SOLUTION\n    return i - 2;\n    // END SOLUTION\n}";
    private const string CheckCell = "// CHECK output-size\nExercise.CheckAnswer(\"output-size\", Size(5), \"sha256:00\")";
    private const string HiddenCell = "// HIDDEN output-size\nExercise.Probe(\"output-size\", () => Size(57))";

    private static IReadOnlyList<ExerciseSpec> Parse(string text) => ExerciseMarkup.Parse(NotebookDocument.Parse(text, ".dib", "/course/nb.dib"));

    [Fact]
    public void Parse_FindsCellsByName_WhateverTheirOrderOrCount()
    {
        var exercise = Assert.Single(Parse(Dib(HiddenCell, "var x = 1;", CheckCell, ExerciseCell, CheckCell)));
        Assert.Equal("output-size", exercise.Name);
        Assert.Equal(2, exercise.Points);
        Assert.Equal(["ConvArithmetic", "Conv2d"], exercise.Forbidden);
        Assert.Equal(2, exercise.CheckCells.Count);
        Assert.Single(exercise.HiddenCells);
        Assert.Equal("    return i - 2;", exercise.Solution);
        Assert.Empty(exercise.ForbiddenUses());
    }

    [Theory]
    [InlineData("    return ConvArithmetic.OutputSize(i, 3);", "ConvArithmetic")]
    [InlineData("    return new Conv2d<float>(1, 1, 3).OutputShape([1, 1, i, i])[2];", "Conv2d")]
    [InlineData("    return MyConvArithmetic(i); // a name that only contains it", null)]
    public void ForbiddenUses_FlagsWholeIdentifiers(string solution, string? flagged)
    {
        var exercise = Parse(Dib(ExerciseCell, CheckCell, HiddenCell))[0];
        Assert.Equal(flagged is null ? [] : [flagged], exercise.ForbiddenUses(solution));
    }

    [Theory]
    [InlineData("// EXERCISE Output Size (2 points)", "is not '// EXERCISE name (N points)'")]
    [InlineData("// EXERCISE output-size (two points)", "is not '// EXERCISE name (N points)'")]
    public void Parse_RejectsABadHeader_QuotingIt(string header, string reason)
    {
        var error = Assert.Throws<NotebookFormatException>(() => Parse(Dib(header + "\n// BEGIN SOLUTION\n// END SOLUTION", CheckCell, HiddenCell)));
        Assert.Contains(header, error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Parse_NamesWhatIsMissingOrRepeated()
    {
        Assert.Contains("has no '// HIDDEN output-size' cell", Assert.Throws<NotebookFormatException>(() => Parse(Dib(ExerciseCell, CheckCell))).Message);
        Assert.Contains("has no '// CHECK output-size' cell", Assert.Throws<NotebookFormatException>(() => Parse(Dib(ExerciseCell, HiddenCell))).Message);
        Assert.Contains("declared twice", Assert.Throws<NotebookFormatException>(() => Parse(Dib(ExerciseCell, ExerciseCell, CheckCell, HiddenCell))).Message);
        Assert.Contains("names exercise 'other'", Assert.Throws<NotebookFormatException>(() => Parse(Dib(ExerciseCell, CheckCell, HiddenCell, "// CHECK other\n1"))).Message);
        Assert.Contains("exactly one solution region", Assert.Throws<NotebookFormatException>(
            () => Parse(Dib("// EXERCISE output-size (1 point)\nint a = 1;", CheckCell, HiddenCell))).Message);
    }

    [Fact]
    public void Release_DropsHiddenCellsWhole_AndKeepsChecksAndOtherCells()
    {
        string text = "#!meta\n\n{\"kernelInfo\":{}}\n\n" + Dib("var x = 1;", ExerciseCell, CheckCell, HiddenCell, "var y = 2;");
        string released = StudentRelease.StripSolutions(text, "nb.dib");
        Assert.DoesNotContain("HIDDEN", released);
        Assert.DoesNotContain("Size(57)", released);
        Assert.DoesNotContain("return i - 2;", released);
        Assert.Contains(CheckCell, released);
        Assert.Contains("var y = 2;", released);
        Assert.Contains("#!meta", released);
        var exercise = Assert.Single(ExerciseMarkup.Parse(NotebookDocument.Parse(released, ".dib", "/course/nb.dib"), released: true));
        Assert.Empty(exercise.HiddenCells);
        Assert.Equal(4, NotebookDocument.Parse(released, ".dib", "/course/nb.dib").CodeCells.Count());
    }

    [Fact]
    public void Groups_SplitAnExercisesPoints_AndWithoutGroupsItIsAllOrNothing()
    {
        var plain = Parse(Dib(ExerciseCell, CheckCell, HiddenCell))[0];
        Assert.False(plain.HasGroups);
        Assert.Equal(2, Assert.Single(plain.Groups).Points);

        string values = "// HIDDEN output-size: values (1 point)\nExercise.Probe(\"output-size\", () => Size(57))";
        string edges = "// HIDDEN output-size: edge cases (1 point)\nExercise.Probe(\"output-size\", () => Size(1))";
        var grouped = Parse(Dib(ExerciseCell, CheckCell, values, edges))[0];
        Assert.True(grouped.HasGroups);
        Assert.Equal([("values", 1), ("edge cases", 1)], grouped.Groups.Select(g => (g.Key, g.Points)));
        Assert.Equal("output-size", ExerciseMarkup.HiddenName(values));
        Assert.Equal("edge cases", ExerciseMarkup.HiddenGroup(edges));
    }

    [Fact]
    public void Groups_ThatDoNotAddUp_OrAreMixedWithUngroupedCells_AreRejected()
    {
        string one = "// HIDDEN output-size: values (1 point)\nExercise.Probe(\"output-size\", () => Size(57))";
        Assert.Contains("worth 2 points but its groups add up to 1", Assert.Throws<NotebookFormatException>(() => Parse(Dib(ExerciseCell, CheckCell, one))).Message);
        Assert.Contains("name one in every hidden cell or in none", Assert.Throws<NotebookFormatException>(() => Parse(Dib(ExerciseCell, CheckCell, one, HiddenCell))).Message);
    }
}

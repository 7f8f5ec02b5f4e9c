using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;

namespace CourseNotebooks.Course.Tests;

public class ExerciseTests
{
    [Fact]
    public void CheckAnswer_AcceptsTheHashedAnswer_AndRejectsOthersWithoutSayingWhichWay()
    {
        string hash = Exercise.HashOf("conv-output-size", 16);
        Assert.True(Exercise.CheckAnswer("conv-output-size", 16, hash).Correct);
        foreach (long wrong in new long[] { 15, 17, 160, -16 })
        {
            var verdict = Exercise.CheckAnswer("conv-output-size", wrong, hash);
            Assert.False(verdict.Correct);
            Assert.DoesNotContain("large", verdict.Message);
            Assert.DoesNotContain("small", verdict.Message);
            Assert.DoesNotContain("16", verdict.Message);
        }
    }

    [Fact]
    public void Hashes_AreSaltedWithTheExerciseName()
    {
        Assert.NotEqual(Exercise.HashOf("a", 4), Exercise.HashOf("b", 4));
        Assert.False(Exercise.CheckAnswer("b", 4, Exercise.HashOf("a", 4)).Correct);
        // The documented form: sha256 of "name\nanswer" in UTF-8, lower-case hex.
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("a\n4"u8.ToArray())), Exercise.HashOf("a", 4));
    }

    [Fact]
    public void RealAnswers_AreComparedAfterRounding_AndMinusZeroIsZero()
    {
        string hash = Exercise.HashOf("avg", 0.1, 3);
        Assert.True(Exercise.CheckAnswer("avg", 0.4f / 4, 3, hash).Correct);          // float rounding noise is absorbed
        Assert.True(Exercise.CheckAnswer("avg", 0.1004, 3, hash).Correct);
        Assert.False(Exercise.CheckAnswer("avg", 0.101, 3, hash).Correct);
        Assert.False(Exercise.CheckAnswer("avg", double.NaN, 3, hash).Correct);
        Assert.Equal(Exercise.HashOf("z", 0.0, 2), Exercise.HashOf("z", -0.001, 2));
        Assert.True(Exercise.CheckAnswer("values", new[] { 0.8f, 1.2f }, 2, Exercise.HashOf("values", new[] { 0.8, 1.2 }, 2)).Correct);
        Assert.False(Exercise.CheckAnswer("values", new[] { 1.2f, 0.8f }, 2, Exercise.HashOf("values", new[] { 0.8, 1.2 }, 2)).Correct);
    }

    [Fact]
    public void CheckAnswer_WithSomethingThatIsNotAHash_SaysSo()
    {
        var error = Assert.Throws<ArgumentException>(() => Exercise.CheckAnswer("x", 3, "3"));
        Assert.Contains("is not a hash made by Exercise.HashOf", error.Message);
    }

    [Fact]
    public void Probe_RecordsValuesAndExceptions_OneByOne()
    {
        var run = Exercise.Probe("p", () => 3, () => new[] { 1.5f, 2f }, () => throw new NotImplementedException("stub"), () => "text",
            () => Tensor.FromArray(new double[,] { { 1, 2 } }));
        Assert.Equal([3.0], run.Values[0].Numbers!);
        Assert.Equal([1.5, 2.0], run.Values[1].Numbers!);
        Assert.Equal("NotImplementedException: stub", run.Values[2].Error);
        Assert.Equal("text", run.Values[3].Text);
        Assert.Equal([1.0, 2.0], run.Values[4].Numbers!);
    }

    [Fact]
    public void Compare_NamesFailedProbesByNumber_NeverTheReferenceValue()
    {
        var reference = Exercise.Probe("size", () => 29, () => 55, () => new[] { 0.25, 0.5 });
        Assert.True(Exercise.Compare(reference, Exercise.Probe("size", () => 29, () => 55, () => new[] { 0.25, 0.5 + 1e-9 })).Correct);

        var student = Exercise.Probe("size", () => 28, () => throw new NotImplementedException(), () => new[] { 0.25 });
        var verdict = Exercise.Compare(reference, student);
        Assert.False(verdict.Correct);
        Assert.Contains("3 of 3 hidden tests failed", verdict.Message);
        Assert.Contains("probe 1: wrong value", verdict.Message);
        Assert.Contains("probe 2 threw NotImplementedException", verdict.Message);
        Assert.Contains("probe 3: 1 values where 2 are expected", verdict.Message);
        Assert.DoesNotContain("29", verdict.Message);
        Assert.DoesNotContain("55", verdict.Message);
    }

    [Fact]
    public void Compare_RefusesRunsOfDifferentProbes_AndABrokenReference()
    {
        Assert.Throws<ArgumentException>(() => Exercise.Compare(Exercise.Probe("a", () => 1), Exercise.Probe("b", () => 1)));
        Assert.Throws<ArgumentException>(() => Exercise.Compare(Exercise.Probe("a", () => 1), Exercise.Probe("a", () => 1, () => 2)));
        var broken = Exercise.Probe("a", () => throw new InvalidOperationException("bug"));
        Assert.Contains("reference solution", Assert.Throws<ArgumentException>(() => Exercise.Compare(broken, broken)).Message);
    }

    [Fact]
    public void ProbeRun_RoundTripsThroughJson_AndNonFiniteNumbersBecomeText()
    {
        var run = Exercise.Probe("demo", () => 3, () => new[] { 1.5, -2 }, () => "text", () => throw new InvalidOperationException("boom"), () => double.NaN);
        var back = ProbeRun.FromJson(run.ToJson());
        Assert.Equal("demo", back.Name);
        Assert.Equal([3.0], back.Values[0].Numbers!);
        Assert.Equal([1.5, -2.0], back.Values[1].Numbers!);
        Assert.Equal("text", back.Values[2].Text);
        Assert.StartsWith("InvalidOperationException", back.Values[3].Error);
        Assert.Equal("[NaN]", back.Values[4].Text);
        // The round trip compares equal to the original, so a grader that reads JSON judges as the notebook would.
        Assert.True(Exercise.Compare(run with { Values = [.. run.Values.Take(3)] }, back with { Values = [.. back.Values.Take(3)] }).Correct);
        Assert.Throws<FormatException>(() => ProbeRun.FromJson("{\"Name\": 3}"));
        Assert.Throws<FormatException>(() => ProbeRun.FromJson("not json"));
    }
}

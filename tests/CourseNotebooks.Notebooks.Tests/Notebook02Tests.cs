using CourseNotebooks.Engine;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook02Tests(NotebookFixture fixture)
{
    private const string Name = "02-pooling";

    [Fact]
    public async Task ShiftedFeature_GivesTheSamePooledOutput()
    {
        var run = await fixture.RunAsync(Name);
        Assert.False(run.GetVariable<bool>("sameInput"));
        Assert.True(run.GetVariable<bool>("samePooled"));
        Assert.Equal([1f, 0, 0, 0], run.GetVariable<Tensor<float>>("pooledHere").Data);
    }

    [Fact]
    public async Task PoolingMakesFeatureMapsMoreShiftInvariant_OnRealImages()
    {
        var run = await fixture.RunAsync(Name);
        double before = run.GetVariable<double>("unchangedBefore"), after = run.GetVariable<double>("unchangedAfter");
        Assert.True(after > before, $"unchanged fraction before pooling {before}, after {after}");
    }

    [Fact]
    public async Task ReductionTable_CountsValuesAndParameters_AsTheLibraryDoes()
    {
        var run = await fixture.RunAsync(Name);
        Assert.Equal(8L * 28 * 28, run.GetVariable<long>("valuesBefore"));
        Assert.Equal(8L * 14 * 14, run.GetVariable<long>("valuesAfter"));
        Assert.Equal(8L * 28 * 28 * 10 + 10, run.GetVariable<long>("headBefore"));
        Assert.Equal(8L * 14 * 14 * 10 + 10, run.GetVariable<long>("headAfter"));
    }
}

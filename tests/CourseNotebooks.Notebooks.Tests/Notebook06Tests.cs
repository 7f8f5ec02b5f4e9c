using CourseNotebooks.Engine;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook06Tests(NotebookFixture fixture)
{
    private const string Name = "06-alexnet";

    [Fact]
    public async Task ParameterTable_AgreesWithTheSlide_LayerByLayer()
    {
        var run = await fixture.RunAsync(Name);
        var rows = Rows.Of(run, "comparison");
        // The slide's figures, from its parameter row: 35K, 307K, 884K, 663K, 442K, 37M, 16M, 4M.
        long[] slide = [35_000, 307_000, 884_000, 663_000, 442_000, 37_000_000, 16_000_000, 4_000_000];
        long[] unit = [1000, 1000, 1000, 1000, 1000, 1_000_000, 1_000_000, 1_000_000];
        // The counts from the paper's layer shapes (conv1 with biases as the slide writes it, the rest weights only).
        long[] counted = [(11 * 11 * 3 + 1) * 96, 5 * 5 * 48 * 256, 3 * 3 * 256 * 384, 3 * 3 * 192 * 384, 3 * 3 * 192 * 256, 9216L * 4096, 4096L * 4096, 4096L * 1000];
        Assert.Equal(8, rows.Count);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(counted[i], Rows.Get<long>(rows[i], "Counted"));
            Assert.True(Math.Abs(counted[i] - slide[i]) < unit[i]);
            Assert.True(Rows.Get<bool>(rows[i], "ParametersAgree"));
        }
    }

    [Fact]
    public async Task NeuronCounts_AgreeFromConv2On_AndConv1IsTheKnownInconsistency()
    {
        var run = await fixture.RunAsync(Name);
        var rows = Rows.Of(run, "comparison");
        Assert.False(Rows.Get<bool>(rows[0], "NeuronsAgree"));
        Assert.All(rows.Skip(1), r => Assert.True(Rows.Get<bool>(r, "NeuronsAgree")));
        Assert.Equal(55L * 55 * 96, run.GetVariable<long>("conv1Neurons"));
        Assert.False(run.GetVariable<bool>("slideFigureIsSquareTimes96"));
        var sizes = Rows.Of(run, "inputSizes");
        Assert.Equal(54.25, Rows.Get<double>(sizes[0], "Exact"));
        Assert.Equal(55.0, Rows.Get<double>(sizes[1], "Exact"));
    }

    [Fact]
    public async Task ComputeAndParameterShares_SupportTheSlidesClaims()
    {
        var run = await fixture.RunAsync(Name);
        Assert.InRange(run.GetVariable<double>("convComputeShare"), 0.90, 0.95);
        Assert.InRange(run.GetVariable<double>("convParameterShare"), 0.0, 0.06);
        Assert.InRange(run.GetVariable<double>("fcParameterShare"), 0.94, 1.0);
        var model = run.GetVariable<Sequential<float>>("alexNet");
        Assert.Equal(model.ParameterCount(), run.GetVariable<long>("totalParameters"));
        Assert.Equal(ModelSummary.Of(model, 1, 3, 227, 227).TotalMultiplyAdds, run.GetVariable<long>("allMacs"));
    }

    [Fact]
    public async Task SmallCnn_LearnsFarBeyondItsUntrainedAccuracy()
    {
        var run = await fixture.RunAsync(Name);
        double trained = run.GetVariable<double>("finalTestAccuracy"), untrained = run.GetVariable<double>("untrainedAccuracy");
        Assert.True(trained > untrained + 0.3, $"untrained {untrained}, trained {trained}");
        Assert.InRange(trained, 0.7, 1.0);
    }
}

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook05Tests(NotebookFixture fixture)
{
    private const string Name = "05-cnn-as-sparse-mlp";

    [Fact]
    public async Task ConvolutionMatrix_ReproducesTheConvolution_AndSharesItsWeights()
    {
        var run = await fixture.RunAsync(Name);
        Assert.True(run.GetVariable<double>("largestDifference") < 1e-12);
        Assert.True(run.GetVariable<double>("gradientDifference") < 1e-12);
        var weightIndex = run.GetVariable<int[,]>("weightIndex");
        Assert.Equal(9, weightIndex.GetLength(0));
        Assert.Equal(25, weightIndex.GetLength(1));
        // 9 outputs x 9 taps: every weight appears once per output position.
        for (int w = 0; w < 9; w++) Assert.Equal(9, weightIndex.Cast<int>().Count(i => i == w));
        Assert.Equal(225 - 81, weightIndex.Cast<int>().Count(i => i < 0));
    }

    [Fact]
    public async Task ParameterTable_ComparesTheConvolutionWithADenseLayerOfTheSameShape()
    {
        var run = await fixture.RunAsync(Name);
        var rows = Rows.Of(run, "parameterTable");
        Assert.Equal((5 * 5 + 1) * 8L, Rows.Get<long>(rows[0], "CnnParameters"));
        Assert.Equal(784L * 6272 + 6272, Rows.Get<long>(rows[0], "MlpParameters"));
        Assert.Equal((11 * 11 * 3 + 1) * 96L, Rows.Get<long>(rows[1], "CnnParameters"));
        Assert.Equal(227L * 227 * 3 * 55 * 55 * 96 + 55 * 55 * 96, Rows.Get<long>(rows[1], "MlpParameters"));
    }
}

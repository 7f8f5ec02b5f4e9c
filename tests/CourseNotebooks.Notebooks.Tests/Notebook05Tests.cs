using System.Text.Json;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;

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

    /// <summary>A field of a value tuple the notebook keeps (tuples have fields Item1.., not properties).</summary>
    private static T Field<T>(object tuple, string name)
        => (T)(tuple.GetType().GetField(name) ?? throw new InvalidOperationException($"no field {name} on {tuple.GetType()}")).GetValue(tuple)!;

    [Fact]
    public async Task WeightPattern_GreysStructuralZerosWithoutLabels_AndLabelsEachWeightOnce()
    {
        var run = await fixture.RunAsync(Name);
        var weightIndex = run.GetVariable<int[,]>("weightIndex");
        using var chart = NotebookAssertions.ChartOf(run, "weightPattern");
        var figure = chart.RootElement;
        Assert.DoesNotContain("NaN", figure.GetRawText(), StringComparison.Ordinal);
        var zeros = figure.GetProperty("data")[0];
        var weights = figure.GetProperty("data")[1];
        var zeroCells = zeros.GetProperty("z").EnumerateArray().Select(r => r.EnumerateArray().ToArray()).ToArray();
        var weightCells = weights.GetProperty("z").EnumerateArray().Select(r => r.EnumerateArray().ToArray()).ToArray();
        var text = weights.GetProperty("text").EnumerateArray().Select(r => r.EnumerateArray().Select(t => t.GetString()).ToArray()).ToArray();
        Assert.Equal(9, zeroCells.Length);
        Assert.Equal(25, zeroCells[0].Length);
        for (int r = 0; r < 9; r++)
            for (int c = 0; c < 25; c++)
            {
                bool zero = weightIndex[r, c] < 0;
                // A structural zero is drawn only by the grey trace and has no label; a weight only by its colour band.
                Assert.Equal(zero, zeroCells[r][c].ValueKind == JsonValueKind.Number);
                Assert.Equal(zero, weightCells[r][c].ValueKind == JsonValueKind.Null);
                Assert.Equal(zero ? "" : $"w{weightIndex[r, c] + 1}", text[r][c]);
                if (!zero) Assert.Equal(weightIndex[r, c] + 1, weightCells[r][c].GetDouble());
            }
        var bands = weights.GetProperty("colorscale").EnumerateArray().Select(stop => stop[1].GetString()).Distinct().ToArray();
        Assert.Equal(9, bands.Length);
        Assert.DoesNotContain(CourseNotebooks.Charts.Charts.StructuralZeroColour, bands);
        Assert.False(figure.GetProperty("layout").TryGetProperty("annotations", out _), "cell labels are trace text, not overlapping annotations");
        Assert.Equal("%{text}", weights.GetProperty("texttemplate").GetString());
        Assert.True(figure.GetProperty("layout").GetProperty("width").GetInt32() >= 25 * 30, "each of the 25 columns needs about 30 px for its label");
    }

    [Fact]
    public async Task CnnAndMlp_BothLearnWellAboveChance_AndTheTableIsWhatTheyScored()
    {
        var run = await fixture.RunAsync(Name);
        var test = Datasets.FashionMnistSample(DatasetSplit.Test);
        var table = Rows.Of(run, "accuracyTable");
        Assert.Equal("CNN", Rows.Get<string>(table[0], "Model"));
        Assert.Equal(4 * 25 + 4 + 196 * 10 + 10L, Rows.Get<long>(table[0], "Parameters"));
        Assert.Equal(784 * 196 + 196 + 196 * 10 + 10L, Rows.Get<long>(table[1], "Parameters"));
        for (int m = 0; m < 2; m++)
        {
            var runs = Rows.Of(run, m == 0 ? "cnnRuns" : "mlpRuns");
            Assert.Equal(3, runs.Count);
            var finals = new List<double>();
            foreach (var r in runs)
            {
                var history = Field<IReadOnlyList<Training.EpochResult>>(r, "Item3");
                var network = Field<Sequential<float>>(r, "Item2");
                Assert.Equal(3, history.Count);
                // Independently of Training.Accuracy: arg-max of the trained network's logits against the labels.
                var logits = network.Forward(test.Images);
                int correct = 0;
                for (int i = 0; i < test.Count; i++)
                {
                    int best = 0;
                    for (int j = 1; j < 10; j++) if (logits[i, j] > logits[i, best]) best = j;
                    if (best == test.Labels[i]) correct++;
                }
                double accuracy = (double)correct / test.Count;
                Assert.Equal(accuracy, history[^1].TestAccuracy!.Value, 9);
                Assert.True(accuracy > 0.6, $"{Rows.Get<string>(table[m], "Model")} seed {Field<int>(r, "Item1")}: {accuracy:P1}, chance is 10 %");
                finals.Add(accuracy);
            }
            Assert.Equal(finals.Average(), Rows.Get<double>(table[m], "Mean"), 12);
            Assert.Equal(finals.Max() - finals.Min(), Rows.Get<double>(table[m], "Spread"), 12);
            double p = finals.Average();
            Assert.Equal(Math.Sqrt(p * (1 - p) / 1000), Rows.Get<double>(table[m], "StandardError"), 12);
        }
        double cnn = Rows.Get<double>(table[0], "Mean"), mlp = Rows.Get<double>(table[1], "Mean");
        double se = Math.Sqrt(cnn * (1 - cnn) / 1000 + mlp * (1 - mlp) / 1000);
        Assert.Equal((cnn - mlp) / se, run.GetVariable<double>("differenceInStandardErrors"), 9);
        // The sentence under the table quotes these numbers and the right verdict.
        string summary = run.GetVariable<string>("accuracySummary");
        Assert.Contains(cnn.ToString("P1"), summary, StringComparison.Ordinal);
        Assert.Contains(mlp.ToString("P1"), summary, StringComparison.Ordinal);
        Assert.Contains(Math.Abs((cnn - mlp) / se) >= 2 ? "more than the noise" : "within the noise", summary, StringComparison.Ordinal);
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

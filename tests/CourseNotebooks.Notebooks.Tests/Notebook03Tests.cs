using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook03Tests(NotebookFixture fixture)
{
    private const string Name = "03-backprop-conv";

    [Fact]
    public async Task Errata_AreExactlyTheSlideLinesThatDisagreeWithTheDerivation()
    {
        var run = await fixture.RunAsync(Name);
        string[] errata = run.GetVariable<string[]>("errata");
        Assert.Equal(5, errata.Length);
        Assert.Contains(errata, e => e.StartsWith("first z4 line", StringComparison.Ordinal) && e.Contains("w9 multiplies a25, the slide has a23", StringComparison.Ordinal));
        Assert.Contains(errata, e => e.Contains("dL/dw1: dz3 multiplies a11, the slide has a1", StringComparison.Ordinal));
        Assert.Contains(errata, e => e.Contains("dL/dw7: dz2 multiplies a13, the slide has a3", StringComparison.Ordinal));
        Assert.Contains(errata, e => e.Contains("dL/dw8: dz2 multiplies a14, the slide has a4", StringComparison.Ordinal));
        Assert.Contains(errata, e => e.Contains("dL/dw9: dz2 multiplies a15, the slide has a5", StringComparison.Ordinal));
        Assert.DoesNotContain(errata, e => e.Contains("final version", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StrideTwoWeightGradients_AreTheSlidesSums_OfTheNumbersShown()
    {
        var run = await fixture.RunAsync(Name);
        var a = run.GetVariable<Tensor<double>>("a");
        var dLdz = run.GetVariable<Tensor<double>>("dLdz");
        var dLdw = run.GetVariable<Tensor<double>>("dLdw");
        // The slide's final block: dL/dw_i = sum over k of a_{j(i,k)} dL/dz_k, with j = base(i) + offset(k).
        int[] offsets = [0, 2, 10, 12];
        for (int i = 0; i < 9; i++)
        {
            int first = (i / 3) * 5 + i % 3;        // a index (0-based) that w_{i+1} meets in z_1
            double expected = offsets.Select((o, k) => a.Data[first + o] * dLdz.Data[k]).Sum();
            Assert.Equal(expected, dLdw.Data[i], 12);
        }
        Assert.True(run.GetVariable<double>("matrixFormError") < 1e-12);
        Assert.True(run.GetVariable<double>("symbolicError") < 1e-12);
    }

    [Fact]
    public async Task BothGradientIdentities_AndTheGradientCheck_Hold()
    {
        var run = await fixture.RunAsync(Name);
        Assert.True(run.GetVariable<double>("filterIdentityError") < 1e-12);
        Assert.True(run.GetVariable<double>("inputIdentityError") < 1e-12);
        Assert.True(run.GetVariable<GradientCheck.Result>("check").MaxError < 1e-6);
    }

    [Fact]
    public async Task MlpGradients_FromBackward_AreTheChainRuleProducts_ComputedIndependently()
    {
        var run = await fixture.RunAsync(Name);
        var hidden = run.GetVariable<Linear<double>>("hiddenLayer");
        var output = run.GetVariable<Linear<double>>("outputLayer");
        var x = run.GetVariable<Tensor<double>>("X");
        var t = run.GetVariable<Tensor<double>>("targetY");
        static double Sigma(double v) => 1 / (1 + Math.Exp(-v));
        // The slide's forward pass with W(1) = hidden.Weight^T, W(2) = output.Weight^T, then J = sum (y - t)^2.
        double[] a2 = [.. Enumerable.Range(0, 4).Select(j => Sigma(Enumerable.Range(0, 3).Sum(i => x[0, i] * hidden.Weight.Value[j, i])))];
        double[] y = [.. Enumerable.Range(0, 2).Select(k => Sigma(Enumerable.Range(0, 4).Sum(j => a2[j] * output.Weight.Value[k, j])))];
        double[] delta3 = [.. Enumerable.Range(0, 2).Select(k => 2 * (y[k] - t[0, k]) * y[k] * (1 - y[k]))];
        double[] delta2 = [.. Enumerable.Range(0, 4).Select(j => Enumerable.Range(0, 2).Sum(k => delta3[k] * output.Weight.Value[k, j]) * a2[j] * (1 - a2[j]))];
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 2; k++) Assert.Equal(delta3[k] * a2[j], output.Weight.Grad[k, j], 12);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) Assert.Equal(delta2[j] * x[0, i], hidden.Weight.Grad[j, i], 12);

        // The table shown: 8 + 12 rows, each chain-rule product equal to the library's gradient beside it.
        var rows = Rows.Of(run, "chainRule");
        Assert.Equal(20, rows.Count);
        Assert.Equal("W(2)[1,1]", Rows.Get<string>(rows[0], "Weight"));
        Assert.Equal(delta3[0], Rows.Get<double>(rows[0], "FromLayerAbove"), 12);
        Assert.Equal(a2[0], Rows.Get<double>(rows[0], "Local"), 12);
        foreach (var row in rows)
            Assert.Equal(Rows.Get<double>(row, "Backward"), Rows.Get<double>(row, "ChainRule"), 12);
        Assert.True(run.GetVariable<double>("mlpGradientError") < 1e-12);
        // The single-path line: three factors whose product is dJ/dW(2)[1,1].
        Assert.Equal(a2[0], run.GetVariable<double>("dz1dw"), 12);
        Assert.Equal(y[0] * (1 - y[0]), run.GetVariable<double>("dydz1"), 12);
        Assert.Equal(2 * (y[0] - t[0, 0]), run.GetVariable<double>("dLdy"), 12);
        Assert.Equal(output.Weight.Grad[0, 0], run.GetVariable<double>("singlePath"), 12);
        Assert.NotEqual(0, output.Weight.Grad[0, 0]);
    }

    [Fact]
    public async Task GradientPictures_ShowTheBackwardGradient_NextToTheFormulasResult()
    {
        var run = await fixture.RunAsync(Name);
        var dLdw = run.GetVariable<Tensor<double>>("dLdw");
        var dLda = run.GetVariable<Tensor<double>>("dLda");
        var filter = run.GetVariable<Tensor<double>>("filter");

        using var filterPicture = NotebookAssertions.ChartOf(run, "filterGradientPicture");
        Assert.Equal(4, filterPicture.RootElement.GetProperty("data").GetArrayLength());
        var backwardPanel = NotebookAssertions.HeatmapValues(filterPicture, 2);
        var formulaPanel = NotebookAssertions.HeatmapValues(filterPicture, 3);
        NotebookAssertions.Close([.. dLdw.Data.Select(v => (float)v)], backwardPanel);
        NotebookAssertions.Close(backwardPanel, formulaPanel);

        using var inputPicture = NotebookAssertions.ChartOf(run, "inputGradientPicture");
        Assert.Equal(4, inputPicture.RootElement.GetProperty("data").GetArrayLength());
        // Panel 0 is F, panel 1 F rotated by 180 degrees (entry i is F's entry 8 - i), panel 3 the formula's dL/dX.
        NotebookAssertions.Close([.. filter.Data.Select(v => (float)v)], NotebookAssertions.HeatmapValues(inputPicture, 0));
        NotebookAssertions.Close([.. filter.Data.Reverse().Select(v => (float)v)], NotebookAssertions.HeatmapValues(inputPicture, 1));
        NotebookAssertions.Close([.. dLda.Data.Select(v => (float)v)], NotebookAssertions.HeatmapValues(inputPicture, 3));

        // Backward, the full cross-correlation with rot180 F and the true full convolution with F: one tensor.
        using var threeWays = NotebookAssertions.ChartOf(run, "threeWaysPicture");
        Assert.Equal(3, threeWays.RootElement.GetProperty("data").GetArrayLength());
        for (int panel = 0; panel < 3; panel++)
            NotebookAssertions.Close([.. dLda.Data.Select(v => (float)v)], NotebookAssertions.HeatmapValues(threeWays, panel));
    }

    [Fact]
    public async Task InputGradient_IsATrueFullConvolutionWithTheUnrotatedFilter()
    {
        var run = await fixture.RunAsync(Name);
        var dLdz = run.GetVariable<Tensor<double>>("dLdz");
        var dLda = run.GetVariable<Tensor<double>>("dLda");
        var filter = run.GetVariable<Tensor<double>>("filter");
        var trueFull = run.GetVariable<Tensor<double>>("trueFullConvolution");
        // Independently: the stride-2 layer's dL/dX scatters each dL/dz_k times the unflipped filter onto the
        // window z_k read, which is what a true convolution of the spread gradient with F computes.
        var expected = new double[25];
        for (int k = 0; k < 4; k++)
            for (int u = 0; u < 3; u++)
                for (int v = 0; v < 3; v++)
                    expected[(2 * (k / 2) + u) * 5 + 2 * (k % 2) + v] += dLdz.Data[k] * filter.Data[u * 3 + v];
        for (int i = 0; i < 25; i++)
        {
            Assert.Equal(expected[i], dLda.Data[i], 12);
            Assert.Equal(expected[i], trueFull.Data[i], 12);
        }
        Assert.True(run.GetVariable<double>("trueVersusRotatedError") < 1e-12);
        Assert.True(run.GetVariable<double>("trueVersusBackwardError") < 1e-12);
        // The filter is not symmetric, so rotating it matters: the check above could fail.
        Assert.True(filter.Data.Zip(filter.Data.Reverse()).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
    }

    [Fact]
    public async Task GradientDescent_LowersTheLossAtEveryStep()
    {
        var run = await fixture.RunAsync(Name);
        var losses = run.GetVariable<List<double>>("losses");
        Assert.Equal(10, losses.Count);
        for (int i = 1; i < losses.Count; i++) Assert.True(losses[i] < losses[i - 1], $"step {i}: {losses[i - 1]} -> {losses[i]}");
    }
    [Fact]
    public async Task PredictThenRun_Linearity_IsTheLayersBackwardWithDoubledInputs()
    {
        var run = await fixture.RunAsync(Name);
        // dL/dW = sum of patches times dL/dz_k contains no weight; dL/dX = scatter of w_i times dL/dz_k: both are
        // linear in dL/dZ, and only dL/dX scales with W.
        var rows = Rows.Of(run, "linearity");
        Assert.Equal(2, rows.Count);
        Assert.Equal("dL/dZ", Rows.Get<string>(rows[0], "Doubled"));
        Assert.Equal(2, Rows.Get<double>(rows[0], "WeightGradientFactor"), 9);
        Assert.Equal(2, Rows.Get<double>(rows[0], "InputGradientFactor"), 9);
        Assert.Equal("W", Rows.Get<string>(rows[1], "Doubled"));
        Assert.Equal(1, Rows.Get<double>(rows[1], "WeightGradientFactor"), 9);
        Assert.Equal(2, Rows.Get<double>(rows[1], "InputGradientFactor"), 9);
    }

    [Fact]
    public async Task ReferenceConvBackward_AgreesWithConv2d_TheGradientCheck_AndSectionSevensSteps()
    {
        var run = await fixture.RunAsync(Name);
        // The student's function, used after the exercise: equal to the layer's Backward on every geometry shown.
        var rows = Rows.Of(run, "yourBackwardTable");
        Assert.Equal(3, rows.Count);
        Assert.Equal([(2, 0), (1, 1), (2, 1)], rows.Select(r => (Rows.Get<int>(r, "Stride"), Rows.Get<int>(r, "Padding"))).ToArray());
        Assert.Equal(["2x2", "5x5", "3x3"], rows.Select(r => Rows.Get<string>(r, "Output")).ToArray());
        foreach (var row in rows)
        {
            Assert.True(Rows.Get<double>(row, "WeightGradientDifference") < 1e-12);
            Assert.True(Rows.Get<double>(row, "InputGradientDifference") < 1e-12);
        }
        // The finite-difference check on the student's own geometry, with the library's checker.
        Assert.True(run.GetVariable<double>("myWeightGradientError") < 1e-6);
        Assert.True(run.GetVariable<double>("myInputGradientError") < 1e-6);
        // Ten steps with the reference backward give section 7's losses.
        var losses = run.GetVariable<List<double>>("losses");
        var yours = run.GetVariable<List<double>>("yourLosses");
        Assert.Equal(10, yours.Count);
        for (int i = 0; i < 10; i++) Assert.Equal(losses[i], yours[i], 12);
        Assert.True(run.GetVariable<double>("yourLossDifference") < 1e-12);
        // On the notebook's example, independently of the notebook: the patch sums of section 5.
        var (dW, dX) = run.GetVariable<(double[,] dW, double[,] dX)>("exampleBackward");
        var dLdw = run.GetVariable<Tensor<double>>("dLdw");
        var dLda = run.GetVariable<Tensor<double>>("dLda");
        for (int i = 0; i < 9; i++) Assert.Equal(dLdw.Data[i], dW[i / 3, i % 3], 12);
        for (int i = 0; i < 25; i++) Assert.Equal(dLda.Data[i], dX[i / 5, i % 5], 12);
    }
}

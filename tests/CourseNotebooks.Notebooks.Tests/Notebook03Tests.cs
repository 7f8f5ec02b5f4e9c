using CourseNotebooks.Engine;

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
    public async Task GradientDescent_LowersTheLossAtEveryStep()
    {
        var run = await fixture.RunAsync(Name);
        var losses = run.GetVariable<List<double>>("losses");
        Assert.Equal(10, losses.Count);
        for (int i = 1; i < losses.Count; i++) Assert.True(losses[i] < losses[i - 1], $"step {i}: {losses[i - 1]} -> {losses[i]}");
    }
}

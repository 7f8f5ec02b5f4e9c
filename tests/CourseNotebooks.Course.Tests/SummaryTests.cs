using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

public class SummaryTests
{
    /// <summary>Shape-and-count-only layers: the summary never runs Forward, so these need no arithmetic.</summary>
    private abstract class ShapeOnly : Module<double>
    {
        public override Tensor<double> Forward(Tensor<double> input) => throw new NotSupportedException("shape-only test layer");
        public override Tensor<double> Backward(Tensor<double> outputGradient) => throw new NotSupportedException("shape-only test layer");
    }

    /// <summary>[N, In] -> [N, Out]; In*Out + Out parameters; N*In*Out multiply-adds.</summary>
    private sealed class Dense(int inFeatures, int outFeatures) : ShapeOnly
    {
        private readonly Parameter<double> _weight = new("weight", new Tensor<double>(outFeatures, inFeatures));
        private readonly Parameter<double> _bias = new("bias", new Tensor<double>(outFeatures));
        protected override string Describe() => $"Dense({inFeatures}, {outFeatures})";
        protected override IEnumerable<Parameter<double>> OwnParameters() => [_weight, _bias];
        public override int[] OutputShape(ReadOnlySpan<int> s) => [s[0], outFeatures];
        public override long MultiplyAdds(ReadOnlySpan<int> s) => (long)s[0] * inFeatures * outFeatures;
    }

    /// <summary>Valid KxK convolution [N, C, H, W] -> [N, F, H-K+1, W-K+1].</summary>
    private sealed class Conv(int inChannels, int outChannels, int k) : ShapeOnly
    {
        private readonly Parameter<double> _weight = new("weight", new Tensor<double>(outChannels, inChannels, k, k));
        private readonly Parameter<double> _bias = new("bias", new Tensor<double>(outChannels));
        protected override IEnumerable<Parameter<double>> OwnParameters() => [_weight, _bias];
        public override int[] OutputShape(ReadOnlySpan<int> s) => [s[0], outChannels, s[2] - k + 1, s[3] - k + 1];
        public override long MultiplyAdds(ReadOnlySpan<int> s)
            => (long)s[0] * outChannels * (s[2] - k + 1) * (s[3] - k + 1) * inChannels * k * k;
    }

    private sealed class Relu : ShapeOnly
    {
        public override int[] OutputShape(ReadOnlySpan<int> s) => s.ToArray();
    }

    private sealed class Flatten : ShapeOnly
    {
        public override int[] OutputShape(ReadOnlySpan<int> s)
        {
            int features = 1;
            for (int d = 1; d < s.Length; d++) features *= s[d];
            return [s[0], features];
        }
    }

    /// <summary>A composite that is not a Sequential: y = b(a(x)) with two Dense children.</summary>
    private sealed class Block(int features) : ShapeOnly
    {
        private readonly Dense _a = new(features, features), _b = new(features, features);
        public override IEnumerable<Module<double>> Children() => [_a, _b];
        public override int[] OutputShape(ReadOnlySpan<int> s) => _b.OutputShape(_a.OutputShape(s));
        public override long MultiplyAdds(ReadOnlySpan<int> s) => _a.MultiplyAdds(s) + _b.MultiplyAdds(_a.OutputShape(s));
    }

    // Input [2, 1, 6, 6]. By hand:
    //   0   Conv(1->2, 3x3): out [2, 2, 4, 4], params 2*1*3*3 + 2 = 20,  mult-adds 2 * 2*4*4 * 1*3*3 = 576
    //   1   Relu:            out [2, 2, 4, 4], 0, 0
    //   2.0 Flatten:         out [2, 32],      0, 0
    //   2.1 Dense(32, 4):    out [2, 4],       params 32*4 + 4 = 132,    mult-adds 2*32*4 = 256
    //   3   Dense(4, 3):     out [2, 3],       params 4*3 + 3 = 15,      mult-adds 2*4*3 = 24
    //   totals: params 167, mult-adds 856, FLOPs 1712
    private static Sequential<double> SmallModel()
        => new(new Conv(1, 2, 3), new Relu(), new Sequential<double>(new Flatten(), new Dense(32, 4)), new Dense(4, 3));

    [Fact]
    public void ModelSummary_SmallModel_MatchesHandCounts()
    {
        var summary = ModelSummary.Of(SmallModel(), 2, 1, 6, 6);
        Assert.Equal(["0", "1", "2.0", "2.1", "3"], summary.Rows.Select(r => r.Path));
        Assert.Equal([0, 1, 2, 3, 4], summary.Rows.Select(r => r.Index));
        Assert.Equal(["Conv", "Relu", "Flatten", "Dense(32, 4)", "Dense(4, 3)"], summary.Rows.Select(r => r.Name));
        Assert.Equal([20L, 0, 0, 132, 15], summary.Rows.Select(r => r.Parameters));
        Assert.Equal([576L, 0, 0, 256, 24], summary.Rows.Select(r => r.MultiplyAdds));
        Assert.Equal([2, 2, 4, 4], summary.Rows[1].OutputShape);
        Assert.Equal([2, 32], summary.Rows[2].OutputShape);
        Assert.Equal([2, 32], summary.Rows[3].InputShape);
        Assert.Equal([2, 3], summary.OutputShape);
        Assert.Equal(167, summary.TotalParameters);
        Assert.Equal(856, summary.TotalMultiplyAdds);
        Assert.Equal(1712, summary.TotalFlops);
        Assert.Equal(512, summary.Rows[3].Flops);
        Assert.Equal(132.0 / 167, summary.Rows[3].ParameterFraction, 1e-15);
        Assert.Equal(576.0 / 856, summary.Rows[0].MultiplyAddFraction, 1e-15);
        Assert.Equal(1.0, summary.Rows.Sum(r => r.ParameterFraction), 1e-12);
    }

    [Fact]
    public void ModelSummary_Totals_AgreeWithTheModelItself()
    {
        var model = SmallModel();
        var summary = ModelSummary.Of(model, 3, 1, 6, 6);
        Assert.Equal(model.ParameterCount(), summary.TotalParameters);
        Assert.Equal(model.MultiplyAdds([3, 1, 6, 6]), summary.TotalMultiplyAdds);
        Assert.Equal(3L * 2 * 16 * 9, summary.Rows[0].MultiplyAdds); // batch 3 scales the multiply-adds, not the parameters
        Assert.Equal(20, summary.Rows[0].Parameters);
    }

    [Fact]
    public void ModelSummary_NonSequentialComposite_IsOneRow()
    {
        var summary = ModelSummary.Of(new Sequential<double>(new Block(5), new Dense(5, 2)), 1, 5);
        Assert.Equal(2, summary.Rows.Count);
        Assert.Equal("Block", summary.Rows[0].Name);
        Assert.Equal(2 * (25 + 5), summary.Rows[0].Parameters);
        Assert.Equal(50, summary.Rows[0].MultiplyAdds);
    }

    [Fact]
    public void ModelSummary_SingleLeafModel_HasOneRowAtPathZero()
    {
        var summary = ModelSummary.Of(new Dense(3, 2), 4, 3);
        var row = Assert.Single(summary.Rows);
        Assert.Equal("0", row.Path);
        Assert.Equal(24, row.MultiplyAdds);
        Assert.Equal(1.0, row.MultiplyAddFraction);
    }

    [Fact]
    public void ModelSummary_ToString_AlignsColumnsWithThousandsSeparators()
    {
        var model = new Sequential<double>(new Dense(1000, 2000), new Relu(), new Dense(2000, 10));
        var text = ModelSummary.Of(model, 1, 1000).ToString();
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("Input shape [1, 1000]", lines[0]);
        Assert.Contains("2,002,000", lines[3]); // 1000*2000 + 2000
        Assert.Contains("2,000,000", lines[3]);
        Assert.Contains("20,010", lines[5]);
        Assert.Contains("2,022,010", lines[7]);
        Assert.Equal("FLOPs (2 x multiply-adds): 4,040,000", lines[8]);
        // Header, three rows and the total line end at the same column: the numbers are right-aligned.
        int width = lines[1].Length;
        Assert.All(new[] { lines[3], lines[4], lines[5], lines[7] }, l => Assert.Equal(width, l.Length));
        Assert.Equal(lines[1].IndexOf("Params", StringComparison.Ordinal) + "Params".Length,
            lines[3].IndexOf("2,002,000", StringComparison.Ordinal) + "2,002,000".Length);
    }

    [Fact]
    public void ModelSummary_ModelWithoutParameters_HasZeroFractionsNotNaN()
    {
        var summary = ModelSummary.Of(new Sequential<double>(new Relu(), new Flatten()), 2, 3, 4);
        Assert.All(summary.Rows, r => Assert.Equal(0.0, r.ParameterFraction));
        Assert.All(summary.Rows, r => Assert.Equal(0.0, r.MultiplyAddFraction));
        Assert.Equal([2, 12], summary.OutputShape);
    }
}

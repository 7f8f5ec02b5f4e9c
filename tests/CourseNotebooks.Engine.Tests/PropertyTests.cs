using FsCheck;
using FsCheck.Xunit;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// Properties over random shapes (FsCheck draws the raw numbers; each test maps them into a valid range so every
/// case is a legal layer). They complement the hand-picked cases in the per-layer tests.
/// </summary>
public class PropertyTests
{
    private static int In(int raw, int low, int high) => low + (int)((uint)raw % (uint)(high - low + 1));

    [Property(MaxTest = 60)]
    public bool Conv2d_FastMatchesNaive_AndShapeFollowsTheFormula(int n, int g, int cPerGroup, int h, int w, int k, int s, int p, int d, int seed)
    {
        int groups = In(g, 1, 3), channels = groups * In(cPerGroup, 1, 3), outChannels = groups * In(cPerGroup + 1, 1, 3);
        int kernel = In(k, 1, 4), stride = In(s, 1, 3), dilation = In(d, 1, 2), padding = In(p, 0, (kernel - 1) * dilation);
        int span = dilation * (kernel - 1) + 1;
        int height = Math.Max(In(h, 1, 12), span), width = Math.Max(In(w, 1, 12), span);
        var conv = new Conv2d<float>(channels, outChannels, kernel, stride, padding, dilation, groups, seed: seed);
        var x = Tensor.Randn<float>(new Random(seed), In(n, 1, 3), channels, height, width);
        var fast = conv.Forward(x).Clone();
        conv.Implementation = Implementation.Naive;
        var naive = conv.Forward(x);
        int expectedH = (height + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
        int expectedW = (width + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
        return fast.Size(2) == expectedH && fast.Size(3) == expectedW
            && fast.Data.Zip(naive.Data).All(t => Math.Abs(t.First - t.Second) <= 1e-4f * (1 + Math.Abs(t.Second)));
    }

    [Property(MaxTest = 60)]
    public bool MaxPool2d_Backward_RoutesEveryGradientToExactlyOneInput(int n, int c, int h, int w, int k, int s, int seed)
    {
        int kernel = In(k, 1, 3), stride = In(s, 1, 3);
        int height = In(h, kernel, 10), width = In(w, kernel, 10);
        var pool = new MaxPool2d<double>(kernel, stride);
        var random = new Random(seed);
        var x = Tensor.Randn<double>(random, In(n, 1, 2), In(c, 1, 3), height, width);
        var y = pool.Forward(x);
        var dy = Tensor.Uniform<double>(random, 0.5, 1.5, y.Shape.ToArray());
        var dx = pool.Backward(dy);
        // Overlapping windows may send several gradients to one input, but none is lost or duplicated.
        return Math.Abs(dx.Data.Sum() - dy.Data.Sum()) < 1e-9 && dx.Data.All(v => v >= 0);
    }

    [Property(MaxTest = 60)]
    public bool AvgPool2d_WithoutPadding_ConservesTheGradientSum(int n, int c, int h, int w, int k, int seed)
    {
        int kernel = In(k, 1, 3);
        int height = In(h, kernel, 10), width = In(w, kernel, 10);
        var pool = new AvgPool2d<double>(kernel);
        var random = new Random(seed);
        var x = Tensor.Randn<double>(random, In(n, 1, 2), In(c, 1, 3), height, width);
        var dy = Tensor.Randn<double>(random, pool.Forward(x).Shape.ToArray());
        var dx = pool.Backward(dy);
        return Math.Abs(dx.Data.Sum() - dy.Data.Sum()) < 1e-9;
    }

    [Property(MaxTest = 40)]
    public bool Gemm_TransposedProduct_EqualsProductOfTransposes(int m, int n, int k, int seed)
    {
        int rows = In(m, 1, 40), cols = In(n, 1, 40), inner = In(k, 1, 40);
        var random = new Random(seed);
        var a = Tensor.Randn<double>(random, rows, inner);
        var b = Tensor.Randn<double>(random, inner, cols);
        var ab = new double[rows * cols];
        Gemm.Multiply(false, false, rows, cols, inner, 1.0, a.Data, inner, b.Data, cols, 0.0, ab, cols);
        // (AB)^T = B^T A^T, computed from the same storage read as transposed.
        var abT = new double[cols * rows];
        Gemm.Multiply(true, true, cols, rows, inner, 1.0, b.Data, cols, a.Data, inner, 0.0, abT, rows);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                if (Math.Abs(ab[i * cols + j] - abT[j * rows + i]) > 1e-9) return false;
        return true;
    }

    [Property(MaxTest = 40)]
    public bool ConvTranspose2d_OutputSize_FollowsPyTorchsFormula(int c, int h, int k, int s, int p, int op, int seed)
    {
        int kernel = In(k, 1, 4), stride = In(s, 1, 3), padding = In(p, 0, kernel - 1), outputPadding = In(op, 0, stride - 1);
        int height = In(h, 1, 8);
        int expected = (height - 1) * stride - 2 * padding + (kernel - 1) + outputPadding + 1;
        if (expected < 1) return true;  // PyTorch rejects these; the layer's own tests cover the error
        var layer = new ConvTranspose2d<float>(In(c, 1, 3), 2, kernel, stride, padding, outputPadding, seed: seed);
        return layer.OutputShape([1, layer.Weight.Value.Size(0), height, height])[2] == expected;
    }
}

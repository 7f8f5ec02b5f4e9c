using CourseNotebooks.Course.Convolution;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.ConvTestSupport;

namespace CourseNotebooks.Course.Tests;

public class ConvMatrixTests
{
    [Theory]
    [InlineData(1, 1, 5, 5, 3, 3, 1, 0, 1, 1, false)]
    [InlineData(3, 4, 6, 7, 3, 2, 2, 1, 1, 1, true)]
    [InlineData(4, 6, 7, 5, 3, 3, 1, 2, 2, 2, true)]
    [InlineData(3, 3, 5, 6, 2, 3, 2, 1, 1, 3, false)]
    public void ConvMatrix_TimesFlattenedInput_EqualsTheLayerOutput(int c, int oc, int h, int w, int kh, int kw, int stride, int padding,
        int dilation, int groups, bool bias)
    {
        var random = new Random(3);
        var conv = new Conv2d<double>(c, oc, (kh, kw), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, seed: 9);
        var x = Tensor.Randn<double>(random, 1, c, h, w);
        var m = ConvMatrix.Of(conv, h, w);
        var expected = conv.Forward(x);
        Assert.Equal(new[] { expected.Length, x.Length }, m.Matrix.Shape.ToArray());
        Assert.True(MaxRelativeDifference(m.Apply(x), expected.Reshape(expected.Shape[1..].ToArray())) < 1e-12);
        Assert.Equal(bias, m.Bias is not null);
    }

    [Fact]
    public void ConvMatrix_SlideExample_ReproducesTheSlideOutputAndCountsTheSparsity()
    {
        var m = ConvMatrix.OfKernel(Tensor.FromArray(SlideKernel), 5, 5);
        Assert.Equal(Tensor.FromArray(SlideOutput).Data, m.Apply(Tensor.FromArray(SlideInput)).Data);
        Assert.Equal(9 * 25, m.Total);
        // Every output sees exactly the 9 kernel weights, and no padding: 9 * 9 nonzeros.
        Assert.Equal(81, m.Nonzeros);
        Assert.Equal(81.0 / 225, m.Density, 12);
        // Row 0 (output z_1) holds w_1..w_3 at a_1..a_3, w_4..w_6 at a_6..a_8, w_7..w_9 at a_11..a_13.
        int[] expectedRow = [0, 1, 2, -1, -1, 3, 4, 5, -1, -1, 6, 7, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1];
        Assert.Equal(expectedRow, Enumerable.Range(0, 25).Select(q => m.WeightIndex[0, q]));
    }

    [Fact]
    public void ConvMatrix_WeightIndex_ShowsWeightSharing()
    {
        var m = ConvMatrix.OfKernel(Tensor.Arange<double>(3, 3), 6, 6, padding: 1);
        // Each weight entry equals the weight it names; structural zeros are exactly zero.
        for (int r = 0; r < m.Matrix.Size(0); r++)
            for (int q = 0; q < m.Matrix.Size(1); q++)
                Assert.Equal(m.WeightIndex[r, q] < 0 ? 0 : m.WeightIndex[r, q], m.Matrix[r, q]);
        // Shared weights: the centre weight appears once per output pixel (it never falls into the padding).
        Assert.Equal(36, m.WeightIndex.Cast<int>().Count(k => k == 4));
        // A corner weight falls into the padding along one row and one column of outputs: 5 * 5 uses.
        Assert.Equal(25, m.WeightIndex.Cast<int>().Count(k => k == 0));
        Assert.Equal(36 * 9 - 4 * 11 - 4 * 6, m.Nonzeros);
    }

    [Fact]
    public void ConvMatrix_SingleChannelStrideOne_IsDoublyBlockToeplitz()
    {
        var random = new Random(4);
        var kernel = Tensor.Randn<double>(random, 3, 2);
        var m = ConvMatrix.OfKernel(kernel, 6, 5);
        int oh = m.OutputShape.OH, h = m.InputShape.H;
        for (int i = 0; i < oh; i++)
            for (int r = 0; r < h; r++)
            {
                int kh = r - i;
                Assert.Equal(kh is >= 0 and < 3 ? kh : -1, m.KernelRowOfBlock(i, r));
                var block = m.Block(i, r);
                // Toeplitz: constant along diagonals, and equal to the block one step down the block diagonal.
                for (int j = 1; j < block.Size(0); j++)
                    for (int q = 1; q < block.Size(1); q++)
                        Assert.Equal(block[j - 1, q - 1], block[j, q]);
                if (i + 1 < oh && r + 1 < h) Assert.Equal(block.Data, m.Block(i + 1, r + 1).Data);
                if (kh is >= 0 and < 3)
                    for (int q = 0; q < 2; q++) Assert.Equal(kernel[kh, q], block[0, q]);
            }
    }

    [Fact]
    public void ConvMatrix_InputOfWrongSize_NamesExpectedAndActual()
    {
        var m = ConvMatrix.OfKernel(Tensor.FromArray(SlideKernel), 5, 5);
        var ex = Assert.Throws<ArgumentException>(() => m.Apply(new Tensor<double>(4, 4)));
        Assert.Contains("expected 25", ex.Message);
        Assert.Contains("got 16", ex.Message);
    }
}

using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>The slides' stride-2 backpropagation example: 5x5 input, 3x3 filter, stride 2, 2x2 output.</summary>
public class ConvStrideTwoSlideTests
{
    private static readonly double[,] Input =
    {
        { 3, 3, 2, 1, 0 }, { 0, 0, 1, 3, 1 }, { 3, 1, 2, 2, 3 }, { 2, 0, 0, 2, 2 }, { 2, 0, 0, 0, 1 },
    };

    private static readonly double[,] Kernel = { { 0, 1, 2 }, { 2, 2, 0 }, { 0, 1, 2 } };

    private static Conv2d<double> Layer(Implementation implementation)
    {
        var conv = new Conv2d<double>(1, 1, 3, stride: 2, bias: false) { Implementation = implementation };
        Tensor.FromArray(Kernel).Data.CopyTo(conv.Weight.Value.Data, 0);
        return conv;
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void StrideTwo_OnTheSlideNumbers_KeepsEveryOtherOutputOfStrideOne(Implementation implementation)
    {
        var z = Layer(implementation).Forward(Tensor.FromArray(Input).Reshape(1, 1, 5, 5));
        // Stride 1 gives [[12,12,17],[10,17,19],[9,6,14]]; stride 2 keeps rows and columns 0 and 2.
        Assert.Equal([1, 1, 2, 2], z.Shape.ToArray());
        Assert.Equal([12.0, 17, 9, 14], z.Data);
    }

    [Theory]
    [InlineData(Implementation.Fast)]
    [InlineData(Implementation.Naive)]
    public void StrideTwo_WeightGradients_AreTheSlidesNineSums(Implementation implementation)
    {
        var conv = Layer(implementation);
        var a = Tensor.FromArray(Input);
        conv.Forward(a.Reshape(1, 1, 5, 5));
        double[] dz = [1.5, -0.5, 0.25, 2.0];
        conv.Backward(new Tensor<double>(dz, 1, 1, 2, 2));
        // The slide's final block, one line per weight: dL/dw_i = a_j1 dz1 + a_j2 dz2 + a_j3 dz3 + a_j4 dz4 (1-based j).
        int[][] slide =
        [
            [1, 3, 11, 13], [2, 4, 12, 14], [3, 5, 13, 15],
            [6, 8, 16, 18], [7, 9, 17, 19], [8, 10, 18, 20],
            [11, 13, 21, 23], [12, 14, 22, 24], [13, 15, 23, 25],
        ];
        for (int i = 0; i < 9; i++)
        {
            double expected = slide[i].Select((j, k) => a.Data[j - 1] * dz[k]).Sum();
            Assert.Equal(expected, conv.Weight.Grad.Data[i], 12);
        }
    }
}

using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine;

/// <summary>
/// Rectified linear unit, y = max(0, x), element-wise on any shape. Introduced in notebook 01-convolution
/// (after the feature map); its derivative in 03-backprop-conv. PyTorch: torch.nn.ReLU.
/// </summary>
/// <remarks>
/// dy/dx = 1 for x &gt; 0 and 0 for x &lt;= 0: at x = 0 the derivative is taken as 0, as PyTorch does.
/// NaN passes through the forward (relu(NaN) = NaN) and gets gradient 0.
/// </remarks>
public sealed class ReLU<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // The output is enough for Backward: y > 0 exactly where x > 0.
    private Tensor<T>? _output;

    private readonly StepBuffers<T> _buffers = new();

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var y = Implementation == Implementation.Fast ? _buffers.Output(input.Shape) : input.ZerosLike();
        if (Implementation == Implementation.Naive)
        {
            for (int i = 0; i < y.Length; i++)
            {
                T x = input.Data[i];
                y.Data[i] = x > T.Zero || T.IsNaN(x) ? x : T.Zero;
            }
        }
        else
            TensorPrimitives.Max(input.Data, T.Zero, y.Data); // IEEE maximum: NaN propagates, as in PyTorch.
        _output = y;
        return y;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var y = _output ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", y.Shape, outputGradient.Shape);
        var dX = Implementation == Implementation.Fast ? _buffers.InputGradient(y.Shape) : y.ZerosLike();
        if (Implementation == Implementation.Naive)
        {
            for (int i = 0; i < dX.Length; i++)
                dX.Data[i] = y.Data[i] > T.Zero ? outputGradient.Data[i] : T.Zero;
        }
        else
            Elementwise.MaskPositive<T>(y.Data, outputGradient.Data, dX.Data);
        return dX;
    }
}

using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine;

/// <summary>
/// Logistic sigmoid, y = 1 / (1 + exp(-x)), element-wise on any shape. Introduced in notebook
/// 03-backprop-conv (the MLP view of backpropagation); the auto-encoders of the part-3 notebook on PCA and auto-encoders, still to come, use it
/// for outputs in [0, 1]. PyTorch: torch.nn.Sigmoid.
/// </summary>
/// <remarks>
/// Computed without overflow: for x &lt; 0 the naive path uses exp(x) / (1 + exp(x)), so exp never sees a large
/// positive argument; the fast path (TensorPrimitives.Sigmoid, with eˣ itself below x = −40 so that very negative inputs
/// keep their tiny, even subnormal, value instead of underflowing to 0) saturates to exactly 1 and never gives NaN.
/// dy/dx = y (1 - y), taken from the cached output.
/// </remarks>
public sealed class Sigmoid<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _output;

    private readonly StepBuffers<T> _buffers = new();

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <summary>The stable scalar sigmoid (also used by BCEWithLogitsLoss's reference path).</summary>
    internal static T Scalar(T x)
    {
        if (x >= T.Zero) return T.One / (T.One + T.Exp(-x));
        T e = T.Exp(x);
        return e / (T.One + e);
    }

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var y = Implementation == Implementation.Fast ? _buffers.Output(input.Shape) : input.ZerosLike();
        if (Implementation == Implementation.Naive)
            for (int i = 0; i < y.Length; i++) y.Data[i] = Scalar(input.Data[i]);
        else
            PreciseMath.Sigmoid<T>(input.Data, y.Data);
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
                dX.Data[i] = outputGradient.Data[i] * y.Data[i] * (T.One - y.Data[i]);
        }
        else
        {
            TensorPrimitives.Subtract(T.One, y.Data, dX.Data);
            TensorPrimitives.Multiply<T>(dX.Data, y.Data, dX.Data);
            TensorPrimitives.Multiply<T>(dX.Data, outputGradient.Data, dX.Data);
        }
        return dX;
    }
}

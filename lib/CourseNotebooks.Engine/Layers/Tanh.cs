using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine;

/// <summary>
/// Hyperbolic tangent, y = tanh(x), element-wise on any shape (outputs in (-1, 1)). Planned for 
/// the part-3 notebook on PCA and auto-encoders (still to come; no notebook uses it yet). PyTorch: torch.nn.Tanh.
/// </summary>
/// <remarks>dy/dx = 1 - y², taken from the cached output; saturates to ±1 without overflow. The fast path is
/// TensorPrimitives.Tanh except below |x| = 0.55, where that loses relative precision (−0 for x = 1e-8 in float) and
/// the scalar tanh is used, so tanh(x) keeps the sign and the digits of x down to the subnormals.</remarks>
public sealed class Tanh<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _output;

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var y = input.ZerosLike();
        if (Implementation == Implementation.Naive)
            for (int i = 0; i < y.Length; i++) y.Data[i] = T.Tanh(input.Data[i]);
        else
            PreciseMath.Tanh<T>(input.Data, y.Data);
        _output = y;
        return y;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var y = _output ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", y.Shape, outputGradient.Shape);
        var dX = y.ZerosLike();
        if (Implementation == Implementation.Naive)
        {
            for (int i = 0; i < dX.Length; i++)
                dX.Data[i] = outputGradient.Data[i] * (T.One - y.Data[i] * y.Data[i]);
        }
        else
        {
            // 1 - y² as (1 - y)(1 + y): it keeps more digits than 1 - y*y where |y| is close to 1.
            var onePlus = new T[dX.Length];
            TensorPrimitives.Add(y.Data, T.One, onePlus);
            TensorPrimitives.Subtract(T.One, y.Data, dX.Data);
            TensorPrimitives.Multiply<T>(dX.Data, onePlus, dX.Data);
            TensorPrimitives.Multiply<T>(dX.Data, outputGradient.Data, dX.Data);
        }
        return dX;
    }
}

using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine;

/// <summary>
/// Leaky ReLU, y = x for x &gt; 0 and negativeSlope * x otherwise, element-wise on any shape: negative inputs
/// keep a small gradient, so a unit cannot "die". Introduced in notebook 06-alexnet (activation choices).
/// PyTorch: torch.nn.LeakyReLU (negative_slope = 0.01).
/// </summary>
/// <remarks>dy/dx = 1 for x &gt; 0 and negativeSlope for x &lt;= 0 (at 0 the slope, as PyTorch).</remarks>
public sealed class LeakyReLU<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _input;

    /// <summary>A leaky ReLU with the given slope for x &lt;= 0.</summary>
    public LeakyReLU(double negativeSlope = 0.01) => NegativeSlope = T.CreateTruncating(negativeSlope);

    /// <summary>The slope for non-positive inputs.</summary>
    public T NegativeSlope { get; }

    /// <inheritdoc />
    protected override string Describe() => $"LeakyReLU({NegativeSlope})";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var y = input.ZerosLike();
        if (Implementation == Implementation.Naive)
        {
            for (int i = 0; i < y.Length; i++)
            {
                T x = input.Data[i];
                y.Data[i] = x > T.Zero ? x : NegativeSlope * x;
            }
        }
        else
        {
            TensorPrimitives.Multiply(input.Data, NegativeSlope, y.Data);
            Elementwise.SelectPositive<T>(input.Data, input.Data, y.Data, y.Data);
        }
        _input = input;
        return y;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var x = _input ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", x.Shape, outputGradient.Shape);
        var dX = x.ZerosLike();
        if (Implementation == Implementation.Naive)
        {
            for (int i = 0; i < dX.Length; i++)
                dX.Data[i] = x.Data[i] > T.Zero ? outputGradient.Data[i] : NegativeSlope * outputGradient.Data[i];
        }
        else
        {
            TensorPrimitives.Multiply(outputGradient.Data, NegativeSlope, dX.Data);
            Elementwise.SelectPositive<T>(x.Data, outputGradient.Data, dX.Data, dX.Data);
        }
        return dX;
    }
}

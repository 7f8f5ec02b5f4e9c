using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Hyperbolic tangent, y = tanh(x), element-wise on any shape (outputs in (-1, 1)). Used by notebook
/// 17-learning-methods (its small network's hidden layer). PyTorch: torch.nn.Tanh.
/// Introduced in notebook 17-learning-methods.
/// </summary>
/// <remarks>dy/dx = 1 - y², taken from the cached output; saturates to ±1 without overflow. The fast path is
/// TensorPrimitives.Tanh except below |x| = 0.55, where that loses relative precision (−0 for x = 1e-8 in float) and
/// the scalar tanh is used, so tanh(x) keeps the sign and the digits of x down to the subnormals.</remarks>
public sealed class Tanh<T> : Activation<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    protected override void Values(ReadOnlySpan<T> x, Span<T> y) => PreciseMath.Tanh(x, y);

    /// <inheritdoc />
    protected override void InputGradients(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
    {
        // 1 − y² as −y·y + 1 in one multiply-add: a single rounding keeps the digits near |y| = 1 (fused where the
        // CPU has FMA), with no temporary array.
        TensorPrimitives.Negate(y, inputGradient);
        TensorPrimitives.MultiplyAddEstimate(inputGradient, y, T.One, inputGradient);
        TensorPrimitives.Multiply(inputGradient, outputGradient, inputGradient);
    }

    /// <inheritdoc />
    protected override void ValuesReference(ReadOnlySpan<T> x, Span<T> y) => ActivationReference.Tanh(x, y);

    /// <inheritdoc />
    protected override void InputGradientsReference(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
        => ActivationReference.TanhBackward(x, y, outputGradient, inputGradient);
}

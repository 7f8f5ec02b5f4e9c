using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Logistic sigmoid, y = 1 / (1 + exp(-x)), element-wise on any shape. Introduced in notebook
/// 03-backprop-conv (the MLP view of backpropagation); the auto-encoders of notebooks 10-autoencoder-vs-pca and
/// 13-convolutional-autoencoder use it for outputs in [0, 1]. PyTorch: torch.nn.Sigmoid.
/// </summary>
/// <remarks>
/// Computed without overflow: for x &lt; 0 the naive path uses exp(x) / (1 + exp(x)), so exp never sees a large
/// positive argument; the fast path (TensorPrimitives.Sigmoid, with eˣ itself below x = −40 so that very negative inputs
/// keep their tiny, even subnormal, value instead of underflowing to 0) saturates to exactly 1 and never gives NaN.
/// dy/dx = y (1 - y), taken from the cached output.
/// </remarks>
public sealed class Sigmoid<T> : Activation<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    protected override void Values(ReadOnlySpan<T> x, Span<T> y) => PreciseMath.Sigmoid(x, y);

    /// <inheritdoc />
    protected override void InputGradients(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
    {
        // dσ/dx = y (1 − y).
        TensorPrimitives.Subtract(T.One, y, inputGradient);
        TensorPrimitives.Multiply(inputGradient, y, inputGradient);
        TensorPrimitives.Multiply(inputGradient, outputGradient, inputGradient);
    }

    /// <inheritdoc />
    protected override void ValuesReference(ReadOnlySpan<T> x, Span<T> y) => ActivationReference.Sigmoid(x, y);

    /// <inheritdoc />
    protected override void InputGradientsReference(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
        => ActivationReference.SigmoidBackward(x, y, outputGradient, inputGradient);
}

using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Rectified linear unit, y = max(0, x), element-wise on any shape. Introduced in notebook 01-convolution
/// (after the feature map); its derivative in 03-backprop-conv. PyTorch: torch.nn.ReLU.
/// </summary>
/// <remarks>
/// dy/dx = 1 for x &gt; 0 and 0 for x &lt;= 0: at x = 0 the derivative is taken as 0, as PyTorch does.
/// NaN passes through the forward (relu(NaN) = NaN) and gets gradient 0.
/// </remarks>
public sealed class ReLU<T> : Activation<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // IEEE maximum: NaN propagates, as in PyTorch.
    /// <inheritdoc />
    protected override void Values(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Max(x, T.Zero, y);

    /// <inheritdoc />
    protected override void InputGradients(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
        => Elementwise.MaskPositive(y, outputGradient, inputGradient);

    /// <inheritdoc />
    protected override void ValuesReference(ReadOnlySpan<T> x, Span<T> y) => ActivationReference.ReLU(x, y);

    /// <inheritdoc />
    protected override void InputGradientsReference(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
        => ActivationReference.ReLUBackward(x, y, outputGradient, inputGradient);
}

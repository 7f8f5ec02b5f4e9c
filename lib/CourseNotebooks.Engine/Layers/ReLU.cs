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
/// <para>Shapes: any; the output and the input gradient have the input's shape.</para>
/// <para>dy/dx = 1 for x &gt; 0 and 0 for x &lt;= 0: at x = 0 (either sign) the derivative is taken as 0, as PyTorch
/// does. NaN passes through the forward (relu(NaN) = NaN), and its gradient passes too, as in PyTorch: the backward
/// zeroes the gradient where y &lt;= 0 and keeps it elsewhere, and NaN &lt;= 0 is false (PyTorch's ReLU backward is
/// threshold_backward(grad, result, 0), whose CPU kernel, threshold_kernel in aten/src/ATen/native/cpu/Activation.cpp,
/// is <c>x &lt;= threshold ? value : other</c>). So a NaN is not silenced at the ReLU: it reaches the layers before.</para>
/// </remarks>
public sealed class ReLU<T> : Activation<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // IEEE maximum: NaN propagates, as in PyTorch.
    /// <inheritdoc />
    protected override void Values(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Max(x, T.Zero, y);

    /// <inheritdoc />
    protected override void InputGradients(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
        => Elementwise.ZeroWhereNotAboveZero(y, outputGradient, inputGradient);

    /// <inheritdoc />
    protected override void ValuesReference(ReadOnlySpan<T> x, Span<T> y) => ActivationReference.ReLU(x, y);

    /// <inheritdoc />
    protected override void InputGradientsReference(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
        => ActivationReference.ReLUBackward(x, y, outputGradient, inputGradient);
}

using System.Numerics;
using CourseNotebooks.Engine.Kernels;
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
    /// <inheritdoc />
    protected override T Value(T x) => x > T.Zero || T.IsNaN(x) ? x : T.Zero;

    // IEEE maximum: NaN propagates, as in PyTorch.
    /// <inheritdoc />
    protected override void Values(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Max(x, T.Zero, y);

    // The output is enough: y > 0 exactly where x > 0.
    /// <inheritdoc />
    protected override T InputGradient(T x, T y, T outputGradient) => y > T.Zero ? outputGradient : T.Zero;

    /// <inheritdoc />
    protected override void InputGradients(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
        => Elementwise.MaskPositive(y, outputGradient, inputGradient);
}

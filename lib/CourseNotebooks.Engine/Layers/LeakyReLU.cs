using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Leaky ReLU, y = x for x &gt; 0 and negativeSlope * x otherwise, element-wise on any shape: negative inputs
/// keep a small gradient, so a unit cannot "die". Introduced in notebook 06-alexnet, beside AlexNet's ReLU, as the
/// variant later networks use (no notebook trains with it).
/// PyTorch: torch.nn.LeakyReLU (negative_slope = 0.01).
/// </summary>
/// <remarks>
/// <para>Shapes: any; the output and the input gradient have the input's shape.</para>
/// <para>dy/dx = 1 for x &gt; 0 and negativeSlope for x &lt;= 0 (at 0 the slope, as PyTorch). A NaN input gives NaN
/// forward and gradient · negativeSlope backward: both test x &gt; 0, which is false for NaN, exactly as PyTorch's CPU
/// kernels (leaky_relu_kernel: <c>a &gt; 0 ? a : a * negval</c>; leaky_relu_backward_kernel: <c>a &gt; 0 ? b : b * negval</c>,
/// a the input, b the gradient, in aten/src/ATen/native/cpu/Activation.cpp). Note that this differs from ReLU, whose
/// PyTorch mask is <c>x &lt;= 0</c> and so passes the whole gradient at NaN.</para>
/// </remarks>
public sealed class LeakyReLU<T> : Activation<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A leaky ReLU with the given slope for x &lt;= 0.</summary>
    public LeakyReLU(double negativeSlope = 0.01) => NegativeSlope = T.CreateTruncating(negativeSlope);

    /// <summary>The slope for non-positive inputs.</summary>
    public T NegativeSlope { get; }

    /// <inheritdoc />
    protected override string Describe() => $"LeakyReLU({NegativeSlope})";

    /// <inheritdoc />
    protected override void Values(ReadOnlySpan<T> x, Span<T> y)
    {
        TensorPrimitives.Multiply(x, NegativeSlope, y);
        Elementwise.SelectPositive<T>(x, x, y, y);
    }

    /// <inheritdoc />
    protected override void InputGradients(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
    {
        // PyTorch's leaky_relu_backward_kernel (aten/src/ATen/native/cpu/Activation.cpp): input > 0 ? grad : grad * negval,
        // so a NaN input (not > 0) gets grad * slope; the vector compare below is false for NaN as well.
        TensorPrimitives.Multiply(outputGradient, NegativeSlope, inputGradient);
        Elementwise.SelectPositive<T>(x, outputGradient, inputGradient, inputGradient);
    }

    /// <inheritdoc />
    protected override void ValuesReference(ReadOnlySpan<T> x, Span<T> y) => ActivationReference.LeakyReLU(x, y, NegativeSlope);

    /// <inheritdoc />
    protected override void InputGradientsReference(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
        => ActivationReference.LeakyReLUBackward(x, y, outputGradient, inputGradient, NegativeSlope);
}

using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// The shared half of the element-wise activations (ReLU, LeakyReLU, Sigmoid, Tanh): argument and shape checks,
/// the cached tensor Backward needs, and the reuse of the output and input-gradient tensors between training steps
/// (<see cref="Module{T}.ReuseBuffers"/>). A subclass writes its fast path as span operations and names its naive
/// reference (Reference/ActivationReference.cs, a plain loop per element, <see cref="Implementation.Naive"/>), both
/// with the same parameters.
/// Introduced with <see cref="ReLU{T}"/> in notebook 01-convolution. PyTorch: the element-wise modules of torch.nn.
/// </summary>
/// <remarks>
/// Backward receives both the input x and the output y of the last Forward, so each activation differentiates
/// from whichever is natural (σ' = y(1 − y), tanh' = 1 − y², ReLU' from the sign of y, LeakyReLU' from the sign of
/// x). Forward keeps a reference to its input, not a copy: do not change an input in place between Forward and
/// Backward (a layer before it in a training step never does).
/// </remarks>
public abstract class Activation<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly StepBuffers<T> _buffers = new();
    /// <summary>What Backward needs from the last Forward: its input x and output y.</summary>
    private readonly record struct Cache(Tensor<T> Input, Tensor<T> Output);

    private Cache? _cache;

    /// <inheritdoc />
    public sealed override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    public sealed override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        bool naive = Implementation == Implementation.Naive;
        var y = naive ? input.ZerosLike() : _buffers.Output(input.Shape, ReuseBuffers);
        if (naive) ValuesReference(input.Data, y.Data);
        else Values(input.Data, y.Data);
        _cache = new Cache(input, y);
        return y;
    }

    /// <inheritdoc />
    public sealed override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var (x, y) = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", y.Shape, outputGradient.Shape);
        bool naive = Implementation == Implementation.Naive;
        var dX = naive ? y.ZerosLike() : _buffers.InputGradient(y.Shape, ReuseBuffers);
        if (naive) InputGradientsReference(x.Data, y.Data, outputGradient.Data, dX.Data);
        else InputGradients(x.Data, y.Data, outputGradient.Data, dX.Data);
        return dX;
    }

    /// <summary>The naive reference (in Reference/ActivationReference.cs), the same parameters as <see cref="Values"/>.</summary>
    protected abstract void ValuesReference(ReadOnlySpan<T> x, Span<T> y);

    /// <summary>The fast path: y = f(x) for every element (x and y do not overlap; write every element of y).</summary>
    protected abstract void Values(ReadOnlySpan<T> x, Span<T> y);

    /// <summary>The naive reference (in Reference/ActivationReference.cs), the same parameters as <see cref="InputGradients"/>.</summary>
    protected abstract void InputGradientsReference(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient);

    /// <summary>The fast path: dL/dx for every element (write every element of <paramref name="inputGradient"/>).</summary>
    protected abstract void InputGradients(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> outputGradient, Span<T> inputGradient);
}

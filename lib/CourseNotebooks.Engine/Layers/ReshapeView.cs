using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// A layer whose output is its input's data under another shape: <see cref="Flatten{T}"/> and
/// <see cref="Unflatten{T}"/>. Subclasses give only <see cref="Module{T}.OutputShape"/>; Forward and Backward are
/// written here once. Introduced with Flatten in notebook 05-cnn-as-sparse-mlp.
/// </summary>
/// <remarks>
/// Forward: y = x viewed as OutputShape(x.shape). Backward: dL/dx = dL/dy viewed as x.shape. Both are views, as in
/// PyTorch (no copy in either direction). The layer before hands back the same tensor every training step (step
/// buffers), so the views are kept while the same tensors come back: a warmed-up step allocates nothing here.
/// </remarks>
public abstract class ReshapeView<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // The last input and its view, the last output gradient and its view in the input shape.
    private Tensor<T>? _input, _output, _outputGradient, _inputGradient;

    /// <inheritdoc />
    public sealed override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!ReferenceEquals(input, _input) || _output is null)
        {
            _output = input.Reshape(OutputShape(input.Shape));
            _input = input;
        }
        return _output;
    }

    /// <inheritdoc />
    public sealed override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var input = _input ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", _output!.Shape, outputGradient.Shape);
        if (!ReferenceEquals(outputGradient, _outputGradient) || _inputGradient is null || !_inputGradient.Shape.SequenceEqual(input.Shape))
        {
            _inputGradient = outputGradient.Reshape(input.Shape.ToArray());
            _outputGradient = outputGradient;
        }
        return _inputGradient;
    }
}

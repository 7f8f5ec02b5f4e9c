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
    /// <summary>What Backward needs from the last Forward: its input and the view Forward returned.</summary>
    private readonly record struct Cache(Tensor<T> Input, Tensor<T> Output);

    private Cache? _cache;

    // The last output gradient and its view in the input shape, kept so a repeated gradient gets the same view.
    private (Tensor<T> OutputGradient, Tensor<T> InputGradient)? _gradientView;

    /// <inheritdoc />
    public sealed override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_cache is not { } kept || !ReferenceEquals(input, kept.Input))
            _cache = kept = new Cache(input, input.Reshape(OutputShape(input.Shape)));
        return kept.Output;
    }

    /// <inheritdoc />
    public sealed override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var (input, output) = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", output.Shape, outputGradient.Shape);
        if (_gradientView is not { } view || !ReferenceEquals(outputGradient, view.OutputGradient) || !view.InputGradient.Shape.SequenceEqual(input.Shape))
            _gradientView = view = (outputGradient, outputGradient.Reshape(input.Shape.ToArray()));
        return view.InputGradient;
    }
}

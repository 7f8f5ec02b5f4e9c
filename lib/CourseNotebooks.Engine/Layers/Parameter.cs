using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// A learnable tensor and the gradient of the loss with respect to it. <see cref="Module{T}.Backward"/>
/// adds into <see cref="Grad"/> (as PyTorch accumulates into .grad); optimizers read it and
/// <see cref="Module{T}.ZeroGrad"/> clears it. PyTorch: torch.nn.Parameter.
/// Introduced in notebook 01-convolution.
/// </summary>
public sealed class Parameter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A parameter named <paramref name="name"/> (e.g. "weight") holding <paramref name="value"/>.</summary>
    public Parameter(string name, Tensor<T> value)
    {
        Name = name;
        Value = value;
        Grad = value.ZerosLike();
    }

    /// <summary>Local name within its module ("weight", "bias").</summary>
    public string Name { get; }

    /// <summary>The current value; optimizers update it in place.</summary>
    public Tensor<T> Value { get; }

    /// <summary>Accumulated dL/d(value), same shape as <see cref="Value"/>.</summary>
    public Tensor<T> Grad { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Value.ShapeString}";
}

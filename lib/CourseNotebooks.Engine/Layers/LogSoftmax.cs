using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Log-softmax along one dimension, as a layer: y_k = x_k − log Σ_j exp(x_j), the log-probabilities that
/// <see cref="Losses.NLLLoss{T}"/> takes; LogSoftmax(dim: 1) then NLLLoss is <see cref="Losses.CrossEntropyLoss{T}"/>,
/// split in two as PyTorch allows. Introduced in notebook 07-training-on-real-data.
/// PyTorch: torch.nn.LogSoftmax(dim).
/// </summary>
/// <remarks>
/// <para><b>Shapes.</b> Any rank; the output and the input gradient have the input's shape. Dim may be negative
/// (−1: the last dimension, PyTorch's rule); a rank-0 input is one value (dim 0 or −1) and gives 0.</para>
/// <para><b>Formula</b> (stable, never the log of a rounded probability: m = max_j x_j,
/// y_k = x_k − m − log Σ_j exp(x_j − m), so a logit far below the others keeps its exact log-probability where
/// log(softmax) would give −infinity). <b>Backward:</b> dL/dx_k = g_k − exp(y_k) Σ_j g_j, g = dL/dy (exp(y) is the
/// softmax).</para>
/// <para><b>Edge cases.</b> A NaN in a slice makes the whole slice NaN; a slice that is all −infinity gives NaN (as
/// PyTorch); a dimension of size 0 gives an empty output.</para>
/// <para>Fast path: Kernels/SoftmaxAlongDim.cs (vectorised rows along the last dimension, whole inner slices as the
/// vectors along an earlier one); naive path (<see cref="Implementation.Naive"/>): Reference/SoftmaxReference.cs,
/// the formula one element at a time. With <see cref="Module{T}.ReuseBuffers"/> on, the output and the input gradient
/// are refilled from one training step to the next.</para>
/// </remarks>
public sealed class LogSoftmax<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly StepBuffers<T> _buffers = new();
    private Tensor<T>? _output;
    private T[] _scratch = [];

    /// <summary>A LogSoftmax along dimension <paramref name="dim"/> (negative counts from the end: -1 is the last).</summary>
    public LogSoftmax(int dim) => Dim = dim;

    /// <summary>The dimension the log-softmax runs along, as given (PyTorch's dim; negative counts from the end).</summary>
    public int Dim { get; }

    /// <inheritdoc />
    protected override string Describe() => $"LogSoftmax(dim={Dim})";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        SoftmaxAlongDim.Split(Name, Dim, inputShape);
        return inputShape.ToArray();
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">The dimension does not exist for the input's rank.</exception>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (outer, size, inner) = SoftmaxAlongDim.Split(Name, Dim, input.Shape);
        bool naive = Implementation == Implementation.Naive;
        var y = naive ? input.ZerosLike() : _buffers.Output(input.Shape, ReuseBuffers);
        if (naive) SoftmaxReference.Forward(input.Data, y.Data, outer, size, inner, log: true);
        else SoftmaxAlongDim.Forward(input.Data, y.Data, outer, size, inner, log: true, ref _scratch);
        _output = y;
        return y;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Called before Forward.</exception>
    /// <exception cref="ArgumentException">The gradient's shape is not the last output's.</exception>
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var y = _output ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", y.Shape, outputGradient.Shape);
        var (outer, size, inner) = SoftmaxAlongDim.Split(Name, Dim, y.Shape);
        bool naive = Implementation == Implementation.Naive;
        var dX = naive ? y.ZerosLike() : _buffers.InputGradient(y.Shape, ReuseBuffers);
        if (naive) SoftmaxReference.Backward(y.Data, outputGradient.Data, dX.Data, outer, size, inner, log: true);
        else SoftmaxAlongDim.Backward(y.Data, outputGradient.Data, dX.Data, outer, size, inner, log: true, ref _scratch);
        return dX;
    }
}

using System.Numerics;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Losses;

/// <summary>
/// A loss function: <see cref="Forward"/> compares a prediction with a target, returns the reduced loss and
/// caches what <see cref="Backward()"/> needs; <see cref="Backward()"/> returns dL/d(prediction) of the value
/// Forward returned. Losses are not modules: they end the chain that Module.Backward walks back from.
/// Introduced in notebook 16-optimizer-comparison. PyTorch: torch.nn loss modules (the _Loss classes).
/// </summary>
/// <typeparam name="T">Element type of the prediction.</typeparam>
/// <typeparam name="TTarget">The target: a tensor of the prediction's shape, or class indices.</typeparam>
public interface ILoss<T, in TTarget> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>How per-element losses are reduced.</summary>
    Reduction Reduction { get; }

    /// <summary>
    /// The reduced loss of <paramref name="prediction"/> against <paramref name="target"/>: the mean or the sum of
    /// the per-element losses; with <see cref="Reduction.None"/> their sum (the unreduced tensor, PyTorch's
    /// return value, is kept by the implementation), so a training loop always gets one number.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit; the message names both.</exception>
    T Forward(Tensor<T> prediction, TTarget target);

    /// <summary>dL/d(prediction) of the last Forward's return value, shaped like the prediction.</summary>
    Tensor<T> Backward();
}

/// <summary>
/// The shared half of every loss: per-element losses come from the subclass, the reduction and the chain rule
/// through it live here, so mean, sum and none behave the same way for every loss.
/// Introduced in notebook 16-optimizer-comparison.
/// </summary>
public abstract class Loss<T, TTarget> : ILoss<T, TTarget> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _losses, _weights;

    /// <summary>The reused Losses (as the output) and prediction gradient (as the input gradient) of the fast path.</summary>
    private protected StepBuffers<T> Buffers { get; } = new();

    /// <summary>A loss with the given reduction.</summary>
    protected Loss(Reduction reduction)
    {
        if (!Enum.IsDefined(reduction))
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"{GetType().Name.Split('`')[0]}: unknown reduction {reduction}.");
        Reduction = reduction;
    }

    /// <inheritdoc />
    public Reduction Reduction { get; }

    /// <summary>The code path: fast, or the naive reference of the vectorised parts (Reference/LossReference.cs: the
    /// reduction's sum, the softmax row, the binary cross-entropy); tests compare the two.</summary>
    public Implementation Implementation { get; set; } = Implementation.Fast;

    /// <summary>
    /// Whether the loss may refill the tensors it returned last step (<see cref="Losses"/> and Backward's gradient)
    /// instead of allocating new ones: <see cref="Layers.Module{T}.ReuseBuffers"/> for losses, off by default. The course's
    /// training loops turn it on for the loss they create.
    /// </summary>
    public bool ReuseBuffers { get; set; }

    /// <summary>A short name for error messages.</summary>
    public virtual string Name => _typeName ??= GetType().Name.Split('`')[0];

    // Built once: the name goes into every argument check, and a string per call would be garbage per step.
    private string? _typeName;

    /// <summary>
    /// The unreduced losses of the last Forward (one per sample for cross-entropy, one per element otherwise):
    /// PyTorch's result with reduction='none'. Throws before the first Forward.
    /// </summary>
    /// <remarks>
    /// Same rhythm rule as the layers' results (see Module.Forward): in a training loop (Forward, Backward, Forward,
    /// ...) the fast implementation reuses this tensor and the gradient Backward returns when the shape repeats, so a
    /// warmed-up step allocates nothing. The Losses of one Forward are overwritten by the next Forward that follows a
    /// Backward, and the gradient of one Backward by the next Backward that follows a Forward: Clone() what you keep.
    /// </remarks>
    public Tensor<T> Losses => _losses ?? throw new InvalidOperationException($"{Name}: Losses was read before Forward.");

    /// <inheritdoc />
    public T Forward(Tensor<T> prediction, TTarget target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        return Reduce(ComputeLosses(prediction, target));
    }

    /// <summary>
    /// Keeps <paramref name="losses"/> as <see cref="Losses"/> and reduces them: the second half of Forward, for a
    /// subclass that takes a second kind of target (cross-entropy's class probabilities) through its own overload.
    /// </summary>
    private protected T Reduce(Tensor<T> losses)
    {
        _losses = losses;
        T sum = Implementation == Implementation.Naive ? LossReference.Sum<T>(losses.Data) : TensorPrimitives.Sum<T>(losses.Data);
        return Reduction == Reduction.Mean ? sum / T.CreateTruncating(MeanDivisor()) : sum;
    }

    /// <inheritdoc />
    public Tensor<T> Backward()
    {
        var losses = _losses ?? throw new InvalidOperationException($"{Name}: Backward was called before Forward (there is no cached loss).");
        // d(mean)/d(loss_i) = 1/count; d(sum)/d(loss_i) = 1; 'none' returned the sum, so 1 as well.
        T weight = Reduction == Reduction.Mean ? T.One / T.CreateTruncating(MeanDivisor()) : T.One;
        // dL/d(losses) is private scratch, refilled each call: reused while the shape repeats.
        if (_weights is null || !_weights.SameShape(losses)) _weights = new Tensor<T>(losses.Shape.ToArray());
        Array.Fill(_weights.Data, weight);
        return Backward(_weights);
    }

    /// <summary>
    /// dL/d(prediction) given dL/d(<see cref="Losses"/>) (shape of Losses): the chain rule for a caller that
    /// weights the unreduced losses itself, as PyTorch's loss.backward(gradient) with reduction='none'.
    /// </summary>
    /// <exception cref="ArgumentException">The gradient's shape differs from <see cref="Losses"/>.</exception>
    public Tensor<T> Backward(Tensor<T> lossGradient)
    {
        ArgumentNullException.ThrowIfNull(lossGradient);
        var losses = _losses ?? throw new InvalidOperationException($"{Name}: Backward was called before Forward (there is no cached loss).");
        ShapeCheck.SameShape(Name, "loss gradient", losses.Shape, lossGradient.Shape);
        return Gradient(lossGradient);
    }

    /// <summary>Checks the arguments, caches what <see cref="Gradient"/> needs and returns the unreduced losses.</summary>
    protected abstract Tensor<T> ComputeLosses(Tensor<T> prediction, TTarget target);

    /// <summary>dL/d(prediction) for dL/d(losses) = <paramref name="lossGradient"/>.</summary>
    protected abstract Tensor<T> Gradient(Tensor<T> lossGradient);

    /// <summary>
    /// What Mean divides the sum by: the number of elements, unless a subclass ignores some or weights them
    /// (weighted cross-entropy divides by the sum of the targets' class weights, as PyTorch).
    /// </summary>
    protected virtual double MeanDivisor() => Losses.Length;

    /// <summary>Checks that prediction and target have the same shape, naming both.</summary>
    protected void CheckSameShape(Tensor<T> prediction, Tensor<T> target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!prediction.SameShape(target))
            throw new ArgumentException(
                $"{Name}: target shape (must equal the prediction's): expected {prediction.ShapeString}, got {target.ShapeString}.");
    }
}

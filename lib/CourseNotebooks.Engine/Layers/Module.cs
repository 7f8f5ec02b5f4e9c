using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// A layer or a model: <see cref="Forward"/> computes the output and keeps what <see cref="Backward"/> needs;
/// <see cref="Backward"/> takes dL/d(output), adds dL/d(parameter) into each parameter's gradient and returns
/// dL/d(input). There is no autograd tape: every layer writes its own derivative, as the lecture does by hand.
/// PyTorch: torch.nn.Module (forward) with the backward that autograd would compute.
/// Introduced in notebook 01-convolution.
/// </summary>
public abstract class Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Training mode (true by default): affects Dropout. PyTorch: Module.train() / eval().</summary>
    public bool Training { get; private set; } = true;

    /// <summary>The code path (fast or naive reference); setting it also sets every child's.</summary>
    public Implementation Implementation
    {
        get => _implementation;
        set
        {
            _implementation = value;
            foreach (var child in Children()) child.Implementation = value;
        }
    }

    private Implementation _implementation = Implementation.Fast;

    /// <summary>
    /// Whether this module may reuse its result tensors from one training step to the next (default false: every
    /// Forward and Backward returns a tensor the caller owns, as in PyTorch). Setting it also sets every child's.
    /// </summary>
    /// <remarks>
    /// Why it exists: a 64 x 8 x 28 x 28 feature map is 1.6 MB, and a fresh one per layer per call lands on the
    /// large-object heap; the garbage collections that followed took most of a LeNet training step. With reuse on,
    /// the layers with large results keep their output and input-gradient tensors and refill them, so a warmed-up
    /// step allocates nothing: the tensor Forward returned is overwritten by the next Forward that follows a Backward
    /// (and Backward's by the next Backward). Two Forward calls in a row still return separate tensors, and the naive
    /// implementation never reuses. The course's training loops (Training.Fit, Reconstruction.Fit and the loops built
    /// on them) turn it on for their run and restore the previous setting after, so what they hand back and what a
    /// student computes afterwards is never overwritten. Turn it on in a loop of your own only if you Clone() every
    /// result you keep across steps. PyTorch has no such switch: its caching allocator hands freed blocks back
    /// instead.
    /// </remarks>
    public bool ReuseBuffers
    {
        get => _reuseBuffers;
        set
        {
            _reuseBuffers = value;
            foreach (var child in Children()) child.ReuseBuffers = value;
        }
    }

    private bool _reuseBuffers;

    /// <summary>A short name for summaries and error messages, e.g. "Conv2d(1, 8, kernel 5x5)".</summary>
    /// <remarks>Built once, from <see cref="Describe"/>: the name goes into every argument check, and a string per
    /// call would be garbage per training step.</remarks>
    public string Name => _name ??= Describe();

    private string? _name;

    /// <summary>
    /// The text of <see cref="Name"/>: the type name unless a layer adds its settings. It may only depend on what the
    /// constructor fixed, since it is computed once.
    /// </summary>
    protected virtual string Describe() => GetType().Name.Split('`')[0];

    /// <summary>Computes the output for <paramref name="input"/> and caches what Backward needs.</summary>
    /// <remarks>
    /// The result is a tensor the caller owns (a view of the input for the reshaping layers, as in PyTorch), unless
    /// <see cref="ReuseBuffers"/> is on: then the next Forward that follows a Backward refills it.
    /// </remarks>
    public abstract Tensor<T> Forward(Tensor<T> input);

    /// <summary>
    /// Given dL/d(output) of the last Forward, accumulates parameter gradients and returns dL/d(input), a tensor the
    /// caller owns unless <see cref="ReuseBuffers"/> is on. Throws <see cref="InvalidOperationException"/> when called
    /// before Forward.
    /// </summary>
    public abstract Tensor<T> Backward(Tensor<T> outputGradient);

    /// <summary>
    /// Given dL/d(output) of the last Forward, accumulates the parameter gradients exactly as <see cref="Backward"/>
    /// does but skips dL/d(input) where a layer can: PyTorch's backward for an input that does not require a
    /// gradient, such as a training batch's images. the course's <c>Training.Fit</c> calls it on the model, so the first
    /// convolution of a CNN never computes the image gradient nobody reads (for a <see cref="Sequential{T}"/>: the
    /// first layer with parameters skips its input gradient and the parameter-free layers before it do not run
    /// backward at all). Conv1d, Conv2d and Linear skip; other layers run <see cref="Backward"/> and drop the result.
    /// </summary>
    public virtual void BackwardToParameters(Tensor<T> outputGradient) => Backward(outputGradient);

    /// <summary>This module's own parameters (not its children's).</summary>
    protected virtual IEnumerable<Parameter<T>> OwnParameters() => [];

    /// <summary>Direct child modules (for containers such as <see cref="Sequential{T}"/>).</summary>
    public virtual IEnumerable<Module<T>> Children() => [];

    /// <summary>All parameters of this module and its descendants, in a fixed order.</summary>
    public IEnumerable<Parameter<T>> Parameters()
    {
        foreach (var p in OwnParameters()) yield return p;
        foreach (var child in Children())
            foreach (var p in child.Parameters()) yield return p;
    }

    /// <summary>Parameters with dotted names, e.g. "0.weight", as PyTorch's named_parameters().</summary>
    public IEnumerable<(string Name, Parameter<T> Parameter)> NamedParameters()
    {
        foreach (var p in OwnParameters()) yield return (p.Name, p);
        int i = 0;
        foreach (var child in Children())
        {
            foreach (var (name, p) in child.NamedParameters()) yield return ($"{i}.{name}", p);
            i++;
        }
    }

    /// <summary>Sets every parameter gradient to zero. PyTorch: Module.zero_grad().</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) Array.Clear(p.Grad.Data);
    }

    /// <summary>Switches this module and its children to training or evaluation mode.</summary>
    public Module<T> Train(bool training = true)
    {
        Training = training;
        foreach (var child in Children()) child.Train(training);
        return this;
    }

    /// <summary>Evaluation mode: same as <c>Train(false)</c>.</summary>
    public Module<T> Eval() => Train(false);

    /// <summary>The output shape for an input shape, without computing anything (used by summaries).</summary>
    public abstract int[] OutputShape(ReadOnlySpan<int> inputShape);

    /// <summary>Multiply-adds of one Forward for an input shape (0 for layers that do no multiplications).</summary>
    public virtual long MultiplyAdds(ReadOnlySpan<int> inputShape) => 0;

    /// <summary>Total number of learnable scalars.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Value.Length);

    /// <inheritdoc />
    public override string ToString() => Name;
}

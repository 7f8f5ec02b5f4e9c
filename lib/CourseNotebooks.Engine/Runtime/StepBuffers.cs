using System.Numerics;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Runtime;

/// <summary>
/// A layer's output and input-gradient tensors. By default every call gets a new tensor that the caller owns. A
/// module or loss whose <see cref="Layers.Module{T}.ReuseBuffers"/> is on (the course's training loops turn it on for
/// their run) keeps them from one training step to the next, so that a warmed-up step allocates no large arrays (a
/// 64 x 8 x 28 x 28 float map is 1.6 MB: a fresh one per call lands on the large-object heap and costs a full garbage
/// collection every few steps, which took most of a LeNet step's time).
/// </summary>
/// <remarks>
/// With reuse on, reuse happens only in the training rhythm Forward, Backward, Forward, ... and only when the shape
/// repeats: <see cref="Output"/> hands back the previous output tensor if a Backward came after the Forward that
/// returned it, and <see cref="InputGradient"/> the previous input gradient if a Forward came after the Backward that
/// returned it. So the result of Forward is overwritten by the next Forward that follows a Backward, while two Forward
/// calls in a row (evaluation between epochs, comparing inputs) always get separate tensors. A tensor handed out with
/// reuse off is never handed out again: turning reuse on later lets it go (see Claim). Layers use it on the fast path only, so a
/// naive reference result is always a tensor of its own. Tensors handed out, new or reused, are not cleared: the
/// callers overwrite every element.
/// </remarks>
internal sealed class StepBuffers<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Two tensors per role: an epoch alternates between the full batch shape and the shorter last batch, and
    // keeping both avoids reallocating every map twice per epoch.
    private Tensor<T>? _output, _spareOutput, _inputGradient, _spareInputGradient;
    private bool _backwardSinceForward, _forwardSinceBackward;

    /// <summary>
    /// The tensor for this Forward's output: with <paramref name="reuse"/> a kept one when the rhythm and the shape
    /// allow, else a new one.
    /// </summary>
    public Tensor<T> Output(ReadOnlySpan<int> shape, bool reuse)
    {
        Claim(ref _outputs, ref _output, ref _spareOutput, reuse);
        var output = Take(ref _output, ref _spareOutput, shape, reuse: reuse && _backwardSinceForward);
        _backwardSinceForward = false;
        _forwardSinceBackward = true;
        return output;
    }

    /// <summary>
    /// The tensor for this Backward's input gradient: with <paramref name="reuse"/> a kept one when the rhythm and the
    /// shape allow, else a new one.
    /// </summary>
    public Tensor<T> InputGradient(ReadOnlySpan<int> shape, bool reuse)
    {
        Claim(ref _inputGradients, ref _inputGradient, ref _spareInputGradient, reuse);
        var gradient = Take(ref _inputGradient, ref _spareInputGradient, shape, reuse: reuse && _forwardSinceBackward);
        _forwardSinceBackward = false;
        _backwardSinceForward = true;
        return gradient;
    }

    // Whose the kept tensors of each role are: the caller's when they were handed out without reuse.
    private Owner _outputs, _inputGradients;

    private enum Owner { Buffers, Caller }

    /// <summary>
    /// Without reuse the two tensors of a role are still kept referenced, as with it (measured on the 2-core test
    /// machine: dropping each output as soon as it was returned raised the minimum time of LeNet's first convolution
    /// forward, a fresh 1.6 MB output per call, from 0.37 ms to 0.88 ms, and its median on one thread by a third), but
    /// they are the caller's: when reuse is turned on they are let go, never handed out again.
    /// </summary>
    private static void Claim(ref Owner owner, ref Tensor<T>? current, ref Tensor<T>? spare, bool reuse)
    {
        if (!reuse) owner = Owner.Caller;
        else if (owner == Owner.Caller)
        {
            (current, spare) = (null, null);
            owner = Owner.Buffers;
        }
    }

    /// <summary>
    /// Records a Backward that computed no input gradient (<see cref="Module{T}.BackwardToParameters"/>), so the next
    /// Forward may reuse its output as after any Backward.
    /// </summary>
    public void BackwardWithoutInputGradient()
    {
        _forwardSinceBackward = false;
        _backwardSinceForward = true;
    }

    private static Tensor<T> Take(ref Tensor<T>? current, ref Tensor<T>? spare, ReadOnlySpan<int> shape, bool reuse)
    {
        if (reuse && current is not null && current.Shape.SequenceEqual(shape)) return current;
        if (reuse && spare is not null && spare.Shape.SequenceEqual(shape))
        {
            (current, spare) = (spare, current);
            return current;
        }
        spare = current;
        current = NewUnwritten(shape);
        return current;
    }

    /// <summary>
    /// A new tensor whose elements the caller will all write, so they are not zeroed first: a zeroed 6 MB array
    /// (8 x 64 x 56 x 56 floats, one write per page) took a median 4.2 ms to allocate on a 2-core test machine and an
    /// uninitialised one 0.6 ms, on the calling thread alone, next to 20-25 ms for that convolution's whole 2-thread
    /// forward pass; without reuse, or outside the training rhythm (inference, evaluation), every Forward allocates its output.
    /// Debug builds fill it with NaN instead, so a layer that leaves an element unwritten shows NaN in every test
    /// against its naive reference rather than stale numbers in an occasional run.
    /// </summary>
    private static Tensor<T> NewUnwritten(ReadOnlySpan<int> shape)
    {
        var dims = shape.ToArray();
        var data = GC.AllocateUninitializedArray<T>(Tensor<T>.CheckedLength(dims));
#if DEBUG
        Array.Fill(data, T.NaN);
#endif
        return new Tensor<T>(data, dims);
    }
}

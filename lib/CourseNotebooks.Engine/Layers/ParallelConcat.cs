using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Runs several branches on the same input and stacks their outputs along the channels (dimension 1): the text CNN's
/// filters of several widths (Kim, 2014), or an Inception block. Introduced in notebook 09-cnn-for-text.
/// PyTorch has no single module for it: <c>torch.cat([branch(x) for branch in branches], dim=1)</c> in a forward().
/// </summary>
/// <remarks>
/// <para>Input: anything every branch accepts. Branch b returns [N, C_b, *rest]; every branch must give the same N
/// and the same *rest (for the text CNN each branch ends in <see cref="AdaptiveMaxPool1d{T}"/>(1), so rest = [1]
/// whatever its filter width). Output [N, C_1 + ... + C_B, *rest], branch 1's channels first.</para>
/// <para>Backward: the output gradient is cut along the channels into the branches' pieces, each branch's Backward
/// gives its dL/d(input), and they are summed (the input fanned out to every branch). <see cref="BackwardToParameters"/>
/// calls each branch's BackwardToParameters, so inside a <see cref="Sequential{T}"/> that starts with it no input
/// gradient is computed. Parameters are the branches' in order, named "0.weight", "1.0.weight", ... like
/// torch.nn.ModuleList.</para>
/// </remarks>
public sealed class ParallelConcat<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Module<T>[] _branches;
    private readonly StepBuffers<T> _buffers = new();

    // Per branch: channels and the pieces of the output gradient handed to it (kept from step to step).
    private readonly int[] _channels;
    private readonly Tensor<T>?[] _pieces;
    private readonly Tensor<T>?[] _outputs;
    /// <summary>What Backward needs from the last Forward: the output shape and each branch's channel count.</summary>
    private readonly record struct Cache(int[] OutputShape, int[] Channels);

    private Cache? _cache;

    /// <summary>The branches, all fed the same input.</summary>
    /// <exception cref="ArgumentException">No branch is given.</exception>
    /// <exception cref="ArgumentNullException">A branch is null.</exception>
    public ParallelConcat(params Module<T>[] branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        if (branches.Length == 0) throw new ArgumentException("ParallelConcat: expected at least one branch, got none.", nameof(branches));
        for (int i = 0; i < branches.Length; i++)
            if (branches[i] is null) throw new ArgumentNullException(nameof(branches), $"ParallelConcat: branch {i} is null.");
        _branches = [.. branches];
        _channels = new int[branches.Length];
        _pieces = new Tensor<T>?[branches.Length];
        _outputs = new Tensor<T>?[branches.Length];
    }

    /// <summary>The branches, in the order their channels appear in the output.</summary>
    public IReadOnlyList<Module<T>> Branches => _branches;

    /// <inheritdoc />
    public override IEnumerable<Module<T>> Children() => _branches;

    /// <inheritdoc />
    protected override string Describe() => $"ParallelConcat({_branches.Length} branches)";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        int[]? shape = null;
        for (int b = 0; b < _branches.Length; b++)
        {
            var branchShape = _branches[b].OutputShape(inputShape);
            if (shape is null) shape = branchShape;
            else
            {
                CheckAgrees(shape, branchShape, b);
                shape[1] += branchShape[1];
            }
        }
        return shape!;
    }

    /// <inheritdoc />
    public override long MultiplyAdds(ReadOnlySpan<int> inputShape)
    {
        long total = 0;
        foreach (var branch in _branches) total += branch.MultiplyAdds(inputShape);
        return total;
    }

    /// <summary>Every branch on <paramref name="input"/>, outputs stacked along dimension 1.</summary>
    /// <exception cref="ArgumentException">The branches' outputs differ in a dimension other than 1, or have rank below 2.</exception>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // Branch outputs are the branches' own (reused) tensors; they stay valid until the branch's next Forward.
        var first = _branches[0].Forward(input);
        if (first.Rank < 2)
            throw new ArgumentException($"{Name}: branch 0 output rank: expected at least 2 (N, C, ...), got {first.Rank} (shape {first.ShapeString}).");
        Span<int> outShape = stackalloc int[first.Rank];
        first.Shape.CopyTo(outShape);
        _channels[0] = first.Shape[1];
        // All outputs are needed before the result's shape is known: run the branches first, stacking each channel
        // count; the copies follow. The outputs are held in an array kept for the purpose (no list per call).
        _outputs[0] = first;
        for (int b = 1; b < _branches.Length; b++)
        {
            var y = _branches[b].Forward(input);
            CheckAgrees(first.Shape, y.Shape, b);
            _channels[b] = y.Shape[1];
            outShape[1] += y.Shape[1];
            _outputs[b] = y;
        }
        var output = _buffers.Output(outShape, ReuseBuffers);
        int n = outShape[0], rest = first.Length / Math.Max(1, n * _channels[0]), total = outShape[1];
        int offset = 0;
        for (int b = 0; b < _branches.Length; b++)
        {
            T[] src = _outputs[b]!.Data;
            int c = _channels[b];
            for (int i = 0; i < n; i++)
                Array.Copy(src, i * c * rest, output.Data, (i * total + offset) * rest, c * rest);
            offset += c;
            _outputs[b] = null;
        }
        var kept = _cache is { } c0 && c0.OutputShape.AsSpan().SequenceEqual(outShape) ? c0.OutputShape : outShape.ToArray();
        _cache = new Cache(kept, _channels);
        return output;
    }

    /// <summary>Each branch's Backward on its channels of the gradient; their input gradients summed.</summary>
    /// <exception cref="InvalidOperationException">Called before Forward.</exception>
    /// <exception cref="ArgumentException">The gradient's shape is not the last output's.</exception>
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        SplitGradient(outputGradient);
        Tensor<T>? dX = null;
        for (int b = 0; b < _branches.Length; b++)
        {
            var dXb = _branches[b].Backward(_pieces[b]!);
            if (dX is null)
            {
                dX = _buffers.InputGradient(dXb.Shape, ReuseBuffers);
                dXb.Data.CopyTo(dX.Data, 0);
            }
            else TensorPrimitives.Add(dX.Data, dXb.Data, dX.Data);
        }
        return dX!;
    }

    /// <inheritdoc />
    public override void BackwardToParameters(Tensor<T> outputGradient)
    {
        SplitGradient(outputGradient);
        for (int b = 0; b < _branches.Length; b++) _branches[b].BackwardToParameters(_pieces[b]!);
        _buffers.BackwardWithoutInputGradient();
    }

    /// <summary>Copies each branch's channels of the gradient into its piece (reused while the shape repeats).</summary>
    private void SplitGradient(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var (outShape, channels) = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", outShape, outputGradient.Shape);
        int n = outShape[0], total = outShape[1], rest = outputGradient.Length / Math.Max(1, n * total);
        Span<int> shape = stackalloc int[outShape.Length];
        outShape.CopyTo(shape);
        int offset = 0;
        for (int b = 0; b < _branches.Length; b++)
        {
            int c = channels[b];
            shape[1] = c;
            var piece = _pieces[b];
            if (piece is null || !piece.Shape.SequenceEqual(shape)) _pieces[b] = piece = new Tensor<T>(shape.ToArray());
            for (int i = 0; i < n; i++)
                Array.Copy(outputGradient.Data, (i * total + offset) * rest, piece.Data, i * c * rest, c * rest);
            offset += c;
        }
    }

    private void CheckAgrees(ReadOnlySpan<int> first, ReadOnlySpan<int> other, int branch)
    {
        bool agrees = first.Length == other.Length && first[0] == other[0];
        for (int d = 2; agrees && d < first.Length; d++) agrees = first[d] == other[d];
        if (!agrees)
            throw new ArgumentException(
                $"{Name}: branch {branch} output shape: expected {Tensor<float>.ShapeText(first)} in every dimension but 1 (as branch 0), got {Tensor<float>.ShapeText(other)}.");
    }
}

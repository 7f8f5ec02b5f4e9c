using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Losses;

/// <summary>
/// The negative log-likelihood of class indices under given log-probabilities, as torch.nn.NLLLoss: the loss of a
/// position is −x[y], the log-probability its target class got. After <see cref="Layers.LogSoftmax{T}"/> over the
/// class dimension it is <see cref="CrossEntropyLoss{T}"/>, split in two as PyTorch allows (a model that ends in
/// LogSoftmax(dim: 1), then this loss). Introduced in notebook 07-training-on-real-data.
/// PyTorch: torch.nn.NLLLoss(ignore_index, reduction) (no class weights here).
/// </summary>
/// <remarks>
/// <para><b>Shapes</b> (as <see cref="CrossEntropyLoss{T}"/>). Prediction: log-probabilities (N, C),
/// (N, C, d1, ..., dk) with k ≥ 1, or (C) for one unbatched sample; the class dimension is dimension 1 (dimension 0
/// for (C)). Targets: an <c>int[]</c> holding the (N, d1, ..., dk) class indices in row-major order, or an
/// <see cref="IndexTensor"/> of exactly that shape; each in [0, C) or equal to <see cref="IgnoreIndex"/>.
/// <see cref="Loss{T, TTarget}.Losses"/> has the target's shape, or [] for an unbatched input.</para>
/// <para><b>Formula.</b> loss = −x[n, y, d...] at each position (0 where the target is ignored); the gradient is
/// −(upstream gradient) at the target's class and 0 elsewhere. The input is not checked to be log-probabilities
/// (PyTorch does not check either): any scores give −score[y].</para>
/// <para><b>Mean</b> divides the sum by the number of positions whose target is not ignored (all ignored: 0/0 = NaN,
/// as PyTorch); <b>Sum</b> adds them; <b>None</b> keeps them in Losses.</para>
/// <para><b>Errors</b> (with the values named, as CrossEntropyLoss): a prediction of rank 0, a target count or shape
/// that does not fit the prediction, a class index outside [0, C). The loss is a gather with no vector part; its
/// naive path (<see cref="Runtime.Implementation.Naive"/>) differs only in the reduction's sum
/// (Reference/LossReference.cs).</para>
/// </remarks>
public sealed class NLLLoss<T> : Loss<T, int[]> where T : unmanaged, IFloatingPointIeee754<T>
{
    private int[] _targets = [];
    private int[] _shape = [];
    private int _classes, _positionsPerSample, _counted;

    /// <summary>A negative log-likelihood loss.</summary>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    /// <param name="ignoreIndex">A target value whose positions do not count (default −100, as PyTorch).</param>
    public NLLLoss(Reduction reduction = Reduction.Mean, int ignoreIndex = -100) : base(reduction) => IgnoreIndex = ignoreIndex;

    /// <summary>A target value whose positions do not count (PyTorch's ignore_index, default −100).</summary>
    public int IgnoreIndex { get; }

    /// <summary>
    /// The loss against class indices given as a tensor of the target shape (N, d1, ..., dk), which is checked
    /// dimension by dimension.
    /// </summary>
    /// <exception cref="ArgumentException">The target's shape is not the prediction's without its class dimension.</exception>
    public T Forward(Tensor<T> prediction, IndexTensor target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        CheckPredictionRank(prediction);
        var expected = TargetShape(prediction);
        if (!target.Shape.SequenceEqual(expected))
            throw new ArgumentException($"{Name}: target shape: expected {Tensor<T>.ShapeText(expected)} (the prediction {prediction.ShapeString} without its class dimension), got {target.ShapeString}.");
        return Forward(prediction, target.Data);
    }

    /// <inheritdoc />
    protected override Tensor<T> ComputeLosses(Tensor<T> prediction, int[] target)
    {
        CheckPredictionRank(prediction);
        _classes = prediction.Rank == 1 ? prediction.Shape[0] : prediction.Shape[1];
        int s = 1;
        for (int d = 2; d < prediction.Rank; d++) s *= prediction.Shape[d];
        _positionsPerSample = s;
        var lossShape = TargetShape(prediction);
        int positions = 1;
        foreach (int n in lossShape) positions *= n;
        if (target.Length != positions)
            throw new ArgumentException(
                $"{Name}: targets: expected {positions} class indices (one per position of the target shape {Tensor<T>.ShapeText(lossShape)}, for the log-probabilities {prediction.ShapeString}), got {target.Length}.");
        int counted = 0;
        for (int i = 0; i < target.Length; i++)
        {
            int t = target[i];
            if (t == IgnoreIndex) continue;
            if ((uint)t >= (uint)_classes)
                throw new ArgumentException($"{Name}: target at batch index {i / s}{(s > 1 ? $", position {i % s} of its (d1, ..., dk)" : "")}: expected a class in [0, {_classes - 1}] (C = {_classes}) or the ignore index {IgnoreIndex}, got {t}.");
            counted++;
        }
        if (_targets.Length != target.Length) _targets = new int[target.Length];
        target.CopyTo(_targets, 0);
        _counted = counted;
        _shape = prediction.Shape.ToArray();
        // Ignored positions keep loss 0: a reused tensor is cleared first.
        var losses = Buffers.Output(lossShape, ReuseBuffers && Implementation == Runtime.Implementation.Fast);
        Array.Clear(losses.Data);
        for (int position = 0; position < positions; position++)
        {
            int y = _targets[position];
            if (y != IgnoreIndex) losses.Data[position] = -prediction.Data[At(position, y)];
        }
        return losses;
    }

    /// <inheritdoc />
    protected override Tensor<T> Gradient(Tensor<T> lossGradient)
    {
        var dX = Buffers.InputGradient(_shape, ReuseBuffers && Implementation == Runtime.Implementation.Fast);
        Array.Clear(dX.Data);
        for (int position = 0; position < lossGradient.Length; position++)
        {
            int y = _targets[position];
            if (y != IgnoreIndex) dX.Data[At(position, y)] = -lossGradient.Data[position];
        }
        return dX;
    }

    /// <inheritdoc />
    protected override double MeanDivisor() => _counted;

    // The flat offset of class c at a position (n, d1, ..., dk) of the target shape.
    private int At(int position, int c)
    {
        int s = _positionsPerSample;
        return (position / s * _classes + c) * s + position % s;
    }

    private void CheckPredictionRank(Tensor<T> prediction)
    {
        if (prediction.Rank == 0)
            throw new ArgumentException($"{Name}: prediction rank: expected (C), (N, C) or (N, C, d1, ..., dk) log-probabilities, got shape [].");
    }

    // The prediction's shape without its class dimension: (N, d1, ..., dk), or [] for an unbatched (C).
    private static int[] TargetShape(Tensor<T> prediction)
    {
        if (prediction.Rank == 1) return [];
        var shape = new int[prediction.Rank - 1];
        shape[0] = prediction.Shape[0];
        for (int d = 2; d < prediction.Rank; d++) shape[d - 1] = prediction.Shape[d];
        return shape;
    }
}

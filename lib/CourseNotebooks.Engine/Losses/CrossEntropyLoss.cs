using System.Numerics;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Losses;

/// <summary>
/// Cross-entropy of class scores against class indices or class probabilities, as torch.nn.CrossEntropyLoss:
/// per-class weights, label smoothing, ignored targets, and inputs with extra dimensions (one class score vector
/// per pixel of a segmentation map). Introduced in notebook 16-optimizer-comparison (the training loops
/// of the notebooks before it, Training.Fit, use it inside).
/// PyTorch: torch.nn.CrossEntropyLoss(weight, ignore_index, reduction, label_smoothing).
/// </summary>
/// <remarks>
/// <para><b>Shapes.</b> Prediction: logits (N, C), (N, C, d1, ..., dk) with k ≥ 1, or (C) for one unbatched sample;
/// the class dimension is dimension 1 (dimension 0 for (C)). Class-index targets: an <c>int[]</c> holding the
/// (N, d1, ..., dk) targets in row-major order (N·d1·...·dk values; one value for (C)), or an
/// <see cref="IndexTensor"/> of exactly that shape; each value is in [0, C) or equals <see cref="IgnoreIndex"/>.
/// Probability targets: a tensor of the prediction's shape (each position a distribution over the classes, not
/// checked, as in PyTorch). <see cref="Loss{T, TTarget}.Losses"/> has the target's shape (N, d1, ..., dk), or []
/// for an unbatched input.</para>
/// <para><b>Formula</b> (stable: the maximum over the classes is subtracted before exp). With log p = log softmax(x)
/// over the classes, class weights w (all 1 when none are given), ε = label smoothing and C classes, each position
/// has a weighted target a and the loss −Σ_c a_c log p_c:</para>
/// <code>
/// class index y:      a_c = (1 − ε) w_y [c = y] + (ε / C) w_c          (a = 0 where y = ignore_index)
/// probabilities q:    a_c = w_c ((1 − ε) q_c + ε / C)
/// gradient:           dloss/dx_j = p_j Σ_c a_c − a_j
/// </code>
/// <para><b>Mean</b> divides the sum by Σ w_y over the positions whose target is not ignored (their count when no
/// weights are given; all ignored: 0/0 = NaN, as PyTorch) for class-index targets, and by the number of positions
/// N·d1·...·dk for probability targets (PyTorch does not weight that mean).</para>
/// <para><b>Errors</b> (with the values named): a weight vector whose length is not C, label smoothing outside
/// [0, 1], a target count or shape that does not fit the prediction, a class index outside [0, C).</para>
/// <para>With <see cref="Loss{T, TTarget}.ReuseBuffers"/> on, Losses and the returned gradient are refilled from one
/// training step to the next. The vectorised part is each row's softmax (<see cref="Softmax"/>);
/// <see cref="Implementation.Naive"/> takes it from Reference/LossReference.cs instead, the reference the tests hold
/// the fast path to.</para>
/// </remarks>
public sealed class CrossEntropyLoss<T> : Loss<T, int[]> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]? _weight;
    private readonly T _smoothing;

    // What Gradient needs from the last Forward: softmax over the classes (in the prediction's layout), the targets
    // (class indices or probabilities), the geometry, and the mean's divisor. All private scratch, reused while the
    // shapes repeat.
    private Tensor<T>? _probabilities;
    private int[] _targets = [];
    private T[] _softTargets = [];
    private bool _soft;
    private int _classes, _positionsPerSample;
    private double _divisor;
    private T[] _rowScratch = [], _probabilityScratch = [], _gradientScratch = [];

    /// <summary>A cross-entropy loss.</summary>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    /// <param name="ignoreIndex">A class-index target value whose positions do not count (default −100).</param>
    /// <param name="weight">Optional: one weight per class (length C), rescaling each class's loss.</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the share of the target spread uniformly over all classes.</param>
    /// <exception cref="ArgumentException">The weight is not a vector.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Label smoothing outside [0, 1] (or NaN).</exception>
    public CrossEntropyLoss(Reduction reduction = Reduction.Mean, int ignoreIndex = -100, Tensor<T>? weight = null, double labelSmoothing = 0)
        : base(reduction)
    {
        IgnoreIndex = ignoreIndex;
        if (weight is not null)
        {
            if (weight.Rank != 1)
                throw new ArgumentException($"{Name}: weight: expected a vector of one weight per class (C), got shape {weight.ShapeString}.", nameof(weight));
            _weight = (T[])weight.Data.Clone();
        }
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing,
                FormattableString.Invariant($"{Name}: label smoothing: expected a value in [0, 1], got {labelSmoothing}."));
        LabelSmoothing = labelSmoothing;
        _smoothing = T.CreateChecked(labelSmoothing);
    }

    /// <summary>A class-index target value whose positions do not count (PyTorch's ignore_index, default −100).</summary>
    public int IgnoreIndex { get; }

    /// <summary>ε, the label smoothing (PyTorch's label_smoothing, default 0).</summary>
    public double LabelSmoothing { get; }

    /// <summary>The class weights (a copy), or null when every class weighs 1.</summary>
    public Tensor<T>? Weight => _weight is null ? null : Tensor.FromArray((T[])_weight.Clone());

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
        if (!target.Shape.SequenceEqual(TargetShape(prediction)))
            throw new ArgumentException($"{Name}: target shape: expected {Tensor<T>.ShapeText(TargetShape(prediction))} (the prediction {prediction.ShapeString} without its class dimension), got {target.ShapeString}.");
        return Forward(prediction, target.Data);
    }

    /// <summary>
    /// The loss against class probabilities (soft targets) of the prediction's shape; PyTorch's probability
    /// targets. <see cref="IgnoreIndex"/> does not apply; Mean divides by the number of positions.
    /// </summary>
    /// <exception cref="ArgumentException">The target's shape differs from the prediction's.</exception>
    public T Forward(Tensor<T> prediction, Tensor<T> targetProbabilities)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(targetProbabilities);
        CheckPredictionRank(prediction);
        if (!prediction.SameShape(targetProbabilities))
            throw new ArgumentException(
                $"{Name}: probability target shape (must equal the prediction's): expected {prediction.ShapeString}, got {targetProbabilities.ShapeString}.");
        SetGeometry(prediction);
        if (_softTargets.Length != targetProbabilities.Length) _softTargets = new T[targetProbabilities.Length];
        targetProbabilities.Data.CopyTo(_softTargets, 0);
        _soft = true;
        _divisor = PositionCount(prediction);
        return Reduce(Evaluate(prediction));
    }

    /// <inheritdoc />
    protected override Tensor<T> ComputeLosses(Tensor<T> prediction, int[] target)
    {
        CheckPredictionRank(prediction);
        SetGeometry(prediction);
        int positions = PositionCount(prediction);
        if (target.Length != positions)
            throw new ArgumentException(
                $"{Name}: targets: expected {positions} class indices (one per position of the target shape {Tensor<T>.ShapeText(TargetShape(prediction))}, for the logits {prediction.ShapeString}), got {target.Length}.");
        double divisor = 0;
        for (int i = 0; i < target.Length; i++)
        {
            int t = target[i];
            if (t == IgnoreIndex) continue;
            if ((uint)t >= (uint)_classes)
                throw new ArgumentException($"{Name}: target at batch index {i / _positionsPerSample}{(_positionsPerSample > 1 ? $", position {i % _positionsPerSample} of its (d1, ..., dk)" : "")}: expected a class in [0, {_classes - 1}] (C = {_classes}) or the ignore index {IgnoreIndex}, got {t}.");
            divisor += _weight is null ? 1 : double.CreateChecked(_weight[t]);
        }
        if (_targets.Length != target.Length) _targets = new int[target.Length];
        target.CopyTo(_targets, 0);
        _soft = false;
        _divisor = divisor;
        return Evaluate(prediction);
    }

    /// <inheritdoc />
    protected override double MeanDivisor() => _divisor;

    // The losses of every position, and the softmax kept for Gradient.
    private Tensor<T> Evaluate(Tensor<T> prediction)
    {
        bool naive = Implementation == Implementation.Naive;
        Span<int> lossShape = stackalloc int[Math.Max(prediction.Rank - 1, 0)];
        TargetShape(prediction, lossShape);
        // Ignored positions keep loss 0: a reused tensor is cleared first.
        var losses = Buffers.Output(lossShape, ReuseBuffers && !naive);
        Array.Clear(losses.Data);
        var probabilities = _probabilities is not null && _probabilities.SameShape(prediction) ? _probabilities : prediction.ZerosLike();
        int c = _classes, s = _positionsPerSample;
        EnsureScratch(c);
        for (int position = 0; position < losses.Length; position++)
        {
            if (!_soft && _targets[position] == IgnoreIndex) continue;
            var row = Gather(prediction.Data, position, _rowScratch);
            var p = s == 1 ? new Span<T>(probabilities.Data, position * c, c) : _probabilityScratch.AsSpan(0, c);
            T logSumExp = naive ? LossReference.SoftmaxRow(row, p) : Softmax.Row(row, p);
            if (s != 1) Scatter(p, probabilities.Data, position);
            // −Σ_c a_c log p_c with log p_c = x_c − logsumexp(x); with a one-hot a that is logsumexp(x) − x_y.
            if (OneHot)
            {
                losses.Data[position] = logSumExp - row[_targets[position]];
                continue;
            }
            T loss = T.Zero;
            for (int j = 0; j < c; j++)
            {
                T a = WeightedTarget(position, j);
                if (a != T.Zero) loss += a * (logSumExp - row[j]);
            }
            losses.Data[position] = loss;
        }
        _probabilities = probabilities;
        return losses;
    }

    /// <inheritdoc />
    protected override Tensor<T> Gradient(Tensor<T> lossGradient)
    {
        var probabilities = _probabilities!;
        bool naive = Implementation == Implementation.Naive;
        // Ignored positions stay 0: a reused tensor is cleared first.
        var dX = Buffers.InputGradient(probabilities.Shape, ReuseBuffers && !naive);
        Array.Clear(dX.Data);
        int c = _classes, s = _positionsPerSample;
        for (int position = 0; position < lossGradient.Length; position++)
        {
            if (!_soft && _targets[position] == IgnoreIndex) continue;
            T g = lossGradient.Data[position];
            var p = Gather(probabilities.Data, position, _probabilityScratch);
            var d = s == 1 ? new Span<T>(dX.Data, position * c, c) : _gradientScratch.AsSpan(0, c);
            // dloss/dx_j = p_j Σ_c a_c − a_j, times the upstream gradient.
            T total = T.Zero;
            for (int j = 0; j < c; j++) total += WeightedTarget(position, j);
            TensorPrimitives.Multiply(p, g * total, d);
            if (OneHot)
                d[_targets[position]] -= g;
            else
                for (int j = 0; j < c; j++) d[j] -= g * WeightedTarget(position, j);
            if (s != 1) Scatter(d, dX.Data, position);
        }
        return dX;
    }

    // The common case, a class index without weights or smoothing: a is one-hot, Σ a = 1.
    private bool OneHot => !_soft && _weight is null && _smoothing == T.Zero;

    // a_c at one position: the target's share of class c, weighted and smoothed (see the remarks).
    private T WeightedTarget(int position, int c)
    {
        T w = _weight is null ? T.One : _weight[c];
        T uniform = _smoothing / T.CreateTruncating(_classes);
        if (_soft)
        {
            int n = position / _positionsPerSample, s = position % _positionsPerSample;
            T q = _softTargets[(n * _classes + c) * _positionsPerSample + s];
            return w * ((T.One - _smoothing) * q + uniform);
        }
        int y = _targets[position];
        T hit = c == y ? (T.One - _smoothing) * (_weight is null ? T.One : _weight[y]) : T.Zero;
        return hit + uniform * w;
    }

    // The C class scores of one position: a slice when the classes are contiguous, else copied into scratch.
    private ReadOnlySpan<T> Gather(T[] data, int position, T[] scratch)
    {
        int c = _classes, s = _positionsPerSample;
        if (s == 1) return new ReadOnlySpan<T>(data, position * c, c);
        int n = position / s, offset = position % s;
        for (int j = 0; j < c; j++) scratch[j] = data[(n * c + j) * s + offset];
        return new ReadOnlySpan<T>(scratch, 0, c);
    }

    private void Scatter(ReadOnlySpan<T> values, T[] data, int position)
    {
        int c = _classes, s = _positionsPerSample;
        int n = position / s, offset = position % s;
        for (int j = 0; j < c; j++) data[(n * c + j) * s + offset] = values[j];
    }

    private void EnsureScratch(int classes)
    {
        if (_rowScratch.Length >= classes) return;
        _rowScratch = new T[classes];
        _probabilityScratch = new T[classes];
        _gradientScratch = new T[classes];
    }

    private void CheckPredictionRank(Tensor<T> prediction)
    {
        if (prediction.Rank == 0)
            throw new ArgumentException($"{Name}: prediction rank: expected (C), (N, C) or (N, C, d1, ..., dk) logits, got shape [].");
    }

    private void SetGeometry(Tensor<T> prediction)
    {
        _classes = prediction.Rank == 1 ? prediction.Shape[0] : prediction.Shape[1];
        int s = 1;
        for (int d = 2; d < prediction.Rank; d++) s *= prediction.Shape[d];
        _positionsPerSample = s;
        if (_weight is not null && _weight.Length != _classes)
            throw new ArgumentException($"{Name}: weight: expected one weight per class (C = {_classes} for the logits {prediction.ShapeString}), got {_weight.Length}.");
    }

    // Positions = elements of the target shape: N·d1·...·dk, or 1 for an unbatched (C).
    private static int PositionCount(Tensor<T> prediction)
    {
        int count = 1;
        for (int d = 0; d < prediction.Rank; d++) if (d != 1 && prediction.Rank > 1) count *= prediction.Shape[d];
        return count;
    }

    private static int[] TargetShape(Tensor<T> prediction)
    {
        var shape = new int[Math.Max(prediction.Rank - 1, 0)];
        TargetShape(prediction, shape);
        return shape;
    }

    // The prediction's shape without its class dimension: (N, d1, ..., dk), or [] for an unbatched (C).
    private static void TargetShape(Tensor<T> prediction, Span<int> shape)
    {
        if (prediction.Rank == 1) return;
        shape[0] = prediction.Shape[0];
        for (int d = 2; d < prediction.Rank; d++) shape[d - 1] = prediction.Shape[d];
    }
}

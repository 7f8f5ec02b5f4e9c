using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Losses;

/// <summary>
/// Binary cross-entropy on logits, with optional element weights and positive-class weights, as
/// torch.nn.BCEWithLogitsLoss: loss = −w [p y log σ(x) + (1 − y) log(1 − σ(x))], computed stably.
/// Introduced in notebook 08-cnn-for-audio (onset or not, per frame, with posWeight for the rare onsets).
/// PyTorch: torch.nn.BCEWithLogitsLoss(weight, reduction, pos_weight).
/// </summary>
/// <remarks>
/// <para><b>Shapes.</b> Prediction and target have the same (any) shape; targets are probabilities in [0, 1] (not
/// checked, as in PyTorch). <c>weight</c> (w) and <c>posWeight</c> (p) broadcast against that shape by NumPy's rule:
/// aligned at the last dimension, each of their dimensions equal to the prediction's or 1. So a posWeight of
/// shape (C) gives class c's positive examples the weight p_c in a (N, C) multi-label prediction, and a weight of
/// shape (N, 1) rescales whole samples.</para>
/// <para><b>Formula.</b> PyTorch documents (1 − y) x + l_w softplus(−x) with l_w = 1 + (p − 1) y; since
/// softplus(x) − softplus(−x) = x, that equals the form used here, a sum of two non-negative terms that keeps its
/// relative precision when the loss is tiny (x = −100, y = 0 gives 3.7e-44 in double, not 0):</para>
/// <code>
/// softplus(z) = max(z, 0) + log(1 + exp(−|z|))        (= −log σ(−z); never overflows, never log 0)
/// loss      = w [(1 − y) softplus(x) + p y softplus(−x)]
/// dloss/dx  = w [(1 − y) σ(x) − p y σ(−x)]                (= σ(x) − y when w = p = 1)
/// </code>
/// <para>Mean divides by the number of elements (weights do not change the divisor, as PyTorch).</para>
/// </remarks>
public sealed class BCEWithLogitsLoss<T> : Loss<T, Tensor<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tensor<T>? _weight, _posWeight;
    /// <summary>What Gradient needs from the last Forward: copies of the logits and the target.</summary>
    private readonly record struct Cache(Tensor<T> Logits, Tensor<T> Target);

    private Cache? _cache;
    private int[] _weightIndex = [], _posWeightIndex = [];

    /// <summary>A BCE-with-logits loss.</summary>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    /// <param name="weight">Optional rescaling weight, broadcast to the prediction's shape.</param>
    /// <param name="posWeight">Optional weight of the positive examples, broadcast to the prediction's shape
    /// (usually one per class, along the last dimension).</param>
    public BCEWithLogitsLoss(Reduction reduction = Reduction.Mean, Tensor<T>? weight = null, Tensor<T>? posWeight = null) : base(reduction)
    {
        _weight = weight?.Clone();
        _posWeight = posWeight?.Clone();
    }

    /// <summary>The rescaling weight (a copy), or null.</summary>
    public Tensor<T>? Weight => _weight?.Clone();

    /// <summary>The positive-class weight (a copy), or null.</summary>
    public Tensor<T>? PosWeight => _posWeight?.Clone();

    /// <inheritdoc />
    protected override Tensor<T> ComputeLosses(Tensor<T> prediction, Tensor<T> target)
    {
        CheckSameShape(prediction, target);
        if (_weight is not null) _weightIndex = BroadcastIndex(_weight, "weight", prediction, _weightIndex);
        if (_posWeight is not null) _posWeightIndex = BroadcastIndex(_posWeight, "pos_weight", prediction, _posWeightIndex);
        var losses = prediction.ZerosLike();
        T[] x = prediction.Data, y = target.Data, l = losses.Data;
        if (_weight is null && _posWeight is null)
        {
            if (Implementation == Implementation.Naive) LossReference.BinaryCrossEntropyWithLogits<T>(x, y, l);
            else LossesFast(x, y, l);
        }
        else
        {
            // Weighted: one path, the formula of the remarks element by element.
            for (int i = 0; i < l.Length; i++)
                l[i] = WeightAt(i) * ((T.One - y[i]) * LossReference.Softplus(x[i]) + PosWeightAt(i) * y[i] * LossReference.Softplus(-x[i]));
        }
        _cache = new Cache(prediction.Clone(), target.Clone());
        return losses;
    }

    /// <inheritdoc />
    protected override Tensor<T> Gradient(Tensor<T> lossGradient)
    {
        var (logits, targets) = _cache!.Value;
        T[] x = logits.Data, y = targets.Data, g = lossGradient.Data;
        var dX = logits.ZerosLike();
        T[] d = dX.Data;
        if (_weight is null && _posWeight is null)
        {
            if (Implementation == Implementation.Naive) LossReference.BinaryCrossEntropyWithLogitsGradient<T>(x, y, g, d);
            else GradientFast(x, y, g, d);
        }
        else
        {
            for (int i = 0; i < d.Length; i++)
                d[i] = g[i] * WeightAt(i) * ((T.One - y[i]) * ActivationReference.Sigmoid(x[i]) - PosWeightAt(i) * y[i] * ActivationReference.Sigmoid(-x[i]));
        }
        return dX;
    }

    private T WeightAt(int i) => _weight is null ? T.One : _weight.Data[_weightIndex[i]];

    private T PosWeightAt(int i) => _posWeight is null ? T.One : _posWeight.Data[_posWeightIndex[i]];

    /// <summary>
    /// For every element of <paramref name="prediction"/>, the flat index of the value of <paramref name="small"/>
    /// that NumPy broadcasting pairs with it (shapes aligned at the last dimension; each dimension of the small
    /// tensor equal to the prediction's or 1). Reuses <paramref name="reuse"/> when it has the right length.
    /// </summary>
    private int[] BroadcastIndex(Tensor<T> small, string what, Tensor<T> prediction, int[] reuse)
    {
        int rank = prediction.Rank, offset = rank - small.Rank;
        bool fits = offset >= 0;
        for (int d = 0; fits && d < small.Rank; d++)
            fits = small.Shape[d] == 1 || small.Shape[d] == prediction.Shape[d + offset];
        if (!fits)
            throw new ArgumentException(
                $"{Name}: {what} shape: expected a shape that broadcasts to the prediction's {prediction.ShapeString} (aligned at the last dimension, each dimension equal or 1), got {small.ShapeString}.");
        var index = reuse.Length == prediction.Length ? reuse : new int[prediction.Length];
        Span<int> coordinate = stackalloc int[rank];
        for (int i = 0; i < index.Length; i++)
        {
            // Walk the prediction's coordinates in row-major order and map each to the small tensor's flat index.
            int flat = 0;
            for (int d = 0; d < small.Rank; d++)
                flat = flat * small.Shape[d] + (small.Shape[d] == 1 ? 0 : coordinate[d + offset]);
            index[i] = flat;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++coordinate[d] < prediction.Shape[d]) break;
                coordinate[d] = 0;
            }
        }
        return index;
    }

    /// <summary>
    /// Without weights, vectorised: (max(x, 0) − x y) + log(1 + exp(−|x|)), the logarithm on whole vectors. The bracket
    /// comes first: for x = 100, y = 1 it is exactly 0, and the loss keeps the 3.7e-44 of the logarithm. The same
    /// parameters as <see cref="LossReference.BinaryCrossEntropyWithLogits{T}"/>.
    /// </summary>
    private static void LossesFast(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> losses)
    {
        var buffer = new T[losses.Length];
        TensorPrimitives.Abs<T>(x, buffer);
        TensorPrimitives.Negate<T>(buffer, buffer);
        TensorPrimitives.Exp<T>(buffer, buffer);
        PreciseMath.Log1P<T>(buffer, losses);
        for (int i = 0; i < losses.Length; i++) losses[i] = (T.Max(x[i], T.Zero) - x[i] * y[i]) + losses[i];
    }

    /// <summary>Without weights, vectorised: (1 − y) σ(x) − y σ(−x) = σ(x) − y, times the upstream gradient.</summary>
    private static void GradientFast(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> lossGradient, Span<T> dX)
    {
        PreciseMath.Sigmoid<T>(x, dX);
        TensorPrimitives.Subtract<T>(dX, y, dX);
        TensorPrimitives.Multiply<T>(dX, lossGradient, dX);
    }
}

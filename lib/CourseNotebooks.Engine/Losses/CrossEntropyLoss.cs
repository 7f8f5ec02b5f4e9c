using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine;

/// <summary>
/// Cross-entropy of class scores against class indices: loss_n = -log softmax(x_n)[t_n]
/// = logsumexp(x_n) - x_n[t_n], computed stably (the row maximum is subtracted first).
/// Introduced in notebook 03-backprop-conv; used to train every classifier after it.
/// PyTorch: torch.nn.CrossEntropyLoss (reduction='mean', ignore_index=-100).
/// </summary>
/// <remarks>
/// Prediction: logits (N, K) (unnormalised scores). Target: int[N], each in [0, K) or equal to
/// <see cref="IgnoreIndex"/>, whose samples get loss 0, gradient 0 and are left out of the mean (all ignored:
/// the mean is 0/0 = NaN, as PyTorch). <see cref="Loss{T, TTarget}.Losses"/> has shape (N).
/// dloss_n/dx_n = softmax(x_n) - onehot(t_n). The fast path reuses Losses and the returned gradient from one training
/// step to the next (the rhythm rule on <see cref="Loss{T, TTarget}.Losses"/>).
/// </remarks>
public sealed class CrossEntropyLoss<T> : Loss<T, int[]> where T : unmanaged, IFloatingPointIeee754<T>
{
    // What Gradient needs from the last Forward: softmax of the logits, a copy of the targets, how many were counted.
    // All three are private scratch, reused while the batch shape repeats.
    private Tensor<T>? _probabilities;
    private int[] _targets = [];
    private int _counted;

    /// <summary>A cross-entropy loss with the given reduction and ignored target value.</summary>
    public CrossEntropyLoss(Reduction reduction = Reduction.Mean, int ignoreIndex = -100) : base(reduction) => IgnoreIndex = ignoreIndex;

    /// <summary>A target value whose samples do not count (PyTorch's ignore_index, default -100).</summary>
    public int IgnoreIndex { get; }

    /// <inheritdoc />
    protected override Tensor<T> ComputeLosses(Tensor<T> prediction, int[] target)
    {
        if (prediction.Rank != 2)
            throw new ArgumentException($"{Name}: prediction rank: expected 2 (N, K logits), got {prediction.Rank} (prediction shape {prediction.ShapeString}).");
        int n = prediction.Shape[0], k = prediction.Shape[1];
        if (target.Length != n)
            throw new ArgumentException($"{Name}: targets: expected {n} (one class per row of the logits {prediction.ShapeString}), got {target.Length}.");
        for (int i = 0; i < n; i++)
            if (target[i] != IgnoreIndex && (uint)target[i] >= (uint)k)
                throw new ArgumentException($"{Name}: target at batch index {i}: expected a class in [0, {k - 1}] (K = {k}), got {target[i]}.");

        bool naive = Implementation == Implementation.Naive;
        // Ignored samples keep loss 0: a reused tensor is cleared first.
        var losses = naive ? new Tensor<T>(n) : Buffers.Output([n]);
        if (!naive) Array.Clear(losses.Data);
        var probabilities = _probabilities is not null && _probabilities.SameShape(prediction) ? _probabilities : prediction.ZerosLike();
        int counted = 0;
        for (int i = 0; i < n; i++)
        {
            var row = new ReadOnlySpan<T>(prediction.Data, i * k, k);
            var p = new Span<T>(probabilities.Data, i * k, k);
            T logSumExp = naive ? Softmax.RowNaive(row, p) : Softmax.Row(row, p);
            if (target[i] == IgnoreIndex) continue;
            losses.Data[i] = logSumExp - row[target[i]];
            counted++;
        }
        if (_targets.Length != n) _targets = new int[n];
        target.CopyTo(_targets, 0);
        (_probabilities, _counted) = (probabilities, counted);
        return losses;
    }

    /// <inheritdoc />
    protected override int MeanDivisor() => _counted;

    /// <inheritdoc />
    protected override Tensor<T> Gradient(Tensor<T> lossGradient)
    {
        var probabilities = _probabilities!;
        bool naive = Implementation == Implementation.Naive;
        // Rows of ignored samples stay 0: a reused tensor is cleared first.
        var dX = naive ? probabilities.ZerosLike() : Buffers.InputGradient(probabilities.Shape);
        if (!naive) Array.Clear(dX.Data);
        int n = dX.Shape[0], k = dX.Shape[1];
        for (int i = 0; i < n; i++)
        {
            int t = _targets[i];
            if (t == IgnoreIndex) continue;
            T g = lossGradient.Data[i];
            var p = new ReadOnlySpan<T>(probabilities.Data, i * k, k);
            var d = new Span<T>(dX.Data, i * k, k);
            if (naive)
                for (int j = 0; j < k; j++) d[j] = g * p[j];
            else
                TensorPrimitives.Multiply(p, g, d);
            d[t] -= g;
        }
        return dX;
    }
}

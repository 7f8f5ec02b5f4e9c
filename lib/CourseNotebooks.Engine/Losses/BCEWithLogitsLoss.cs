using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine;

/// <summary>
/// Binary cross-entropy on logits: loss_i = -[y_i log σ(x_i) + (1 - y_i) log(1 - σ(x_i))], computed as
/// max(x_i, 0) - x_i y_i + log(1 + exp(-|x_i|)), which never overflows and never takes log(0) (stable at
/// x = ±100 and beyond). Planned for the part-3 notebook on PCA and auto-encoders (still to come; no notebook uses it yet). PyTorch: torch.nn.BCEWithLogitsLoss
/// (reduction='mean'; pos_weight and weight are not supported).
/// </summary>
/// <remarks>
/// Prediction and target have the same (any) shape; targets are probabilities in [0, 1] (not checked, as in
/// PyTorch). dloss_i/dx_i = σ(x_i) - y_i.
/// </remarks>
public sealed class BCEWithLogitsLoss<T> : Loss<T, Tensor<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private sealed record Cache(Tensor<T> Logits, Tensor<T> Target);

    private Cache? _cache;

    /// <summary>A BCE-with-logits loss with the given reduction.</summary>
    public BCEWithLogitsLoss(Reduction reduction = Reduction.Mean) : base(reduction) { }

    /// <inheritdoc />
    protected override Tensor<T> ComputeLosses(Tensor<T> prediction, Tensor<T> target)
    {
        CheckSameShape(prediction, target);
        var losses = prediction.ZerosLike();
        T[] x = prediction.Data, y = target.Data, l = losses.Data;
        if (Implementation == Implementation.Naive)
        {
            for (int i = 0; i < l.Length; i++)
                l[i] = T.Max(x[i], T.Zero) - x[i] * y[i] + T.LogP1(T.Exp(-T.Abs(x[i])));
        }
        else
        {
            // log(1 + exp(-|x|)) first, then max(x, 0) + that - x*y, reusing one buffer.
            var buffer = new T[l.Length];
            TensorPrimitives.Abs<T>(x, buffer);
            TensorPrimitives.Negate<T>(buffer, buffer);
            TensorPrimitives.Exp<T>(buffer, buffer);
            TensorPrimitives.LogP1<T>(buffer, buffer);
            TensorPrimitives.Max(x, T.Zero, l);
            TensorPrimitives.Add<T>(l, buffer, l);
            TensorPrimitives.Multiply<T>(x, y, buffer);
            TensorPrimitives.Subtract<T>(l, buffer, l);
        }
        _cache = new Cache(prediction.Clone(), target.Clone());
        return losses;
    }

    /// <inheritdoc />
    protected override Tensor<T> Gradient(Tensor<T> lossGradient)
    {
        var (logits, target) = _cache!;
        var dX = logits.ZerosLike();
        if (Implementation == Implementation.Naive)
        {
            for (int i = 0; i < dX.Length; i++)
                dX.Data[i] = (Sigmoid<T>.Scalar(logits.Data[i]) - target.Data[i]) * lossGradient.Data[i];
        }
        else if (dX.Length > 0) // TensorPrimitives.Sigmoid rejects empty spans.
        {
            TensorPrimitives.Sigmoid<T>(logits.Data, dX.Data);
            TensorPrimitives.Subtract<T>(dX.Data, target.Data, dX.Data);
            TensorPrimitives.Multiply<T>(dX.Data, lossGradient.Data, dX.Data);
        }
        return dX;
    }
}

using System.Numerics;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Losses;

/// <summary>
/// Mean squared error, loss_i = (x_i - y_i)², for a prediction and a target of the same (any) shape.
/// Introduced in notebook 03-backprop-conv (the MLP view); the reconstruction loss of notebooks 10-autoencoder-vs-pca and
/// 13-convolutional-autoencoder (the course's <c>Reconstruction</c>). PyTorch: torch.nn.MSELoss (reduction='mean').
/// </summary>
/// <remarks>
/// PyTorch broadcasts mismatched shapes with a warning; here they must be equal, because a silent broadcast is
/// almost always a bug in course code. dloss_i/dx_i = 2 (x_i - y_i). The fast path reuses Losses and the returned
/// gradient from one training step to the next (the rhythm rule on <see cref="Loss{T, TTarget}.Losses"/>).
/// </remarks>
public sealed class MSELoss<T> : Loss<T, Tensor<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>What Gradient needs from the last Forward: prediction - target.</summary>
    private readonly record struct Cache(Tensor<T> Difference);

    private Cache? _cache;

    /// <summary>An MSE loss with the given reduction.</summary>
    public MSELoss(Reduction reduction = Reduction.Mean) : base(reduction) { }

    /// <inheritdoc />
    protected override Tensor<T> ComputeLosses(Tensor<T> prediction, Tensor<T> target)
    {
        CheckSameShape(prediction, target);
        // The difference is private scratch: reused while the shape repeats (every element is written below).
        var difference = _cache is { } kept && kept.Difference.SameShape(prediction) ? kept.Difference : prediction.ZerosLike();
        var losses = Buffers.Output(prediction.Shape, ReuseBuffers);
        TensorPrimitives.Subtract<T>(prediction.Data, target.Data, difference.Data);
        TensorPrimitives.Multiply<T>(difference.Data, difference.Data, losses.Data);
        _cache = new Cache(difference);
        return losses;
    }

    /// <inheritdoc />
    protected override Tensor<T> Gradient(Tensor<T> lossGradient)
    {
        var difference = _cache!.Value.Difference;
        var dX = Buffers.InputGradient(difference.Shape, ReuseBuffers);
        TensorPrimitives.Multiply<T>(difference.Data, lossGradient.Data, dX.Data);
        TensorPrimitives.Multiply(dX.Data, T.CreateTruncating(2), dX.Data);
        return dX;
    }
}

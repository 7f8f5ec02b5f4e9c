using System.Numerics;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Losses;

/// <summary>
/// Softmax and log-softmax over the last dimension, computed stably by subtracting the row maximum first
/// (exp never sees a positive argument, so logits of 1e4 do not overflow). Introduced in notebook
/// 07-training-on-real-data (the predicted probabilities). PyTorch: torch.softmax(x, dim=-1), torch.log_softmax.
/// </summary>
public static class Softmax
{
    /// <summary>softmax(x)_k = exp(x_k - m) / Σ_j exp(x_j - m), m = max_j x_j, for each row of the last dimension.</summary>
    /// <exception cref="ArgumentException">The input has rank 0.</exception>
    public static Tensor<T> Of<T>(Tensor<T> logits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var probabilities = Prepare(logits);
        int k = logits.Shape[^1];
        for (int r = 0; k > 0 && r < logits.Length / k; r++)
            Row<T>(new ReadOnlySpan<T>(logits.Data, r * k, k), new Span<T>(probabilities.Data, r * k, k));
        return probabilities;
    }

    /// <summary>log softmax(x)_k = x_k - m - log Σ_j exp(x_j - m), for each row of the last dimension.</summary>
    /// <exception cref="ArgumentException">The input has rank 0.</exception>
    public static Tensor<T> LogOf<T>(Tensor<T> logits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = Prepare(logits);
        int k = logits.Shape[^1];
        for (int r = 0; k > 0 && r < logits.Length / k; r++)
        {
            var row = new ReadOnlySpan<T>(logits.Data, r * k, k);
            T logSumExp = Row<T>(row, new Span<T>(result.Data, r * k, k));
            TensorPrimitives.Subtract(row, logSumExp, new Span<T>(result.Data, r * k, k));
        }
        return result;
    }

    private static Tensor<T> Prepare<T>(Tensor<T> logits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank == 0)
            throw new ArgumentException("Softmax: input rank: expected at least 1 (*, K), got 0 (input shape []).", nameof(logits));
        return logits.ZerosLike();
    }

    /// <summary>
    /// Writes softmax(row) into <paramref name="probabilities"/> and returns log Σ exp(row) (the log-sum-exp).
    /// </summary>
    internal static T Row<T>(ReadOnlySpan<T> row, Span<T> probabilities) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // An empty row: log of an empty sum (TensorPrimitives.Max would reject the empty span).
        if (row.IsEmpty) return T.NegativeInfinity;
        T max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, probabilities);
        TensorPrimitives.Exp<T>(probabilities, probabilities);
        T sum = TensorPrimitives.Sum<T>(probabilities);
        TensorPrimitives.Divide(probabilities, sum, probabilities);
        return max + T.Log(sum);
    }

}

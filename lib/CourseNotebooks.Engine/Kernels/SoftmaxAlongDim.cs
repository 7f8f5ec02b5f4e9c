using System.Numerics;
using CourseNotebooks.Engine.Losses;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// The fast path of <see cref="Layers.Softmax{T}"/> and <see cref="Layers.LogSoftmax{T}"/>: softmax or log-softmax
/// along one dimension of a contiguous tensor seen as [outer, size, inner], forward and backward, with the same
/// parameters as their naive references in <see cref="Reference.SoftmaxReference"/>, which the tests hold them to.
/// </summary>
/// <remarks>
/// Along the last dimension (inner = 1) each row is contiguous and runs <see cref="Softmax.Row{T}"/> (the vectorised
/// row of the losses). Along an earlier dimension the k-th values of the inner positions are contiguous instead, so
/// the loops run over k with whole inner slices as the vectors (TensorPrimitives element-wise), keeping a running
/// maximum and sum per inner position in a scratch array the caller owns (grown here when too short).
/// </remarks>
internal static class SoftmaxAlongDim
{
    /// <summary>
    /// The dimension <paramref name="dim"/> (negative counts from the end, as PyTorch) of <paramref name="shape"/> as
    /// [outer, size, inner]; a rank-0 input is one value (dim 0 or -1, as PyTorch).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The dimension does not exist for the input's rank.</exception>
    public static (int Outer, int Size, int Inner) Split(string layer, int dim, ReadOnlySpan<int> shape)
    {
        int rank = Math.Max(shape.Length, 1);
        int d = dim < 0 ? dim + rank : dim;
        if ((uint)d >= (uint)rank)
            throw new ArgumentOutOfRangeException(nameof(dim),
                $"{layer}: dimension: expected one in [-{rank}, {rank - 1}] for an input of rank {shape.Length}, got {dim} (input shape {Tensors.Tensor<float>.ShapeText(shape)}).");
        if (shape.Length == 0) return (1, 1, 1);
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[d], inner);
    }

    /// <summary>y = softmax(x) (or log-softmax when <paramref name="log"/>) along the middle of [outer, size, inner].</summary>
    public static void Forward<T>(T[] x, T[] y, int outer, int size, int inner, bool log, ref T[] scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (size == 0) return;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var row = new ReadOnlySpan<T>(x, o * size, size);
                var result = new Span<T>(y, o * size, size);
                T logSumExp = Softmax.Row(row, result);
                if (log) TensorPrimitives.Subtract(row, logSumExp, result);
            }
            return;
        }
        if (scratch.Length < 2 * inner) scratch = new T[2 * inner];
        var max = scratch.AsSpan(0, inner);
        var sum = scratch.AsSpan(inner, inner);
        for (int o = 0; o < outer; o++)
        {
            int first = o * size * inner;
            new ReadOnlySpan<T>(x, first, inner).CopyTo(max);
            for (int k = 1; k < size; k++) TensorPrimitives.Max(max, new ReadOnlySpan<T>(x, first + k * inner, inner), max);
            sum.Clear();
            for (int k = 0; k < size; k++)
            {
                var e = new Span<T>(y, first + k * inner, inner);
                TensorPrimitives.Subtract(new ReadOnlySpan<T>(x, first + k * inner, inner), max, e);
                TensorPrimitives.Exp<T>(e, e);
                TensorPrimitives.Add<T>(sum, e, sum);
            }
            if (log)
            {
                // log-sum-exp per inner position: max + log Σ exp(x − max); then y = x − log-sum-exp.
                TensorPrimitives.Log<T>(sum, sum);
                TensorPrimitives.Add<T>(sum, max, sum);
                for (int k = 0; k < size; k++)
                    TensorPrimitives.Subtract(new ReadOnlySpan<T>(x, first + k * inner, inner), sum, new Span<T>(y, first + k * inner, inner));
            }
            else
                for (int k = 0; k < size; k++)
                {
                    var p = new Span<T>(y, first + k * inner, inner);
                    TensorPrimitives.Divide<T>(p, sum, p);
                }
        }
    }

    /// <summary>
    /// dX from the forward's output y and dY: softmax dx_k = y_k (g_k − Σ_j g_j y_j); log-softmax
    /// dx_k = g_k − exp(y_k) Σ_j g_j; along the middle of [outer, size, inner].
    /// </summary>
    public static void Backward<T>(T[] y, T[] dY, T[] dX, int outer, int size, int inner, bool log, ref T[] scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (size == 0) return;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var yr = new ReadOnlySpan<T>(y, o * size, size);
                var g = new ReadOnlySpan<T>(dY, o * size, size);
                var d = new Span<T>(dX, o * size, size);
                if (log)
                {
                    T total = TensorPrimitives.Sum(g);
                    TensorPrimitives.Exp(yr, d);
                    TensorPrimitives.Multiply(d, total, d);
                    TensorPrimitives.Subtract(g, d, d);
                }
                else
                {
                    T dot = TensorPrimitives.Dot(g, yr);
                    TensorPrimitives.Subtract(g, dot, d);
                    TensorPrimitives.Multiply(d, yr, d);
                }
            }
            return;
        }
        if (scratch.Length < 2 * inner) scratch = new T[2 * inner];
        var s = scratch.AsSpan(0, inner);
        var product = scratch.AsSpan(inner, inner);
        for (int o = 0; o < outer; o++)
        {
            int first = o * size * inner;
            s.Clear();
            for (int k = 0; k < size; k++)
            {
                var g = new ReadOnlySpan<T>(dY, first + k * inner, inner);
                if (log) TensorPrimitives.Add(s, g, s);
                else
                {
                    TensorPrimitives.Multiply(g, new ReadOnlySpan<T>(y, first + k * inner, inner), product);
                    TensorPrimitives.Add<T>(s, product, s);
                }
            }
            for (int k = 0; k < size; k++)
            {
                var yk = new ReadOnlySpan<T>(y, first + k * inner, inner);
                var g = new ReadOnlySpan<T>(dY, first + k * inner, inner);
                var d = new Span<T>(dX, first + k * inner, inner);
                if (log)
                {
                    TensorPrimitives.Exp(yk, d);
                    TensorPrimitives.Multiply<T>(d, s, d);
                    TensorPrimitives.Subtract(g, d, d);
                }
                else
                {
                    TensorPrimitives.Subtract(g, s, d);
                    TensorPrimitives.Multiply(d, yk, d);
                }
            }
        }
    }
}

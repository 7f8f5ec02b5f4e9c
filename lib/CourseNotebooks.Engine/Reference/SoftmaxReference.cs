using System.Numerics;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// Softmax and log-softmax along one dimension (<see cref="Layers.Softmax{T}"/>, <see cref="Layers.LogSoftmax{T}"/>)
/// and their backward passes, written as their formulas one element at a time. What the layers run with
/// <see cref="Runtime.Implementation.Naive"/>; their fast path (Kernels/SoftmaxAlongDim.cs, the same parameters) is
/// held to these by the tests. Read it beside notebook 07-training-on-real-data.
/// </summary>
/// <remarks>
/// The tensor is seen as [outer, size, inner]: the dimension of the softmax has <c>size</c> entries, the dimensions
/// before it multiply to <c>outer</c> and those after it to <c>inner</c>, so element (o, k, i) sits at
/// (o size + k) inner + i. Each (o, i) is one softmax over k. Stable: the maximum is subtracted before exp (a NaN makes
/// the whole slice NaN; a slice of -infinity only gives NaN, as in PyTorch).
/// </remarks>
internal static class SoftmaxReference
{
    /// <summary>y_k = exp(x_k − m) / Σ_j exp(x_j − m), or for log-softmax y_k = x_k − m − log Σ_j exp(x_j − m), m = max_j x_j.</summary>
    public static void Forward<T>(T[] x, T[] y, int outer, int size, int inner, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                T max = T.NegativeInfinity;
                for (int k = 0; k < size; k++)
                {
                    T v = x[(o * size + k) * inner + i];
                    if (v > max || T.IsNaN(v)) max = v;
                }
                T sum = T.Zero;
                for (int k = 0; k < size; k++) sum += T.Exp(x[(o * size + k) * inner + i] - max);
                for (int k = 0; k < size; k++)
                {
                    int at = (o * size + k) * inner + i;
                    y[at] = log ? x[at] - max - T.Log(sum) : T.Exp(x[at] - max) / sum;
                }
            }
    }

    /// <summary>Softmax: dx_k = y_k (g_k − Σ_j g_j y_j). Log-softmax: dx_k = g_k − exp(y_k) Σ_j g_j (exp(y) is the softmax).</summary>
    public static void Backward<T>(T[] y, T[] dY, T[] dX, int outer, int size, int inner, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                T s = T.Zero;
                for (int k = 0; k < size; k++)
                {
                    int at = (o * size + k) * inner + i;
                    s += log ? dY[at] : dY[at] * y[at];
                }
                for (int k = 0; k < size; k++)
                {
                    int at = (o * size + k) * inner + i;
                    dX[at] = log ? dY[at] - T.Exp(y[at]) * s : y[at] * (dY[at] - s);
                }
            }
    }
}

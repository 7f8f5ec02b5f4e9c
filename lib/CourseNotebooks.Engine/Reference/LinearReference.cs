using System.Numerics;
using CourseNotebooks.Engine.Layers;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// The fully connected layer <see cref="Linear{T}"/> written as its three sums, one entry at a time. What the layer
/// runs with <see cref="Runtime.Implementation.Naive"/>; its fast path (the GEMM calls in Linear.cs, the same methods
/// and parameters) is held to it by the tests. Shapes: x [M, In] (M = every leading dimension), weight [Out, In],
/// bias [Out], y [M, Out]. Read it beside notebook 03-backprop-conv (the MLP view).
/// </summary>
internal static class LinearReference
{
    /// <summary>y[r, o] = b[o] + Σ_i x[r, i] W[o, i].</summary>
    public static void Forward<T>(int m, int n, int k, T[] x, T[] weight, T[]? bias, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < m; r++)
            for (int o = 0; o < n; o++)
            {
                T sum = bias is null ? T.Zero : bias[o];
                for (int i = 0; i < k; i++) sum += x[r * k + i] * weight[o * k + i];
                y[r * n + o] = sum;
            }
    }

    /// <summary>dW[o, i] += Σ_r dY[r, o] x[r, i];  db[o] += Σ_r dY[r, o].</summary>
    public static void BackwardWeights<T>(int m, int n, int k, T[] x, T[] dY, T[] dW, T[]? dB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < m; r++)
            for (int o = 0; o < n; o++)
            {
                T g = dY[r * n + o];
                if (dB is not null) dB[o] += g;
                for (int i = 0; i < k; i++) dW[o * k + i] += g * x[r * k + i];
            }
    }

    /// <summary>dX[r, i] = Σ_o dY[r, o] W[o, i]. Overwrites dX.</summary>
    public static void BackwardData<T>(int m, int n, int k, T[] dY, T[] weight, T[] dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(dX);
        for (int r = 0; r < m; r++)
            for (int o = 0; o < n; o++)
            {
                T g = dY[r * n + o];
                for (int i = 0; i < k; i++) dX[r * k + i] += g * weight[o * k + i];
            }
    }
}

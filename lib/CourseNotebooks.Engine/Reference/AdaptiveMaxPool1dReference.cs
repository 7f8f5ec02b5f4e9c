using System.Numerics;
using CourseNotebooks.Engine.Layers;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// Adaptive max pooling of <see cref="AdaptiveMaxPool1d{T}"/> written as PyTorch's CPU loop (adaptive_max_pool2d's
/// kernel, which adaptive_max_pool1d runs on 1 x L planes), one output at a time. What the layer runs with
/// <see cref="Runtime.Implementation.Naive"/>; its fast path (in Layers/AdaptiveMaxPool1d.cs, the same parameters) is
/// held to it bit for bit by the tests. Read it beside notebook 09-cnn-for-text.
/// </summary>
/// <remarks>
/// Planes: x is [planes, L], y and argmax [planes, O]. Window i is [floor(i L / O), ceil((i + 1) L / O)). Ties: strict
/// '&gt;' keeps the first maximum, also between -0.0 and +0.0 (which compare equal); a NaN takes over, and so does a
/// later NaN: PyTorch's <c>if ((val &gt; maxval) || std::isnan(val))</c>, started from maxval = -infinity at the
/// window's first input.
/// </remarks>
internal static class AdaptiveMaxPool1dReference
{
    /// <summary>y[p, i] = the largest input of window i, argmax[p, i] its offset in the plane.</summary>
    public static void Forward<T>(int planes, int length, int outputSize, T[] x, T[] y, int[] argmax)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < outputSize; i++)
            {
                int start = (int)((long)i * length / outputSize);
                int end = (int)(((long)(i + 1) * length + outputSize - 1) / outputSize);
                T max = T.NegativeInfinity;
                int best = start;
                for (int t = start; t < end; t++)
                {
                    T v = x[p * length + t];
                    if (v > max || T.IsNaN(v)) { max = v; best = t; }
                }
                y[p * outputSize + i] = max;
                argmax[p * outputSize + i] = best;
            }
    }

    /// <summary>dX = zeros, then dX[p, argmax[p, i]] += dY[p, i] for every output (windows may share an input). Overwrites dX.</summary>
    public static void Backward<T>(int planes, int length, int outputSize, T[] dY, int[] argmax, T[] dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(dX);
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < outputSize; i++)
                dX[p * length + argmax[p * outputSize + i]] += dY[p * outputSize + i];
    }
}

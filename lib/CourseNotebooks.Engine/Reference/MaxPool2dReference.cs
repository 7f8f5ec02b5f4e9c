using System.Numerics;
using CourseNotebooks.Engine.Layers;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// Max pooling of <see cref="MaxPool2d{T}"/> (and of <see cref="MaxPool1d{T}"/>, as 1 x K windows on 1 x L planes)
/// written as its formula, one output at a time, every tap tested against the bounds. It is what the layers run with
/// <see cref="Runtime.Implementation.Naive"/>, and the fast path (Kernels/PoolCore.cs, MaxForward and MaxBackward with
/// the same parameters) is held to it by the tests. Read it beside notebooks 02-pooling and 04-backprop-pooling.
/// </summary>
/// <remarks>
/// Planes: every leading dimension (N * C, or C unbatched) is a separate H x W plane; y and argmax are
/// [planes, OH, OW]. The window of output (i, j) has the taps (i SH - PH + a DH, j SW - PW + b DW) for a &lt; KH,
/// b &lt; KW; taps outside the input are padding, which never wins. Ties: the first maximum in row-major window
/// order wins; a NaN wins and so does a later NaN (PyTorch's CPU rule). A window whose taps are all padding gives
/// -infinity and argmax -1. Backward sends each output's gradient to its argmax, adding where windows chose the same
/// input (NOTE: at a tie the whole gradient goes to one input, as PyTorch does, though the max is not differentiable there).
/// </remarks>
internal static class MaxPool2dReference
{
    /// <summary>y[p, i, j] = the largest input of window (i, j); argmax[p, i, j] its offset row * W + column.</summary>
    public static void Forward<T>(in PoolWindow p, int planes, int h, int w, int oh, int ow, T[] x, T[] y, int[] argmax)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int plane = 0; plane < planes; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    T max = T.NegativeInfinity;
                    int best = -1;
                    for (int a = 0; a < p.KH; a++)
                        for (int b = 0; b < p.KW; b++)
                        {
                            int row = i * p.SH - p.PH + a * p.DH;
                            int column = j * p.SW - p.PW + b * p.DW;
                            if (row < 0 || row >= h || column < 0 || column >= w) continue;
                            T v = x[plane * h * w + row * w + column];
                            // Strict '>' keeps the first of equal maxima; a NaN always takes over.
                            if (best < 0 || v > max || T.IsNaN(v)) { max = v; best = row * w + column; }
                        }
                    y[(plane * oh + i) * ow + j] = max;
                    argmax[(plane * oh + i) * ow + j] = best;
                }
    }

    /// <summary>dX = zeros, then dX[p, argmax[p, i, j]] += dY[p, i, j] for every output. Overwrites dX.</summary>
    public static void Backward<T>(in PoolWindow p, int planes, int h, int w, int oh, int ow, T[] dY, int[] argmax, T[] dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(dX);
        for (int plane = 0; plane < planes; plane++)
            for (int o = 0; o < oh * ow; o++)
            {
                int at = argmax[plane * oh * ow + o];
                if (at >= 0) dX[plane * h * w + at] += dY[plane * oh * ow + o];
            }
    }
}

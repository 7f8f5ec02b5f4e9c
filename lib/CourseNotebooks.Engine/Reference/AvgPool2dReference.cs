using System.Numerics;
using CourseNotebooks.Engine.Layers;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// Average pooling of <see cref="AvgPool2d{T}"/> written as its formula, one output at a time, every tap tested
/// against the bounds. It is what the layer runs with <see cref="Runtime.Implementation.Naive"/>, and the fast path
/// (Kernels/PoolCore.cs, AvgForward and AvgBackward with the same parameters) is held to it by the tests. Read it
/// beside notebooks 02-pooling and 04-backprop-pooling.
/// </summary>
/// <remarks>
/// Planes as in <see cref="MaxPool2dReference"/>; average pooling has no dilation. y[i, j] = (sum of the window's
/// real inputs) / divisor, padding adding zeros. The divisor, as in PyTorch: the override if given; else with
/// count_include_pad the window clipped to the padded input (a ceil-mode window can run past it), without it the
/// number of real inputs. A window with no real input gives 0. Backward: every real input of window (i, j) gets
/// dY[i, j] / divisor.
/// </remarks>
internal static class AvgPool2dReference
{
    /// <summary>y[p, i, j] = sum of window (i, j) / its divisor.</summary>
    public static void Forward<T>(in PoolWindow p, bool countIncludePad, int? divisorOverride, int planes, int h, int w, int oh, int ow, T[] x, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int plane = 0; plane < planes; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    T sum = T.Zero;
                    int real = 0;
                    for (int a = 0; a < p.KH; a++)
                        for (int b = 0; b < p.KW; b++)
                        {
                            int row = i * p.SH - p.PH + a, column = j * p.SW - p.PW + b;
                            if (row < 0 || row >= h || column < 0 || column >= w) continue;
                            sum += x[plane * h * w + row * w + column];
                            real++;
                        }
                    y[(plane * oh + i) * ow + j] = real == 0 ? T.Zero : sum / Divisor<T>(p, countIncludePad, divisorOverride, h, w, i, j);
                }
    }

    /// <summary>dX = zeros, then every real input of window (i, j) += dY[p, i, j] / divisor. Overwrites dX.</summary>
    public static void Backward<T>(in PoolWindow p, bool countIncludePad, int? divisorOverride, int planes, int h, int w, int oh, int ow, T[] dY, T[] dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(dX);
        for (int plane = 0; plane < planes; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    T share = dY[(plane * oh + i) * ow + j] / Divisor<T>(p, countIncludePad, divisorOverride, h, w, i, j);
                    for (int a = 0; a < p.KH; a++)
                        for (int b = 0; b < p.KW; b++)
                        {
                            int row = i * p.SH - p.PH + a, column = j * p.SW - p.PW + b;
                            if (row < 0 || row >= h || column < 0 || column >= w) continue;
                            dX[plane * h * w + row * w + column] += share;
                        }
                }
    }

    /// <summary>The divisor of output (i, j) (see the remarks).</summary>
    private static T Divisor<T>(in PoolWindow p, bool countIncludePad, int? divisorOverride, int h, int w, int i, int j)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (divisorOverride is int fixedDivisor) return T.CreateTruncating(fixedDivisor);
        int rowStart = i * p.SH - p.PH, columnStart = j * p.SW - p.PW;
        int rows, columns;
        if (countIncludePad)
        {
            rows = Math.Min(rowStart + p.KH, h + p.PH) - rowStart;
            columns = Math.Min(columnStart + p.KW, w + p.PW) - columnStart;
        }
        else
        {
            rows = Math.Min(rowStart + p.KH, h) - Math.Max(rowStart, 0);
            columns = Math.Min(columnStart + p.KW, w) - Math.Max(columnStart, 0);
        }
        return T.CreateTruncating(rows * columns);
    }
}

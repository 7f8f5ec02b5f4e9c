using System.Numerics;
using CourseNotebooks.Engine.Layers;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// The convolution of <see cref="Conv2d{T}"/> (and of <see cref="Conv1d{T}"/>, as H = 1) written as its three formulas,
/// one output or gradient entry at a time, every tap tested against the bounds. It is what the layers run with
/// <see cref="Runtime.Implementation.Naive"/>, and the fast path (Kernels/ConvCore.cs, the same three methods with the
/// same parameters) is held to it by the tests. Read it beside notebook 03-backprop-conv.
/// </summary>
/// <remarks>
/// Shapes: x [N, C, H, W], weight [OutC, C/G, KH, KW], bias [OutC], y [N, OutC, OH, OW], with the hyper-parameters in
/// <see cref="ConvGeometry"/> (Cg = C/G input and OCg = OutC/G output channels per group). The input tap of output
/// (i, j) for kernel position (kh, kw) is (i SH - PH + kh DH, j SW - PW + kw DW); outside the input it is zero padding
/// and contributes nothing. Slow on purpose.
/// </remarks>
internal static class Conv2dReference
{
    // ---------- forward: y = W * x + b ----------

    /// <summary>y[n, oc, i, j] = b[oc] + sum over c, kh, kw of W[oc, c, kh, kw] x[n, g*Cg + c, i*SH - PH + kh*DH, j*SW - PW + kw*DW].</summary>
    public static void Forward<T>(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < g.OutC; oc++)
            {
                int c0 = oc / g.OCg * g.Cg;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        T sum = bias is null ? T.Zero : bias[oc];
                        for (int c = 0; c < g.Cg; c++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int ih = i * g.SH - g.PH + kh * g.DH, iw = j * g.SW - g.PW + kw * g.DW;
                                    if ((uint)ih >= (uint)h || (uint)iw >= (uint)w) continue;
                                    sum += weight[((oc * g.Cg + c) * g.KH + kh) * g.KW + kw] * x[(((b * g.C) + c0 + c) * h + ih) * w + iw];
                                }
                        y[((b * g.OutC + oc) * oh + i) * ow + j] = sum;
                    }
            }
    }

    // ---------- backward data: dX = W^T dY ----------

    /// <summary>dX[n, c, ih, iw] = sum of dY[n, oc, i, j] W[oc, c', kh, kw] over all (oc, i, j, kh, kw) whose tap lands on (ih, iw). Overwrites dX.</summary>
    public static void BackwardData<T>(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] dY, T[] weight, T[] dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(dX);
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < g.OutC; oc++)
            {
                int c0 = oc / g.OCg * g.Cg;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        T d = dY[((b * g.OutC + oc) * oh + i) * ow + j];
                        for (int c = 0; c < g.Cg; c++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int ih = i * g.SH - g.PH + kh * g.DH, iw = j * g.SW - g.PW + kw * g.DW;
                                    if ((uint)ih >= (uint)h || (uint)iw >= (uint)w) continue;
                                    dX[(((b * g.C) + c0 + c) * h + ih) * w + iw] += d * weight[((oc * g.Cg + c) * g.KH + kh) * g.KW + kw];
                                }
                    }
            }
    }

    // ---------- backward weights: dW += dY x^T, dB += sum dY ----------

    /// <summary>dW[oc, c, kh, kw] += sum over n, i, j of dY[n, oc, i, j] x[n, g*Cg + c, tap]; dB[oc] += sum of dY[n, oc, :, :].</summary>
    public static void BackwardWeights<T>(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] dY, T[] dW, T[]? dB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < g.OutC; oc++)
            {
                int c0 = oc / g.OCg * g.Cg;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        T d = dY[((b * g.OutC + oc) * oh + i) * ow + j];
                        if (dB is not null) dB[oc] += d;
                        for (int c = 0; c < g.Cg; c++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int ih = i * g.SH - g.PH + kh * g.DH, iw = j * g.SW - g.PW + kw * g.DW;
                                    if ((uint)ih >= (uint)h || (uint)iw >= (uint)w) continue;
                                    dW[((oc * g.Cg + c) * g.KH + kh) * g.KW + kw] += d * x[(((b * g.C) + c0 + c) * h + ih) * w + iw];
                                }
                    }
            }
    }
}

using System.Numerics;
using CourseNotebooks.Engine.Layers;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// The transposed convolution of <see cref="ConvTranspose2d{T}"/> written as its scatter, loop for loop: each input
/// pixel adds its value times the kernel into the output window it reaches. What the layer runs with
/// <see cref="Runtime.Implementation.Naive"/>; the fast path (ConvCore.TransposedForward and TransposedBackward in
/// Kernels/ConvCore.cs, the same parameters) runs the convolution's passes backwards and is held to this by the tests.
/// Read it beside notebook 13-convolutional-autoencoder.
/// </summary>
/// <remarks>
/// The geometry is the convolution's whose input gradient this layer computes: its C is the transposed layer's output
/// channels (OutC here) and its OutC the transposed layer's input channels (C here). Shapes: x [N, C, H, W], weight
/// [C, OutC/G, KH, KW], bias [OutC], y [N, OutC, OH, OW]. Input pixel (i, j) with tap (kh, kw) reaches output
/// (i SH - PH + kh DH, j SW - PW + kw DW); taps that land outside the output (the cropped padding) are dropped.
/// </remarks>
internal static class ConvTranspose2dReference
{
    /// <summary>y[n, oc, i SH - PH + kh DH, j SW - PW + kw DW] += x[n, c, i, j] W[c, oc', kh, kw] for every input pixel and tap, on top of the bias. Overwrites y.</summary>
    public static void Forward<T>(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inChannels = g.OutC, outChannels = g.C, cg = g.OCg, ocg = g.Cg;
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < outChannels; oc++)
                for (int i = 0; i < oh * ow; i++)
                    y[(b * outChannels + oc) * oh * ow + i] = bias is null ? T.Zero : bias[oc];
        for (int b = 0; b < n; b++)
            for (int c = 0; c < inChannels; c++)
            {
                int oc0 = c / cg * ocg;
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++)
                    {
                        T v = x[((b * inChannels + c) * h + i) * w + j];
                        for (int oc = 0; oc < ocg; oc++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int yi = i * g.SH - g.PH + kh * g.DH, yj = j * g.SW - g.PW + kw * g.DW;
                                    if ((uint)yi >= (uint)oh || (uint)yj >= (uint)ow) continue;
                                    y[((b * outChannels + oc0 + oc) * oh + yi) * ow + yj] += v * weight[((c * ocg + oc) * g.KH + kh) * g.KW + kw];
                                }
                    }
            }
    }

    /// <summary>
    /// The derivative of the scatter: each (input pixel, tap) pair gathers one dL/dy entry into dX (overwritten) and
    /// adds it times the pixel into dW; dB += the sum of dY per output channel.
    /// </summary>
    public static void Backward<T>(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] dY, T[] weight, T[] dX, T[] dW, T[]? dB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inChannels = g.OutC, outChannels = g.C, cg = g.OCg, ocg = g.Cg;
        Array.Clear(dX);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < inChannels; ch++)
            {
                int oc0 = ch / cg * ocg;
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++)
                    {
                        int xi = ((b * inChannels + ch) * h + i) * w + j;
                        for (int oc = 0; oc < ocg; oc++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int yi = i * g.SH - g.PH + kh * g.DH, yj = j * g.SW - g.PW + kw * g.DW;
                                    if ((uint)yi >= (uint)oh || (uint)yj >= (uint)ow) continue;
                                    T d = dY[((b * outChannels + oc0 + oc) * oh + yi) * ow + yj];
                                    int wi = ((ch * ocg + oc) * g.KH + kh) * g.KW + kw;
                                    dX[xi] += d * weight[wi];
                                    dW[wi] += d * x[xi];
                                }
                    }
            }
        if (dB is null) return;
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < outChannels; oc++)
                for (int i = 0; i < oh * ow; i++)
                    dB[oc] += dY[(b * outChannels + oc) * oh * ow + i];
    }
}

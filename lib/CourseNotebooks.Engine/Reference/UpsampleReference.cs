using System.Numerics;
using CourseNotebooks.Engine.Layers;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// Nearest-neighbour upsampling (<see cref="Upsample{T}"/>) one element at a time: every output element copies the
/// input element at the source indices of its three axes (PyTorch's nearest rule, computed by the layer), and
/// backward adds every output gradient onto the input element it copied. What the layer runs with
/// <see cref="Runtime.Implementation.Naive"/>; its fast path (row copies, Upsample.cs, the same parameters) is held to
/// it by the tests. Read it beside notebook 13-convolutional-autoencoder.
/// </summary>
internal static class UpsampleReference
{
    /// <summary>y[p, od, oh, ow] = x[p, srcD[od], srcH[oh], srcW[ow]].</summary>
    public static void Forward<T>(in UpsampleGeometry g, int[] srcD, int[] srcH, int[] srcW, T[] x, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int p = 0; p < g.Planes; p++)
            for (int od = 0; od < g.OD; od++)
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                        y[((p * g.OD + od) * g.OH + oh) * g.OW + ow] = x[((p * g.D + srcD[od]) * g.H + srcH[oh]) * g.W + srcW[ow]];
    }

    /// <summary>dX = zeros, then dX[p, srcD[od], srcH[oh], srcW[ow]] += dY[p, od, oh, ow]. Overwrites dX.</summary>
    public static void Backward<T>(in UpsampleGeometry g, int[] srcD, int[] srcH, int[] srcW, T[] dY, T[] dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(dX);
        for (int p = 0; p < g.Planes; p++)
            for (int od = 0; od < g.OD; od++)
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                        dX[((p * g.D + srcD[od]) * g.H + srcH[oh]) * g.W + srcW[ow]] += dY[((p * g.OD + od) * g.OH + oh) * g.OW + ow];
    }
}

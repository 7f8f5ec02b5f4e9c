using System.Numerics;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// The backward pass shared by every max pooling (MaxPool1d, AdaptiveMaxPool1d, MaxPool2d off its 2x2 kernel): each
/// output's gradient goes to the input its window chose, dIn[p, argmax[p, o]] += dOut[p, o], adding where windows
/// share an input. An argmax of -1 (a window that saw only padding) sends nothing.
/// </summary>
internal static class ArgmaxScatter
{
    /// <summary>One plane: clears its <paramref name="inPlane"/> inputs, then adds its <paramref name="outPlane"/> gradients.</summary>
    public static void Plane<T>(T[] dOut, int[] argmax, T[] dIn, int p, int inPlane, int outPlane)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(dIn, p * inPlane, inPlane);
        for (int o = 0; o < outPlane; o++)
        {
            int at = argmax[p * outPlane + o];
            if (at >= 0) dIn[p * inPlane + at] += dOut[p * outPlane + o];
        }
    }

    /// <summary>Every plane in turn (see <see cref="Plane{T}"/>).</summary>
    public static void Planes<T>(T[] dOut, int[] argmax, T[] dIn, int planes, int inPlane, int outPlane)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int p = 0; p < planes; p++) Plane(dOut, argmax, dIn, p, inPlane, outPlane);
    }
}

using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>Helpers shared by the convolution tests: the slide's numbers and tensor comparisons.</summary>
internal static class ConvTestSupport
{
    /// <summary>
    /// Finite-difference step for the convolution gradient checks. The checked scalar sum(y * G) is linear in each single
    /// input or weight entry, so centred differences have no truncation error at any step; a step larger than the
    /// default 1e-6 only shrinks the round-off (about eps |L| / h), which is what limits the relative error here.
    /// </summary>
    public const double GradientStep = 1e-3;

    /// <summary>The 5x5 input of the slide "Convolution (in general)".</summary>
    public static readonly double[,] SlideInput =
    {
        { 3, 3, 2, 1, 0 },
        { 0, 0, 1, 3, 1 },
        { 3, 1, 2, 2, 3 },
        { 2, 0, 0, 2, 2 },
        { 2, 0, 0, 0, 1 },
    };

    /// <summary>The slide's 3x3 kernel (the small numbers in the shaded window).</summary>
    public static readonly double[,] SlideKernel =
    {
        { 0, 1, 2 },
        { 2, 2, 0 },
        { 0, 1, 2 },
    };

    /// <summary>The slide's 3x3 result.</summary>
    public static readonly double[,] SlideOutput =
    {
        { 12, 12, 17 },
        { 10, 17, 19 },
        { 9, 6, 14 },
    };

    /// <summary>Largest |a - b| / max(1, |b|) over all elements; the shapes must agree.</summary>
    public static double MaxRelativeDifference<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Assert.Equal(b.Shape.ToArray(), a.Shape.ToArray());
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double x = double.CreateTruncating(a.Data[i]), y = double.CreateTruncating(b.Data[i]);
            worst = Math.Max(worst, Math.Abs(x - y) / Math.Max(1.0, Math.Abs(y)));
        }
        return worst;
    }

    /// <summary>Copies every parameter value of <paramref name="from"/> into <paramref name="to"/> (same architecture).</summary>
    public static void CopyParameters<T>(Module<T> from, Module<T> to) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        foreach (var (p, q) in from.Parameters().Zip(to.Parameters())) p.Value.Data.CopyTo(q.Value.Data, 0);
    }
}

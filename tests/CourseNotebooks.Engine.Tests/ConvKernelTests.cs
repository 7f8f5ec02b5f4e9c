using System.Numerics;
using System.Runtime.Intrinsics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// Every convolution kernel this machine can run (im2col + GEMM, and the direct stride-1 kernel at 128, 256 and 512
/// bits where the hardware has them), forced on Conv2d, Conv1d and ConvTranspose2d, against the naive reference on
/// awkward shapes: sizes 1, primes, grids that end inside a register tile, channel and tap counts that leave
/// remainders in the 4 x 4 (or 4 x 3) tiles, rectangular kernels, padding, dilation and groups. Run with
/// DOTNET_EnableAVX2=0 the 256-bit kernel drops out and the 128-bit one is the widest.
/// </summary>
public class ConvKernelTests
{
    public static TheoryData<string> Kernels()
    {
        var kernels = new TheoryData<string> { nameof(ConvKernel.Im2Col) };
        if (Vector128.IsHardwareAccelerated) kernels.Add(nameof(ConvKernel.Direct128));
        if (Vector256.IsHardwareAccelerated) kernels.Add(nameof(ConvKernel.Direct256));
        if (Vector512.IsHardwareAccelerated) kernels.Add(nameof(ConvKernel.Direct512));
        return kernels;
    }

    // n, c, outC, (kh, kw), (h, w), (ph, pw), dilation, groups
    private static readonly (int N, int C, int OutC, (int, int) K, (int H, int W) Size, (int, int) P, int D, int G)[] Shapes =
    [
        (1, 1, 1, (1, 1), (1, 1), (0, 0), 1, 1),        // everything 1
        (2, 1, 1, (3, 3), (1, 1), (1, 1), 1, 1),        // a 1x1 image, all but one tap in the padding
        (2, 3, 5, (3, 3), (7, 11), (1, 1), 1, 1),       // primes: 5 channels = one tile of 4 + 1, 27 taps
        (3, 1, 8, (5, 5), (28, 28), (2, 2), 1, 1),      // LeNet's first layer
        (2, 8, 16, (5, 5), (14, 14), (2, 2), 1, 1),     // LeNet's second layer
        (2, 4, 6, (3, 3), (9, 10), (2, 2), 2, 2),       // dilation 2, groups 2
        (2, 2, 7, (3, 2), (8, 7), (0, 1), 1, 1),        // no row padding, rectangular kernel: backward pads by K - 1
        (1, 6, 9, (3, 3), (5, 5), (1, 1), 1, 3),        // 3 groups of 3 output channels: no whole channel tile
        (2, 2, 3, (1, 3), (13, 17), (0, 1), 3, 1),      // 1 x 3 taps dilated by 3
        (1, 3, 4, (3, 3), (40, 40), (1, 1), 1, 1),      // grid over 1024 outputs: the weight gradient summed per image
    ];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Conv2d_EveryKernel_MatchesItsReference(string kernelName)
    {
        var kernel = Enum.Parse<ConvKernel>(kernelName);
        foreach (var s in Shapes)
        {
            CheckConv2d<float>(kernel, s.N, s.C, s.OutC, s.K, s.Size, s.P, s.D, s.G, 1e-5);
            CheckConv2d<double>(kernel, s.N, s.C, s.OutC, s.K, s.Size, s.P, s.D, s.G, 1e-12);
        }
    }

    private static void CheckConv2d<T>(ConvKernel kernel, int n, int c, int outC, (int, int) k, (int H, int W) size, (int, int) p, int d, int groups, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = Tensor.Randn<T>(new Random(n * 31 + c * 7 + outC), n, c, size.H, size.W);
        LayerTestKit.AssertFastMatchesReference(() => new Conv2d<T>(c, outC, k, padding: p, dilation: (d, d), groups: groups, seed: 3) { ForcedKernel = kernel },
            x, seed: n, tolerance, parameterTolerance: 10 * tolerance, what: $"{kernel} {typeof(T).Name} n{n} c{c} o{outC} k{k} {size} p{p} d{d} g{groups}");
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Conv1dAndConvTranspose2d_EveryKernel_MatchTheirReferences(string kernelName)
    {
        var kernel = Enum.Parse<ConvKernel>(kernelName);
        var random = new Random(4);
        foreach (var (c, outC, k, l, p, d) in new[] { (1, 1, 1, 1, 0, 1), (3, 5, 3, 29, 1, 1), (4, 8, 5, 64, 4, 2), (2, 6, 7, 9, 3, 1) })
            LayerTestKit.AssertFastMatchesReference(() => new Conv1d<float>(c, outC, k, padding: p, dilation: d, seed: 5) { ForcedKernel = kernel },
                Tensor.Randn<float>(random, 3, c, l), seed: l, tolerance: 1e-5, parameterTolerance: 1e-4, what: $"Conv1d {kernel} c{c} o{outC} k{k} l{l}");
        // Stride 1 transposed convolutions run the direct kernel backwards: forward is its backward-data grid.
        foreach (var (c, outC, k, size, p, d, groups) in new[] { (1, 1, 1, 1, 0, 1, 1), (3, 5, 3, 7, 0, 1, 1), (4, 6, 3, 11, 1, 2, 2), (8, 4, 5, 13, 2, 1, 1) })
            LayerTestKit.AssertFastMatchesReference(() => new ConvTranspose2d<float>(c, outC, k, padding: p, dilation: d, groups: groups, seed: 6) { ForcedKernel = kernel },
                Tensor.Randn<float>(random, 2, c, size, size + 2), seed: size, tolerance: 1e-5, parameterTolerance: 1e-4, what: $"ConvTranspose2d {kernel} c{c} o{outC} k{k}");
    }

    [Fact]
    public void StrideOne_RunsTheDirectKernelAtTheWidestAcceleratedWidth_OtherStridesIm2Col()
    {
        var expected = Vector512.IsHardwareAccelerated ? ConvKernel.Direct512
            : Vector256.IsHardwareAccelerated ? ConvKernel.Direct256
            : Vector128.IsHardwareAccelerated ? ConvKernel.Direct128
            : ConvKernel.Im2Col;
        Assert.Equal(expected, new ConvCore<float>().DirectKernel(new Conv2d<float>(8, 16, 5, padding: 2).Geometry));
        Assert.Equal(ConvKernel.Im2Col, new ConvCore<float>().DirectKernel(new Conv2d<float>(8, 16, 3, stride: 2).Geometry));
        // Half has no vector arithmetic: always im2col (on the scalar GEMM).
        Assert.Equal(ConvKernel.Im2Col, new ConvCore<Half>().DirectKernel(new Conv2d<Half>(8, 16, 5, padding: 2).Geometry));
    }

    [Fact]
    public void ForcingAKernelThisMachineLacks_FailsWithItsName()
    {
        if (Vector512.IsHardwareAccelerated) return;   // every width runs here: nothing to refuse
        var layer = new Conv2d<float>(2, 4, 3, padding: 1, seed: 1) { ForcedKernel = ConvKernel.Direct512 };
        var e = Assert.Throws<InvalidOperationException>(() => layer.Forward(new Tensor<float>(1, 2, 5, 5)));
        Assert.Contains("Direct512", e.Message);
    }
}

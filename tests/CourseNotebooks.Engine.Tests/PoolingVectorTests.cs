using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// The vector kernels of 2x2 / stride 2 pooling on float against the naive reference, bit for bit, with ties, -0 and
/// NaN: through the layers (which run the widest width that fits each row), and every width this machine runs called
/// directly (as ConvKernelTests does for the convolution kernels) on rows around 4, 8 and 16 windows, so that rows end
/// in a full step, an overlapping last step, or are too narrow for the width, with odd sizes and planes at unaligned
/// offsets inside larger buffers; a width this machine lacks must refuse to run. Run with DOTNET_EnableAVX2=0 the
/// 256-bit kernel drops out and the layers run the 128-bit one; environment/check-arm64 runs it as NEON code.
/// </summary>
public class PoolingVectorTests
{
    /// <summary>Every vector width: the ones this machine runs are checked bit for bit, the others must refuse to run.</summary>
    public static TheoryData<string> Kernels() =>
        new(nameof(Pool2x2Kernel.Vector128), nameof(Pool2x2Kernel.Vector256), nameof(Pool2x2Kernel.Vector512));

    /// <summary>
    /// False, after checking that the kernel refuses with its name, when <paramref name="kernel"/> does not run here
    /// (no AVX-512 on this machine, AVX2 switched off, or no SIMD at all).
    /// </summary>
    private static bool RunsHere(Pool2x2Kernel kernel)
    {
        if (Pool2x2Vector.Supported(kernel)) return true;
        var e = Assert.Throws<InvalidOperationException>(() =>
            Pool2x2Vector.AvgForward(kernel, new float[64], 0, 32, new float[16], 0, 1, 16, 4));
        Assert.Contains(kernel.ToString(), e.Message);
        return false;
    }

    /// <summary>Output row lengths around 4, 8 and 16 windows: below, at, one over, and ending mid-step.</summary>
    private static readonly int[] RowWindows = [1, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15, 16, 17, 20, 24, 31, 32, 33, 40];

    /// <summary>Inputs and outputs start this far into their buffers (unaligned), and the buffers run this far past the planes.</summary>
    private const int InPad = 5, OutPad = 3;

    private const float Sentinel = 12345f;

    /// <summary>Values from {-2, -1, -0, +0, 1, 2} (ties, zeros of both signs) and about one NaN in 12.</summary>
    private static float[] TieValues(Random random, int length)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++)
        {
            int r = random.Next(12);
            v[i] = r == 0 ? float.NaN : r == 1 ? -0f : random.Next(-2, 3);
        }
        return v;
    }

    private static void AssertBits(float expected, float actual, string what)
    {
        int e = BitConverter.SingleToInt32Bits(expected), a = BitConverter.SingleToInt32Bits(actual);
        Assert.True(e == a, $"{what}: expected {expected} (0x{e:x8}), got {actual} (0x{a:x8})");
    }

    /// <summary>Every value of <paramref name="buffer"/> outside [from, from + length) per plane is still the sentinel.</summary>
    private static void AssertPaddingUntouched(float[] buffer, int planes, int plane, int pad, string what)
    {
        for (int i = 0; i < pad; i++) AssertBits(Sentinel, buffer[i], $"{what} before the planes [{i}]");
        for (int i = pad + planes * plane; i < buffer.Length; i++) AssertBits(Sentinel, buffer[i], $"{what} after the planes [{i}]");
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MaxPool2x2_EveryWidth_MatchesNaiveBitForBit_AtOffsets(string kernelName)
    {
        var kernel = Enum.Parse<Pool2x2Kernel>(kernelName);
        if (!RunsHere(kernel)) return;
        int n = Pool2x2Vector.Windows(kernel);
        var random = new Random(n);
        const int planes = 3;
        foreach (int ow in RowWindows)
            foreach (var (h, w) in new[] { (2, 2 * ow), (5, 2 * ow + 1), (6, 2 * ow), (3, 2 * ow + 3) })
            {
                string what = $"{kernel} h{h} w{w} ow{ow}";
                int oh = h / 2, plane = h * w, outPlane = oh * (w / 2);
                int owUsed = w / 2;
                var x = new Tensor<float>(TieValues(random, planes * plane), planes, h, w);
                var naive = new MaxPool2d<float>(2) { Implementation = Implementation.Naive };
                var yNaive = naive.Forward(x);
                var src = Enumerable.Repeat(Sentinel, InPad + planes * plane + InPad).ToArray();
                Array.Copy(x.Data, 0, src, InPad, x.Length);
                var dst = Enumerable.Repeat(Sentinel, OutPad + planes * outPlane + OutPad).ToArray();
                var indices = Enumerable.Repeat(-7, dst.Length).ToArray();
                if (owUsed < n)
                {
                    // Too narrow for this width: the layers take a narrower one or the scalar loop; the kernel refuses.
                    Assert.Throws<ArgumentException>(() => Pool2x2Vector.MaxForward(kernel, src, InPad, w, dst, indices, OutPad, oh, owUsed));
                    continue;
                }
                for (int p = 0; p < planes; p++)
                    Pool2x2Vector.MaxForward(kernel, src, InPad + p * plane, w, dst, indices, OutPad + p * outPlane, oh, owUsed);
                for (int i = 0; i < yNaive.Length; i++)
                {
                    AssertBits(yNaive.Data[i], dst[OutPad + i], $"{what} output [{i}]");
                    Assert.True(naive.LastIndices!.Data[i] == indices[OutPad + i], $"{what} argmax [{i}]: naive {naive.LastIndices.Data[i]}, kernel {indices[OutPad + i]}");
                }
                AssertPaddingUntouched(dst, planes, outPlane, OutPad, $"{what} output");

                // Backward with a few -0 gradients: the argmax input gets the gradient, the other three +0.
                var dOut = Tensor.Randn<float>(random, yNaive.Shape.ToArray());
                for (int i = 0; i < dOut.Length; i += 5) dOut.Data[i] = -0f;
                var dxNaive = naive.Backward(dOut);
                var g = Enumerable.Repeat(Sentinel, OutPad + dOut.Length + OutPad).ToArray();
                Array.Copy(dOut.Data, 0, g, OutPad, dOut.Length);
                var dIn = Enumerable.Repeat(Sentinel, src.Length).ToArray();
                for (int p = 0; p < planes; p++)
                    Pool2x2Vector.MaxBackward(kernel, g, indices, OutPad + p * outPlane, oh, owUsed, dIn, InPad + p * plane, w);
                AssertCoveredMatch_UncoveredUntouched(dxNaive, dIn, planes, h, w, oh, owUsed, what);
            }
    }

    /// <summary>
    /// Signed-zero ties, at every width this machine runs: each 2x2 window holds -0.0 and +0.0 in one of the orders
    /// (row-major) the window can have them, and the kernel must keep the first zero, as PyTorch's
    /// <c>(val &gt; maxval) || isnan(val)</c> and the naive path do (a vector max instruction could return +0.0).
    /// </summary>
    [Theory]
    [MemberData(nameof(Kernels))]
    public void MaxPool2x2_EveryWidth_SignedZeroTie_KeepsTheFirstZero(string kernelName)
    {
        var kernel = Enum.Parse<Pool2x2Kernel>(kernelName);
        if (!RunsHere(kernel)) return;
        int n = Pool2x2Vector.Windows(kernel);
        // The 16 sign patterns of four zeros, repeated over windows, plus a window that is all -1 but for one zero of each sign.
        foreach (int ow in new[] { n, n + 1, 2 * n + 3 })
        {
            int w = 2 * ow, oh = 2;
            var src = new float[2 * oh * w];
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int pattern = (i * ow + j) % 16;
                    int at = 2 * i * w + 2 * j;
                    int[] taps = [at, at + 1, at + w, at + w + 1];
                    for (int k = 0; k < 4; k++) src[taps[k]] = (pattern >> k & 1) == 1 ? -0f : 0f;
                }
            var dst = new float[oh * ow];
            var indices = new int[oh * ow];
            Pool2x2Vector.MaxForward(kernel, src, 0, w, dst, indices, 0, oh, ow);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int at = 2 * i * w + 2 * j;
                    Assert.True(at == indices[i * ow + j], $"{kernel}, ow {ow}, window ({i}, {j}), signs pattern {(i * ow + j) % 16}: argmax {indices[i * ow + j]}, expected the first tap {at}");
                    AssertBits(src[at], dst[i * ow + j], $"{kernel}, ow {ow}, window ({i}, {j}) output");
                }
        }
    }

    /// <summary>Signed-zero ties through the layers (the 2x2 fast path at the widest width, the general path, MaxPool1d): the first zero wins, as on the naive path.</summary>
    [Fact]
    public void MaxPooling_Layers_SignedZeroTie_KeepTheFirstZero_LikeTheNaivePath()
    {
        var random = new Random(3);
        var x = new Tensor<float>(2, 3, 6, 40);
        for (int i = 0; i < x.Length; i++) x.Data[i] = random.Next(3) == 0 ? -1f : random.Next(2) == 0 ? -0f : 0f;
        Func<Module<float>>[] layers =
        [
            () => new MaxPool2d<float>(2),
            () => new MaxPool2d<float>(3, stride: 2, padding: 1),
            () => new MaxPool2d<float>(2, stride: 1),
        ];
        foreach (var make in layers)
        {
            LayerTestKit.AssertFastMatchesReference(make, x, seed: 4, tolerance: 0);
            var (fast, naive) = ((MaxPool2d<float>)make(), (MaxPool2d<float>)make());
            naive.Implementation = Implementation.Naive;
            fast.Forward(x);
            naive.Forward(x);
            Assert.Equal(naive.LastIndices!.Data, fast.LastIndices!.Data);
        }
        var x1 = new Tensor<float>(2, 3, 64);
        for (int i = 0; i < x1.Length; i++) x1.Data[i] = random.Next(2) == 0 ? -0f : 0f;
        foreach (int k in new[] { 2, 3, 8 })
        {
            LayerTestKit.AssertFastMatchesReference(() => new MaxPool1d<float>(k), x1, seed: 5, tolerance: 0);
            var (fast, naive) = (new MaxPool1d<float>(k), new MaxPool1d<float>(k) { Implementation = Implementation.Naive });
            fast.Forward(x1);
            naive.Forward(x1);
            Assert.Equal(naive.LastIndices!.Data, fast.LastIndices!.Data);
        }
        // The first zero's sign, explicitly: [-0, +0] pools to -0, [+0, -0] to +0.
        var pair = new MaxPool1d<float>(2).Forward(new Tensor<float>([-0f, 0f, 0f, -0f], 1, 4));
        Assert.True(float.IsNegative(pair.Data[0]) && !float.IsNegative(pair.Data[1]));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void AvgPool2x2_EveryWidth_MatchesNaiveBitForBit_AtOffsets(string kernelName)
    {
        var kernel = Enum.Parse<Pool2x2Kernel>(kernelName);
        if (!RunsHere(kernel)) return;
        int n = Pool2x2Vector.Windows(kernel);
        var random = new Random(100 + n);
        const int planes = 3;
        foreach (int divisor in new[] { 4, 3 })
            foreach (int ow in RowWindows)
                foreach (var (h, w) in new[] { (2, 2 * ow), (5, 2 * ow + 1), (4, 2 * ow + 3) })
                {
                    string what = $"{kernel} divisor {divisor} h{h} w{w} ow{ow}";
                    int oh = h / 2, owUsed = w / 2, plane = h * w, outPlane = oh * owUsed;
                    var x = Tensor.Randn<float>(random, planes, h, w);
                    var naive = new AvgPool2d<float>(2, divisorOverride: divisor == 4 ? null : divisor) { Implementation = Implementation.Naive };
                    var yNaive = naive.Forward(x);
                    var src = Enumerable.Repeat(Sentinel, InPad + planes * plane + InPad).ToArray();
                    Array.Copy(x.Data, 0, src, InPad, x.Length);
                    var dst = Enumerable.Repeat(Sentinel, OutPad + planes * outPlane + OutPad).ToArray();
                    if (owUsed < n)
                    {
                        Assert.Throws<ArgumentException>(() => Pool2x2Vector.AvgForward(kernel, src, InPad, w, dst, OutPad, oh, owUsed, divisor));
                        continue;
                    }
                    for (int p = 0; p < planes; p++)
                        Pool2x2Vector.AvgForward(kernel, src, InPad + p * plane, w, dst, OutPad + p * outPlane, oh, owUsed, divisor);
                    for (int i = 0; i < yNaive.Length; i++) AssertBits(yNaive.Data[i], dst[OutPad + i], $"{what} output [{i}]");
                    AssertPaddingUntouched(dst, planes, outPlane, OutPad, $"{what} output");

                    var dOut = Tensor.Randn<float>(random, yNaive.Shape.ToArray());
                    var dxNaive = naive.Backward(dOut);
                    var g = Enumerable.Repeat(Sentinel, OutPad + dOut.Length + OutPad).ToArray();
                    Array.Copy(dOut.Data, 0, g, OutPad, dOut.Length);
                    var dIn = Enumerable.Repeat(Sentinel, src.Length).ToArray();
                    for (int p = 0; p < planes; p++)
                        Pool2x2Vector.AvgBackward(kernel, g, OutPad + p * outPlane, oh, owUsed, dIn, InPad + p * plane, w, divisor);
                    AssertCoveredMatch_UncoveredUntouched(dxNaive, dIn, planes, h, w, oh, owUsed, what);
                }
    }

    /// <summary>
    /// The backward kernels write every input a window covers (the naive gradient's bits) and leave the rest alone: the
    /// last row or columns of odd sizes and everything outside the planes keep the sentinel.
    /// </summary>
    private static void AssertCoveredMatch_UncoveredUntouched(Tensor<float> dxNaive, float[] dIn, int planes, int h, int w, int oh, int ow, string what)
    {
        for (int p = 0; p < planes; p++)
            for (int r = 0; r < h; r++)
                for (int c = 0; c < w; c++)
                {
                    int at = (p * h + r) * w + c;
                    bool covered = r < 2 * oh && c < 2 * ow;
                    AssertBits(covered ? dxNaive.Data[at] : Sentinel, dIn[InPad + at], $"{what} input gradient plane {p} ({r}, {c})");
                }
        AssertPaddingUntouched(dIn, planes, h * w, InPad, $"{what} input gradient");
    }

    [Fact]
    public void KernelChoice_IsTheWidestWidthThatFitsTheRow_FloatOnly()
    {
        foreach (int ow in Enumerable.Range(0, 40))
        {
            var expected = Pool2x2Vector.Supported(Pool2x2Kernel.Vector512) && ow >= 16 ? Pool2x2Kernel.Vector512
                : Pool2x2Vector.Supported(Pool2x2Kernel.Vector256) && ow >= 8 ? Pool2x2Kernel.Vector256
                : Pool2x2Vector.Supported(Pool2x2Kernel.Vector128) && ow >= 4 ? Pool2x2Kernel.Vector128
                : Pool2x2Kernel.Scalar;
            Assert.Equal(expected, Pool2x2Vector.For<float>(ow));
            Assert.Equal(Pool2x2Kernel.Scalar, Pool2x2Vector.For<double>(ow));
        }
        // LeNet's 28 -> 14 pool: 8 windows per step wherever 256-bit vectors run, even beside AVX-512.
        if (Pool2x2Vector.Supported(Pool2x2Kernel.Vector256)) Assert.Equal(Pool2x2Kernel.Vector256, Pool2x2Vector.For<float>(14));
        Assert.Equal(Pool2x2Kernel.Scalar, Pool2x2Vector.For<float>(3));
    }


    public static TheoryData<int, int> Sizes => new()
    {
        { 3, 2 }, { 2, 6 }, { 3, 8 }, { 4, 10 }, { 5, 11 }, { 4, 14 }, { 2, 16 }, { 5, 17 }, { 3, 20 }, { 4, 30 }, { 3, 32 }, { 4, 34 },
        { 2, 62 }, { 5, 64 }, { 4, 66 }, { 3, 126 },
    };

    /// <summary>Values from {-2, -1, 0, 1, 2} so windows hold ties, and about one NaN in 16 when asked.</summary>
    private static Tensor<float> SmallIntegers(Random random, bool withNaN, params int[] shape)
    {
        var x = new Tensor<float>(shape);
        for (int i = 0; i < x.Length; i++)
            x.Data[i] = withNaN && random.Next(16) == 0 ? float.NaN : random.Next(-2, 3);
        return x;
    }

    private static void AssertSameBits(Tensor<float> expected, Tensor<float> actual, string what)
    {
        Assert.Equal(expected.ShapeString, actual.ShapeString);
        for (int i = 0; i < expected.Length; i++)
        {
            int e = BitConverter.SingleToInt32Bits(expected.Data[i]), a = BitConverter.SingleToInt32Bits(actual.Data[i]);
            Assert.True(e == a, $"{what}[{i}]: naive {expected.Data[i]} (0x{e:x8}), fast {actual.Data[i]} (0x{a:x8})");
        }
    }

    /// <summary>
    /// Two training steps through the kit, bit for bit (the fast copy on its reused, stale buffers from the second
    /// step): small integers make ties, and the first step's input holds NaNs.
    /// </summary>
    private static void AssertFastMatchesNaiveBits(Func<Module<float>> make, int seed, params int[] shape)
    {
        int step = 0;
        LayerTestKit.AssertFastMatchesReference(make, random => SmallIntegers(random, withNaN: step++ == 0, shape), seed, tolerance: 0, steps: 2);
        // Max pooling's argmax too: the vector kernel picks among ties and NaNs with the reference's rule.
        if (make() is MaxPool2d<float> fast && make() is MaxPool2d<float> naive)
        {
            naive.Implementation = Implementation.Naive;
            var x = SmallIntegers(new Random(seed), withNaN: true, shape);
            fast.Forward(x);
            naive.Forward(x);
            Assert.Equal(naive.LastIndices!.Data, fast.LastIndices!.Data);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MaxPool2d_2x2FastPath_MatchesNaiveBitForBit_WithTiesAndNaN(int h, int w)
    {
        AssertFastMatchesNaiveBits(() => new MaxPool2d<float>(2), h * 1000 + w, 2, 3, h, w);
        AssertFastMatchesNaiveBits(() => new MaxPool2d<float>(2, ceilMode: true), h * 1000 + w + 1, 1, 2, h, w);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AvgPool2d_2x2FastPath_MatchesNaiveBitForBit(int h, int w)
    {
        AssertFastMatchesNaiveBits(() => new AvgPool2d<float>(2), h * 1000 + w, 2, 3, h, w);
        AssertFastMatchesNaiveBits(() => new AvgPool2d<float>(2, divisorOverride: 3), h * 1000 + w + 1, 1, 2, h, w);
    }

    [Fact]
    public void Pooling_2x2FastPath_MatchesNaiveBitForBit_OnTheParallelPath()
    {
        // 16 x 64 planes, 2^20 window taps: enough work to split the planes over threads (PlaneLoop: one range of 512 planes per core on 2 cores).
        AssertFastMatchesNaiveBits(() => new MaxPool2d<float>(2), 1, 16, 64, 32, 32);
        AssertFastMatchesNaiveBits(() => new AvgPool2d<float>(2), 2, 16, 64, 33, 32);
    }

    [Fact]
    public void MaxPool2d_2x2FastPath_AllNaNWindow_TakesTheLastNaN()
    {
        // One window row pair of 8 windows (one 256-bit step, two 128-bit steps); window 3 is all NaN, window 5 has NaN on its right column.
        var x = new Tensor<float>([1, 1, 2, 16]);
        for (int i = 0; i < x.Length; i++) x.Data[i] = i % 5;
        for (int k = 0; k < 2; k++) { x.Data[6 + k] = float.NaN; x.Data[22 + k] = float.NaN; }
        x.Data[11] = float.NaN;
        x.Data[27] = float.NaN;
        var pool = new MaxPool2d<float>(2);
        var y = pool.Forward(x);
        Assert.True(float.IsNaN(y.Data[3]) && float.IsNaN(y.Data[5]));
        Assert.Equal(16 + 7, pool.LastIndices!.Data[3]);
        Assert.Equal(16 + 11, pool.LastIndices.Data[5]);
    }
}

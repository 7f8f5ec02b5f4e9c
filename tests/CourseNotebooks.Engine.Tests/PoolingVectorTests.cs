using CourseNotebooks.Engine;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// The vector kernels of 2x2 / stride 2 pooling on float against the naive reference, bit for bit: widths around the
/// 8-window step (16 inputs) so that rows end in a full step, an overlapping last step, or fall back to scalar code.
/// </summary>
public class PoolingVectorTests
{
    public static TheoryData<int, int> Sizes => new()
    {
        { 3, 2 }, { 4, 14 }, { 2, 16 }, { 5, 17 }, { 4, 30 }, { 3, 32 }, { 4, 34 }, { 2, 62 }, { 5, 64 }, { 4, 66 }, { 3, 126 },
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

    /// <summary>Two training steps on each path, so the fast one also runs on its reused (stale) buffers.</summary>
    private static void AssertFastMatchesNaiveBits(Func<Module<float>> make, int seed, params int[] shape)
    {
        var naive = make();
        naive.Implementation = Implementation.Naive;
        var fast = make();
        fast.Implementation = Implementation.Fast;
        var random = new Random(seed);
        for (int step = 0; step < 2; step++)
        {
            var x = SmallIntegers(random, withNaN: step == 0, shape);
            var yNaive = naive.Forward(x);
            var yFast = fast.Forward(x);
            AssertSameBits(yNaive, yFast, $"step {step} output");
            if (naive is MaxPool2d<float> maxNaive)
                Assert.Equal(maxNaive.LastIndices!.Data, ((MaxPool2d<float>)fast).LastIndices!.Data);
            var upstream = Tensor.Randn<float>(random, yNaive.Shape.ToArray());
            AssertSameBits(naive.Backward(upstream), fast.Backward(upstream), $"step {step} input gradient");
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
        // One window row pair of 8 windows, the vector kernel's step; window 3 is all NaN, window 5 has NaN on its right column.
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

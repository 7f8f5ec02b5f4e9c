using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// The stride-1 direct convolution (ConvDirect) on batches large enough to run in parallel, with channel and tap counts
/// that leave remainders in its 4 x 4 register tiles, and what a caller gets back across training steps: tensors of
/// its own by default, the layers' reused ones when it opts in.
/// </summary>
public class FastPathTests
{
    [Theory]
    [InlineData(16, 1, 8, 5, 28, 28, 2, 1, 1)]   // LeNet's first layer
    [InlineData(16, 8, 16, 5, 14, 14, 2, 1, 1)]  // LeNet's second layer
    [InlineData(9, 3, 7, 3, 11, 13, 1, 1, 1)]    // 7 output channels, 27 taps: remainders in both tile directions
    [InlineData(6, 4, 6, 3, 9, 10, 2, 2, 2)]     // dilation 2, groups 2
    [InlineData(5, 2, 5, 3, 8, 7, 0, 1, 1)]      // no padding: the backward grid pads by K - 1
    [InlineData(3, 3, 5, 3, 40, 40, 1, 1, 1)]    // a grid over 1024 outputs: weight gradient summed per image
    public void DirectConvolution_MatchesItsReference_ForwardAndBothGradients(int n, int c, int outC, int k, int h, int w, int padding, int dilation, int groups)
        => AssertFastMatchesReference(() => new Conv2d<float>(c, outC, k, padding: padding, dilation: dilation, groups: groups, seed: 3),
            Tensor.Randn<float>(new Random(11), n, c, h, w), seed: 12, tolerance: 1e-5, parameterTolerance: 1e-3);   // weight sums of up to 12,544 float products

    [Fact]
    public void ConsecutiveForwards_ReturnSeparateTensors()
    {
        var random = new Random(2);
        var layers = new Module<float>[] { new Conv2d<float>(2, 3, 3, padding: 1, seed: 1), new ReLU<float>(), new MaxPool2d<float>(2), new AvgPool2d<float>(2) };
        foreach (var layer in layers)
        {
            var a = Tensor.Randn<float>(random, 2, 2, 6, 6);
            var b = Tensor.Randn<float>(random, 2, 2, 6, 6);
            var ya = layer.Forward(a);
            var kept = ya.Clone();
            var yb = layer.Forward(b);
            Assert.NotSame(ya, yb);
            Assert.Equal(kept.Data, ya.Data);
        }
    }

    /// <summary>
    /// The aliasing trap the default avoids: a result kept across a training step (Forward, Backward, Forward) stays
    /// what it was, as in PyTorch, for every layer with a large result and for a whole model.
    /// </summary>
    [Fact]
    public void ResultsKeptAcrossATrainingStep_AreNotOverwritten_ByDefault()
    {
        var random = new Random(3);
        var layers = new Module<float>[]
        {
            new Conv2d<float>(2, 3, 3, padding: 1, seed: 1), new ConvTranspose2d<float>(2, 3, 3, padding: 1, seed: 1),
            new ReLU<float>(), new Sigmoid<float>(), new MaxPool2d<float>(2), new AvgPool2d<float>(2), new Upsample<float>(2),
            new Sequential<float>(new Conv2d<float>(2, 3, 3, padding: 1, seed: 1), new ReLU<float>(), new Flatten<float>(), new Linear<float>(108, 4, seed: 2)),
        };
        foreach (var layer in layers)
        {
            Assert.False(layer.ReuseBuffers);
            var y1 = layer.Forward(Tensor.Randn<float>(random, 2, 2, 6, 6));
            var dx1 = layer.Backward(Tensor.Randn<float>(random, y1.Shape.ToArray()));
            var (keptY, keptDx) = (y1.Clone(), dx1.Clone());
            var y2 = layer.Forward(Tensor.Randn<float>(random, 2, 2, 6, 6));
            var dx2 = layer.Backward(Tensor.Randn<float>(random, y2.Shape.ToArray()));
            Assert.NotSame(y1, y2);
            Assert.NotSame(dx1, dx2);
            Assert.Equal(keptY.Data, y1.Data);
            Assert.Equal(keptDx.Data, dx1.Data);
        }
    }

    /// <summary>A result handed out before reuse was turned on is the caller's: the buffers never refill it afterwards.</summary>
    [Fact]
    public void TurningReuseOn_NeverRefillsAResultHandedOutBefore()
    {
        var random = new Random(6);
        var conv = new Conv2d<float>(2, 3, 3, padding: 1, seed: 1);
        var x = Tensor.Randn<float>(random, 2, 2, 6, 6);
        var dY = Tensor.Randn<float>(random, 2, 3, 6, 6);
        var kept = conv.Forward(x);
        var copy = kept.Clone();
        conv.Backward(dY);
        conv.ReuseBuffers = true;
        for (int step = 0; step < 3; step++)
        {
            Assert.NotSame(kept, conv.Forward(Tensor.Randn<float>(random, 2, 2, 6, 6)));
            conv.Backward(dY);
        }
        Assert.Equal(copy.Data, kept.Data);
    }

    [Fact]
    public void ReuseBuffers_SetOnAModel_ReachesEveryLayer_AndRefillsTheStepsTensors()
    {
        var model = TestNetworks.LeNet<float>(seed: 1);
        model.ReuseBuffers = true;
        Assert.All(model.Layers, layer => Assert.True(layer.ReuseBuffers));
        var random = new Random(4);
        var x = Tensor.Randn<float>(random, 2, 1, 28, 28);
        var y1 = model.Forward(x);
        model.Backward(Tensor.Randn<float>(random, 2, 10));
        Assert.Same(y1, model.Forward(x));
        model.ReuseBuffers = false;
        Assert.All(model.Layers, layer => Assert.False(layer.ReuseBuffers));
    }

    /// <summary>
    /// Step after step the fast LeNet (reusing its tensors, as the course's training loops run it) and its reference
    /// see the same inputs and gradients: any stale value left in a reused buffer would show as a difference.
    /// </summary>
    [Fact]
    public void TrainingSteps_ReusingBuffers_StayEqualToTheReference()
        => AssertFastMatchesReference(() => TestNetworks.LeNet<float>(seed: 2), random => Tensor.Randn<float>(random, 4, 1, 28, 28),
            seed: 5, tolerance: 1e-4, parameterTolerance: 1e-3, steps: 3);
}

using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Benchmarks;

/// <summary>
/// The benchmark list. To add a layer: one <see cref="BenchmarkCase.Create{TState}"/> line in <see cref="All"/>
/// with a setup returning the layer and its input, the call to time, its flops (2 x multiply-adds, e.g.
/// <c>2.0 * layer.MultiplyAdds(x.Shape)</c>) and, if it has one, the naive implementation of the same call.
/// </summary>
public static class Cases
{
    public static IEnumerable<BenchmarkCase> All()
    {
        yield return Gemm<float>("gemm f32 1024x1024x1024 NN", 1024, 1024, 1024, false, false, naive: false, peer: "matmul|1024x1024x1024");
        yield return Gemm<float>("gemm f32 1024x1024x1024 TN", 1024, 1024, 1024, true, false, naive: false);
        yield return Gemm<float>("gemm f32 1024x1024x1024 NT", 1024, 1024, 1024, false, true, naive: false);
        // Not a power of two: rows 4 KiB apart (as at 1024) can compete for the same cache sets; this shows whether they do.
        yield return Gemm<float>("gemm f32 1000x1000x1000 NN", 1000, 1000, 1000, false, false, naive: false);
        yield return Gemm<float>("gemm f32 256x256x256 NN", 256, 256, 256, false, false, naive: true);
        // The shape of an im2col convolution: OutC x (C*KH*KW) times (C*KH*KW) x (OH*OW) (64 channels, 3x3, 56x56).
        yield return Gemm<float>("gemm f32 im2col 64x3136x576", 64, 56 * 56, 576, false, false, naive: false);
        // A Linear layer on a batch: (N x in) times (in x out)^T.
        yield return Gemm<float>("gemm f32 linear 128x512x1024 NT", 128, 512, 1024, false, true, naive: false);
        yield return Gemm<float>("gemm f32 32x32x32 NN", 32, 32, 32, false, false, naive: true);
        yield return Gemm<double>("gemm f64 512x512x512 NN", 512, 512, 512, false, false, naive: false);

        // Layers at the libtorch peer's shapes (its "name|case" in the last argument: the "torch ms" column, read from the
        // peer's JSON of the same session with --peer). Where the two still differ: the peer's convolutions have no bias
        // (ours add one), and its fwd+bwd cases time autograd.grad for input and weight as ours time Backward.
        // naiveBatch runs the naive reference on fewer images and scales its time up to the full batch.
        yield return LayerCases.Forward("conv 64x1x28x28 ->8 k5 p2 fwd", () => new Conv2d<float>(1, 8, 5, padding: 2, seed: 1), [64, 1, 28, 28], peer: "conv2d_fwd|mnist_lenet1 64x1x28x28 k5 o8");
        yield return LayerCases.ForwardBackward("conv 64x1x28x28 ->8 k5 p2 fwd+bwd", () => new Conv2d<float>(1, 8, 5, padding: 2, seed: 1), [64, 1, 28, 28], peer: "conv2d_fwd_bwd|mnist_lenet1 64x1x28x28 k5 o8");
        yield return LayerCases.ForwardBackward("conv 64x8x14x14 ->16 k5 p2 fwd+bwd", () => new Conv2d<float>(8, 16, 5, padding: 2, seed: 1), [64, 8, 14, 14], peer: "conv2d_fwd_bwd|lenet2 64x8x14x14 k5 o16");
        yield return LayerCases.Forward("conv 8x64x56x56 ->64 k3 p1 fwd", () => new Conv2d<float>(64, 64, 3, padding: 1, seed: 1), [8, 64, 56, 56], naiveBatch: 1, peer: "conv2d_fwd|resnet 8x64x56x56 k3 o64");
        yield return LayerCases.ForwardBackward("conv 8x64x56x56 ->64 k3 p1 fwd+bwd", () => new Conv2d<float>(64, 64, 3, padding: 1, seed: 1), [8, 64, 56, 56], naiveBatch: 1, peer: "conv2d_fwd_bwd|resnet 8x64x56x56 k3 o64");
        yield return LayerCases.Forward("conv 8x96x27x27 ->256 k5 p2 fwd", () => new Conv2d<float>(96, 256, 5, padding: 2, seed: 1), [8, 96, 27, 27], naiveBatch: 1, peer: "conv2d_fwd|alexnet2 8x96x27x27 k5 o256");
        // The same stride-1 convolutions forced through im2col + GEMM, to compare with the direct kernel in the same run
        // (the rule in ConvCore.DirectKernel picks direct for all of them).
        yield return LayerCases.Forward("conv 64x1x28x28 ->8 k5 p2 fwd im2col", () => new Conv2d<float>(1, 8, 5, padding: 2, seed: 1) { ForcedKernel = ConvKernel.Im2Col }, [64, 1, 28, 28]);
        yield return LayerCases.ForwardBackward("conv 64x1x28x28 ->8 k5 p2 fwd+bwd im2col", () => new Conv2d<float>(1, 8, 5, padding: 2, seed: 1) { ForcedKernel = ConvKernel.Im2Col }, [64, 1, 28, 28]);
        yield return LayerCases.ForwardBackward("conv 64x8x14x14 ->16 k5 p2 fwd+bwd im2col", () => new Conv2d<float>(8, 16, 5, padding: 2, seed: 1) { ForcedKernel = ConvKernel.Im2Col }, [64, 8, 14, 14]);
        yield return LayerCases.Forward("conv 8x64x56x56 ->64 k3 p1 fwd im2col", () => new Conv2d<float>(64, 64, 3, padding: 1, seed: 1) { ForcedKernel = ConvKernel.Im2Col }, [8, 64, 56, 56], naiveBatch: 1);
        yield return LayerCases.ForwardBackward("conv 8x64x56x56 ->64 k3 p1 fwd+bwd im2col", () => new Conv2d<float>(64, 64, 3, padding: 1, seed: 1) { ForcedKernel = ConvKernel.Im2Col }, [8, 64, 56, 56], naiveBatch: 1);
        yield return LayerCases.Forward("conv 8x96x27x27 ->256 k5 p2 fwd im2col", () => new Conv2d<float>(96, 256, 5, padding: 2, seed: 1) { ForcedKernel = ConvKernel.Im2Col }, [8, 96, 27, 27], naiveBatch: 1);
        yield return LayerCases.Forward("maxpool 2x2 64x8x28x28 fwd", () => new MaxPool2d<float>(2), [64, 8, 28, 28], peer: "max_pool2d_fwd|maxpool 64x8x28x28 k2s2");
        yield return LayerCases.ForwardBackward("maxpool 2x2 64x8x28x28 fwd+bwd", () => new MaxPool2d<float>(2), [64, 8, 28, 28], peer: "max_pool2d_fwd_bwd|maxpool 64x8x28x28 k2s2");
        yield return LayerCases.ForwardBackward("avgpool 2x2 64x8x28x28 fwd+bwd", () => new AvgPool2d<float>(2), [64, 8, 28, 28]);
        yield return LayerCases.ForwardBackward("relu 64x8x28x28 fwd+bwd", () => new ReLU<float>(), [64, 8, 28, 28]);
        yield return LayerCases.Forward("linear 256x784 ->256 fwd", () => new Linear<float>(784, 256, seed: 1), [256, 784], peer: "linear_fwd|784->256 b256");
        yield return LayerCases.ForwardBackward("linear 256x784 ->256 fwd+bwd", () => new Linear<float>(784, 256, seed: 1), [256, 784], peer: "linear_fwd_bwd|784->256 b256");
        yield return LayerCases.LeNetStep("lenet train step b64");
        yield return LayerCases.AutoencoderStep("conv autoencoder train step b64");
        yield return LayerCases.LeNetEpoch("lenet epoch 10000 random images", 10_000, peer: "lenet_epoch|");
    }

    /// <summary>C = A B with random A and B (op(A) m x k, op(B) k x n, dense leading dimensions).</summary>
    private static BenchmarkCase Gemm<T>(string name, int m, int n, int k, bool transposeA, bool transposeB, bool naive, string? peer = null)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Action<(T[] A, T[] B, T[] C)>? naiveRun = naive
            ? s => Engine.Reference.GemmReference.Multiply(transposeA, transposeB, m, n, k, T.One, s.A, transposeA ? m : k,
                s.B, transposeB ? k : n, T.Zero, s.C, n)
            : null;
        return BenchmarkCase.Create(name,
            () =>
            {
                var random = new Random(42);
                return (A: Tensor.Randn<T>(random, m * k).Data, B: Tensor.Randn<T>(random, k * n).Data, C: new T[m * n]);
            },
            s => Engine.Tensors.Gemm.Multiply(transposeA, transposeB, m, n, k, T.One, s.A, transposeA ? m : k,
                s.B, transposeB ? k : n, T.Zero, s.C, n),
            flops: 2.0 * m * n * k,
            naive: naiveRun, peer: peer);
    }
}

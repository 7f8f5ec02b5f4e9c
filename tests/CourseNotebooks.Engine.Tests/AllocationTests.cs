using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>Tests that change <see cref="EngineSettings.MaxThreads"/>, a global: they run alone.</summary>
[CollectionDefinition(nameof(EngineSettingsCollection), DisableParallelization = true)]
public sealed class EngineSettingsCollection;

/// <summary>
/// A warmed-up training step with buffer reuse on (<see cref="Module{T}.ReuseBuffers"/>, as the course's training
/// loops run) reuses its buffers: on one thread the layers, losses and optimizer allocate nothing
/// (measured with GC.GetAllocatedBytesForCurrentThread), and on two threads the convolutions' per-sample loops and the
/// pooling layers' plane loops run on kept threads instead of Parallel.For, so they allocate nothing either.
/// </summary>
[Collection(nameof(EngineSettingsCollection))]
public sealed class AllocationTests
{
    private const int Batch = 8;

    /// <summary>Forward then Backward of one module (buffer reuse on) on a fixed random input, with an upstream gradient of ones.</summary>
    private static Action ForwardBackward(Module<float> module, params int[] inputShape)
    {
        module.ReuseBuffers = true;
        var x = Tensor.Uniform<float>(new Random(3), -1, 1, inputShape);
        var embedding = module as Embedding<float> ?? (module as Sequential<float>)?.Layers.OfType<Embedding<float>>().FirstOrDefault();
        if (embedding is not null)
            for (int i = 0; i < x.Length; i++) x.Data[i] = (i * 7) % embedding.NumEmbeddings;
        var dY = new Tensor<float>(module.OutputShape(inputShape));
        Array.Fill(dY.Data, 1f);
        return () =>
        {
            module.Forward(x);
            module.Backward(dY);
        };
    }

    public static TheoryData<string> Layers() => ["conv direct", "conv im2col", "conv grouped", "conv transpose", "linear", "relu", "leaky relu", "sigmoid", "tanh", "flatten", "sequential", "embedding", "max pool 1d", "adaptive max pool 1d", "transpose", "parallel concat", "conv1d", "max pool 2d", "max pool 2d 3x3", "avg pool 2d", "dropout", "upsample", "unflatten", "text cnn"];

    private static (Module<float> Module, int[] Shape) Layer(string name) => name switch
    {
        // Stride 1 takes the direct path where 512-bit vectors exist; stride 2 always takes im2col + GEMM.
        "conv direct" => (new Conv2d<float>(3, 8, 5, padding: 2, seed: 1), [Batch, 3, 12, 12]),
        "conv im2col" => (new Conv2d<float>(3, 8, 3, stride: 2, padding: 1, seed: 1), [Batch, 3, 12, 12]),
        "conv grouped" => (new Conv2d<float>(4, 6, 3, groups: 2, dilation: 2, seed: 1), [Batch, 4, 11, 9]),
        "conv transpose" => (new ConvTranspose2d<float>(4, 3, 3, stride: 2, padding: 1, outputPadding: 1, seed: 1), [Batch, 4, 5, 5]),
        "linear" => (new Linear<float>(20, 7, seed: 1), [Batch, 20]),
        "relu" => (new ReLU<float>(), [Batch, 3, 5, 5]),
        "leaky relu" => (new LeakyReLU<float>(0.1), [Batch, 3, 5, 5]),
        "sigmoid" => (new Sigmoid<float>(), [Batch, 3, 5, 5]),
        "tanh" => (new Tanh<float>(), [Batch, 3, 5, 5]),
        "flatten" => (new Flatten<float>(), [Batch, 3, 5, 5]),
        "sequential" => (new Sequential<float>(new Conv2d<float>(2, 4, 3, padding: 1, seed: 1), new ReLU<float>(), new Flatten<float>(),
            new Linear<float>(4 * 6 * 6, 5, seed: 2)), [Batch, 2, 6, 6]),
        // The layers of notebook 09-cnn-for-text; the embedding's ids are whole numbers, set below.
        "embedding" => (new Embedding<float>(50, 6, paddingIndex: 0, seed: 1), [Batch, 7]),
        "max pool 1d" => (new MaxPool1d<float>(3, 2, padding: 1), [Batch, 4, 11]),
        "adaptive max pool 1d" => (new AdaptiveMaxPool1d<float>(1), [Batch, 4, 11]),
        "transpose" => (new Transpose<float>(1, 2), [Batch, 7, 6]),
        "parallel concat" => (new ParallelConcat<float>(new MaxPool1d<float>(2), new AdaptiveMaxPool1d<float>(5), new MaxPool1d<float>(4, 2, padding: 1)), [Batch, 4, 10]),
        "conv1d" => (new Conv1d<float>(6, 5, 3, padding: 1, seed: 1), [Batch, 6, 9]),
        "max pool 2d" => (new MaxPool2d<float>(2), [Batch, 3, 8, 8]),
        "max pool 2d 3x3" => (new MaxPool2d<float>(3, 2, padding: 1), [Batch, 3, 9, 9]),
        "avg pool 2d" => (new AvgPool2d<float>(3, 2, padding: 1), [Batch, 3, 9, 9]),
        "dropout" => (new Dropout<float>(0.5, seed: 1), [Batch, 3, 5, 5]),
        "upsample" => (new Upsample<float>(2), [Batch, 3, 4, 4]),
        "unflatten" => (new Unflatten<float>(3, 5, 5), [Batch, 75]),
        // Kim's text CNN as notebook 09 builds it: ids to embeddings, three widths in parallel, max over time.
        "text cnn" => (new Sequential<float>(new Embedding<float>(50, 6, paddingIndex: 0, seed: 1), new Transpose<float>(1, 2),
            new ParallelConcat<float>(
                new Sequential<float>(new Conv1d<float>(6, 4, 2, seed: 2), new ReLU<float>(), new AdaptiveMaxPool1d<float>(1)),
                new Sequential<float>(new Conv1d<float>(6, 4, 3, seed: 3), new ReLU<float>(), new AdaptiveMaxPool1d<float>(1))),
            new Flatten<float>(), new Dropout<float>(0.5, seed: 4), new Linear<float>(8, 2, seed: 5)), [Batch, 7]),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown layer"),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Layer_WarmedUpForwardBackward_AllocatesNothing_OnOneThread(string name)
    {
        var (module, shape) = Layer(name);
        Assert.Equal(0, LayerTestKit.BytesAllocated(ForwardBackward(module, shape)));
    }

    [Theory]
    [InlineData("conv direct")]
    [InlineData("conv im2col")]
    [InlineData("conv transpose")]
    public void Conv_WarmedUpForwardBackward_AllocatesNothing_OnTwoThreads(string name)
    {
        var (module, shape) = Layer(name);
        shape[0] = 16; // enough work per call for the parallel split
        Assert.Equal(0, LayerTestKit.BytesAllocated(ForwardBackward(module, shape), threads: 2));
    }

    [Theory]
    [InlineData("max 2x2")]
    [InlineData("max 3x3")]
    [InlineData("avg 2x2")]
    [InlineData("avg 3x3")]
    public void Pooling_WarmedUpForwardBackward_AllocatesNothing_OnTwoThreads(string name)
    {
        // 2^20 window taps and more: above both thresholds of PlaneLoop, so the planes are split over the kept threads.
        Module<float> module = name switch
        {
            "max 2x2" => new MaxPool2d<float>(2),
            "max 3x3" => new MaxPool2d<float>(3, 2, padding: 1),
            "avg 2x2" => new AvgPool2d<float>(2),
            _ => new AvgPool2d<float>(3, 2, padding: 1),
        };
        Assert.Equal(0, LayerTestKit.BytesAllocated(ForwardBackward(module, 64, 16, 32, 32), threads: 2));
    }

    /// <summary>
    /// The forward pass and input gradient take samples one at a time on two threads (WorkerPool.RunBalanced), so which
    /// thread ran a sample changes from call to call; each thread must use only its own scratch slot. Five calls on two
    /// threads, each equal bit for bit to the one-thread result, for the direct kernel and for im2col (stride 2).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Conv2d_ForwardAndInputGradient_OnTwoThreads_EqualOneThreadBitForBit(int stride)
    {
        var conv = new Conv2d<float>(3, 8, 5, stride: stride, padding: 2, seed: 1);
        var x = Tensor.Uniform<float>(new Random(9), -1, 1, 15, 3, 20, 20);
        var dY = Tensor.Uniform<float>(new Random(10), -1, 1, conv.OutputShape(x.Shape));
        (float[] Y, float[] DX) Run(int threads)
        {
            int saved = EngineSettings.MaxThreads;
            EngineSettings.MaxThreads = threads;
            try
            {
                var y = (float[])conv.Forward(x).Data.Clone();
                return (y, (float[])conv.Backward(dY).Data.Clone());
            }
            finally
            {
                EngineSettings.MaxThreads = saved;
            }
        }
        var one = Run(1);
        for (int call = 0; call < 5; call++)
        {
            var two = Run(2);
            Assert.Equal(one.Y, two.Y);
            Assert.Equal(one.DX, two.DX);
        }
    }

    [Fact]
    public void Conv2d_WeightGradient_OnTwoThreads_RepeatsBitForBit_AndMatchesOneThread()
    {
        var conv = new Conv2d<float>(3, 8, 5, padding: 2, seed: 1);
        var x = Tensor.Uniform<float>(new Random(9), -1, 1, 16, 3, 12, 12);
        var dY = Tensor.Uniform<float>(new Random(10), -1, 1, conv.OutputShape(x.Shape));
        float[] Gradient(int threads)
        {
            int saved = EngineSettings.MaxThreads;
            EngineSettings.MaxThreads = threads;
            try
            {
                conv.ZeroGrad();
                conv.Forward(x);
                conv.Backward(dY);
                return (float[])conv.Weight.Grad.Data.Clone();
            }
            finally
            {
                EngineSettings.MaxThreads = saved;
            }
        }
        var one = Gradient(1);
        var first = Gradient(2);
        Assert.Equal(first, Gradient(2));
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], first[i], 1e-3f);
    }

    [Fact]
    public void CrossEntropyLoss_WarmedUpForwardBackward_AllocatesNothing()
    {
        var loss = new CrossEntropyLoss<float> { ReuseBuffers = true };
        var logits = Tensor.Uniform<float>(new Random(4), -2, 2, Batch, 10);
        int[] labels = [1, 0, 9, 3, 3, 7, 2, 5];
        Assert.Equal(0, LayerTestKit.BytesAllocated(() =>
        {
            loss.Forward(logits, labels);
            loss.Backward();
        }));
    }

    [Fact]
    public void MSELoss_WarmedUpForwardBackward_AllocatesNothing()
    {
        var loss = new MSELoss<float> { ReuseBuffers = true };
        var prediction = Tensor.Uniform<float>(new Random(5), 0, 1, Batch, 1, 6, 6);
        var target = Tensor.Uniform<float>(new Random(6), 0, 1, Batch, 1, 6, 6);
        Assert.Equal(0, LayerTestKit.BytesAllocated(() =>
        {
            loss.Forward(prediction, target);
            loss.Backward();
        }));
    }

    [Fact]
    public void Sgd_WarmedUpZeroGradAndStep_AllocatesNothing()
    {
        var model = new Linear<float>(6, 4, seed: 1);
        var optimizer = new Sgd<float>(model.Parameters(), 0.1, momentum: 0.9, weightDecay: 1e-4);
        Assert.Equal(0, LayerTestKit.BytesAllocated(() =>
        {
            optimizer.ZeroGrad();
            optimizer.Step();
        }));
    }

    [Fact]
    public void Gemm_WarmedUpOnTwoThreads_AllocatesNothing()
    {
        // 2 x 256 x 256 x 256 = 33 MFLOP, well above the one-thread limit: the panels run on the kept workers.
        var random = new Random(11);
        var a = Tensor.Randn<float>(random, 256 * 256).Data;
        var b = Tensor.Randn<float>(random, 256 * 256).Data;
        var c = new float[256 * 256];
        Assert.Equal(0, LayerTestKit.BytesAllocated(() => Gemm.Multiply(false, false, 256, 256, 256, 1f, a, 256, b, 256, 0f, c, 256), threads: 2));
    }

    /// <summary>
    /// A stride-2 convolution runs im2col + GEMM per sample on the kept workers, and each sample's GEMM (2 x 64 x 576 x
    /// 784 = 58 MFLOP) is large enough to want the workers itself: the nested loop must fall back instead of reusing
    /// the pool it runs on, and give the one-thread result bit for bit.
    /// </summary>
    [Fact]
    public void NestedParallelLoops_GiveTheOneThreadResult()
    {
        var conv = new Conv2d<float>(64, 64, 3, stride: 2, padding: 1, seed: 3);
        var x = Tensor.Uniform<float>(new Random(12), -1, 1, 3, 64, 56, 56);
        int saved = EngineSettings.MaxThreads;
        try
        {
            EngineSettings.MaxThreads = 1;
            var one = (float[])conv.Forward(x).Data.Clone();
            EngineSettings.MaxThreads = 2;
            var two = conv.Forward(x).Data;
            Assert.Equal(one, two);
        }
        finally
        {
            EngineSettings.MaxThreads = saved;
        }
    }

    [Theory]
    [InlineData(8, 28, 28)]    // LeNet's first pool: 14 outputs a row, the 256-bit kernel (128-bit without AVX2)
    [InlineData(16, 14, 14)]   // its second: 7 a row, the 128-bit kernel
    [InlineData(3, 9, 9)]      // odd sizes: 4 a row, the 128-bit kernel and the clearing of the uncovered row and column
    [InlineData(3, 6, 6)]      // 3 a row, narrower than every vector: the scalar 2x2 loop
    public void MaxPool2d_WarmedUpForwardBackward_AllocatesNothing_OnOneThread(int channels, int h, int w)
        => Assert.Equal(0, LayerTestKit.BytesAllocated(ForwardBackward(new MaxPool2d<float>(2), 16, channels, h, w), runs: 10));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LeNet_WarmedUpTrainingStep_AllocatesNothing_OnOneThread(bool parametersOnly)
    {
        const int batch = 16;
        var random = new Random(7);
        var model = TestNetworks.LeNet<float>(seed: 1);
        model.ReuseBuffers = true;
        var loss = new CrossEntropyLoss<float> { ReuseBuffers = true };
        var optimizer = new Sgd<float>(model.Parameters(), 0.05, momentum: 0.9);
        var x = Tensor.Uniform<float>(random, 0, 1, batch, 1, 28, 28);
        var labels = Enumerable.Range(0, batch).Select(_ => random.Next(10)).ToArray();
        long step = LayerTestKit.BytesAllocated(() =>
        {
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), labels);
            if (parametersOnly) model.BackwardToParameters(loss.Backward());   // the step the course's Training.Fit takes
            else model.Backward(loss.Backward());
            optimizer.Step();
        }, runs: 10);
        Assert.Equal(0, step);
    }
}

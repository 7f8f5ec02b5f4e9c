using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Benchmarks;

/// <summary>
/// Builders for the layer and training cases listed in <see cref="Cases.All"/>. Inputs are random normal values
/// (the timings do not depend on them); the naive reference runs the same layer type with
/// <see cref="Implementation.Naive"/>, on a smaller batch when the full one would take seconds (then scaled).
/// </summary>
public static class LayerCases
{
    /// <summary>Forward of a layer built by <paramref name="make"/> on an input of <paramref name="shape"/>.</summary>
    public static BenchmarkCase Forward(string name, Func<Module<float>> make, int[] shape, int naiveBatch = 0,
        string? peer = null) =>
        Case(name, make, shape, backward: false, naiveBatch, peer);

    /// <summary>
    /// Forward then Backward (a random output gradient; parameter gradients accumulate, never read), with the layer's
    /// buffer reuse on, as the course's training loops run it (<see cref="Module{T}.ReuseBuffers"/>): a warmed-up pair
    /// allocates nothing. Forward-only cases return a fresh output per call, as a caller gets by default.
    /// </summary>
    public static BenchmarkCase ForwardBackward(string name, Func<Module<float>> make, int[] shape, int naiveBatch = 0,
        string? peer = null) =>
        Case(name, make, shape, backward: true, naiveBatch, peer);

    private static BenchmarkCase Case(string name, Func<Module<float>> make, int[] shape, bool backward, int naiveBatch,
        string? peer)
    {
        int batch = shape[0];
        if (naiveBatch <= 0) naiveBatch = batch;
        var naiveShape = (int[])shape.Clone();
        naiveShape[0] = naiveBatch;
        var probe = make();
        double flops = 2.0 * probe.MultiplyAdds(shape) * (backward ? 3 : 1);
        return BenchmarkCase.Create(name,
            () => (Fast: Prepare(make(), shape, Implementation.Fast, backward), Naive: Prepare(make(), naiveShape, Implementation.Naive, backward)),
            s => Run(s.Fast, backward),
            flops,
            naive: s => Run(s.Naive, backward),
            naiveScale: (double)batch / naiveBatch,
            peer: peer);
    }

    private static (Module<float> Layer, Tensor<float> X, Tensor<float> DY) Prepare(Module<float> layer, int[] shape,
        Implementation implementation, bool reuseBuffers)
    {
        var random = new Random(7);
        layer.Implementation = implementation;
        layer.ReuseBuffers = reuseBuffers;
        var x = Tensor.Randn<float>(random, shape);
        return (layer, x, Tensor.Randn<float>(random, layer.OutputShape(shape)));
    }

    private static void Run((Module<float> Layer, Tensor<float> X, Tensor<float> DY) s, bool backward)
    {
        s.Layer.Forward(s.X);
        if (backward) s.Layer.Backward(s.DY);
    }

    /// <summary>
    /// One epoch of <see cref="Models.LeNet{T}"/> through <see cref="Training.Fit"/> (softmax cross-entropy, SGD lr 0.05
    /// momentum 0.9, batch 64) on <paramref name="images"/> random 28x28 images with uniform [0, 1) pixels and
    /// random labels: the time of an epoch does not depend on the values.
    /// </summary>
    public static BenchmarkCase LeNetEpoch(string name, int images, string? peer = null)
    {
        var lenet = Models.LeNet<float>(seed: 1);
        return BenchmarkCase.Create(name,
            () =>
            {
                var random = new Random(3);
                var x = Tensor.Uniform<float>(random, 0, 1, images, 1, 28, 28);
                var labels = Enumerable.Range(0, images).Select(_ => random.Next(10)).ToArray();
                var data = new LabeledImages("random 28x28", x, labels, Enumerable.Range(0, 10).Select(c => $"{c}").ToArray());
                var model = Models.LeNet<float>(seed: 1);
                return (Model: model, Optimizer: new Sgd<float>(model.Parameters(), 0.05, momentum: 0.9), Data: data);
            },
            s => Training.Fit(s.Model, s.Optimizer, s.Data, test: null, epochs: 1, batchSize: 64),
            flops: 2.0 * 3 * lenet.MultiplyAdds([images, 1, 28, 28]),
            peer: peer);
    }

    /// <summary>
    /// One training step of <see cref="Models.LeNet{T}"/> on a batch of 64 (zero the gradients, forward, cross-entropy,
    /// backward, SGD with momentum), buffer reuse on as in Training.Fit: the bytes/op column is the allocation per step.
    /// </summary>
    public static BenchmarkCase LeNetStep(string name)
    {
        int[] shape = [64, 1, 28, 28];
        return BenchmarkCase.Create(name,
            () => (Fast: ClassifierStep(Implementation.Fast, shape), Naive: ClassifierStep(Implementation.Naive, shape)),
            s => s.Fast(), 2.0 * 3 * Models.LeNet<float>(seed: 1).MultiplyAdds(shape), naive: s => s.Naive());
    }

    private static Action ClassifierStep(Implementation implementation, int[] shape)
    {
        var random = new Random(5);
        var model = Models.LeNet<float>(seed: 1);
        model.Implementation = implementation;
        model.ReuseBuffers = true;
        var loss = new CrossEntropyLoss<float> { Implementation = implementation, ReuseBuffers = true };
        var optimizer = new Sgd<float>(model.Parameters(), 0.05, momentum: 0.9);
        var x = Tensor.Uniform<float>(random, 0, 1, shape);
        var labels = Enumerable.Range(0, shape[0]).Select(_ => random.Next(10)).ToArray();
        return () =>
        {
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), labels);
            model.Backward(loss.Backward());
            optimizer.Step();
        };
    }

    /// <summary>One training step of <see cref="Models.ConvAutoencoder{T}"/> (batch 64, MSE against the input, SGD with momentum), buffer reuse on.</summary>
    public static BenchmarkCase AutoencoderStep(string name)
    {
        int[] shape = [64, 1, 28, 28];
        return BenchmarkCase.Create(name,
            () => (Fast: AutoencoderStep(Implementation.Fast, shape), Naive: AutoencoderStep(Implementation.Naive, shape)),
            s => s.Fast(), 2.0 * 3 * Models.ConvAutoencoder<float>(seed: 1).Model.MultiplyAdds(shape), naive: s => s.Naive());
    }

    private static Action AutoencoderStep(Implementation implementation, int[] shape)
    {
        var random = new Random(5);
        var model = Models.ConvAutoencoder<float>(seed: 1).Model;
        model.Implementation = implementation;
        model.ReuseBuffers = true;
        var loss = new MSELoss<float> { Implementation = implementation, ReuseBuffers = true };
        var optimizer = new Sgd<float>(model.Parameters(), 0.05, momentum: 0.9);
        var x = Tensor.Uniform<float>(random, 0, 1, shape);
        return () =>
        {
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), x);
            model.Backward(loss.Backward());
            optimizer.Step();
        };
    }
}

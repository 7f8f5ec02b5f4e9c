using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Engine.Tests;

namespace CourseNotebooks.Course.Tests;

/// <summary>Tests that change <see cref="EngineSettings.MaxThreads"/>, a global: they run alone.</summary>
[CollectionDefinition(nameof(EngineSettingsCollection), DisableParallelization = true)]
public sealed class EngineSettingsCollection;

/// <summary>
/// The course's auto-encoders, trained step by step as notebooks 10 and 13 do (buffer reuse on, as Reconstruction.Fit
/// runs them), allocate nothing once warmed up: the engine's layers reuse their buffers inside a real model (the
/// engine's own allocation tests cover each layer).
/// </summary>
[Collection(nameof(EngineSettingsCollection))]
public sealed class AllocationTests
{
    private const int Batch = 8;

    [Fact]
    public void ConvAutoencoder_WarmedUpTrainingStep_AllocatesNothing_OnOneThread()
    {
        var model = Models.ConvAutoencoder<float>(seed: 1).Model;
        model.ReuseBuffers = true;
        var loss = new MSELoss<float> { ReuseBuffers = true };
        var optimizer = new Sgd<float>(model.Parameters(), 0.05, momentum: 0.9);
        var x = Tensor.Uniform<float>(new Random(8), 0, 1, 16, 1, 28, 28);
        Assert.Equal(0, LayerTestKit.BytesAllocated(() =>
        {
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), x);
            model.Backward(loss.Backward());
            optimizer.Step();
        }));
    }

    /// <summary>
    /// The part-3 models as notebooks 10 and 13 train them (Adam, mean squared error against the input): the dense
    /// 784-256-32 auto-encoder and the convolutional one with each decoder (max-unpooling with the encoder's saved
    /// locations, nearest upsampling, transposed convolutions), so Unflatten, MaxUnpool2d and the pools' index reuse
    /// are covered inside a real step.
    /// </summary>
    [Theory]
    [InlineData("dense")]
    [InlineData(nameof(DecoderUpsampling.MaxUnpool))]
    [InlineData(nameof(DecoderUpsampling.Nearest))]
    [InlineData(nameof(DecoderUpsampling.Transposed))]
    public void Autoencoder_WarmedUpAdamStep_AllocatesNothing_OnOneThread(string kind)
    {
        var model = kind == "dense"
            ? Models.DenseAutoencoder<float>(784, 256, 32, seed: 1).Model
            : Models.ConvAutoencoder<float>(Enum.Parse<DecoderUpsampling>(kind), code: 32, seed: 1).Model;
        model.ReuseBuffers = true;
        var loss = new MSELoss<float> { ReuseBuffers = true };
        var optimizer = new Adam<float>(model.Parameters(), 0.003);
        var x = kind == "dense" ? Tensor.Uniform<float>(new Random(9), 0, 1, Batch, 784) : Tensor.Uniform<float>(new Random(9), 0, 1, Batch, 1, 28, 28);
        Assert.Equal(0, LayerTestKit.BytesAllocated(() =>
        {
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), x);
            model.BackwardToParameters(loss.Backward());
            optimizer.Step();
        }));
    }
}

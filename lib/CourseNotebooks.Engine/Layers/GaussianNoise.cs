using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Additive Gaussian noise in training, the identity in evaluation: y = x + σ ε, ε ~ N(0, 1) drawn afresh for every
/// element of every training Forward. Placed before a code layer's sigmoid it is how Salakhutdinov and Hinton
/// ("Semantic hashing", 2009) pushed code units towards 0 and 1: to carry information through the noise the network
/// must drive the pre-sigmoid values far from 0, where the sigmoid saturates, so thresholding the codes at 0.5 later
/// loses little. Introduced in notebook 12-retrieval-with-codes.
/// PyTorch: no layer of its own; <c>x + sigma * torch.randn_like(x)</c> when <c>self.training</c>
/// (Keras: GaussianNoise(stddev)).
/// </summary>
/// <remarks>
/// Any shape; output shape = input shape. σ = 0 is the identity. The noise is added, so dL/dx = dL/dy (Backward
/// passes the gradient through unchanged, in training and evaluation). The generator is seeded, one Box-Muller draw
/// per element in row-major order, so a run is reproducible.
/// </remarks>
public sealed class GaussianNoise<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Random _random;
    /// <summary>What Backward needs from the last Forward: the input shape (the gradient passes through unchanged).</summary>
    private readonly record struct Cache(int[] InputShape);

    private Cache? _cache;

    // The noise's storage, kept from step to step (same shape): a warmed-up training step allocates nothing.
    private T[] _noise = [];
    private readonly StepBuffers<T> _buffers = new();

    /// <summary>Noise of standard deviation <paramref name="std"/>.</summary>
    /// <param name="std">σ, at least 0.</param>
    /// <param name="seed">Seed of the noise generator; null draws from the global generator (<see cref="Init.ManualSeed"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="std"/> is negative, infinite or NaN.</exception>
    public GaussianNoise(double std, int? seed = null)
    {
        if (!(std >= 0 && double.IsFinite(std)))
            throw new ArgumentOutOfRangeException(nameof(std), std, $"GaussianNoise: std (standard deviation): expected a finite value >= 0, got {std}.");
        Std = std;
        _random = Init.RandomFor(seed);
    }

    /// <summary>σ, the standard deviation of the noise.</summary>
    public double Std { get; }

    /// <inheritdoc />
    protected override string Describe() => $"GaussianNoise(std={Std})";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_cache is not { } kept || !kept.InputShape.AsSpan().SequenceEqual(input.Shape)) _cache = new Cache(input.Shape.ToArray());
        if (!Training || Std == 0) return input.Clone();
        if (_noise.Length != input.Length) _noise = new T[input.Length];
        for (int i = 0; i < _noise.Length; i++) _noise[i] = T.CreateTruncating(Std * Tensor.NextGaussian(_random));
        var y = _buffers.Output(input.Shape, ReuseBuffers);
        TensorPrimitives.Add<T>(input.Data, _noise, y.Data);
        return y;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var inputShape = (_cache ?? throw ShapeCheck.BackwardBeforeForward(Name)).InputShape;
        ShapeCheck.SameShape(Name, "output gradient", inputShape, outputGradient.Shape);
        var dX = _buffers.InputGradient(inputShape, ReuseBuffers);
        outputGradient.Data.AsSpan(0, dX.Length).CopyTo(dX.Data);
        return dX;
    }
}

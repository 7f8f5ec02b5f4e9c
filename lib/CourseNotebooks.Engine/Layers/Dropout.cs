using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Inverted dropout: in training each element is zeroed with probability p and the survivors are scaled by
/// 1 / (1 - p), so the expected output equals the input and evaluation needs no rescaling. In evaluation mode
/// (<see cref="Module{T}.Eval"/>) it is the identity. Introduced in notebook 06-alexnet.
/// PyTorch: torch.nn.Dropout (p = 0.5).
/// </summary>
/// <remarks>
/// Any shape. p = 0 is the identity; p = 1 gives zeros (and zero gradient) rather than 0 * infinity.
/// The mask comes from a seeded generator, one draw per element in row-major order, so a run is reproducible;
/// Backward multiplies by the same scaled mask.
/// </remarks>
public sealed class Dropout<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Random _random;

    // The scaled mask (0 or 1/(1-p)) of the last training Forward, kept for reuse; _dropping is false after an
    // evaluation Forward (Backward is then the identity).
    /// <summary>What Backward needs from the last Forward: the input shape and, when it dropped, the mask it applied.</summary>
    private readonly record struct Cache(int[] InputShape, T[]? Mask);

    private Cache? _cache;

    // The mask's storage, kept from step to step (same shape): a warmed-up training step allocates nothing.
    private T[] _mask = [];
    private readonly StepBuffers<T> _buffers = new();

    /// <summary>Dropout with drop probability <paramref name="p"/>.</summary>
    /// <param name="p">Probability of zeroing an element, in [0, 1].</param>
    /// <param name="seed">Seed of the mask generator; null draws from the global generator (<see cref="Init.ManualSeed"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1] or NaN.</exception>
    public Dropout(double p = 0.5, int? seed = null)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"Dropout: p (drop probability): expected a value in [0, 1], got {p}.");
        P = p;
        _random = Init.RandomFor(seed);
    }

    /// <summary>The drop probability.</summary>
    public double P { get; }

    /// <inheritdoc />
    protected override string Describe() => $"Dropout(p={P})";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var shape = _cache is { } kept && kept.InputShape.AsSpan().SequenceEqual(input.Shape) ? kept.InputShape : input.Shape.ToArray();
        if (!Training || P == 0)
        {
            _cache = new Cache(shape, null);
            return input.Clone();
        }
        if (_mask.Length != input.Length) _mask = new T[input.Length];
        // p = 1 would scale by 1/0; every element is dropped anyway, so the mask stays all zeros.
        T keepScale = P < 1 ? T.CreateTruncating(1.0 / (1.0 - P)) : T.Zero;
        for (int i = 0; i < _mask.Length; i++) _mask[i] = _random.NextDouble() < P ? T.Zero : keepScale;
        _cache = new Cache(shape, _mask);
        var y = _buffers.Output(input.Shape, ReuseBuffers);
        Apply(input.Data, _mask, y.Data);
        return y;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var (inputShape, mask) = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", inputShape, outputGradient.Shape);
        if (mask is null) return outputGradient.Clone();
        var dX = _buffers.InputGradient(inputShape, ReuseBuffers);
        Apply(outputGradient.Data, mask, dX.Data);
        return dX;
    }

    private void Apply(T[] source, T[] mask, T[] destination)
    {
        TensorPrimitives.Multiply<T>(source, mask, destination);
    }
}

using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>The activation that follows a layer, for <see cref="Init.Gain"/>. PyTorch: calculate_gain's nonlinearity. Introduced in notebook 06-alexnet.</summary>
public enum Nonlinearity
{
    /// <summary>No activation (also Linear and convolution layers themselves): gain 1.</summary>
    Linear,

    /// <summary>Sigmoid: gain 1.</summary>
    Sigmoid,

    /// <summary>Tanh: gain 5/3.</summary>
    Tanh,

    /// <summary>ReLU: gain √2 (half the inputs are zeroed, so the variance is halved).</summary>
    Relu,

    /// <summary>Leaky ReLU with negative slope a: gain √(2 / (1 + a²)).</summary>
    LeakyRelu,

    /// <summary>SELU: gain 3/4.</summary>
    Selu,
}

/// <summary>Which fan Kaiming initialization keeps the variance for. PyTorch: mode="fan_in" / "fan_out". Introduced in notebook 06-alexnet.</summary>
public enum FanMode
{
    /// <summary>Preserve the variance of activations in the forward pass (default).</summary>
    FanIn,

    /// <summary>Preserve the variance of gradients in the backward pass.</summary>
    FanOut,
}

/// <summary>
/// Weight initializers as torch.nn.init: they fill a tensor in place from a seeded <see cref="Random"/> and return
/// it. Shapes follow PyTorch: Linear weights [Out, In], convolution weights [OutC, C/groups, KH, KW] (or
/// [OutC, C/groups, K] in 1-D). Introduced in notebook 06-alexnet.
/// </summary>
/// <remarks>
/// The layers' default (PyTorch's reset_parameters) is <c>KaimingUniform(w, random, a: Math.Sqrt(5))</c>, whose bound
/// works out to 1/√fan_in. A tensor with no elements is returned unchanged (PyTorch warns and does nothing).
/// </remarks>
public static class Init
{
    private static readonly Lock s_seedLock = new();
    private static Random s_global = new();

    /// <summary>
    /// Seeds the generator that every layer built without a seed draws from (Linear, Conv1d, Conv2d,
    /// ConvTranspose2d, Dropout): after ManualSeed(s) the same sequence of constructions gives the same weights.
    /// PyTorch: torch.manual_seed. Layers given their own seed are unaffected.
    /// </summary>
    public static void ManualSeed(int seed)
    {
        lock (s_seedLock) s_global = new Random(seed);
    }

    /// <summary>
    /// The one seeding policy of the engine: <c>new Random(seed)</c> for a layer given a seed, otherwise a generator
    /// seeded by the next draw from the global one (<see cref="ManualSeed"/>; unpredictable until it is called).
    /// Each layer gets its own generator, so it may be used from any thread.
    /// </summary>
    public static Random RandomFor(int? seed)
    {
        if (seed is int s) return new Random(s);
        lock (s_seedLock) return new Random(s_global.Next());
    }

    /// <summary>
    /// The recommended gain for a nonlinearity: Linear/Sigmoid 1, Tanh 5/3, Relu √2, LeakyRelu √(2/(1+a²)) with
    /// a = <paramref name="negativeSlope"/> (0.01 when not given), Selu 3/4. PyTorch: torch.nn.init.calculate_gain.
    /// </summary>
    public static double Gain(Nonlinearity nonlinearity, double? negativeSlope = null) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Sigmoid => 1.0,
        Nonlinearity.Tanh => 5.0 / 3.0,
        Nonlinearity.Relu => Math.Sqrt(2.0),
        Nonlinearity.LeakyRelu => Math.Sqrt(2.0 / (1 + Math.Pow(negativeSlope ?? 0.01, 2))),
        Nonlinearity.Selu => 0.75,
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, $"Init.Gain: unknown nonlinearity {nonlinearity}."),
    };

    /// <summary>
    /// Fan-in and fan-out of a weight shape: dimension 1 and dimension 0, each times the receptive-field size
    /// (the product of the dimensions after the first two). Linear [Out, In] gives (In, Out); a convolution
    /// [OutC, C/g, KH, KW] gives (C/g·KH·KW, OutC·KH·KW). PyTorch: torch.nn.init._calculate_fan_in_and_fan_out.
    /// </summary>
    /// <exception cref="ArgumentException">The shape has fewer than 2 dimensions (a bias has no fan-out).</exception>
    public static (int FanIn, int FanOut) FanInAndFanOut(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2)
            throw new ArgumentException(
                $"Init: fan-in and fan-out need a tensor with at least 2 dimensions, got shape {Tensor<float>.ShapeText(shape)} (rank {shape.Length}).");
        int receptiveField = 1;
        for (int d = 2; d < shape.Length; d++) receptiveField *= shape[d];
        return (shape[1] * receptiveField, shape[0] * receptiveField);
    }

    /// <summary>Fills with U(low, high). PyTorch: torch.nn.init.uniform_.</summary>
    public static Tensor<T> Uniform<T>(Tensor<T> tensor, Random random, double low = 0, double high = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(random);
        if (!(low <= high))
            throw new ArgumentException(FormattableString.Invariant($"Init.Uniform: expected low <= high, got low {low} and high {high}."));
        var data = tensor.Data;
        for (int i = 0; i < data.Length; i++) data[i] = T.CreateChecked(low + (high - low) * random.NextDouble());
        return tensor;
    }

    /// <summary>Fills with N(mean, std²). PyTorch: torch.nn.init.normal_.</summary>
    public static Tensor<T> Normal<T>(Tensor<T> tensor, Random random, double mean = 0, double std = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(random);
        if (!(std >= 0))
            throw new ArgumentOutOfRangeException(nameof(std), std, FormattableString.Invariant($"Init.Normal: std must be >= 0, got {std}."));
        var data = tensor.Data;
        for (int i = 0; i < data.Length; i++) data[i] = T.CreateChecked(mean + std * Tensor.NextGaussian(random));
        return tensor;
    }

    /// <summary>
    /// He initialization, uniform: U(−b, b) with b = √3 · gain / √fan, gain = <see cref="Gain"/>(nonlinearity, a),
    /// fan = fan-in or fan-out (<paramref name="mode"/>). The standard deviation is gain / √fan.
    /// PyTorch: torch.nn.init.kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu").
    /// </summary>
    /// <param name="tensor">Weight, rank ≥ 2.</param>
    /// <param name="random">Seeded generator.</param>
    /// <param name="a">Negative slope of the leaky ReLU that follows (only used with LeakyRelu; 0 gives √2 as ReLU).</param>
    /// <param name="mode">Which fan to use.</param>
    /// <param name="nonlinearity">The activation that follows.</param>
    public static Tensor<T> KaimingUniform<T>(Tensor<T> tensor, Random random, double a = 0, FanMode mode = FanMode.FanIn,
        Nonlinearity nonlinearity = Nonlinearity.LeakyRelu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Length == 0) return tensor;
        double bound = Math.Sqrt(3.0) * KaimingStd(tensor, a, mode, nonlinearity);
        return Uniform(tensor, random, -bound, bound);
    }

    /// <summary>
    /// He initialization, normal: N(0, std²) with std = gain / √fan (see <see cref="KaimingUniform{T}"/>).
    /// PyTorch: torch.nn.init.kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu").
    /// </summary>
    public static Tensor<T> KaimingNormal<T>(Tensor<T> tensor, Random random, double a = 0, FanMode mode = FanMode.FanIn,
        Nonlinearity nonlinearity = Nonlinearity.LeakyRelu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Length == 0) return tensor;
        return Normal(tensor, random, 0, KaimingStd(tensor, a, mode, nonlinearity));
    }

    /// <summary>
    /// Glorot initialization, uniform: U(−b, b) with b = gain · √(6 / (fan_in + fan_out)), so the standard deviation
    /// is gain · √(2 / (fan_in + fan_out)). PyTorch: torch.nn.init.xavier_uniform_(tensor, gain=1).
    /// </summary>
    public static Tensor<T> XavierUniform<T>(Tensor<T> tensor, Random random, double gain = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Length == 0) return tensor;
        double bound = Math.Sqrt(3.0) * XavierStd(tensor, gain);
        return Uniform(tensor, random, -bound, bound);
    }

    /// <summary>
    /// Glorot initialization, normal: N(0, std²) with std = gain · √(2 / (fan_in + fan_out)).
    /// PyTorch: torch.nn.init.xavier_normal_(tensor, gain=1).
    /// </summary>
    public static Tensor<T> XavierNormal<T>(Tensor<T> tensor, Random random, double gain = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Length == 0) return tensor;
        return Normal(tensor, random, 0, XavierStd(tensor, gain));
    }

    private static double KaimingStd<T>(Tensor<T> tensor, double a, FanMode mode, Nonlinearity nonlinearity) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (fanIn, fanOut) = FanInAndFanOut(tensor.Shape);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        return Gain(nonlinearity, a) / Math.Sqrt(fan);
    }

    private static double XavierStd<T>(Tensor<T> tensor, double gain) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (fanIn, fanOut) = FanInAndFanOut(tensor.Shape);
        return gain * Math.Sqrt(2.0 / (fanIn + fanOut));
    }
}

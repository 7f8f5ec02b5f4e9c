using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// What Conv1d, Conv2d and ConvTranspose2d share (PyTorch's _ConvNd): the geometry, the weight and the optional bias
/// with PyTorch's default initialisation, the per-layer step buffers and worker scratch, and the constructor checks.
/// Each layer keeps its own Forward and Backward, its shapes and its text. Introduced with Conv2d in notebook
/// 01-convolution.
/// </summary>
/// <remarks>
/// The geometry is always the convolution's: for ConvTranspose2d, which runs the same arithmetic backwards, its C is
/// the transposed layer's output channels. Weight shapes: Conv1d [OutC, C/G, K], Conv2d [OutC, C/G, KH, KW],
/// ConvTranspose2d [C, OutC/G, KH, KW]; the bias is [OutC] of the layer's own output.
/// </remarks>
public abstract class ConvNd<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Builds the parameters of a layer with geometry <paramref name="geometry"/> and initialises them.</summary>
    private protected ConvNd(ConvGeometry geometry, int[] weightShape, int biasLength, bool bias, int? seed)
    {
        G = geometry;
        Weight = new Parameter<T>("weight", new Tensor<T>(weightShape));
        Bias = bias ? new Parameter<T>("bias", new Tensor<T>(biasLength)) : null;
        InitializeUniform(seed, G.ColRows, Weight, Bias);
    }

    /// <summary>The convolution's hyper-parameters (see the remarks for the transposed layer).</summary>
    private protected ConvGeometry G { get; }

    /// <summary>Output and input-gradient tensors kept between training steps.</summary>
    private protected StepBuffers<T> Buffers { get; } = new();

    /// <summary>Per-worker buffers of the fast paths.</summary>
    private protected ConvScratch<T> Scratch { get; } = new();

    /// <summary>G: channels split into this many independent convolutions.</summary>
    public int Groups => G.Groups;

    /// <summary>The kernels (shape in the remarks).</summary>
    public Parameter<T> Weight { get; }

    /// <summary>The bias, one per output channel, or null when built with bias: false.</summary>
    public Parameter<T>? Bias { get; }

    internal ConvGeometry Geometry => G;

    /// <summary>
    /// Forces the fast path's kernel (im2col, or the direct kernel at one vector width) instead of the rule in
    /// ConvCore.DirectKernel; null restores the rule. For tests and the benchmark.
    /// </summary>
    internal ConvKernel? ForcedKernel
    {
        get => Scratch.ForcedKernel;
        set => Scratch.ForcedKernel = value;
    }

    /// <inheritdoc />
    protected override IEnumerable<Parameter<T>> OwnParameters()
        => Bias is null ? [Weight] : [Weight, Bias];

    /// <summary>The constructor checks PyTorch makes (same conditions, our wording).</summary>
    internal static ConvGeometry CheckGeometry(string layer, int inChannels, int outChannels, (int H, int W) kernel,
        (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups)
    {
        ShapeCheck.Positive(layer, "in_channels", inChannels);
        ShapeCheck.Positive(layer, "out_channels", outChannels);
        ShapeCheck.Positive(layer, "groups", groups);
        if (inChannels % groups != 0)
            throw new ArgumentException($"{layer}: in_channels must be divisible by groups, got in_channels {inChannels}, groups {groups}.");
        if (outChannels % groups != 0)
            throw new ArgumentException($"{layer}: out_channels must be divisible by groups, got out_channels {outChannels}, groups {groups}.");
        ShapeCheck.Positive(layer, "kernel height", kernel.H);
        ShapeCheck.Positive(layer, "kernel width", kernel.W);
        ShapeCheck.Positive(layer, "stride height", stride.H);
        ShapeCheck.Positive(layer, "stride width", stride.W);
        ShapeCheck.NonNegative(layer, "padding height", padding.H);
        ShapeCheck.NonNegative(layer, "padding width", padding.W);
        ShapeCheck.Positive(layer, "dilation height", dilation.H);
        ShapeCheck.Positive(layer, "dilation width", dilation.W);
        return new ConvGeometry(inChannels, outChannels, groups, kernel.H, kernel.W, stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W);
    }

    /// <summary>
    /// PyTorch's default: kaiming_uniform with a = sqrt(5), which works out to U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for the
    /// weight, and the same bound for the bias. fanIn = weight.size(1) * KH * KW (for ConvTranspose2d that is OutC/G * KH * KW).
    /// </summary>
    internal static void InitializeUniform(int? seed, int fanIn, Parameter<T> weight, Parameter<T>? bias)
    {
        var random = Init.RandomFor(seed);
        double bound = 1.0 / Math.Sqrt(fanIn);
        var w = weight.Value.Data;
        for (int i = 0; i < w.Length; i++) w[i] = T.CreateTruncating(bound * (2 * random.NextDouble() - 1));
        if (bias is null) return;
        var b = bias.Value.Data;
        for (int i = 0; i < b.Length; i++) b[i] = T.CreateTruncating(bound * (2 * random.NextDouble() - 1));
    }

    /// <summary>"3" when both sides agree, else "(3, 5)", for the layers' descriptions.</summary>
    private protected static string Pair(int a, int b) => a == b ? $"{a}" : $"({a}, {b})";
}

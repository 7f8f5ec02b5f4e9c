using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// 2-D convolution (strictly, cross-correlation, as in every deep-learning library) over NCHW images.
/// Input [N, C, H, W] (or unbatched [C, H, W]), weight [OutC, C/groups, KH, KW], bias [OutC],
/// output [N, OutC, OH, OW] with <c>OH = floor((H + 2 PH - DH (KH-1) - 1) / SH) + 1</c> and OW likewise
/// (<see cref="ConvArithmetic"/>):
/// <code>
/// y[n, oc, i, j] = b[oc] + sum over c &lt; C/G, kh, kw of W[oc, c, kh, kw] * x[n, g C/G + c, i SH - PH + kh DH, j SW - PW + kw DW]
/// </code>
/// where g = oc / (OutC/G) is the group of oc, and positions in the zero padding contribute 0.
/// Introduced in notebook 01-convolution (gradients in 03-backprop-conv).
/// PyTorch: torch.nn.Conv2d (padding_mode "zeros"; the string paddings "same"/"valid" are
/// <see cref="ConvArithmetic.Padding"/> here, for odd kernels).
/// </summary>
/// <remarks>
/// Backward, as on the slides: dL/dW = cross-correlation of the input with dL/dY (per channel pair), and
/// dL/dX = full convolution of the 180°-rotated kernel with dL/dY (for stride 1; with stride s, dL/dY is first
/// dilated by s). The naive path (<see cref="Runtime.Implementation.Naive"/>) runs the three formulas as written in
/// Reference/Conv2dReference.cs; the fast path (Kernels/ConvCore.cs, same methods, same parameters) runs a direct
/// convolution for stride 1 and im2col + GEMM otherwise, and is tested against the reference.
/// </remarks>
public sealed class Conv2d<T> : ConvNd<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Cache? _cache;

    /// <summary>What Backward needs from the last Forward.</summary>
    private readonly record struct Cache(Tensor<T> Input, int N, int H, int W, int OH, int OW, bool Unbatched);

    /// <summary>A convolution with a square kernel and the same stride, padding and dilation in both dimensions.</summary>
    /// <param name="inChannels">C; must be divisible by <paramref name="groups"/>.</param>
    /// <param name="outChannels">OutC; must be divisible by <paramref name="groups"/>.</param>
    /// <param name="kernelSize">KH = KW, positive.</param>
    /// <param name="stride">SH = SW, positive (PyTorch default 1).</param>
    /// <param name="padding">PH = PW zeros on each side, non-negative (default 0).</param>
    /// <param name="dilation">DH = DW, positive (default 1).</param>
    /// <param name="groups">G: channels split into G independent convolutions (C = G = OutC is depthwise).</param>
    /// <param name="bias">Whether to learn a bias per output channel (default true).</param>
    /// <param name="seed">Seed of the initialisation; null draws from the global generator (<see cref="Init.ManualSeed"/>).</param>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, int? seed = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, seed) { }

    /// <summary>A convolution with per-dimension (height, width) kernel, stride, padding and dilation.</summary>
    /// <param name="inChannels">C; must be divisible by <paramref name="groups"/>.</param>
    /// <param name="outChannels">OutC; must be divisible by <paramref name="groups"/>.</param>
    /// <param name="kernelSize">(KH, KW), positive.</param>
    /// <param name="stride">(SH, SW), positive; null means (1, 1).</param>
    /// <param name="padding">(PH, PW), non-negative; null means (0, 0).</param>
    /// <param name="dilation">(DH, DW), positive; null means (1, 1).</param>
    /// <param name="groups">G, positive, dividing both channel counts.</param>
    /// <param name="bias">Whether to learn a bias per output channel.</param>
    /// <param name="seed">Seed of the initialisation; null draws from the global generator (<see cref="Init.ManualSeed"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive (padding: negative).</exception>
    /// <exception cref="ArgumentException">groups does not divide the channel counts.</exception>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W)? stride = null,
        (int H, int W)? padding = null, (int H, int W)? dilation = null, int groups = 1, bool bias = true, int? seed = null)
        // The geometry is checked first: the weight shape divides by groups.
        : base(CheckGeometry("Conv2d", inChannels, outChannels, kernelSize, stride ?? (1, 1), padding ?? (0, 0), dilation ?? (1, 1), groups),
            [outChannels, inChannels / groups, kernelSize.H, kernelSize.W], outChannels, bias, seed) { }

    /// <summary>Input channels C.</summary>
    public int InChannels => G.C;

    /// <summary>Output channels OutC.</summary>
    public int OutChannels => G.OutC;

    /// <summary>(KH, KW).</summary>
    public (int H, int W) KernelSize => (G.KH, G.KW);

    /// <summary>(SH, SW).</summary>
    public (int H, int W) Stride => (G.SH, G.SW);

    /// <summary>(PH, PW): zeros added on each side.</summary>
    public (int H, int W) Padding => (G.PH, G.PW);

    /// <summary>(DH, DW): spacing of the kernel taps.</summary>
    public (int H, int W) Dilation => (G.DH, G.DW);

    /// <inheritdoc />
    protected override string Describe()
    {
        var text = $"Conv2d({G.C}, {G.OutC}, kernel {G.KH}x{G.KW}";
        if (G.SH != 1 || G.SW != 1) text += $", stride {Pair(G.SH, G.SW)}";
        if (G.PH != 0 || G.PW != 0) text += $", padding {Pair(G.PH, G.PW)}";
        if (G.DH != 1 || G.DW != 1) text += $", dilation {Pair(G.DH, G.DW)}";
        if (G.Groups != 1) text += $", groups {G.Groups}";
        if (Bias is null) text += ", no bias";
        return text + ")";
    }

    /// <summary>y = conv(x) + b for x [N, C, H, W] or [C, H, W]; see the type's documentation for the formula.</summary>
    /// <exception cref="ArgumentException">Wrong rank, wrong channel count, or an input smaller than the kernel.</exception>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (n, h, w, oh, ow, unbatched) = CheckInput(input.Shape);
        var x = unbatched ? input.Reshape(1, G.C, h, w) : input;
        var y = Implementation == Implementation.Fast ? Buffers.Output([n, G.OutC, oh, ow], ReuseBuffers) : new Tensor<T>(n, G.OutC, oh, ow);
        if (Implementation == Implementation.Naive) Conv2dReference.Forward(G, n, h, w, oh, ow, x.Data, Weight.Value.Data, Bias?.Value.Data, y.Data);
        else Fast.Forward(G, n, h, w, oh, ow, x.Data, Weight.Value.Data, Bias?.Value.Data, y.Data);
        _cache = new Cache(x, n, h, w, oh, ow, unbatched);
        return unbatched ? y.Reshape(G.OutC, oh, ow) : y;
    }

    /// <summary>Adds dL/dW and dL/db into the gradients and returns dL/dx (same shape as the Forward input).</summary>
    /// <exception cref="InvalidOperationException">Called before Forward.</exception>
    /// <exception cref="ArgumentException">The gradient's shape differs from the last output's.</exception>
    public override Tensor<T> Backward(Tensor<T> outputGradient) => BackwardCore(outputGradient, inputGradient: true)!;

    /// <inheritdoc />
    public override void BackwardToParameters(Tensor<T> outputGradient) => BackwardCore(outputGradient, inputGradient: false);

    // Weight and bias gradients always; dL/d(input) only when asked (the returned tensor is null otherwise).
    private Tensor<T>? BackwardCore(Tensor<T> outputGradient, bool inputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var c = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        // Collection expressions passed as spans live on the stack: no shape array per call.
        if (c.Unbatched) ShapeCheck.SameShape(Name, "output gradient", [G.OutC, c.OH, c.OW], outputGradient.Shape);
        else ShapeCheck.SameShape(Name, "output gradient", [c.N, G.OutC, c.OH, c.OW], outputGradient.Shape);
        bool naive = Implementation == Implementation.Naive;
        if (naive)
            Conv2dReference.BackwardWeights(G, c.N, c.H, c.W, c.OH, c.OW, c.Input.Data, outputGradient.Data, Weight.Grad.Data, Bias?.Grad.Data);
        else
            Fast.BackwardWeights(G, c.N, c.H, c.W, c.OH, c.OW, c.Input.Data, outputGradient.Data, Weight.Grad.Data, Bias?.Grad.Data);
        if (!inputGradient)
        {
            if (!naive) Buffers.BackwardWithoutInputGradient();
            return null;
        }
        var dX = naive ? new Tensor<T>(c.N, G.C, c.H, c.W) : Buffers.InputGradient([c.N, G.C, c.H, c.W], ReuseBuffers);
        if (naive)
            Conv2dReference.BackwardData(G, c.N, c.H, c.W, c.OH, c.OW, outputGradient.Data, Weight.Value.Data, dX.Data);
        else
            Fast.BackwardData(G, c.N, c.H, c.W, c.OH, c.OW, outputGradient.Data, Weight.Value.Data, dX.Data);
        return c.Unbatched ? dX.Reshape(G.C, c.H, c.W) : dX;
    }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var (n, _, _, oh, ow, unbatched) = CheckInput(inputShape);
        return unbatched ? [G.OutC, oh, ow] : [n, G.OutC, oh, ow];
    }

    /// <summary>N * OutC * OH * OW * (C/G) * KH * KW.</summary>
    public override long MultiplyAdds(ReadOnlySpan<int> inputShape)
    {
        var (n, _, _, oh, ow, _) = CheckInput(inputShape);
        return (long)n * G.OutC * oh * ow * G.ColRows;
    }

    private (int N, int H, int W, int OH, int OW, bool Unbatched) CheckInput(ReadOnlySpan<int> shape)
    {
        if (shape.Length != 3 && shape.Length != 4)
            throw new ArgumentException(
                $"{Name}: input rank: expected 4 (N, C, H, W) or 3 (C, H, W), got {shape.Length} (input shape {Tensor<T>.ShapeText(shape)}).");
        bool unbatched = shape.Length == 3;
        int off = unbatched ? 0 : 1;
        ShapeCheck.Dim(Name, "input channels", G.C, shape[off], shape);
        int h = shape[off + 1], w = shape[off + 2];
        int oh = ConvArithmetic.OutputSize(Name, "input height", h, G.KH, G.SH, G.PH, G.DH);
        int ow = ConvArithmetic.OutputSize(Name, "input width", w, G.KW, G.SW, G.PW, G.DW);
        return (unbatched ? 1 : shape[0], h, w, oh, ow, unbatched);
    }

}

/// <summary>
/// What Conv1d, Conv2d and ConvTranspose2d share (PyTorch's _ConvNd): the geometry, the weight and the optional bias
/// with PyTorch's default initialisation, the per-layer step buffers and fast path, and the constructor checks.
/// Each layer keeps its own Forward and Backward, its shapes and its text. Introduced with Conv2d in notebook
/// 01-convolution.
/// Introduced in notebook 01-convolution.
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

    /// <summary>The fast path: the convolution's kernels with this layer's working memory.</summary>
    private protected ConvCore<T> Fast { get; } = new();

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
        get => Fast.ForcedKernel;
        set => Fast.ForcedKernel = value;
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

/// <summary>
/// Hyper-parameters of one grouped 2-D convolution: C input channels, OutC output channels, G groups (each output
/// channel sees C/G input channels), kernel KH x KW, stride, zero padding and dilation per dimension.
/// </summary>
internal readonly record struct ConvGeometry(int C, int OutC, int Groups, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW)
{
    /// <summary>Input channels per group.</summary>
    public int Cg => C / Groups;

    /// <summary>Output channels per group.</summary>
    public int OCg => OutC / Groups;

    /// <summary>Rows of the im2col matrix of one group: Cg * KH * KW.</summary>
    public int ColRows => Cg * KH * KW;
}

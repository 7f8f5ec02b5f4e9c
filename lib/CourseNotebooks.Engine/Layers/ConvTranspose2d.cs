using System.Numerics;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Transposed convolution ("deconvolution", fractionally strided convolution) over NCHW images: the gradient of a
/// <see cref="Conv2d{T}"/> with respect to its input, used as a layer of its own. Each input pixel scatters a
/// weighted copy of the kernel into the output:
/// <code>
/// y[n, g OutC/G + oc, i SH - PH + kh DH, j SW - PW + kw DW] += x[n, c, i, j] * W[c, oc, kh, kw]   (c in group g)
/// </code>
/// plus b[oc]. Input [N, C, H, W] (or unbatched [C, H, W]), weight [C, OutC/groups, KH, KW] (input channels first,
/// as in PyTorch), bias [OutC], output [N, OutC, OH, OW] with
/// <c>OH = (H - 1) SH - 2 PH + DH (KH - 1) + output_padding_H + 1</c> and OW likewise (<see cref="ConvArithmetic"/>).
/// Introduced in notebook 13-convolutional-autoencoder ("deconvolution is convolution", checked with the course's <c>Deconvolution</c>).
/// PyTorch: torch.nn.ConvTranspose2d (without the output_size argument of forward: pass output_padding instead).
/// </summary>
/// <remarks>
/// With the same weight tensor, this layer's Forward is exactly Conv2d(OutC, C, ...).Backward's input gradient, and
/// its Backward input gradient is that Conv2d's Forward (no bias): the fast path calls the convolution's arithmetic
/// in that swapped role (GEMM then col2im forward, im2col then GEMM backward); the naive path is the scatter above
/// (Reference/ConvTranspose2dReference.cs).
/// output_padding only adds rows/columns at the bottom/right, to pick one of the SH input sizes that a strided
/// convolution maps to the same output size; those rows receive only the bias.
/// </remarks>
public sealed class ConvTranspose2d<T> : ConvNd<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // The convolution this layer transposes: from OutC channels (this layer's output) to C (this layer's input).
    private readonly (int H, int W) _outputPadding;
    private Cache? _cache;

    /// <summary>What Backward needs from the last Forward.</summary>
    private readonly record struct Cache(Tensor<T> Input, int N, int H, int W, int OH, int OW, bool Unbatched);

    /// <summary>A transposed convolution with square kernel and equal settings in both dimensions (PyTorch's argument order).</summary>
    /// <param name="inChannels">C; divisible by <paramref name="groups"/>.</param>
    /// <param name="outChannels">OutC; divisible by <paramref name="groups"/>.</param>
    /// <param name="kernelSize">KH = KW, positive.</param>
    /// <param name="stride">Positive (default 1): the output grows by this factor.</param>
    /// <param name="padding">Non-negative (default 0): rows/columns cropped from each side of the full output.</param>
    /// <param name="outputPadding">Non-negative, smaller than the stride or the dilation (default 0).</param>
    /// <param name="groups">G, positive, dividing both channel counts.</param>
    /// <param name="bias">Whether to learn a bias per output channel (default true).</param>
    /// <param name="dilation">Positive (default 1).</param>
    /// <param name="seed">Seed of the initialisation; null draws from the global generator (<see cref="Init.ManualSeed"/>).</param>
    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0,
        int groups = 1, bool bias = true, int dilation = 1, int? seed = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (outputPadding, outputPadding),
            groups, bias, (dilation, dilation), seed) { }

    /// <summary>A transposed convolution with per-dimension (height, width) settings.</summary>
    /// <param name="inChannels">C; divisible by <paramref name="groups"/>.</param>
    /// <param name="outChannels">OutC; divisible by <paramref name="groups"/>.</param>
    /// <param name="kernelSize">(KH, KW), positive.</param>
    /// <param name="stride">(SH, SW), positive; null means (1, 1).</param>
    /// <param name="padding">(PH, PW), non-negative; null means (0, 0).</param>
    /// <param name="outputPadding">Non-negative, each smaller than its stride or its dilation; null means (0, 0).</param>
    /// <param name="groups">G, positive, dividing both channel counts.</param>
    /// <param name="bias">Whether to learn a bias per output channel.</param>
    /// <param name="dilation">(DH, DW), positive; null means (1, 1).</param>
    /// <param name="seed">Seed of the initialisation; null draws from the global generator (<see cref="Init.ManualSeed"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive (paddings: negative).</exception>
    /// <exception cref="ArgumentException">groups does not divide the channels, or output_padding is too large.</exception>
    public ConvTranspose2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W)? stride = null,
        (int H, int W)? padding = null, (int H, int W)? outputPadding = null, int groups = 1, bool bias = true,
        (int H, int W)? dilation = null, int? seed = null)
        // The geometry is checked first (the weight shape divides by groups); it is the convolution's, channels swapped.
        : base(CheckTransposedGeometry(inChannels, outChannels, kernelSize, stride ?? (1, 1), padding ?? (0, 0), outputPadding ?? (0, 0), groups, dilation ?? (1, 1)),
            [inChannels, outChannels / groups, kernelSize.H, kernelSize.W], outChannels, bias, seed)
    {
        _outputPadding = outputPadding ?? (0, 0);
    }

    private static ConvGeometry CheckTransposedGeometry(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) s,
        (int H, int W) p, (int H, int W) op, int groups, (int H, int W) d)
    {
        const string layer = "ConvTranspose2d";
        // Checked as the convolution in the other direction, but the messages must speak of this layer's channels.
        ShapeCheck.Positive(layer, "in_channels", inChannels);
        ShapeCheck.Positive(layer, "out_channels", outChannels);
        ShapeCheck.Positive(layer, "groups", groups);
        if (inChannels % groups != 0)
            throw new ArgumentException($"{layer}: in_channels must be divisible by groups, got in_channels {inChannels}, groups {groups}.");
        if (outChannels % groups != 0)
            throw new ArgumentException($"{layer}: out_channels must be divisible by groups, got out_channels {outChannels}, groups {groups}.");
        var g = CheckGeometry(layer, outChannels, inChannels, kernelSize, s, p, d, groups);
        ShapeCheck.NonNegative(layer, "output padding height", op.H);
        ShapeCheck.NonNegative(layer, "output padding width", op.W);
        ConvArithmetic.CheckOutputPadding(layer, " height", op.H, s.H, d.H);
        ConvArithmetic.CheckOutputPadding(layer, " width", op.W, s.W, d.W);
        return g;
    }

    /// <summary>Input channels C.</summary>
    public int InChannels => G.OutC;

    /// <summary>Output channels OutC.</summary>
    public int OutChannels => G.C;

    /// <summary>(KH, KW).</summary>
    public (int H, int W) KernelSize => (G.KH, G.KW);

    /// <summary>(SH, SW).</summary>
    public (int H, int W) Stride => (G.SH, G.SW);

    /// <summary>(PH, PW): rows/columns cropped from each side.</summary>
    public (int H, int W) Padding => (G.PH, G.PW);

    /// <summary>(output_padding_H, output_padding_W): extra rows/columns at the bottom/right.</summary>
    public (int H, int W) OutputPadding => _outputPadding;

    /// <summary>(DH, DW).</summary>
    public (int H, int W) Dilation => (G.DH, G.DW);

    /// <inheritdoc />
    protected override string Describe()
    {
        var text = $"ConvTranspose2d({InChannels}, {OutChannels}, kernel {G.KH}x{G.KW}";
        if (G.SH != 1 || G.SW != 1) text += $", stride {Pair(G.SH, G.SW)}";
        if (G.PH != 0 || G.PW != 0) text += $", padding {Pair(G.PH, G.PW)}";
        if (_outputPadding != (0, 0)) text += $", output padding {Pair(_outputPadding.H, _outputPadding.W)}";
        if (G.DH != 1 || G.DW != 1) text += $", dilation {Pair(G.DH, G.DW)}";
        if (G.Groups != 1) text += $", groups {G.Groups}";
        if (Bias is null) text += ", no bias";
        return text + ")";
    }

    /// <summary>The scatter above for x [N, C, H, W] or [C, H, W].</summary>
    /// <exception cref="ArgumentException">Wrong rank, wrong channel count, or an output size below 1.</exception>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (n, h, w, oh, ow, unbatched) = CheckInput(input.Shape);
        var x = unbatched ? input.Reshape(1, InChannels, h, w) : input;
        var y = Implementation == Implementation.Fast ? Buffers.Output([n, OutChannels, oh, ow], ReuseBuffers) : new Tensor<T>(n, OutChannels, oh, ow);
        if (Implementation == Implementation.Naive) ConvTranspose2dReference.Forward(G, n, h, w, oh, ow, x.Data, Weight.Value.Data, Bias?.Value.Data, y.Data);
        else Fast.TransposedForward(G, n, h, w, oh, ow, x.Data, Weight.Value.Data, Bias?.Value.Data, y.Data);
        _cache = new Cache(x, n, h, w, oh, ow, unbatched);
        return unbatched ? y.Reshape(OutChannels, oh, ow) : y;
    }

    /// <summary>Adds dL/dW and dL/db into the gradients and returns dL/dx: a plain convolution of dL/dy with W.</summary>
    /// <exception cref="InvalidOperationException">Called before Forward.</exception>
    /// <exception cref="ArgumentException">The gradient's shape differs from the last output's.</exception>
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var c = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        // Collection expressions passed as spans live on the stack: no shape array per call.
        if (c.Unbatched) ShapeCheck.SameShape(Name, "output gradient", [OutChannels, c.OH, c.OW], outputGradient.Shape);
        else ShapeCheck.SameShape(Name, "output gradient", [c.N, OutChannels, c.OH, c.OW], outputGradient.Shape);
        var dX = Implementation == Implementation.Fast ? Buffers.InputGradient([c.N, InChannels, c.H, c.W], ReuseBuffers) : new Tensor<T>(c.N, InChannels, c.H, c.W);
        if (Implementation == Implementation.Naive)
            ConvTranspose2dReference.Backward(G, c.N, c.H, c.W, c.OH, c.OW, c.Input.Data, outputGradient.Data, Weight.Value.Data, dX.Data, Weight.Grad.Data, Bias?.Grad.Data);
        else
            Fast.TransposedBackward(G, c.N, c.H, c.W, c.OH, c.OW, c.Input.Data, outputGradient.Data, Weight.Value.Data, dX.Data, Weight.Grad.Data, Bias?.Grad.Data);
        return c.Unbatched ? dX.Reshape(InChannels, c.H, c.W) : dX;
    }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var (n, _, _, oh, ow, unbatched) = CheckInput(inputShape);
        return unbatched ? [OutChannels, oh, ow] : [n, OutChannels, oh, ow];
    }

    /// <summary>N * C * H * W * (OutC/G) * KH * KW (taps that fall into the cropped padding included, as usually counted).</summary>
    public override long MultiplyAdds(ReadOnlySpan<int> inputShape)
    {
        var (n, h, w, _, _, _) = CheckInput(inputShape);
        return (long)n * InChannels * h * w * G.ColRows;
    }

    private (int N, int H, int W, int OH, int OW, bool Unbatched) CheckInput(ReadOnlySpan<int> shape)
    {
        if (shape.Length != 3 && shape.Length != 4)
            throw new ArgumentException(
                $"{Name}: input rank: expected 4 (N, C, H, W) or 3 (C, H, W), got {shape.Length} (input shape {Tensor<T>.ShapeText(shape)}).");
        bool unbatched = shape.Length == 3;
        int off = unbatched ? 0 : 1;
        ShapeCheck.Dim(Name, "input channels", InChannels, shape[off], shape);
        int h = shape[off + 1], w = shape[off + 2];
        ShapeCheck.Positive(Name, "input height", h);
        ShapeCheck.Positive(Name, "input width", w);
        int oh = ConvArithmetic.TransposedOutputSize(Name, "input height", h, G.KH, G.SH, G.PH, _outputPadding.H, G.DH);
        int ow = ConvArithmetic.TransposedOutputSize(Name, "input width", w, G.KW, G.SW, G.PW, _outputPadding.W, G.DW);
        return (unbatched ? 1 : shape[0], h, w, oh, ow, unbatched);
    }

}

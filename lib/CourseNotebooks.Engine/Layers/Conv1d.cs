using System.Numerics;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// 1-D convolution (cross-correlation) over NCL signals such as audio frames or word embeddings along a sentence.
/// Input [N, C, L] (or unbatched [C, L]), weight [OutC, C/groups, K], bias [OutC], output [N, OutC, OL] with
/// <c>OL = floor((L + 2P - D (K-1) - 1) / S) + 1</c>:
/// <code>
/// y[n, oc, i] = b[oc] + sum over c &lt; C/G, k of W[oc, c, k] * x[n, g C/G + c, i S - P + k D]
/// </code>
/// It runs the same arithmetic as <see cref="Conv2d{T}"/> with a height of 1 (the weight's memory layout
/// [OutC, C/G, K] is the same as [OutC, C/G, 1, K]), with its own checks and messages.
/// Introduced in notebook 08-cnn-for-audio (bands of a spectrogram as channels, time as the length); over word
/// embeddings in 09-cnn-for-text. PyTorch: torch.nn.Conv1d.
/// </summary>
public sealed class Conv1d<T> : ConvNd<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Cache? _cache;

    /// <summary>What Backward needs from the last Forward.</summary>
    private readonly record struct Cache(Tensor<T> Input, int N, int L, int OL, bool Unbatched);

    /// <summary>A 1-D convolution.</summary>
    /// <param name="inChannels">C; divisible by <paramref name="groups"/>.</param>
    /// <param name="outChannels">OutC; divisible by <paramref name="groups"/>.</param>
    /// <param name="kernelSize">K, positive.</param>
    /// <param name="stride">S, positive (default 1).</param>
    /// <param name="padding">P zeros at each end, non-negative (default 0).</param>
    /// <param name="dilation">D, positive (default 1).</param>
    /// <param name="groups">G, positive, dividing both channel counts.</param>
    /// <param name="bias">Whether to learn a bias per output channel (default true).</param>
    /// <param name="seed">Seed of the initialisation; null draws from the global generator (<see cref="Init.ManualSeed"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive (padding: negative).</exception>
    /// <exception cref="ArgumentException">groups does not divide the channel counts.</exception>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, int? seed = null)
        // A 1 x K kernel on a 1 x L image; the geometry is checked first (the weight shape divides by groups).
        : base(CheckGeometry1d(inChannels, outChannels, kernelSize, stride, padding, dilation, groups),
            [outChannels, inChannels / groups, kernelSize], outChannels, bias, seed) { }

    // The 1-D names in the messages ("kernel size", not "kernel width"), then the 2-D checks.
    private static ConvGeometry CheckGeometry1d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups)
    {
        ShapeCheck.Positive("Conv1d", "kernel size", kernelSize);
        ShapeCheck.Positive("Conv1d", "stride", stride);
        ShapeCheck.NonNegative("Conv1d", "padding", padding);
        ShapeCheck.Positive("Conv1d", "dilation", dilation);
        return CheckGeometry("Conv1d", inChannels, outChannels, (1, kernelSize), (1, stride), (0, padding), (1, dilation), groups);
    }

    /// <summary>Input channels C.</summary>
    public int InChannels => G.C;

    /// <summary>Output channels OutC.</summary>
    public int OutChannels => G.OutC;

    /// <summary>K.</summary>
    public int KernelSize => G.KW;

    /// <summary>S.</summary>
    public int Stride => G.SW;

    /// <summary>P: zeros added at each end.</summary>
    public int Padding => G.PW;

    /// <summary>D: spacing of the kernel taps.</summary>
    public int Dilation => G.DW;

    /// <inheritdoc />
    protected override string Describe()
    {
        var text = $"Conv1d({G.C}, {G.OutC}, kernel {G.KW}";
        if (G.SW != 1) text += $", stride {G.SW}";
        if (G.PW != 0) text += $", padding {G.PW}";
        if (G.DW != 1) text += $", dilation {G.DW}";
        if (G.Groups != 1) text += $", groups {G.Groups}";
        if (Bias is null) text += ", no bias";
        return text + ")";
    }

    /// <summary>y = conv(x) + b for x [N, C, L] or [C, L].</summary>
    /// <exception cref="ArgumentException">Wrong rank, wrong channel count, or a signal shorter than the kernel.</exception>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (n, l, ol, unbatched) = CheckInput(input.Shape);
        // [N, C, L] is [N, C, 1, L] for the 2-D core: the same data, no reshaped copy needed.
        var y = Implementation == Implementation.Fast ? Buffers.Output([n, G.OutC, ol], ReuseBuffers) : new Tensor<T>(n, G.OutC, ol);
        if (Implementation == Implementation.Naive) Conv2dReference.Forward(G, n, 1, l, 1, ol, input.Data, Weight.Value.Data, Bias?.Value.Data, y.Data);
        else Fast.Forward(G, n, 1, l, 1, ol, input.Data, Weight.Value.Data, Bias?.Value.Data, y.Data);
        _cache = new Cache(input, n, l, ol, unbatched);
        return unbatched ? y.Reshape(G.OutC, ol) : y;
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
        if (c.Unbatched) ShapeCheck.SameShape(Name, "output gradient", [G.OutC, c.OL], outputGradient.Shape);
        else ShapeCheck.SameShape(Name, "output gradient", [c.N, G.OutC, c.OL], outputGradient.Shape);
        bool naive = Implementation == Implementation.Naive;
        if (naive)
            Conv2dReference.BackwardWeights(G, c.N, 1, c.L, 1, c.OL, c.Input.Data, outputGradient.Data, Weight.Grad.Data, Bias?.Grad.Data);
        else
            Fast.BackwardWeights(G, c.N, 1, c.L, 1, c.OL, c.Input.Data, outputGradient.Data, Weight.Grad.Data, Bias?.Grad.Data);
        if (!inputGradient)
        {
            if (!naive) Buffers.BackwardWithoutInputGradient();
            return null;
        }
        var dX = naive ? new Tensor<T>(c.N, G.C, c.L) : Buffers.InputGradient([c.N, G.C, c.L], ReuseBuffers);
        if (naive)
            Conv2dReference.BackwardData(G, c.N, 1, c.L, 1, c.OL, outputGradient.Data, Weight.Value.Data, dX.Data);
        else
            Fast.BackwardData(G, c.N, 1, c.L, 1, c.OL, outputGradient.Data, Weight.Value.Data, dX.Data);
        return c.Unbatched ? dX.Reshape(G.C, c.L) : dX;
    }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var (n, _, ol, unbatched) = CheckInput(inputShape);
        return unbatched ? [G.OutC, ol] : [n, G.OutC, ol];
    }

    /// <summary>N * OutC * OL * (C/G) * K.</summary>
    public override long MultiplyAdds(ReadOnlySpan<int> inputShape)
    {
        var (n, _, ol, _) = CheckInput(inputShape);
        return (long)n * G.OutC * ol * G.ColRows;
    }

    private (int N, int L, int OL, bool Unbatched) CheckInput(ReadOnlySpan<int> shape)
    {
        if (shape.Length != 2 && shape.Length != 3)
            throw new ArgumentException(
                $"{Name}: input rank: expected 3 (N, C, L) or 2 (C, L), got {shape.Length} (input shape {Tensor<T>.ShapeText(shape)}).");
        bool unbatched = shape.Length == 2;
        int off = unbatched ? 0 : 1;
        ShapeCheck.Dim(Name, "input channels", G.C, shape[off], shape);
        int l = shape[off + 1];
        int ol = ConvArithmetic.OutputSize(Name, "input length", l, G.KW, G.SW, G.PW, G.DW);
        return (unbatched ? 1 : shape[0], l, ol, unbatched);
    }
}

using System.Numerics;

namespace CourseNotebooks.Engine;

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
public sealed class Conv1d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ConvGeometry _g;
    private Cache? _cache;

    private readonly ConvScratch<T> _scratch = new();

    private readonly StepBuffers<T> _buffers = new();

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
    {
        ShapeCheck.Positive("Conv1d", "kernel size", kernelSize);
        ShapeCheck.Positive("Conv1d", "stride", stride);
        ShapeCheck.NonNegative("Conv1d", "padding", padding);
        ShapeCheck.Positive("Conv1d", "dilation", dilation);
        _g = Conv2d<T>.CheckGeometry("Conv1d", inChannels, outChannels, (1, kernelSize), (1, stride), (0, padding), (1, dilation), groups);
        Weight = new Parameter<T>("weight", new Tensor<T>(outChannels, inChannels / groups, kernelSize));
        Bias = bias ? new Parameter<T>("bias", new Tensor<T>(outChannels)) : null;
        Conv2d<T>.InitializeUniform(seed, _g.ColRows, Weight, Bias);
    }

    /// <summary>Input channels C.</summary>
    public int InChannels => _g.C;

    /// <summary>Output channels OutC.</summary>
    public int OutChannels => _g.OutC;

    /// <summary>K.</summary>
    public int KernelSize => _g.KW;

    /// <summary>S.</summary>
    public int Stride => _g.SW;

    /// <summary>P: zeros added at each end.</summary>
    public int Padding => _g.PW;

    /// <summary>D: spacing of the kernel taps.</summary>
    public int Dilation => _g.DW;

    /// <summary>G.</summary>
    public int Groups => _g.Groups;

    /// <summary>The kernels, [OutC, C/G, K].</summary>
    public Parameter<T> Weight { get; }

    /// <summary>The bias, [OutC], or null when built with bias: false.</summary>
    public Parameter<T>? Bias { get; }

    /// <inheritdoc />
    protected override string Describe()
    {
        var text = $"Conv1d({_g.C}, {_g.OutC}, kernel {_g.KW}";
        if (_g.SW != 1) text += $", stride {_g.SW}";
        if (_g.PW != 0) text += $", padding {_g.PW}";
        if (_g.DW != 1) text += $", dilation {_g.DW}";
        if (_g.Groups != 1) text += $", groups {_g.Groups}";
        if (Bias is null) text += ", no bias";
        return text + ")";
    }

    /// <inheritdoc />
    protected override IEnumerable<Parameter<T>> OwnParameters()
        => Bias is null ? [Weight] : [Weight, Bias];

    /// <summary>y = conv(x) + b for x [N, C, L] or [C, L].</summary>
    /// <exception cref="ArgumentException">Wrong rank, wrong channel count, or a signal shorter than the kernel.</exception>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (n, l, ol, unbatched) = CheckInput(input.Shape);
        // [N, C, L] is [N, C, 1, L] for the 2-D core: the same data, no reshaped copy needed.
        var y = Implementation == Implementation.Fast ? _buffers.Output([n, _g.OutC, ol]) : new Tensor<T>(n, _g.OutC, ol);
        if (Implementation == Implementation.Naive) ConvCore.ForwardNaive(_g, n, 1, l, 1, ol, input.Data, Weight.Value.Data, Bias?.Value.Data, y.Data);
        else ConvCore.ForwardFast(_g, n, 1, l, 1, ol, input.Data, Weight.Value.Data, Bias?.Value.Data, y.Data, _scratch);
        _cache = new Cache(input, n, l, ol, unbatched);
        return unbatched ? y.Reshape(_g.OutC, ol) : y;
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
        if (c.Unbatched) ShapeCheck.SameShape(Name, "output gradient", [_g.OutC, c.OL], outputGradient.Shape);
        else ShapeCheck.SameShape(Name, "output gradient", [c.N, _g.OutC, c.OL], outputGradient.Shape);
        bool naive = Implementation == Implementation.Naive;
        if (naive)
            ConvCore.BackwardWeightsNaive(_g, c.N, 1, c.L, 1, c.OL, c.Input.Data, outputGradient.Data, Weight.Grad.Data, Bias?.Grad.Data);
        else
            ConvCore.BackwardWeightsFast(_g, c.N, 1, c.L, 1, c.OL, c.Input.Data, outputGradient.Data, Weight.Grad.Data, Bias?.Grad.Data, _scratch);
        if (!inputGradient)
        {
            if (!naive) _buffers.BackwardWithoutInputGradient();
            return null;
        }
        var dX = naive ? new Tensor<T>(c.N, _g.C, c.L) : _buffers.InputGradient([c.N, _g.C, c.L]);
        if (naive)
            ConvCore.BackwardDataNaive(_g, c.N, 1, c.L, 1, c.OL, outputGradient.Data, Weight.Value.Data, dX.Data);
        else
            ConvCore.BackwardDataFast(_g, c.N, 1, c.L, 1, c.OL, outputGradient.Data, Weight.Value.Data, dX.Data, _scratch);
        return c.Unbatched ? dX.Reshape(_g.C, c.L) : dX;
    }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var (n, _, ol, unbatched) = CheckInput(inputShape);
        return unbatched ? [_g.OutC, ol] : [n, _g.OutC, ol];
    }

    /// <summary>N * OutC * OL * (C/G) * K.</summary>
    public override long MultiplyAdds(ReadOnlySpan<int> inputShape)
    {
        var (n, _, ol, _) = CheckInput(inputShape);
        return (long)n * _g.OutC * ol * _g.ColRows;
    }

    private (int N, int L, int OL, bool Unbatched) CheckInput(ReadOnlySpan<int> shape)
    {
        if (shape.Length != 2 && shape.Length != 3)
            throw new ArgumentException(
                $"{Name}: input rank: expected 3 (N, C, L) or 2 (C, L), got {shape.Length} (input shape {Tensor<T>.ShapeText(shape)}).");
        bool unbatched = shape.Length == 2;
        int off = unbatched ? 0 : 1;
        ShapeCheck.Dim(Name, "input channels", _g.C, shape[off], shape);
        int l = shape[off + 1];
        int ol = ConvArithmetic.OutputSize(Name, "input length", l, _g.KW, _g.SW, _g.PW, _g.DW);
        return (unbatched ? 1 : shape[0], l, ol, unbatched);
    }
}

using System.Numerics;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Nearest-neighbour upsampling by a scale factor (integer or not) or to an explicit size, over the 1, 2 or 3
/// spatial dimensions that the input's rank gives: every output position copies the input value it falls on (the
/// slide's "simply repeat the values", the alternative to unpooling). Introduced in notebook
/// 13-convolutional-autoencoder. PyTorch: torch.nn.Upsample(size, scale_factor,
/// mode='nearest'), torch.nn.UpsamplingNearest2d.
/// </summary>
/// <remarks>
/// <para><b>Shapes</b>, as PyTorch: the first two dimensions are batch and channels, the rest are spatial. Input
/// (N, C, L) gives (N, C, L'), (N, C, H, W) gives (N, C, H', W'), (N, C, D, H, W) gives (N, C, D', H', W'). An
/// unbatched image (C, H, W) is not read by its rank (it would mean (N, C, L)): reshape it to (1, C, H, W).</para>
/// <para><b>Sizes and the index rule</b>, per spatial axis with input size n:</para>
/// <code>
/// scale factor f given:  n' = floor(n · f),  s = 1 / f   (in float32, as PyTorch's kernel)
/// size n' given:         s = n / n'                      (in float32)
/// source index of output position i:  min(floor(i · s), n − 1)
///   except: n' = n reads i, and n' = 2n reads floor(i / 2)   (PyTorch's special cases, whatever f says)
/// </code>
/// <para>For integer factors that is i / f, each value repeated in an f-wide block; for f = 1.5 on n = 4 the
/// output has 6 positions reading 0, 0, 1, 2, 2, 3. Backward adds each output position's gradient into the input
/// position it read (every input position receives the sum over the outputs that copied it).</para>
/// <para><b>Errors</b>: both or neither of size and scale factor; a factor or size that is not positive; a
/// per-axis list whose length is not the number of spatial dimensions; an input of rank other than 3 to 5; an
/// output size of 0 (a factor too small for the input).</para>
/// <para>Only PyTorch's mode 'nearest' is here (the one the lecture's "repeat the values" means); 'nearest-exact',
/// 'linear', 'bilinear', 'bicubic' and 'trilinear', and the options that only they use (align_corners), are not.</para>
/// </remarks>
public sealed class Upsample<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[]? _scaleFactor;
    private readonly int[]? _size;

    /// <summary>The same scale factor for every spatial axis, e.g. 2 (PyTorch's scale_factor=2).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The factor is not positive and finite.</exception>
    public Upsample(double scaleFactor) : this(size: null, scaleFactor: [scaleFactor]) { }

    /// <summary>Factors for height and width (4-D input), e.g. (2, 1.5).</summary>
    public Upsample((double H, double W) scaleFactor) : this(size: null, scaleFactor: [scaleFactor.H, scaleFactor.W]) { }

    /// <summary>
    /// PyTorch's constructor: exactly one of <paramref name="size"/> (the output's spatial size: one value for
    /// every axis, or one per axis) and <paramref name="scaleFactor"/> (one factor for every axis, or one per axis).
    /// </summary>
    /// <exception cref="ArgumentException">Both or neither are given, or a list is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or factor is not positive (factors: and finite).</exception>
    public Upsample(int[]? size = null, double[]? scaleFactor = null)
    {
        if (size is null == scaleFactor is null)
            throw new ArgumentException(size is null
                ? $"{Name}: expected either size or scaleFactor, got neither."
                : $"{Name}: expected only one of size and scaleFactor, got both (size [{string.Join(", ", size)}], scaleFactor [{string.Join(", ", scaleFactor!)}]).");
        if (size is not null)
        {
            if (size.Length == 0) throw new ArgumentException($"{Name}: size: expected at least one value, got none.", nameof(size));
            foreach (int s in size)
                if (s <= 0) throw new ArgumentOutOfRangeException(nameof(size), s, $"{Name}: size must be positive, got {s}.");
            _size = (int[])size.Clone();
        }
        else
        {
            if (scaleFactor!.Length == 0) throw new ArgumentException($"{Name}: scaleFactor: expected at least one value, got none.", nameof(scaleFactor));
            foreach (double f in scaleFactor)
                if (!(f > 0) || !double.IsFinite(f))
                    throw new ArgumentOutOfRangeException(nameof(scaleFactor), f, FormattableString.Invariant($"{Name}: scaleFactor must be positive and finite, got {f}."));
            _scaleFactor = (double[])scaleFactor.Clone();
        }
    }

    /// <summary>The scale factors as given (one for every axis, or one per axis), or null when a size was given.</summary>
    public IReadOnlyList<double>? ScaleFactor => _scaleFactor;

    /// <summary>The output size as given, or null when a scale factor was given.</summary>
    public IReadOnlyList<int>? Size => _size;

    /// <inheritdoc />
    protected override string Describe() => _size is not null
        ? $"Upsample(nearest, size {string.Join("x", _size)})"
        : FormattableString.Invariant($"Upsample(nearest, x{string.Join("x", _scaleFactor ?? [])})");

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        int spatial = CheckRank(inputShape);
        var shape = inputShape.ToArray();
        for (int axis = 0; axis < spatial; axis++)
        {
            int n = inputShape[2 + axis];
            int outSize = _size is not null ? Pick(_size, axis, spatial, "size") : (int)Math.Floor(n * Pick(_scaleFactor!, axis, spatial, "scaleFactor"));
            if (outSize <= 0)
                throw new ArgumentException(FormattableString.Invariant(
                    $"{Name}: output size of spatial axis {axis}: expected at least 1, got {outSize} (input size {n} x scale factor {Pick(_scaleFactor!, axis, spatial, "scaleFactor")}; input shape {Tensor<T>.ShapeText(inputShape)})."));
            shape[2 + axis] = outSize;
        }
        return shape;
    }

    /// <summary>
    /// The input position that each output position of one spatial axis reads (PyTorch's nearest rule, see the
    /// remarks): for input size <paramref name="inputSize"/> and output size <paramref name="outputSize"/>.
    /// </summary>
    public int[] SourceIndices(int axis, int spatialDims, int inputSize, int outputSize)
    {
        var source = new int[outputSize];
        float scale = Scale(axis, spatialDims, inputSize, outputSize);
        for (int i = 0; i < outputSize; i++) source[i] = SourceIndex(i, scale, inputSize, outputSize);
        return source;
    }

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var plan = PlanFor(input.Shape);
        bool fast = Implementation == Implementation.Fast;
        var output = fast ? _buffers.Output(plan.OutputShape, ReuseBuffers) : new Tensor<T>(plan.OutputShape.ToArray());
        if (fast) ForwardFast(plan.Geometry, plan.SourceD, plan.SourceH, plan.SourceW, input.Data, output.Data);
        else UpsampleReference.Forward(plan.Geometry, plan.SourceD, plan.SourceH, plan.SourceW, input.Data, output.Data);
        return output;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var plan = _plan ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", plan.OutputShape, outputGradient.Shape);
        bool fast = Implementation == Implementation.Fast;
        var dX = fast ? _buffers.InputGradient(plan.InputShape, ReuseBuffers) : new Tensor<T>(plan.InputShape.ToArray());
        if (fast) BackwardFast(plan.Geometry, plan.SourceD, plan.SourceH, plan.SourceW, outputGradient.Data, dX.Data);
        else UpsampleReference.Backward(plan.Geometry, plan.SourceD, plan.SourceH, plan.SourceW, outputGradient.Data, dX.Data);
        return dX;
    }

    /// <summary>
    /// y[p, od, oh, ow] = x[p, srcD[od], srcH[oh], srcW[ow]], a row at a time: an output row that reads the same input
    /// row as the one above it is a copy of that row. The same parameters as <see cref="UpsampleReference.Forward{T}"/>.
    /// </summary>
    private static void ForwardFast(in UpsampleGeometry g, int[] srcD, int[] srcH, int[] srcW, T[] x, T[] y)
    {
        for (int p = 0; p < g.Planes; p++)
            for (int od = 0; od < g.OD; od++)
                for (int oh = 0; oh < g.OH; oh++)
                {
                    var row = new Span<T>(y, ((p * g.OD + od) * g.OH + oh) * g.OW, g.OW);
                    if (oh > 0 && srcH[oh] == srcH[oh - 1])
                    {
                        new ReadOnlySpan<T>(y, ((p * g.OD + od) * g.OH + oh - 1) * g.OW, g.OW).CopyTo(row);
                        continue;
                    }
                    var src = new ReadOnlySpan<T>(x, ((p * g.D + srcD[od]) * g.H + srcH[oh]) * g.W, g.W);
                    for (int ow = 0; ow < g.OW; ow++) row[ow] = src[srcW[ow]];
                }
    }

    /// <summary>dX = zeros, then each output row's gradient added onto the input row it read. Overwrites dX.</summary>
    private static void BackwardFast(in UpsampleGeometry g, int[] srcD, int[] srcH, int[] srcW, T[] dY, T[] dX)
    {
        // A kept gradient tensor holds the last step's sums: the scatter adds, so it starts from zero.
        Array.Clear(dX);
        for (int p = 0; p < g.Planes; p++)
            for (int od = 0; od < g.OD; od++)
                for (int oh = 0; oh < g.OH; oh++)
                {
                    var row = new ReadOnlySpan<T>(dY, ((p * g.OD + od) * g.OH + oh) * g.OW, g.OW);
                    var target = new Span<T>(dX, ((p * g.D + srcD[od]) * g.H + srcH[oh]) * g.W, g.W);
                    for (int ow = 0; ow < g.OW; ow++) target[srcW[ow]] += row[ow];
                }
    }

    // Everything that depends only on the input shape, kept while the shape repeats (a training step allocates nothing).
    private sealed record Plan(int[] InputShape, int[] OutputShape, UpsampleGeometry Geometry, int[] SourceD, int[] SourceH, int[] SourceW);

    private Plan? _plan;

    private readonly StepBuffers<T> _buffers = new();

    private Plan PlanFor(ReadOnlySpan<int> inputShape)
    {
        if (_plan is { } kept && kept.InputShape.AsSpan().SequenceEqual(inputShape)) return kept;
        var outputShape = OutputShape(inputShape);
        var g = UpsampleGeometry.Of(inputShape, outputShape);
        var (d, h, w) = Tables(g);
        return _plan = new Plan(inputShape.ToArray(), outputShape, g, d, h, w);
    }

    // The source index tables of the three axes (a missing axis has size 1 and reads index 0).
    private (int[] D, int[] H, int[] W) Tables(UpsampleGeometry g)
        => (g.Spatial == 3 ? SourceIndices(0, 3, g.D, g.OD) : [0],
            g.Spatial >= 2 ? SourceIndices(g.Spatial - 2, g.Spatial, g.H, g.OH) : [0],
            SourceIndices(g.Spatial - 1, g.Spatial, g.W, g.OW));

    // s = 1 / f (scale factor given) or n / n' (size given), in float32 as PyTorch's CPU kernel computes it.
    private float Scale(int axis, int spatialDims, int inputSize, int outputSize, bool present = true)
    {
        if (!present) return 1f;
        return _scaleFactor is not null
            ? (float)(1.0 / Pick(_scaleFactor, axis, spatialDims, "scaleFactor"))
            : (float)inputSize / outputSize;
    }

    // PyTorch's nearest_idx: a plain copy when the sizes are equal and a halving when the output is twice the input
    // (whatever the scale factor says), else min(floor(i · s), n − 1).
    private static int SourceIndex(int outputIndex, float scale, int inputSize, int outputSize)
    {
        if (outputSize == inputSize) return outputIndex;
        if (outputSize == 2 * inputSize) return outputIndex >> 1;
        return Math.Min((int)MathF.Floor(outputIndex * scale), inputSize - 1);
    }

    private TValue Pick<TValue>(TValue[] values, int axis, int spatialDims, string what)
    {
        if (values.Length == 1) return values[0];
        if (values.Length != spatialDims)
            throw new ArgumentException(
                $"{Name}: {what}: expected one value or one per spatial dimension ({spatialDims} for this input), got {values.Length}.");
        return values[axis];
    }

    // Number of spatial dimensions: rank − 2, which must be 1, 2 or 3.
    private int CheckRank(ReadOnlySpan<int> shape)
    {
        if (shape.Length is < 3 or > 5)
            throw new ArgumentException(
                $"{Name}: input rank: expected 3 (N, C, L), 4 (N, C, H, W) or 5 (N, C, D, H, W), got {shape.Length} (input shape {Tensor<float>.ShapeText(shape)}). An unbatched (C, H, W) image needs Reshape(1, C, H, W) first.");
        return shape.Length - 2;
    }
}

/// <summary>
/// An upsampling's input and output as planes of (D, H, W), the missing leading spatial axes of size 1: what the
/// fast path and <see cref="UpsampleReference"/> both loop over.
/// </summary>
internal readonly record struct UpsampleGeometry(int Spatial, int Planes, int D, int H, int W, int OD, int OH, int OW)
{
    /// <summary>The geometry of an input shape and its output shape.</summary>
    public static UpsampleGeometry Of(ReadOnlySpan<int> input, ReadOnlySpan<int> output)
    {
        int spatial = input.Length - 2;
        int At(ReadOnlySpan<int> s, int fromEnd) => fromEnd <= spatial ? s[^fromEnd] : 1;
        return new UpsampleGeometry(spatial, input[0] * input[1], At(input, 3), At(input, 2), At(input, 1), At(output, 3), At(output, 2), At(output, 1));
    }
}

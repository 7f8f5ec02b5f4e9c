using System.Numerics;
using CourseNotebooks.Engine.Reference;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Fully connected layer, y = x Wᵀ + b. Introduced in notebook 05-cnn-as-sparse-mlp (a convolution is a
/// Linear layer with a sparse, shared weight matrix). PyTorch: torch.nn.Linear.
/// </summary>
/// <remarks>
/// Input (*, In) with any number of leading dimensions (N, or N, L, ...); output (*, Out). Weight (Out, In) and
/// bias (Out), as PyTorch stores them. Default initialisation as PyTorch: weight and bias uniform in
/// [-1/sqrt(In), 1/sqrt(In)] (kaiming_uniform with a = sqrt(5) gives exactly that bound for the weight).
/// Backward, with the leading dimensions flattened into M rows: dW += dYᵀ X, db += column sums of dY,
/// dX = dY W.
/// </remarks>
public sealed class Linear<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>What Backward needs from the last Forward: its input.</summary>
    private readonly record struct Cache(Tensor<T> Input);

    private Cache? _cache;

    private readonly StepBuffers<T> _buffers = new();

    /// <summary>A layer mapping <paramref name="inFeatures"/> to <paramref name="outFeatures"/>.</summary>
    /// <param name="inFeatures">In: size of the last input dimension.</param>
    /// <param name="outFeatures">Out: size of the last output dimension.</param>
    /// <param name="bias">Whether to add a learnable bias.</param>
    /// <param name="seed">Seed for the initial weights; null draws from the global generator (<see cref="Init.ManualSeed"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is negative.</exception>
    public Linear(int inFeatures, int outFeatures, bool bias = true, int? seed = null)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        ShapeCheck.NonNegative(Name, "inFeatures", inFeatures);
        ShapeCheck.NonNegative(Name, "outFeatures", outFeatures);
        var random = Init.RandomFor(seed);
        double bound = inFeatures > 0 ? 1.0 / Math.Sqrt(inFeatures) : 0.0;
        Weight = new Parameter<T>("weight", Tensor.Uniform<T>(random, -bound, bound, outFeatures, inFeatures));
        Bias = bias ? new Parameter<T>("bias", Tensor.Uniform<T>(random, -bound, bound, outFeatures)) : null;
    }

    /// <summary>In.</summary>
    public int InFeatures { get; }

    /// <summary>Out.</summary>
    public int OutFeatures { get; }

    /// <summary>W, shape (Out, In).</summary>
    public Parameter<T> Weight { get; }

    /// <summary>b, shape (Out), or null without bias.</summary>
    public Parameter<T>? Bias { get; }

    /// <inheritdoc />
    protected override string Describe() => $"Linear({InFeatures}, {OutFeatures})";

    /// <inheritdoc />
    protected override IEnumerable<Parameter<T>> OwnParameters() => Bias is null ? [Weight] : [Weight, Bias];

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var shape = inputShape.ToArray();
        OutputShape(inputShape, shape);
        return shape;
    }

    /// <inheritdoc />
    public override long MultiplyAdds(ReadOnlySpan<int> inputShape)
    {
        OutputShape(inputShape);
        return (long)Rows(inputShape) * InFeatures * OutFeatures;
    }

    /// <summary>M: the product of the leading dimensions (the batch of rows the matrix product sees).</summary>
    /// <summary>Checks the input shape and writes the output shape (the input's, last dimension Out) into <paramref name="shape"/>.</summary>
    private void OutputShape(ReadOnlySpan<int> inputShape, Span<int> shape)
    {
        if (inputShape.Length < 1)
            throw new ArgumentException($"{Name}: input rank: expected at least 1 (*, In), got 0 (input shape []).");
        ShapeCheck.Dim(Name, "input features (last dimension)", InFeatures, inputShape[^1], inputShape);
        inputShape.CopyTo(shape);
        shape[^1] = OutFeatures;
    }

    private static int Rows(ReadOnlySpan<int> shape)
    {
        int rows = 1;
        for (int d = 0; d < shape.Length - 1; d++) rows *= shape[d];
        return rows;
    }

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // The output shape on the stack: a warmed-up fast call allocates nothing.
        Span<int> shape = stackalloc int[Math.Max(1, input.Rank)];
        OutputShape(input.Shape, shape);
        var y = Implementation == Implementation.Fast ? _buffers.Output(shape, ReuseBuffers) : new Tensor<T>(shape.ToArray());
        int m = Rows(input.Shape), n = OutFeatures, k = InFeatures;
        if (Implementation == Implementation.Naive) LinearReference.Forward(m, n, k, input.Data, Weight.Value.Data, Bias?.Value.Data, y.Data);
        else ForwardFast(m, n, k, input.Data, Weight.Value.Data, Bias?.Value.Data, y.Data);
        _cache = new Cache(input);
        return y;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient) => BackwardCore(outputGradient, inputGradient: true)!;

    /// <inheritdoc />
    public override void BackwardToParameters(Tensor<T> outputGradient) => BackwardCore(outputGradient, inputGradient: false);

    // Weight and bias gradients always; dL/d(input) only when asked (the returned tensor is null otherwise).
    private Tensor<T>? BackwardCore(Tensor<T> outputGradient, bool inputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var input = (_cache ?? throw ShapeCheck.BackwardBeforeForward(Name)).Input;
        Span<int> expected = stackalloc int[input.Rank];
        OutputShape(input.Shape, expected);
        ShapeCheck.SameShape(Name, "output gradient", expected, outputGradient.Shape);
        int m = Rows(input.Shape), n = OutFeatures, k = InFeatures;
        bool naive = Implementation == Implementation.Naive;
        if (naive) LinearReference.BackwardWeights(m, n, k, input.Data, outputGradient.Data, Weight.Grad.Data, Bias?.Grad.Data);
        else BackwardWeightsFast(m, n, k, input.Data, outputGradient.Data, Weight.Grad.Data, Bias?.Grad.Data);
        if (!inputGradient)
        {
            if (!naive) _buffers.BackwardWithoutInputGradient();
            return null;
        }
        var dX = naive ? input.ZerosLike() : _buffers.InputGradient(input.Shape, ReuseBuffers);
        if (naive) LinearReference.BackwardData(m, n, k, outputGradient.Data, Weight.Value.Data, dX.Data);
        else BackwardDataFast(m, n, k, outputGradient.Data, Weight.Value.Data, dX.Data);
        return dX;
    }

    // ---------- the fast path: GEMM calls, the same parameters as LinearReference's ----------

    /// <summary>Y (M x Out) = X (M x In) Wᵀ, then + b per row.</summary>
    private static void ForwardFast(int m, int n, int k, T[] x, T[] weight, T[]? bias, T[] y)
    {
        Gemm.Multiply(false, true, m, n, k, T.One, x, Math.Max(1, k), weight, Math.Max(1, k), T.Zero, y, Math.Max(1, n));
        if (bias is null) return;
        for (int r = 0; r < m; r++)
        {
            var row = new Span<T>(y, r * n, n);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>dW (Out x In) += dYᵀ (Out x M) · X (M x In), beta = 1 accumulating as PyTorch's .grad does; db += dY's rows.</summary>
    private static void BackwardWeightsFast(int m, int n, int k, T[] x, T[] dY, T[] dW, T[]? dB)
    {
        Gemm.Multiply(true, false, n, k, m, T.One, dY, Math.Max(1, n), x, Math.Max(1, k), T.One, dW, Math.Max(1, k));
        if (dB is null) return;
        for (int r = 0; r < m; r++)
            TensorPrimitives.Add(dB, new ReadOnlySpan<T>(dY, r * n, n), dB);
    }

    /// <summary>dX (M x In) = dY (M x Out) · W (Out x In). Overwrites dX.</summary>
    private static void BackwardDataFast(int m, int n, int k, T[] dY, T[] weight, T[] dX)
        => Gemm.Multiply(false, false, m, k, n, T.One, dY, Math.Max(1, n), weight, Math.Max(1, k), T.Zero, dX, Math.Max(1, k));
}

using System.Numerics;
using System.Runtime.CompilerServices;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// 2-D max pooling: each output is the largest input in its KH x KW window, so the layer keeps whether a
/// feature is present and forgets exactly where. Introduced in notebook 02-pooling; its backward in
/// 04-backprop-pooling. PyTorch: torch.nn.MaxPool2d.
/// </summary>
/// <remarks>
/// Input (N, C, H, W) or (C, H, W); output (N, C, OH, OW) with
/// OH = floor((H + 2*padding - dilation*(KH - 1) - 1 + (ceilMode ? stride - 1 : 0)) / stride) + 1 (OW alike),
/// and in ceil mode a last window that would start inside the right padding is dropped.
/// Padding counts as -infinity (it never wins). Ties: the first maximum in row-major window order wins, as in
/// PyTorch's CPU kernel. A NaN in a window wins (the output is NaN), as in PyTorch. A dilated window whose
/// taps all fall in the padding (possible only for tiny inputs) gives -infinity, index -1 and no gradient.
/// Backward sends each output gradient to its argmax and adds where overlapping windows chose the same input.
/// </remarks>
public sealed class MaxPool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private sealed record Cache(int[] InputShape, IndexTensor Indices);

    private Cache? _cache;

    private readonly StepBuffers<T> _buffers = new();

    private Tensor<T>? _lastOutput;

    /// <summary>A square pool: kernel k x k, stride (default = kernelSize), padding, dilation.</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode) { }

    /// <summary>A rectangular pool: (KH, KW), stride (SH, SW) (default = kernel), padding (PH, PW), dilation (DH, DW).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or padding exceeds half the kernel.</exception>
    public MaxPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default,
        (int H, int W)? dilation = null, bool ceilMode = false)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        Dilation = dilation ?? (1, 1);
        CeilMode = ceilMode;
        PoolGeometry.CheckArguments(Name, KernelSize, Stride, Padding, Dilation);
    }

    /// <summary>(KH, KW).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Step between windows (SH, SW).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Implicit -infinity border (PH, PW).</summary>
    public (int H, int W) Padding { get; }

    /// <summary>Spacing between the window's taps (DH, DW); 1 is a dense window.</summary>
    public (int H, int W) Dilation { get; }

    /// <summary>Round the output size up instead of down (PyTorch's ceil_mode).</summary>
    public bool CeilMode { get; }

    /// <summary>
    /// The argmax of every output of the last Forward: shape of the output, each value the flat offset
    /// h * W + w within its input plane. PyTorch keeps them only with return_indices=True; here they are always
    /// kept because Backward needs them. Null before the first Forward.
    /// </summary>
    public IndexTensor? LastIndices => _cache?.Indices;

    /// <summary>The input shape of the last Forward (MaxUnpool2d uses its H, W as the default output size).</summary>
    public int[]? LastInputShape => _cache?.InputShape;

    /// <inheritdoc />
    protected override string Describe() => $"MaxPool2d(kernel {KernelSize.H}x{KernelSize.W}, stride {Stride.H}x{Stride.W})";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var (oh, ow) = PoolGeometry.Check(Name, inputShape, KernelSize, Stride, Padding, Dilation, CeilMode);
        return PoolGeometry.WithPlane(inputShape, oh, ow);
    }

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (oh, ow) = PoolGeometry.Check(Name, input.Shape, KernelSize, Stride, Padding, Dilation, CeilMode);
        // The output shape on the stack: a warmed-up training step allocates nothing here.
        Span<int> outShape = stackalloc int[input.Rank];
        input.Shape.CopyTo(outShape);
        (outShape[^2], outShape[^1]) = (oh, ow);
        bool fast = Implementation == Implementation.Fast;
        var output = fast ? _buffers.Output(outShape, ReuseBuffers) : new Tensor<T>(outShape.ToArray());
        // The indices go with the output: reused exactly when the output tensor is.
        bool reused = fast && ReferenceEquals(output, _lastOutput) && _cache is not null;
        var indices = reused ? _cache!.Indices : new IndexTensor(new int[output.Length], outShape.ToArray());
        _lastOutput = fast ? output : null;
        int planes = PoolGeometry.Planes(input.Shape);
        int h = input.Shape[^2], w = input.Shape[^1];
        if (Implementation == Implementation.Naive)
            ForwardNaive(input, output, indices.Data, planes);
        // Ceil mode can add a last window hanging over the edge: the plain kernel needs all four taps inside.
        else if (IsPlain2x2 && 2 * oh <= h && 2 * ow <= w)
            Forward2x2(input.Data, output.Data, indices.Data, planes, h, w, oh, ow);
        else
            ForwardFast(input, output, indices.Data, planes);
        if (!reused || !_cache!.InputShape.AsSpan().SequenceEqual(input.Shape))
            _cache = new Cache(input.Shape.ToArray(), indices);
        return output;
    }

    /// <summary>Reference: for each output, scan its window and test every tap against the input bounds.</summary>
    private void ForwardNaive(Tensor<T> input, Tensor<T> output, int[] indices, int planes)
    {
        int h = input.Shape[^2], w = input.Shape[^1], oh = output.Shape[^2], ow = output.Shape[^1];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    T max = T.NegativeInfinity;
                    int argmax = -1;
                    for (int ki = 0; ki < KernelSize.H; ki++)
                        for (int kj = 0; kj < KernelSize.W; kj++)
                        {
                            int y = i * Stride.H - Padding.H + ki * Dilation.H;
                            int x = j * Stride.W - Padding.W + kj * Dilation.W;
                            if (y < 0 || y >= h || x < 0 || x >= w) continue;
                            T v = input.Data[p * h * w + y * w + x];
                            // Strict '>' keeps the first of equal maxima; a NaN always takes over (PyTorch's rule).
                            if (argmax < 0 || v > max || T.IsNaN(v)) { max = v; argmax = y * w + x; }
                        }
                    output.Data[(p * oh + i) * ow + j] = max;
                    indices[(p * oh + i) * ow + j] = argmax;
                }
    }

    /// <summary>
    /// Fast path: the in-bounds tap range of every window row and column is computed once per output row and
    /// column (no bounds test in the inner loop), and planes run in parallel.
    /// </summary>
    private void ForwardFast(Tensor<T> input, Tensor<T> output, int[] indices, int planes)
    {
        int h = input.Shape[^2], w = input.Shape[^1], oh = output.Shape[^2], ow = output.Shape[^1];
        // The range tables depend only on the sizes: kept while they repeat, so a training step allocates nothing.
        if (_rows is null || _rows.Length != oh || _rowsFor != h) (_rows, _rowsFor) = (TapRanges(oh, h, KernelSize.H, Stride.H, Padding.H, Dilation.H), h);
        if (_cols is null || _cols.Length != ow || _colsFor != w) (_cols, _colsFor) = (TapRanges(ow, w, KernelSize.W, Stride.W, Padding.W, Dilation.W), w);
        var job = new ForwardPlanes(input.Data, output.Data, indices, _rows, _cols, h, w, oh, ow, Dilation.H, Dilation.W);
        PlaneLoop.Run(planes, (long)planes * oh * ow * KernelSize.H * KernelSize.W, PlaneLoop.ScalarTaps, job);
    }

    private (int First, int End)[]? _rows, _cols;
    private int _rowsFor, _colsFor;

    /// <summary>One plane of the general forward (a struct: no allocation when run on the calling thread).</summary>
    private readonly struct ForwardPlanes(T[] src, T[] dst, int[] indices, (int First, int End)[] rows, (int First, int End)[] cols,
        int h, int w, int oh, int ow, int dh, int dw) : IPlaneJob
    {
        public void Run(int p)
        {
            int inBase = p * h * w, outBase = p * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                var (y0, y1) = rows[i];
                for (int j = 0; j < ow; j++)
                {
                    var (x0, x1) = cols[j];
                    T max = T.NegativeInfinity;
                    int argmax = -1;
                    for (int y = y0; y < y1; y += dh)
                        for (int c = x0, at = y * w + x0; c < x1; c += dw, at += dw)
                        {
                            T v = src[inBase + at];
                            if (argmax < 0 || v > max || T.IsNaN(v)) { max = v; argmax = at; }
                        }
                    dst[outBase + i * ow + j] = max;
                    indices[outBase + i * ow + j] = argmax;
                }
            }
        }
    }

    /// <summary>The common case 2x2, stride 2, no padding, dilation 1: every window lies inside the input and windows do not overlap.</summary>
    private bool IsPlain2x2 => KernelSize == (2, 2) && Stride == (2, 2) && Padding == (0, 0) && Dilation == (1, 1);

    /// <summary>
    /// The 2x2 / stride 2 forward without range tables or inner loops: the four taps in row-major order, the same rule
    /// as the general path (first maximum wins, a NaN takes over), planes in parallel. Branch-free: on real feature maps
    /// each comparison is close to a coin toss, and a mispredicted branch per tap made this loop 3x slower.
    /// </summary>
    private static void Forward2x2(T[] src, T[] dst, int[] indices, int planes, int h, int w, int oh, int ow)
    {
        // float rows of 4+ windows: the vector kernel at the widest width that fits the row (same picks, same bits).
        var kernel = Pool2x2Vector.For<T>(ow);
        var job = new Forward2x2Planes(src, dst, indices, h, w, oh, ow, kernel);
        PlaneLoop.Run(planes, (long)planes * oh * ow * 4, kernel != Pool2x2Kernel.Scalar ? PlaneLoop.VectorTaps : PlaneLoop.ScalarTaps, job);
    }

    /// <summary>One plane of the 2x2 / stride 2 forward (a struct: no allocation when run on the calling thread).</summary>
    private readonly struct Forward2x2Planes(T[] src, T[] dst, int[] indices, int h, int w, int oh, int ow, Pool2x2Kernel kernel) : IPlaneJob
    {
        public void Run(int p)
        {
            int inBase = p * h * w, outBase = p * oh * ow;
            if (kernel != Pool2x2Kernel.Scalar)
            {
                Pool2x2Vector.MaxForward(kernel, (float[])(object)src, inBase, w, (float[])(object)dst, indices, outBase, oh, ow);
                return;
            }
            for (int i = 0; i < oh; i++)
            {
                int top = inBase + 2 * i * w, o = outBase + i * ow;
                for (int j = 0; j < ow; j++)
                {
                    int at = top + 2 * j;
                    int best = Pick(src, at, at + 1);
                    best = Pick(src, best, at + w);
                    best = Pick(src, best, at + w + 1);
                    dst[o + j] = src[best];
                    indices[o + j] = best - inBase;
                }
            }
        }
    }

    /// <summary>The candidate's offset if src[candidate] &gt; src[best] or is NaN, else best; selected with a mask, not a branch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Pick(T[] src, int best, int candidate)
    {
        T v = src[candidate];
        bool take = v > src[best] | T.IsNaN(v);
        int mask = -Unsafe.As<bool, byte>(ref take);
        return best ^ ((best ^ candidate) & mask);
    }

    /// <summary>
    /// For each output position along one axis, the first in-bounds tap and an exclusive end, both on the
    /// dilation grid: taps are start + k*d for k with 0 &lt;= start + k*d &lt; size.
    /// </summary>
    private static (int First, int End)[] TapRanges(int outputs, int size, int kernel, int stride, int padding, int dilation)
    {
        var ranges = new (int, int)[outputs];
        for (int o = 0; o < outputs; o++)
        {
            int start = o * stride - padding;
            int first = start;
            while (first < 0) first += dilation;
            int end = Math.Min(start + (kernel - 1) * dilation + 1, size);
            ranges[o] = (first, end);
        }
        return ranges;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var cache = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", cache.Indices.Shape, outputGradient.Shape);
        bool fast = Implementation == Implementation.Fast;
        var dX = fast ? _buffers.InputGradient(cache.InputShape, ReuseBuffers) : new Tensor<T>(cache.InputShape);
        int plane = cache.InputShape[^2] * cache.InputShape[^1];
        int outPlane = outputGradient.Shape[^2] * outputGradient.Shape[^1];
        int planes = PoolGeometry.Planes(cache.InputShape);
        int[] idx = cache.Indices.Data;
        T[] dOut = outputGradient.Data, dIn = dX.Data;
        int h = cache.InputShape[^2], w = cache.InputShape[^1], oh = outputGradient.Shape[^2], ow = outputGradient.Shape[^1];
        // The plain 2x2 float case: the vector kernel writes every covered input (argmax gets the gradient, the rest 0),
        // so only planes with an uncovered last row or column need clearing first.
        var kernel = fast && IsPlain2x2 && 2 * oh <= h && 2 * ow <= w ? Pool2x2Vector.For<T>(ow) : Pool2x2Kernel.Scalar;
        bool vector = kernel != Pool2x2Kernel.Scalar;
        var job = new BackwardPlanes(dOut, idx, dIn, plane, outPlane, h, w, oh, ow, kernel);
        // The naive path stays on one thread (its work counted as 0).
        PlaneLoop.Run(planes, fast ? (long)planes * outPlane * (vector ? 4 : 1) : 0, vector ? PlaneLoop.VectorTaps : PlaneLoop.ScalarTaps, job);
        return dX;
    }

    /// <summary>One plane of Backward (a struct: no allocation when run on the calling thread).</summary>
    private readonly struct BackwardPlanes(T[] dOut, int[] idx, T[] dIn, int plane, int outPlane, int h, int w, int oh, int ow, Pool2x2Kernel kernel) : IPlaneJob
    {
        public void Run(int p)
        {
            if (kernel != Pool2x2Kernel.Scalar)
            {
                // The vector kernel writes every covered input (argmax gets the gradient, the rest 0), so only
                // planes with an uncovered last row or column need clearing first.
                if (2 * oh < h || 2 * ow < w) Array.Clear(dIn, p * plane, plane);
                Pool2x2Vector.MaxBackward(kernel, (float[])(object)dOut, idx, p * outPlane, oh, ow, (float[])(object)dIn, p * plane, w);
                return;
            }
            // Each plane is cleared by its own worker (a reused gradient tensor holds the last step's values), then
            // gets '+=' because overlapping windows (stride < kernel) can pick the same input more than once.
            ArgmaxScatter.Plane(dOut, idx, dIn, p, plane, outPlane);
        }
    }
}

using System.Numerics;
using CourseNotebooks.Engine.Kernels;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// 2-D average pooling: each output is the mean of its KH x KW window. Introduced in notebook 02-pooling.
/// PyTorch: torch.nn.AvgPool2d.
/// </summary>
/// <remarks>
/// Input (N, C, H, W) or (C, H, W); output (N, C, OH, OW) with
/// OH = floor((H + 2*padding - KH + (ceilMode ? stride - 1 : 0)) / stride) + 1 (OW alike), and in ceil mode a
/// last window that would start inside the right padding is dropped.
/// The divisor, as in PyTorch: <see cref="DivisorOverride"/> when set; otherwise with
/// <see cref="CountIncludePad"/> the window's size after clipping it to the PADDED input (so a ceil-mode window
/// that runs past the padding counts only the part inside input + padding); without it, the number of real
/// input elements in the window. Padding contributes zeros to the sum.
/// Backward spreads each output gradient evenly (divided by the same divisor) over the window's inputs.
/// </remarks>
public sealed class AvgPool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private sealed record Cache(int[] InputShape, int OH, int OW);

    /// <summary>One window along one axis: real inputs [First, End) and its extent inside the padded input.</summary>
    private readonly record struct Span1(int First, int End, int PaddedExtent);

    private Cache? _cache;

    private readonly StepBuffers<T> _buffers = new();

    /// <summary>A square pool: kernel k x k, stride (default = kernelSize), zero padding.</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), ceilMode, countIncludePad, divisorOverride) { }

    /// <summary>A rectangular pool: (KH, KW), stride (SH, SW) (default = kernel), padding (PH, PW).</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A size is not positive, padding exceeds half the kernel, or <paramref name="divisorOverride"/> is 0.
    /// </exception>
    public AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default,
        bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
        DivisorOverride = divisorOverride;
        PoolGeometry.CheckArguments(Name, KernelSize, Stride, Padding, (1, 1));
        if (divisorOverride == 0)
            throw new ArgumentOutOfRangeException(nameof(divisorOverride), 0, $"{Name}: divisorOverride must not be zero, got 0.");
    }

    /// <summary>(KH, KW).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Step between windows (SH, SW).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Implicit zero border (PH, PW).</summary>
    public (int H, int W) Padding { get; }

    /// <summary>Round the output size up instead of down (PyTorch's ceil_mode).</summary>
    public bool CeilMode { get; }

    /// <summary>Whether padded zeros count in the divisor (PyTorch's count_include_pad, default true).</summary>
    public bool CountIncludePad { get; }

    /// <summary>A fixed divisor for every window instead of the window size (PyTorch's divisor_override).</summary>
    public int? DivisorOverride { get; }

    /// <inheritdoc />
    protected override string Describe() => $"AvgPool2d(kernel {KernelSize.H}x{KernelSize.W}, stride {Stride.H}x{Stride.W})";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var (oh, ow) = PoolGeometry.Check(Name, inputShape, KernelSize, Stride, Padding, (1, 1), CeilMode);
        return PoolGeometry.WithPlane(inputShape, oh, ow);
    }

    /// <inheritdoc />
    public override long MultiplyAdds(ReadOnlySpan<int> inputShape)
    {
        var shape = OutputShape(inputShape);
        return (long)PoolGeometry.Planes(shape) * shape[^2] * shape[^1] * KernelSize.H * KernelSize.W;
    }

    /// <summary>The windows along one axis, clipped as PyTorch's avg_pool2d kernel clips them.</summary>
    private static Span1[] Windows(int outputs, int size, int kernel, int stride, int padding)
    {
        var windows = new Span1[outputs];
        for (int o = 0; o < outputs; o++)
        {
            int start = o * stride - padding;
            int end = Math.Min(start + kernel, size + padding);
            windows[o] = new Span1(Math.Max(start, 0), Math.Min(end, size), end - start);
        }
        return windows;
    }

    private static T Divisor(Span1 row, Span1 col, int? divisorOverride, bool countIncludePad)
    {
        if (divisorOverride is int d) return T.CreateTruncating(d);
        int count = countIncludePad
            ? row.PaddedExtent * col.PaddedExtent
            : (row.End - row.First) * (col.End - col.First);
        return T.CreateTruncating(count);
    }

    // The window tables depend only on the sizes: kept while they repeat, so a training step allocates nothing.
    private Span1[]? _rows, _cols;
    private int _rowsFor, _colsFor;

    private (Span1[] Rows, Span1[] Cols) WindowTables(int h, int w, int oh, int ow)
    {
        if (_rows is null || _rows.Length != oh || _rowsFor != h) (_rows, _rowsFor) = (Windows(oh, h, KernelSize.H, Stride.H, Padding.H), h);
        if (_cols is null || _cols.Length != ow || _colsFor != w) (_cols, _colsFor) = (Windows(ow, w, KernelSize.W, Stride.W, Padding.W), w);
        return (_rows, _cols);
    }

    /// <summary>Which loop a job runs: the vector 2x2 kernel (float, at the width in the job's kernel), the scalar 2x2 loop, or the general windows.</summary>
    private enum Path { Vector2x2, Plain2x2, General }

    /// <summary>The path for an input h x w pooled to oh x ow, and the vector kernel when the path is <see cref="Path.Vector2x2"/>.</summary>
    private (Path Path, Pool2x2Kernel Kernel) Choose(bool naive, int h, int w, int oh, int ow)
    {
        if (naive || !IsPlain2x2(h, w, oh, ow)) return (Path.General, Pool2x2Kernel.Scalar);
        // float rows of 4+ windows: the vector kernel at the widest width that fits the row, same order of additions.
        var kernel = Pool2x2Vector.For<T>(ow);
        return (kernel == Pool2x2Kernel.Scalar ? Path.Plain2x2 : Path.Vector2x2, kernel);
    }

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (oh, ow) = PoolGeometry.Check(Name, input.Shape, KernelSize, Stride, Padding, (1, 1), CeilMode);
        // The output shape on the stack: a warmed-up training step allocates nothing here.
        Span<int> outShape = stackalloc int[input.Rank];
        input.Shape.CopyTo(outShape);
        (outShape[^2], outShape[^1]) = (oh, ow);
        bool naive = Implementation == Implementation.Naive;
        var output = naive ? new Tensor<T>(outShape.ToArray()) : _buffers.Output(outShape, ReuseBuffers);
        int h = input.Shape[^2], w = input.Shape[^1];
        int planes = PoolGeometry.Planes(input.Shape);
        var (path, kernel) = Choose(naive, h, w, oh, ow);
        var (rows, cols) = path == Path.General ? WindowTables(h, w, oh, ow) : (null!, null!);
        var job = new ForwardPlanes(path, kernel, naive, input.Data, output.Data, rows, cols, h, w, oh, ow, DivisorOverride, CountIncludePad);
        Run(planes, (long)output.Length * (path == Path.General ? KernelSize.H * KernelSize.W : 4), path, job);
        if (_cache is null || _cache.OH != oh || _cache.OW != ow || !_cache.InputShape.AsSpan().SequenceEqual(input.Shape))
            _cache = new Cache(input.Shape.ToArray(), oh, ow);
        return output;
    }

    /// <summary>One plane of Forward (a struct: no allocation when run on the calling thread).</summary>
    private readonly struct ForwardPlanes(Path path, Pool2x2Kernel kernel, bool naive, T[] x, T[] y, Span1[] rows, Span1[] cols, int h, int w, int oh, int ow,
        int? divisorOverride, bool countIncludePad) : IPlaneJob
    {
        public void Run(int p)
        {
            if (path == Path.Vector2x2)
            {
                Pool2x2Vector.AvgForward(kernel, (float[])(object)x, p * h * w, w, (float[])(object)y, p * oh * ow, oh, ow, divisorOverride ?? 4);
                return;
            }
            if (path == Path.Plain2x2)
            {
                T divisor = T.CreateTruncating(divisorOverride ?? 4);
                // The naive path's order of additions, so both give the same bits.
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int at = (p * h + 2 * i) * w + 2 * j;
                        y[(p * oh + i) * ow + j] = (x[at] + x[at + 1] + x[at + w] + x[at + w + 1]) / divisor;
                    }
                return;
            }
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    var (r, c) = (rows[i], cols[j]);
                    // A window inside padding only has no inputs: PyTorch writes 0 there.
                    if (r.First >= r.End || c.First >= c.End) { y[(p * oh + i) * ow + j] = T.Zero; continue; }
                    T sum = T.Zero;
                    if (naive)
                    {
                        for (int a = r.First; a < r.End; a++)
                            for (int b = c.First; b < c.End; b++) sum += x[(p * h + a) * w + b];
                    }
                    else
                    {
                        for (int a = r.First; a < r.End; a++)
                            sum += TensorPrimitives.Sum(new ReadOnlySpan<T>(x, (p * h + a) * w + c.First, c.End - c.First));
                    }
                    y[(p * oh + i) * ow + j] = sum / Divisor(r, c, divisorOverride, countIncludePad);
                }
        }
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var cache = _cache ?? throw ShapeCheck.BackwardBeforeForward(Name);
        int h = cache.InputShape[^2], w = cache.InputShape[^1], oh = cache.OH, ow = cache.OW;
        Span<int> expected = stackalloc int[cache.InputShape.Length];
        cache.InputShape.CopyTo(expected);
        (expected[^2], expected[^1]) = (oh, ow);
        ShapeCheck.SameShape(Name, "output gradient", expected, outputGradient.Shape);
        bool naive = Implementation == Implementation.Naive;
        var dX = naive ? new Tensor<T>(cache.InputShape) : _buffers.InputGradient(cache.InputShape, ReuseBuffers);
        var (path, kernel) = Choose(naive, h, w, oh, ow);
        var (rows, cols) = path == Path.General ? WindowTables(h, w, oh, ow) : (null!, null!);
        var job = new BackwardPlanes(path, kernel, naive, outputGradient.Data, dX.Data, rows, cols, h, w, oh, ow, DivisorOverride, CountIncludePad);
        Run(PoolGeometry.Planes(cache.InputShape), (long)outputGradient.Length * (path == Path.General ? KernelSize.H * KernelSize.W : 4), path, job);
        return dX;
    }

    /// <summary>One plane of Backward (a struct: no allocation when run on the calling thread).</summary>
    private readonly struct BackwardPlanes(Path path, Pool2x2Kernel kernel, bool naive, T[] dOut, T[] dIn, Span1[] rows, Span1[] cols, int h, int w, int oh, int ow,
        int? divisorOverride, bool countIncludePad) : IPlaneJob
    {
        public void Run(int p)
        {
            if (path == Path.Vector2x2)
            {
                // Every covered input gets its window's share (written, not added): only planes with rows or columns
                // no window covers (odd sizes) need clearing.
                if (2 * oh < h || 2 * ow < w) Array.Clear(dIn, p * h * w, h * w);
                Pool2x2Vector.AvgBackward(kernel, (float[])(object)dOut, p * oh * ow, oh, ow, (float[])(object)dIn, p * h * w, w, divisorOverride ?? 4);
                return;
            }
            if (path == Path.Plain2x2)
            {
                T divisor = T.CreateTruncating(divisorOverride ?? 4);
                // Rows and columns no window covers (odd sizes) stay 0; every covered input gets its window's share.
                Array.Clear(dIn, p * h * w, h * w);
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        T share = dOut[(p * oh + i) * ow + j] / divisor;
                        int at = (p * h + 2 * i) * w + 2 * j;
                        dIn[at] = share;
                        dIn[at + 1] = share;
                        dIn[at + w] = share;
                        dIn[at + w + 1] = share;
                    }
                return;
            }
            // A reused gradient tensor holds the last step's values; each plane is cleared by its own worker.
            if (!naive) Array.Clear(dIn, p * h * w, h * w);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    var (r, c) = (rows[i], cols[j]);
                    if (r.First >= r.End || c.First >= c.End) continue;
                    T share = dOut[(p * oh + i) * ow + j] / Divisor(r, c, divisorOverride, countIncludePad);
                    for (int a = r.First; a < r.End; a++)
                    {
                        if (naive)
                            for (int b = c.First; b < c.End; b++) dIn[(p * h + a) * w + b] += share;
                        else
                        {
                            var row = new Span<T>(dIn, (p * h + a) * w + c.First, c.End - c.First);
                            TensorPrimitives.Add(row, share, row);
                        }
                    }
                }
        }
    }

    /// <summary>
    /// 2x2 windows, stride 2, no padding, every window inside the input (ceil mode may add one hanging over the edge):
    /// no range tables, and the divisor is 4 (or the override) whatever count_include_pad says.
    /// </summary>
    private bool IsPlain2x2(int h, int w, int oh, int ow) =>
        KernelSize == (2, 2) && Stride == (2, 2) && Padding == (0, 0) && 2 * oh <= h && 2 * ow <= w;

    /// <summary>Runs <paramref name="job"/> for every plane (<see cref="PlaneLoop"/>); the naive path on one thread.</summary>
    private void Run<TJob>(int planes, long taps, Path path, TJob job) where TJob : struct, IPlaneJob =>
        PlaneLoop.Run(planes, Implementation == Implementation.Fast ? taps : 0, path == Path.Vector2x2 ? PlaneLoop.VectorTaps : PlaneLoop.ScalarTaps, job);
}

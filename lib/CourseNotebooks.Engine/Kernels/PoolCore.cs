using System.Numerics;
using System.Runtime.CompilerServices;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// The fast pooling of one layer: max pooling (MaxPool2d, and MaxPool1d as 1 x K windows on 1 x L planes) and average
/// pooling (AvgPool2d), forward and backward, with the same signatures as their naive references in
/// <see cref="Reference.MaxPool2dReference"/> and <see cref="Reference.AvgPool2dReference"/>, which the tests hold
/// them to. Planes (N * C of them, or C unbatched) are independent and run in parallel (<see cref="PlaneLoop"/>).
/// </summary>
/// <remarks>
/// Two paths. The plain 2x2 / stride 2 window (every pooling layer of the lecture's networks) has no range tables and
/// no inner loop: float rows of 4+ windows run the vector kernels (<see cref="Pool2x2Vector"/>, the same picks and
/// the same order of additions as the reference, so the same bits), other rows a branch-free scalar loop. Every
/// other window takes the general path: the in-bounds taps of each output row and column are computed once per
/// input size (kept in this object while the sizes repeat, so a training step allocates nothing), so the inner loop
/// has no bounds test. The plain window must fit inside the input: ceil mode can add a last window hanging over
/// the edge, which only the general path handles.
/// </remarks>
internal sealed class PoolCore<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>One window along one axis: the real inputs [First, End) (for max pooling on the dilation grid), and
    /// (average pooling) the window's extent inside the padded input.</summary>
    private readonly record struct AxisWindow(int First, int End, int PaddedExtent);

    // The window tables of the general path and the sizes they were built for.
    private AxisWindow[] _rows = [], _cols = [];
    private (bool Max, PoolWindow Window, int H, int W, int OH, int OW) _tablesFor;

    // ---------- max pooling ----------

    /// <summary>y = the largest input of each window, argmax its offset (row * W + column) within the plane.</summary>
    public void MaxForward(in PoolWindow p, int planes, int h, int w, int oh, int ow, T[] x, T[] y, int[] argmax)
    {
        if (FitsPlain2x2(p, h, w, oh, ow))
        {
            // float rows of 4+ windows: the vector kernel at the widest width that fits the row (same picks, same bits).
            var kernel = Pool2x2Vector.For<T>(ow);
            PlaneLoop.Run(planes, (long)planes * oh * ow * 4, kernel != Pool2x2Kernel.Scalar ? ParallelPolicy.VectorPoolTaps : ParallelPolicy.ScalarPoolTaps,
                new MaxForward2x2(x, y, argmax, h, w, oh, ow, kernel));
            return;
        }
        var (rows, cols) = Tables(max: true, p, h, w, oh, ow);
        PlaneLoop.Run(planes, (long)planes * oh * ow * p.KH * p.KW, ParallelPolicy.ScalarPoolTaps,
            new MaxForwardGeneral(x, y, argmax, rows, cols, h, w, oh, ow, p.DH, p.DW));
    }

    /// <summary>dX = zeros, then dX[argmax] += dY per output (windows that share an input add). Overwrites dX.</summary>
    public void MaxBackward(in PoolWindow p, int planes, int h, int w, int oh, int ow, T[] dY, int[] argmax, T[] dX)
    {
        var kernel = FitsPlain2x2(p, h, w, oh, ow) ? Pool2x2Vector.For<T>(ow) : Pool2x2Kernel.Scalar;
        bool vector = kernel != Pool2x2Kernel.Scalar;
        PlaneLoop.Run(planes, (long)planes * oh * ow * (vector ? 4 : 1), vector ? ParallelPolicy.VectorPoolTaps : ParallelPolicy.ScalarPoolTaps,
            new MaxBackwardPlanes(dY, argmax, dX, h, w, oh, ow, kernel));
    }

    /// <summary>
    /// The backward pass of every max pooling on one plane: clears its <paramref name="inPlane"/> inputs, then
    /// dIn[argmax] += dOut for its <paramref name="outPlane"/> outputs; an argmax of -1 (a window that saw only
    /// padding) sends nothing. Also AdaptiveMaxPool1d's, whose windows have no fixed size.
    /// </summary>
    public static void ScatterToArgmax(T[] dOut, int[] argmax, T[] dIn, int p, int inPlane, int outPlane)
    {
        Array.Clear(dIn, p * inPlane, inPlane);
        for (int o = 0; o < outPlane; o++)
        {
            int at = argmax[p * outPlane + o];
            if (at >= 0) dIn[p * inPlane + at] += dOut[p * outPlane + o];
        }
    }

    /// <summary>One plane of the general max forward (a struct: no allocation when run on the calling thread).</summary>
    private readonly struct MaxForwardGeneral(T[] src, T[] dst, int[] indices, AxisWindow[] rows, AxisWindow[] cols,
        int h, int w, int oh, int ow, int dh, int dw) : IPlaneJob
    {
        public void Run(int p)
        {
            int inBase = p * h * w, outBase = p * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                var (y0, y1, _) = rows[i];
                for (int j = 0; j < ow; j++)
                {
                    var (x0, x1, _) = cols[j];
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

    /// <summary>
    /// One plane of the 2x2 / stride 2 max forward: the four taps in row-major order, the same rule as the general path
    /// (first maximum wins, a NaN takes over). Branch-free: on real feature maps each comparison is close to a coin
    /// toss, and a mispredicted branch per tap made this loop 3x slower.
    /// </summary>
    private readonly struct MaxForward2x2(T[] src, T[] dst, int[] indices, int h, int w, int oh, int ow, Pool2x2Kernel kernel) : IPlaneJob
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

    /// <summary>One plane of the max backward (a struct: no allocation when run on the calling thread).</summary>
    private readonly struct MaxBackwardPlanes(T[] dOut, int[] idx, T[] dIn, int h, int w, int oh, int ow, Pool2x2Kernel kernel) : IPlaneJob
    {
        public void Run(int p)
        {
            int plane = h * w, outPlane = oh * ow;
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
            ScatterToArgmax(dOut, idx, dIn, p, plane, outPlane);
        }
    }

    // ---------- average pooling ----------

    /// <summary>y = the sum of each window's real inputs / its divisor (PyTorch's rule, see AvgPool2d).</summary>
    public void AvgForward(in PoolWindow p, bool countIncludePad, int? divisorOverride, int planes, int h, int w, int oh, int ow, T[] x, T[] y)
    {
        if (FitsPlain2x2(p, h, w, oh, ow))
        {
            var kernel = Pool2x2Vector.For<T>(ow);
            bool vector = kernel != Pool2x2Kernel.Scalar;
            PlaneLoop.Run(planes, (long)planes * oh * ow * 4, vector ? ParallelPolicy.VectorPoolTaps : ParallelPolicy.ScalarPoolTaps,
                new AvgForward2x2(x, y, h, w, oh, ow, kernel, divisorOverride ?? 4));
            return;
        }
        var (rows, cols) = Tables(max: false, p, h, w, oh, ow);
        PlaneLoop.Run(planes, (long)planes * oh * ow * p.KH * p.KW, ParallelPolicy.ScalarPoolTaps,
            new AvgForwardGeneral(x, y, rows, cols, h, w, oh, ow, divisorOverride, countIncludePad));
    }

    /// <summary>dX[t] = sum of dY / divisor over the windows that contain t. Overwrites dX.</summary>
    public void AvgBackward(in PoolWindow p, bool countIncludePad, int? divisorOverride, int planes, int h, int w, int oh, int ow, T[] dY, T[] dX)
    {
        if (FitsPlain2x2(p, h, w, oh, ow))
        {
            var kernel = Pool2x2Vector.For<T>(ow);
            bool vector = kernel != Pool2x2Kernel.Scalar;
            PlaneLoop.Run(planes, (long)planes * oh * ow * 4, vector ? ParallelPolicy.VectorPoolTaps : ParallelPolicy.ScalarPoolTaps,
                new AvgBackward2x2(dY, dX, h, w, oh, ow, kernel, divisorOverride ?? 4));
            return;
        }
        var (rows, cols) = Tables(max: false, p, h, w, oh, ow);
        PlaneLoop.Run(planes, (long)planes * oh * ow * p.KH * p.KW, ParallelPolicy.ScalarPoolTaps,
            new AvgBackwardGeneral(dY, dX, rows, cols, h, w, oh, ow, divisorOverride, countIncludePad));
    }

    private static T Divisor(AxisWindow row, AxisWindow col, int? divisorOverride, bool countIncludePad)
    {
        if (divisorOverride is int d) return T.CreateTruncating(d);
        int count = countIncludePad
            ? row.PaddedExtent * col.PaddedExtent
            : (row.End - row.First) * (col.End - col.First);
        return T.CreateTruncating(count);
    }

    /// <summary>
    /// One plane of the 2x2 / stride 2 average forward: the reference's order of additions, ((a + b) + c) + d, so both
    /// give the same bits; the divisor is 4 (or the override) whatever count_include_pad says, as no tap is padding.
    /// </summary>
    private readonly struct AvgForward2x2(T[] x, T[] y, int h, int w, int oh, int ow, Pool2x2Kernel kernel, int divisor) : IPlaneJob
    {
        public void Run(int p)
        {
            if (kernel != Pool2x2Kernel.Scalar)
            {
                Pool2x2Vector.AvgForward(kernel, (float[])(object)x, p * h * w, w, (float[])(object)y, p * oh * ow, oh, ow, divisor);
                return;
            }
            T d = T.CreateTruncating(divisor);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int at = (p * h + 2 * i) * w + 2 * j;
                    y[(p * oh + i) * ow + j] = (x[at] + x[at + 1] + x[at + w] + x[at + w + 1]) / d;
                }
        }
    }

    /// <summary>One plane of the 2x2 / stride 2 average backward: every covered input gets its window's share (written, not added).</summary>
    private readonly struct AvgBackward2x2(T[] dOut, T[] dIn, int h, int w, int oh, int ow, Pool2x2Kernel kernel, int divisor) : IPlaneJob
    {
        public void Run(int p)
        {
            if (kernel != Pool2x2Kernel.Scalar)
            {
                // Only planes with rows or columns no window covers (odd sizes) need clearing.
                if (2 * oh < h || 2 * ow < w) Array.Clear(dIn, p * h * w, h * w);
                Pool2x2Vector.AvgBackward(kernel, (float[])(object)dOut, p * oh * ow, oh, ow, (float[])(object)dIn, p * h * w, w, divisor);
                return;
            }
            T d = T.CreateTruncating(divisor);
            // Rows and columns no window covers (odd sizes) stay 0.
            Array.Clear(dIn, p * h * w, h * w);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    T share = dOut[(p * oh + i) * ow + j] / d;
                    int at = (p * h + 2 * i) * w + 2 * j;
                    dIn[at] = share;
                    dIn[at + 1] = share;
                    dIn[at + w] = share;
                    dIn[at + w + 1] = share;
                }
        }
    }

    /// <summary>One plane of the general average forward: each window row summed with TensorPrimitives.</summary>
    private readonly struct AvgForwardGeneral(T[] x, T[] y, AxisWindow[] rows, AxisWindow[] cols, int h, int w, int oh, int ow,
        int? divisorOverride, bool countIncludePad) : IPlaneJob
    {
        public void Run(int p)
        {
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    var (r, c) = (rows[i], cols[j]);
                    // A window inside padding only has no inputs: PyTorch writes 0 there.
                    if (r.First >= r.End || c.First >= c.End) { y[(p * oh + i) * ow + j] = T.Zero; continue; }
                    T sum = T.Zero;
                    for (int a = r.First; a < r.End; a++)
                        sum += TensorPrimitives.Sum(new ReadOnlySpan<T>(x, (p * h + a) * w + c.First, c.End - c.First));
                    y[(p * oh + i) * ow + j] = sum / Divisor(r, c, divisorOverride, countIncludePad);
                }
        }
    }

    /// <summary>One plane of the general average backward: each window's share added to its rows with TensorPrimitives.</summary>
    private readonly struct AvgBackwardGeneral(T[] dOut, T[] dIn, AxisWindow[] rows, AxisWindow[] cols, int h, int w, int oh, int ow,
        int? divisorOverride, bool countIncludePad) : IPlaneJob
    {
        public void Run(int p)
        {
            // A reused gradient tensor holds the last step's values; each plane is cleared by its own worker.
            Array.Clear(dIn, p * h * w, h * w);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    var (r, c) = (rows[i], cols[j]);
                    if (r.First >= r.End || c.First >= c.End) continue;
                    T share = dOut[(p * oh + i) * ow + j] / Divisor(r, c, divisorOverride, countIncludePad);
                    for (int a = r.First; a < r.End; a++)
                    {
                        var row = new Span<T>(dIn, (p * h + a) * w + c.First, c.End - c.First);
                        TensorPrimitives.Add(row, share, row);
                    }
                }
        }
    }

    // ---------- the window tables of the general path ----------

    /// <summary>2x2 windows, stride 2, no padding, every window inside the input.</summary>
    private static bool FitsPlain2x2(in PoolWindow p, int h, int w, int oh, int ow) => p.IsPlain2x2 && 2 * oh <= h && 2 * ow <= w;

    private (AxisWindow[] Rows, AxisWindow[] Cols) Tables(bool max, in PoolWindow p, int h, int w, int oh, int ow)
    {
        var key = (max, p, h, w, oh, ow);
        if (_tablesFor != key || _rows.Length != oh || _cols.Length != ow)
        {
            _rows = max ? TapRanges(oh, h, p.KH, p.SH, p.PH, p.DH) : Windows(oh, h, p.KH, p.SH, p.PH);
            _cols = max ? TapRanges(ow, w, p.KW, p.SW, p.PW, p.DW) : Windows(ow, w, p.KW, p.SW, p.PW);
            _tablesFor = key;
        }
        return (_rows, _cols);
    }

    /// <summary>
    /// Max pooling: for each output position along one axis, the first in-bounds tap and an exclusive end, both on
    /// the dilation grid: taps are start + k*d for k with 0 &lt;= start + k*d &lt; size.
    /// </summary>
    private static AxisWindow[] TapRanges(int outputs, int size, int kernel, int stride, int padding, int dilation)
    {
        var ranges = new AxisWindow[outputs];
        for (int o = 0; o < outputs; o++)
        {
            int start = o * stride - padding;
            int first = start;
            while (first < 0) first += dilation;
            int end = Math.Min(start + (kernel - 1) * dilation + 1, size);
            ranges[o] = new AxisWindow(first, end, 0);
        }
        return ranges;
    }

    /// <summary>Average pooling: the windows along one axis, clipped as PyTorch's avg_pool2d kernel clips them.</summary>
    private static AxisWindow[] Windows(int outputs, int size, int kernel, int stride, int padding)
    {
        var windows = new AxisWindow[outputs];
        for (int o = 0; o < outputs; o++)
        {
            int start = o * stride - padding;
            int end = Math.Min(start + kernel, size + padding);
            windows[o] = new AxisWindow(Math.Max(start, 0), Math.Min(end, size), end - start);
        }
        return windows;
    }
}

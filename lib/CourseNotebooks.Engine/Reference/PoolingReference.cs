using System.Numerics;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Reference;

/// <summary>
/// Max and average pooling written as the formulas, forward and backward, with nothing shared with the layers:
/// no geometry helper, no stored argmax, no vector code. Read it beside notebook 04-backprop-pooling; the tests hold
/// <see cref="MaxPool2d{T}"/> and <see cref="AvgPool2d{T}"/> (both implementations) to it on awkward shapes.
/// </summary>
/// <remarks>
/// Shapes: input (N, C, H, W) or (C, H, W), every leading dimension a separate plane; output (…, OH, OW) with
/// OH = floor((H + 2P - D(K - 1) - 1 + (ceil ? S - 1 : 0)) / S) + 1, minus one in ceil mode when the last window
/// would start inside the right padding (W alike; average pooling has D = 1).
/// Window of output (i, j): rows i·S - P + a·D for a = 0 … K-1 (columns alike); taps outside the input are padding.
/// <list type="bullet">
/// <item>Max: y[i, j] = max over the window's real taps; the first maximum in row-major order wins ties, a NaN wins
/// and the last NaN of a window is its argmax (PyTorch's CPU rule). Backward: dx[argmax(i, j)] += dy[i, j], the argmax found again by scanning the input.</item>
/// <item>Average: y[i, j] = (sum of the window's real taps) / divisor, the divisor as in PyTorch: the override if
/// given, else the window clipped to the padded input (count_include_pad) or to the input. Backward:
/// dx[t] += dy[i, j] / divisor for every real tap t of the window.</item>
/// </list>
/// Slow on purpose: one output at a time, every tap tested against the bounds.
/// </remarks>
public static class PoolingReference
{
    /// <summary>Output length along one axis (the formula in the remarks).</summary>
    public static int OutputLength(int input, int kernel, int stride, int padding, int dilation, bool ceilMode)
    {
        int span = input + 2 * padding - dilation * (kernel - 1) - 1;
        int steps = ceilMode ? CeilDiv(span, stride) : FloorDiv(span, stride);
        int length = steps + 1;
        if (ceilMode && (length - 1) * stride >= input + padding) length--;
        return length;
    }

    /// <summary>Max pooling's output.</summary>
    public static Tensor<T> MaxPool2dForward<T>(Tensor<T> input, (int H, int W) kernel, (int H, int W) stride,
        (int H, int W) padding, (int H, int W) dilation, bool ceilMode = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new Grid(input.Shape, kernel, stride, padding, dilation, ceilMode);
        var output = new Tensor<T>(g.OutputShape);
        for (int plane = 0; plane < g.Planes; plane++)
            for (int i = 0; i < g.OH; i++)
                for (int j = 0; j < g.OW; j++)
                {
                    int at = MaxTap(input, g, plane, i, j);
                    output.Data[plane * g.OH * g.OW + i * g.OW + j] = at < 0 ? T.NegativeInfinity : input.Data[plane * g.H * g.W + at];
                }
        return output;
    }

    /// <summary>Max pooling's input gradient: each output's gradient goes to its window's maximum.</summary>
    public static Tensor<T> MaxPool2dBackward<T>(Tensor<T> input, Tensor<T> gradOutput, (int H, int W) kernel,
        (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, bool ceilMode = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new Grid(input.Shape, kernel, stride, padding, dilation, ceilMode);
        g.CheckGradient(gradOutput.Shape);
        var gradInput = new Tensor<T>(input.Shape.ToArray());
        for (int plane = 0; plane < g.Planes; plane++)
            for (int i = 0; i < g.OH; i++)
                for (int j = 0; j < g.OW; j++)
                {
                    int at = MaxTap(input, g, plane, i, j);
                    if (at >= 0) gradInput.Data[plane * g.H * g.W + at] += gradOutput.Data[plane * g.OH * g.OW + i * g.OW + j];
                }
        return gradInput;
    }

    /// <summary>Average pooling's output.</summary>
    public static Tensor<T> AvgPool2dForward<T>(Tensor<T> input, (int H, int W) kernel, (int H, int W) stride,
        (int H, int W) padding, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new Grid(input.Shape, kernel, stride, padding, (1, 1), ceilMode);
        var output = new Tensor<T>(g.OutputShape);
        for (int plane = 0; plane < g.Planes; plane++)
            for (int i = 0; i < g.OH; i++)
                for (int j = 0; j < g.OW; j++)
                {
                    T sum = T.Zero;
                    foreach (int at in g.RealTaps(i, j)) sum += input.Data[plane * g.H * g.W + at];
                    output.Data[plane * g.OH * g.OW + i * g.OW + j] = sum / T.CreateChecked(g.Divisor(i, j, countIncludePad, divisorOverride));
                }
        return output;
    }

    /// <summary>Average pooling's input gradient: each output's gradient, divided by its divisor, to every real tap.</summary>
    public static Tensor<T> AvgPool2dBackward<T>(int[] inputShape, Tensor<T> gradOutput, (int H, int W) kernel,
        (int H, int W) stride, (int H, int W) padding, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new Grid(inputShape, kernel, stride, padding, (1, 1), ceilMode);
        g.CheckGradient(gradOutput.Shape);
        var gradInput = new Tensor<T>(inputShape);
        for (int plane = 0; plane < g.Planes; plane++)
            for (int i = 0; i < g.OH; i++)
                for (int j = 0; j < g.OW; j++)
                {
                    T share = gradOutput.Data[plane * g.OH * g.OW + i * g.OW + j] / T.CreateChecked(g.Divisor(i, j, countIncludePad, divisorOverride));
                    foreach (int at in g.RealTaps(i, j)) gradInput.Data[plane * g.H * g.W + at] += share;
                }
        return gradInput;
    }

    /// <summary>Offset (row * W + column) of the window's maximum within its plane; -1 when every tap is padding.</summary>
    private static int MaxTap<T>(Tensor<T> input, Grid g, int plane, int i, int j) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = -1;
        foreach (int at in g.RealTaps(i, j))
        {
            T value = input.Data[plane * g.H * g.W + at];
            if (best < 0) { best = at; continue; }
            T current = input.Data[plane * g.H * g.W + best];
            // Strictly greater: the first maximum stays. A NaN beats everything, a later NaN included (PyTorch's rule).
            if (value > current || T.IsNaN(value)) best = at;
        }
        return best;
    }

    private static int FloorDiv(int a, int b) => (int)Math.Floor(a / (double)b);

    private static int CeilDiv(int a, int b) => (int)Math.Ceiling(a / (double)b);

    /// <summary>The window arithmetic of one call.</summary>
    private sealed class Grid
    {
        private readonly (int H, int W) _kernel, _stride, _padding, _dilation;

        public Grid(ReadOnlySpan<int> shape, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding,
            (int H, int W) dilation, bool ceilMode)
        {
            int[] inputShape = shape.ToArray();
            if (inputShape.Length is not (3 or 4))
                throw new ArgumentException($"PoolingReference: input rank: expected 3 (C, H, W) or 4 (N, C, H, W), got {inputShape.Length}.");
            (_kernel, _stride, _padding, _dilation) = (kernel, stride, padding, dilation);
            H = inputShape[^2];
            W = inputShape[^1];
            Planes = inputShape[..^2].Aggregate(1, (a, b) => a * b);
            OH = OutputLength(H, kernel.H, stride.H, padding.H, dilation.H, ceilMode);
            OW = OutputLength(W, kernel.W, stride.W, padding.W, dilation.W, ceilMode);
            if (OH < 1 || OW < 1)
                throw new ArgumentException($"PoolingReference: output size: expected at least 1x1, got {OH}x{OW} for a {H}x{W} plane.");
            OutputShape = [.. inputShape[..^2], OH, OW];
        }

        public int H { get; }
        public int W { get; }
        public int OH { get; }
        public int OW { get; }
        public int Planes { get; }
        public int[] OutputShape { get; }

        public void CheckGradient(ReadOnlySpan<int> shape)
        {
            if (!shape.SequenceEqual(OutputShape))
                throw new ArgumentException($"PoolingReference: gradOutput shape: expected [{string.Join(", ", OutputShape)}], got [{string.Join(", ", shape.ToArray())}].");
        }

        /// <summary>Offsets of the window's taps that fall inside the input, in row-major window order.</summary>
        public IEnumerable<int> RealTaps(int i, int j)
        {
            for (int a = 0; a < _kernel.H; a++)
                for (int b = 0; b < _kernel.W; b++)
                {
                    int row = i * _stride.H - _padding.H + a * _dilation.H;
                    int column = j * _stride.W - _padding.W + b * _dilation.W;
                    if (row >= 0 && row < H && column >= 0 && column < W) yield return row * W + column;
                }
        }

        /// <summary>Average pooling's divisor for output (i, j) (dense windows only).</summary>
        public int Divisor(int i, int j, bool countIncludePad, int? divisorOverride)
        {
            if (divisorOverride is int fixedDivisor) return fixedDivisor;
            int rowStart = i * _stride.H - _padding.H, columnStart = j * _stride.W - _padding.W;
            // With padding counted, the window is clipped to the padded input only (a ceil-mode window can run past it).
            int paddedRows = Math.Min(rowStart + _kernel.H, H + _padding.H) - rowStart;
            int paddedColumns = Math.Min(columnStart + _kernel.W, W + _padding.W) - columnStart;
            if (countIncludePad) return paddedRows * paddedColumns;
            int rows = Math.Min(rowStart + _kernel.H, H) - Math.Max(rowStart, 0);
            int columns = Math.Min(columnStart + _kernel.W, W) - Math.Max(columnStart, 0);
            return rows * columns;
        }
    }
}

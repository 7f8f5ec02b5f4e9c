using System.Buffers;
using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine;

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

/// <summary>
/// The arithmetic shared by Conv2d, Conv1d (H = 1) and ConvTranspose2d: forward, gradient with respect to the input
/// ("backward data") and with respect to weight and bias ("backward weights"), each as a naive loop over the
/// defining formula and as a fast path: for stride 1 a direct convolution on the padded grid (<see cref="ConvDirect"/>),
/// otherwise im2col + GEMM. Shapes: x [N, C, H, W], weight [OutC, C/G, KH, KW],
/// y [N, OutC, OH, OW]. OH and OW are passed in, not recomputed: ConvTranspose2d uses this core with its output as
/// the convolution's input, and there output_padding may add rows that no output position reaches.
/// </summary>
internal static class ConvCore
{
    // Below this many multiply-adds a call stays on one thread: the Parallel.For overhead would dominate.
    private const long ParallelThreshold = 1 << 18;

    // Largest OCg * Cg*KH*KW for which the direct weight gradient is used: on small grids each worker keeps one vector
    // per weight (64 bytes for float), 4 MiB at this limit. Measured faster than im2col + GEMM at 16 x 200 and 64 x 576.
    private const int DirectWeightGradientLimit = 65536;

    // Grids (outputs per image, padded) below this keep the direct weight gradient in vector form across the batch.
    private const int VectorSumsGridLimit = 1024;

    // ---------- im2col / col2im ----------

    /// <summary>
    /// Unfolds x [channels, H, W] into cols [channels * KH * KW, OH * OW]: row (c, kh, kw), column (oh, ow) holds
    /// x[c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW], or 0 where that falls into the padding. Every entry is written.
    /// </summary>
    public static void Im2Col<T>(in ConvGeometry g, ReadOnlySpan<T> x, int channels, int h, int w, int oh, int ow, Span<T> cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int row = 0;
        for (int c = 0; c < channels; c++)
            for (int kh = 0; kh < g.KH; kh++)
                for (int kw = 0; kw < g.KW; kw++, row++)
                {
                    var dst = cols.Slice(row * oh * ow, oh * ow);
                    int offW = kw * g.DW - g.PW;
                    var (owStart, owEnd) = ValidRange(offW, g.SW, w, ow);
                    for (int i = 0; i < oh; i++)
                    {
                        var line = dst.Slice(i * ow, ow);
                        int ih = i * g.SH - g.PH + kh * g.DH;
                        if ((uint)ih >= (uint)h || owStart >= owEnd) { line.Clear(); continue; }
                        line[..owStart].Clear();
                        line[owEnd..].Clear();
                        var src = x.Slice((c * h + ih) * w, w);
                        if (g.SW == 1) src.Slice(owStart + offW, owEnd - owStart).CopyTo(line[owStart..owEnd]);
                        else for (int j = owStart; j < owEnd; j++) line[j] = src[j * g.SW + offW];
                    }
                }
    }

    /// <summary>The adjoint of <see cref="Im2Col{T}"/>: adds each column entry back onto the pixel it came from.</summary>
    public static void Col2Im<T>(in ConvGeometry g, ReadOnlySpan<T> cols, int channels, int h, int w, int oh, int ow, Span<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int row = 0;
        for (int c = 0; c < channels; c++)
            for (int kh = 0; kh < g.KH; kh++)
                for (int kw = 0; kw < g.KW; kw++, row++)
                {
                    var srcRow = cols.Slice(row * oh * ow, oh * ow);
                    int offW = kw * g.DW - g.PW;
                    var (owStart, owEnd) = ValidRange(offW, g.SW, w, ow);
                    if (owStart >= owEnd) continue;
                    for (int i = 0; i < oh; i++)
                    {
                        int ih = i * g.SH - g.PH + kh * g.DH;
                        if ((uint)ih >= (uint)h) continue;
                        var line = srcRow.Slice(i * ow, ow);
                        var dst = x.Slice((c * h + ih) * w, w);
                        if (g.SW == 1)
                        {
                            var d = dst.Slice(owStart + offW, owEnd - owStart);
                            TensorPrimitives.Add(d, line[owStart..owEnd], d);
                        }
                        else for (int j = owStart; j < owEnd; j++) dst[j * g.SW + offW] += line[j];
                    }
                }
    }

    /// <summary>Output columns j in [start, end) with 0 &lt;= j*stride + offset &lt; size.</summary>
    private static (int Start, int End) ValidRange(int offset, int stride, int size, int count)
    {
        int start = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int end = size - offset <= 0 ? 0 : Math.Min(count, (size - offset - 1) / stride + 1);
        return (Math.Min(start, count), Math.Max(end, Math.Min(start, count)));
    }

    // ---------- forward: y = W * x + b ----------

    /// <summary>y[n, oc, i, j] = b[oc] + sum over c, kh, kw of W[oc, c, kh, kw] x[n, g*Cg + c, i*SH - PH + kh*DH, j*SW - PW + kw*DW].</summary>
    public static void ForwardNaive<T>(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < g.OutC; oc++)
            {
                int c0 = oc / g.OCg * g.Cg;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        T sum = bias is null ? T.Zero : bias[oc];
                        for (int c = 0; c < g.Cg; c++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int ih = i * g.SH - g.PH + kh * g.DH, iw = j * g.SW - g.PW + kw * g.DW;
                                    if ((uint)ih >= (uint)h || (uint)iw >= (uint)w) continue;
                                    sum += weight[((oc * g.Cg + c) * g.KH + kh) * g.KW + kw] * x[(((b * g.C) + c0 + c) * h + ih) * w + iw];
                                }
                        y[((b * g.OutC + oc) * oh + i) * ow + j] = sum;
                    }
            }
    }

    /// <summary>Per sample and group: cols = im2col(x), Y_g [OCg, OH*OW] = W_g [OCg, Cg*KH*KW] cols, then + bias.</summary>
    public static void ForwardFast<T>(ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (DirectGrid<T>(g, h, w, oh, ow) is { } grid)
        {
            ForwardDirect(g, grid, n, h, w, oh, ow, x, weight, bias, y);
            return;
        }
        int plane = oh * ow, colLength = g.ColRows * plane;
        ForEachSample(n, (long)g.OutC * g.ColRows * plane,
            () => ArrayPool<T>.Shared.Rent(colLength),
            (b, cols) =>
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    Im2Col(g, x.AsSpan((b * g.C + grp * g.Cg) * h * w, g.Cg * h * w), g.Cg, h, w, oh, ow, cols.AsSpan(0, colLength));
                    Gemm.Multiply(false, false, g.OCg, plane, g.ColRows, T.One,
                        weight.AsSpan(grp * g.OCg * g.ColRows, g.OCg * g.ColRows), g.ColRows,
                        cols.AsSpan(0, colLength), plane, T.Zero,
                        y.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), plane);
                }
                if (bias is not null)
                    for (int oc = 0; oc < g.OutC; oc++)
                    {
                        var row = y.AsSpan((b * g.OutC + oc) * plane, plane);
                        TensorPrimitives.Add(row, bias[oc], row);
                    }
            },
            cols => ArrayPool<T>.Shared.Return(cols));
    }

    // ---------- backward data: dX = W^T dY, folded back ----------

    /// <summary>dX[n, c, ih, iw] = sum of dY[n, oc, i, j] W[oc, c', kh, kw] over all (oc, i, j, kh, kw) whose tap lands on (ih, iw). Overwrites dX.</summary>
    public static void BackwardDataNaive<T>(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] dY, T[] weight, T[] dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(dX);
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < g.OutC; oc++)
            {
                int c0 = oc / g.OCg * g.Cg;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        T d = dY[((b * g.OutC + oc) * oh + i) * ow + j];
                        for (int c = 0; c < g.Cg; c++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int ih = i * g.SH - g.PH + kh * g.DH, iw = j * g.SW - g.PW + kw * g.DW;
                                    if ((uint)ih >= (uint)h || (uint)iw >= (uint)w) continue;
                                    dX[(((b * g.C) + c0 + c) * h + ih) * w + iw] += d * weight[((oc * g.Cg + c) * g.KH + kh) * g.KW + kw];
                                }
                    }
            }
    }

    /// <summary>Per sample and group: dCols [Cg*KH*KW, OH*OW] = W_g^T dY_g, then col2im into dX. Overwrites dX.</summary>
    public static void BackwardDataFast<T>(ConvGeometry g, int n, int h, int w, int oh, int ow, T[] dY, T[] weight, T[] dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (DirectGrid<T>(g, h, w, oh, ow) is not null && DirectBackwardGrid<T>(g, h, w, oh, ow) is { } grid)
        {
            BackwardDataDirect(g, grid, n, h, w, oh, ow, dY, weight, dX);
            return;
        }
        Array.Clear(dX);
        int plane = oh * ow, colLength = g.ColRows * plane;
        ForEachSample(n, (long)g.OutC * g.ColRows * plane,
            () => ArrayPool<T>.Shared.Rent(colLength),
            (b, dCols) =>
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    Gemm.Multiply(true, false, g.ColRows, plane, g.OCg, T.One,
                        weight.AsSpan(grp * g.OCg * g.ColRows, g.OCg * g.ColRows), g.ColRows,
                        dY.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), plane, T.Zero,
                        dCols.AsSpan(0, colLength), plane);
                    Col2Im(g, dCols.AsSpan(0, colLength), g.Cg, h, w, oh, ow, dX.AsSpan((b * g.C + grp * g.Cg) * h * w, g.Cg * h * w));
                }
            },
            dCols => ArrayPool<T>.Shared.Return(dCols));
    }

    // ---------- backward weights: dW += dY x^T (as cols), dB += sum dY ----------

    /// <summary>dW[oc, c, kh, kw] += sum over n, i, j of dY[n, oc, i, j] x[n, g*Cg + c, tap]; dB[oc] += sum of dY[n, oc, :, :].</summary>
    public static void BackwardWeightsNaive<T>(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] dY, T[] dW, T[]? dB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < g.OutC; oc++)
            {
                int c0 = oc / g.OCg * g.Cg;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        T d = dY[((b * g.OutC + oc) * oh + i) * ow + j];
                        if (dB is not null) dB[oc] += d;
                        for (int c = 0; c < g.Cg; c++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int ih = i * g.SH - g.PH + kh * g.DH, iw = j * g.SW - g.PW + kw * g.DW;
                                    if ((uint)ih >= (uint)h || (uint)iw >= (uint)w) continue;
                                    dW[((oc * g.Cg + c) * g.KH + kh) * g.KW + kw] += d * x[(((b * g.C) + c0 + c) * h + ih) * w + iw];
                                }
                    }
            }
    }

    /// <summary>
    /// Per sample and group: dW_g [OCg, Cg*KH*KW] += dY_g [OCg, OH*OW] cols^T. Samples run in parallel, each thread
    /// accumulating into its own dW/dB buffer; the buffers are added into dW/dB once per thread at the end.
    /// </summary>
    public static void BackwardWeightsFast<T>(ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] dY, T[] dW, T[]? dB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Larger layers (AlexNet's 384 x 3456) would need too much per-worker accumulator memory: im2col + GEMM there.
        if (g.OCg * g.ColRows <= DirectWeightGradientLimit && DirectGrid<T>(g, h, w, oh, ow) is { } grid)
        {
            BackwardWeightsDirect(g, grid, n, h, w, oh, ow, x, dY, dW, dB);
            return;
        }
        int plane = oh * ow, colLength = g.ColRows * plane;
        var gate = new object();
        ForEachSample(n, (long)g.OutC * g.ColRows * plane,
            () => new WeightScratch<T>(colLength, dW.Length, g.OutC),
            (b, s) =>
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    Im2Col(g, x.AsSpan((b * g.C + grp * g.Cg) * h * w, g.Cg * h * w), g.Cg, h, w, oh, ow, s.Cols);
                    Gemm.Multiply(false, true, g.OCg, g.ColRows, plane, T.One,
                        dY.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), plane,
                        s.Cols, plane, T.One,
                        s.DW.AsSpan(grp * g.OCg * g.ColRows, g.OCg * g.ColRows), g.ColRows);
                }
                if (dB is not null)
                    for (int oc = 0; oc < g.OutC; oc++)
                        s.DB[oc] += TensorPrimitives.Sum<T>(dY.AsSpan((b * g.OutC + oc) * plane, plane));
            },
            s =>
            {
                lock (gate)
                {
                    TensorPrimitives.Add(dW, s.DW, dW);
                    if (dB is not null) TensorPrimitives.Add(dB, s.DB, dB);
                }
                s.Return();
            });
    }

    /// <summary>One thread's buffers for <see cref="BackwardWeightsFast{T}"/>, rented from the shared pool.</summary>
    private sealed class WeightScratch<T> where T : unmanaged
    {
        private readonly T[] _cols, _dW, _dB;
        private readonly int _colLength;

        public WeightScratch(int colLength, int weightLength, int outChannels)
        {
            _colLength = colLength;
            _cols = ArrayPool<T>.Shared.Rent(colLength);
            _dW = new T[weightLength];
            _dB = new T[outChannels];
        }

        public Span<T> Cols => _cols.AsSpan(0, _colLength);
        public T[] DW => _dW;
        public T[] DB => _dB;
        public void Return() => ArrayPool<T>.Shared.Return(_cols);
    }

    // ---------- stride 1: direct convolution on the padded grid (see ConvDirect) ----------

    /// <summary>The forward grid when the direct path applies (stride 1, 512-bit vectors, output size as the grid's), else null.</summary>
    private static ConvDirect.Grid? DirectGrid<T>(in ConvGeometry g, int h, int w, int oh, int ow) where T : unmanaged
    {
        if (g.SH != 1 || g.SW != 1 || !ConvDirect.Supported<T>()) return null;
        var grid = ConvDirect.Grid.For<T>(g.Cg, h, w, g.PH, g.PW, g.KH, g.KW, g.DH, g.DW);
        return grid.OH == oh && grid.OW == ow ? grid : null;
    }

    /// <summary>
    /// The grid of the backward data pass (dY padded by D(K-1) - P, flipped kernel), or null when that padding would
    /// be negative or the result would not cover the input exactly (ConvTranspose2d's output_padding).
    /// </summary>
    private static ConvDirect.Grid? DirectBackwardGrid<T>(in ConvGeometry g, int h, int w, int oh, int ow) where T : unmanaged
    {
        int ph = g.DH * (g.KH - 1) - g.PH, pw = g.DW * (g.KW - 1) - g.PW;
        if (ph < 0 || pw < 0) return null;
        var grid = ConvDirect.Grid.For<T>(g.OCg, oh, ow, ph, pw, g.KH, g.KW, g.DH, g.DW);
        return grid.OH == h && grid.OW == w ? grid : null;
    }

    private static void ForwardDirect<T>(ConvGeometry g, ConvDirect.Grid grid, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var offsets = new int[g.ColRows];
        grid.TapOffsets(g.KH, g.KW, g.DH, g.DW, offsets);
        int plane = oh * ow, gridLength = g.OCg * grid.Q;
        ForEachSample(n, (long)g.OutC * g.ColRows * plane,
            () => new DirectScratch<T>(grid.InputLength, gridLength, 0),
            (b, s) =>
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ConvDirect.Place<T>(x.AsSpan((b * g.C + grp * g.Cg) * h * w, g.Cg * h * w), g.Cg, h, w, s.X, grid.Hp * grid.Wp, grid.Wp, g.PH, g.PW);
                    ConvDirect.Correlate<T>(s.X, offsets, weight.AsSpan(grp * g.OCg * g.ColRows, g.OCg * g.ColRows), g.OCg, grid.Q, s.Y);
                    ConvDirect.Extract<T>(s.Y, g.OCg, grid.Q, grid.Wp, oh, ow, bias is null ? default : bias.AsSpan(grp * g.OCg, g.OCg),
                        y.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane));
                }
            },
            s => s.Return());
    }

    private static void BackwardDataDirect<T>(ConvGeometry g, ConvDirect.Grid grid, int n, int h, int w, int oh, int ow, T[] dY, T[] weight, T[] dX)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The flipped kernel with its channel axes swapped, per group: flipped[g][c, oc, kh, kw] = W[g*OCg + oc, c, KH-1-kh, KW-1-kw].
        int taps = g.KH * g.KW, groupLength = g.OCg * g.ColRows;
        var flipped = ArrayPool<T>.Shared.Rent(weight.Length);
        for (int grp = 0; grp < g.Groups; grp++)
            for (int oc = 0; oc < g.OCg; oc++)
                for (int c = 0; c < g.Cg; c++)
                    for (int t = 0; t < taps; t++)
                        flipped[grp * groupLength + (c * g.OCg + oc) * taps + t] = weight[grp * groupLength + (oc * g.Cg + c) * taps + taps - 1 - t];
        var offsets = new int[g.OCg * taps];
        grid.TapOffsets(g.KH, g.KW, g.DH, g.DW, offsets);
        int ph = g.DH * (g.KH - 1) - g.PH, pw = g.DW * (g.KW - 1) - g.PW, plane = oh * ow;
        ForEachSample(n, (long)g.OutC * g.ColRows * plane,
            () => new DirectScratch<T>(grid.InputLength, g.Cg * grid.Q, 0),
            (b, s) =>
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ConvDirect.Place<T>(dY.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), g.OCg, oh, ow, s.X, grid.Hp * grid.Wp, grid.Wp, ph, pw);
                    ConvDirect.Correlate<T>(s.X, offsets, flipped.AsSpan(grp * groupLength, groupLength), g.Cg, grid.Q, s.Y);
                    ConvDirect.Extract<T>(s.Y, g.Cg, grid.Q, grid.Wp, h, w, default, dX.AsSpan((b * g.C + grp * g.Cg) * h * w, g.Cg * h * w));
                }
            },
            s => s.Return());
        ArrayPool<T>.Shared.Return(flipped);
    }

    private static void BackwardWeightsDirect<T>(ConvGeometry g, ConvDirect.Grid grid, int n, int h, int w, int oh, int ow, T[] x, T[] dY, T[] dW, T[]? dB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var offsets = new int[g.ColRows];
        grid.TapOffsets(g.KH, g.KW, g.DH, g.DW, offsets);
        int plane = oh * ow;
        // Per worker: dW (on small grids as one vector per weight, lanes summed once at the end), then dB.
        bool vectorSums = grid.Q < VectorSumsGridLimit;
        int lanes = vectorSums ? ConvDirect.Lanes<T>() : 1, vectorLength = dW.Length * lanes;
        var gate = new object();
        ForEachSample(n, (long)g.OutC * g.ColRows * plane,
            () => new DirectScratch<T>(grid.InputLength, g.OCg * grid.Q, vectorLength + g.OutC),
            (b, s) =>
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ConvDirect.Place<T>(x.AsSpan((b * g.C + grp * g.Cg) * h * w, g.Cg * h * w), g.Cg, h, w, s.X, grid.Hp * grid.Wp, grid.Wp, g.PH, g.PW);
                    // dY on the grid, zeros in the extra columns, so they add nothing to the dot products.
                    ConvDirect.Place<T>(dY.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), g.OCg, oh, ow, s.Y, grid.Q, grid.Wp, 0, 0);
                    ConvDirect.WeightGradient<T>(s.X, offsets, s.Y, g.OCg, grid.Q, s.Sums.Slice(grp * g.OCg * g.ColRows * lanes, g.OCg * g.ColRows * lanes), vectorSums);
                }
                if (dB is not null)
                    for (int oc = 0; oc < g.OutC; oc++)
                        s.Sums[vectorLength + oc] += TensorPrimitives.Sum<T>(dY.AsSpan((b * g.OutC + oc) * plane, plane));
            },
            s =>
            {
                lock (gate)
                {
                    if (vectorSums) ConvDirect.AddLaneSums<T>(s.Sums[..vectorLength], dW);
                    else TensorPrimitives.Add(dW, s.Sums[..vectorLength], dW);
                    if (dB is not null) TensorPrimitives.Add(dB, s.Sums.Slice(vectorLength, g.OutC), dB);
                }
                s.Return();
            });
    }

    /// <summary>One worker's buffers for the direct path, rented from the shared pool: padded input, output grid, gradient sums (zeroed).</summary>
    private sealed class DirectScratch<T> where T : unmanaged
    {
        private readonly T[] _x, _y, _sums;
        private readonly int _xLength, _yLength, _sumLength;

        public DirectScratch(int xLength, int yLength, int sumLength)
        {
            (_xLength, _yLength, _sumLength) = (xLength, yLength, sumLength);
            _x = ArrayPool<T>.Shared.Rent(xLength);
            _y = ArrayPool<T>.Shared.Rent(yLength);
            _sums = ArrayPool<T>.Shared.Rent(Math.Max(1, sumLength));
            Sums.Clear();
        }

        public Span<T> X => _x.AsSpan(0, _xLength);
        public Span<T> Y => _y.AsSpan(0, _yLength);
        public Span<T> Sums => _sums.AsSpan(0, _sumLength);

        public void Return()
        {
            ArrayPool<T>.Shared.Return(_x);
            ArrayPool<T>.Shared.Return(_y);
            ArrayPool<T>.Shared.Return(_sums);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> for samples 0..n-1 with one scratch object per worker: in parallel when there is
    /// more than one sample and enough work, else on the calling thread. Each worker takes a fixed, contiguous range of
    /// samples and <paramref name="finish"/> runs for the workers in range order, so sums accumulated in the scratch
    /// (the weight gradient) come out bit for bit the same on every run with the same
    /// <see cref="EngineSettings.MaxThreads"/>; a work-stealing split would make a seeded training run drift.
    /// </summary>
    private static void ForEachSample<TLocal>(int n, long workPerSample, Func<TLocal> init, Action<int, TLocal> body, Action<TLocal> finish)
    {
        int workers = Math.Min(n, EngineSettings.MaxThreads);
        if (workers > 1 && workPerSample * n >= ParallelThreshold)
        {
            var locals = new TLocal[workers];
            Parallel.For(0, workers, EngineSettings.ParallelOptions, worker =>
            {
                var local = init();
                for (int b = n * worker / workers, end = n * (worker + 1) / workers; b < end; b++) body(b, local);
                locals[worker] = local;
            });
            foreach (var local in locals) finish(local);
            return;
        }
        var scratch = init();
        for (int b = 0; b < n; b++) body(b, scratch);
        finish(scratch);
    }
}

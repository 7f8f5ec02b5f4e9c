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
    public static void ForwardFast<T>(ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y, ConvScratch<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (DirectGrid<T>(g, h, w, oh, ow) is { } grid)
        {
            ForwardDirect(g, grid, n, h, w, oh, ow, x, weight, bias, y, scratch);
            return;
        }
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, scratch, new ForwardIm2Col<T>(g, h, w, oh, ow, x, weight, bias, y, scratch));
    }

    private readonly record struct ForwardIm2Col<T>(ConvGeometry G, int H, int W, int OH, int OW, T[] X, T[] Weight, T[]? Bias, T[] Y, ConvScratch<T> Scratch)
        : ISampleRange where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int worker, int from, int to)
        {
            var g = G;
            int plane = OH * OW;
            var cols = Scratch.Buffer(worker, ConvScratch<T>.InputSlot, g.ColRows * plane);
            for (int b = from; b < to; b++)
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    Im2Col(g, X.AsSpan((b * g.C + grp * g.Cg) * H * W, g.Cg * H * W), g.Cg, H, W, OH, OW, cols);
                    Gemm.Multiply(false, false, g.OCg, plane, g.ColRows, T.One,
                        Weight.AsSpan(grp * g.OCg * g.ColRows, g.OCg * g.ColRows), g.ColRows,
                        cols, plane, T.Zero,
                        Y.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), plane);
                }
                if (Bias is not null)
                    for (int oc = 0; oc < g.OutC; oc++)
                    {
                        var row = Y.AsSpan((b * g.OutC + oc) * plane, plane);
                        TensorPrimitives.Add(row, Bias[oc], row);
                    }
            }
        }
    }

    // ---------- backward data: dX = W^T dY, folded back ----------

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
    public static void BackwardDataFast<T>(ConvGeometry g, int n, int h, int w, int oh, int ow, T[] dY, T[] weight, T[] dX, ConvScratch<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (DirectGrid<T>(g, h, w, oh, ow) is not null && DirectBackwardGrid<T>(g, h, w, oh, ow) is { } grid)
        {
            BackwardDataDirect(g, grid, n, h, w, oh, ow, dY, weight, dX, scratch);
            return;
        }
        Array.Clear(dX);
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, scratch, new BackwardDataIm2Col<T>(g, h, w, oh, ow, dY, weight, dX, scratch));
    }

    private readonly record struct BackwardDataIm2Col<T>(ConvGeometry G, int H, int W, int OH, int OW, T[] DY, T[] Weight, T[] DX, ConvScratch<T> Scratch)
        : ISampleRange where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int worker, int from, int to)
        {
            var g = G;
            int plane = OH * OW;
            var dCols = Scratch.Buffer(worker, ConvScratch<T>.InputSlot, g.ColRows * plane);
            for (int b = from; b < to; b++)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    Gemm.Multiply(true, false, g.ColRows, plane, g.OCg, T.One,
                        Weight.AsSpan(grp * g.OCg * g.ColRows, g.OCg * g.ColRows), g.ColRows,
                        DY.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), plane, T.Zero,
                        dCols, plane);
                    Col2Im(g, dCols, g.Cg, H, W, OH, OW, DX.AsSpan((b * g.C + grp * g.Cg) * H * W, g.Cg * H * W));
                }
        }
    }

    // ---------- backward weights: dW += dY x^T (as cols), dB += sum dY ----------

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
    /// Per sample and group: dW_g [OCg, Cg*KH*KW] += dY_g [OCg, OH*OW] cols^T. Workers take fixed sample ranges, each
    /// accumulating into its own dW/dB sums; the sums are added into dW/dB in worker order at the end.
    /// </summary>
    public static void BackwardWeightsFast<T>(ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] dY, T[] dW, T[]? dB, ConvScratch<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Larger layers (AlexNet's 384 x 3456) would need too much per-worker accumulator memory: im2col + GEMM there.
        if (g.OCg * g.ColRows <= DirectWeightGradientLimit && DirectGrid<T>(g, h, w, oh, ow) is { } grid)
        {
            BackwardWeightsDirect(g, grid, n, h, w, oh, ow, x, dY, dW, dB, scratch);
            return;
        }
        int workers = ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, scratch, new BackwardWeightsIm2Col<T>(g, h, w, oh, ow, x, dY, dW.Length, scratch));
        for (int worker = 0; worker < workers; worker++)
        {
            var sums = scratch.Buffer(worker, ConvScratch<T>.SumSlot, dW.Length + g.OutC);
            TensorPrimitives.Add(dW, sums[..dW.Length], dW);
            if (dB is not null) TensorPrimitives.Add(dB, sums[dW.Length..], dB);
        }
    }

    /// <summary>One worker's share of <see cref="BackwardWeightsFast{T}"/>: its sums hold dW, then dB (OutC values).</summary>
    private readonly record struct BackwardWeightsIm2Col<T>(ConvGeometry G, int H, int W, int OH, int OW, T[] X, T[] DY, int WeightLength, ConvScratch<T> Scratch)
        : ISampleRange where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int worker, int from, int to)
        {
            var g = G;
            int plane = OH * OW;
            var cols = Scratch.Buffer(worker, ConvScratch<T>.InputSlot, g.ColRows * plane);
            var sums = Scratch.Buffer(worker, ConvScratch<T>.SumSlot, WeightLength + g.OutC);
            sums.Clear();
            for (int b = from; b < to; b++)
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    Im2Col(g, X.AsSpan((b * g.C + grp * g.Cg) * H * W, g.Cg * H * W), g.Cg, H, W, OH, OW, cols);
                    Gemm.Multiply(false, true, g.OCg, g.ColRows, plane, T.One,
                        DY.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), plane,
                        cols, plane, T.One,
                        sums.Slice(grp * g.OCg * g.ColRows, g.OCg * g.ColRows), g.ColRows);
                }
                for (int oc = 0; oc < g.OutC; oc++)
                    sums[WeightLength + oc] += TensorPrimitives.Sum<T>(DY.AsSpan((b * g.OutC + oc) * plane, plane));
            }
        }
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


    private static void ForwardDirect<T>(ConvGeometry g, ConvDirect.Grid grid, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y, ConvScratch<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        grid.TapOffsets(g.KH, g.KW, g.DH, g.DW, scratch.Offsets(g.ColRows));
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, scratch, new ForwardDirectRange<T>(g, grid, h, w, oh, ow, x, weight, bias, y, scratch));
    }

    private readonly record struct ForwardDirectRange<T>(ConvGeometry G, ConvDirect.Grid Grid, int H, int W, int OH, int OW, T[] X, T[] Weight, T[]? Bias, T[] Y, ConvScratch<T> Scratch)
        : ISampleRange where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int worker, int from, int to)
        {
            var (g, grid) = (G, Grid);
            int plane = OH * OW;
            var offsets = Scratch.Offsets(g.ColRows);
            var sx = Scratch.Buffer(worker, ConvScratch<T>.InputSlot, grid.InputLength);
            var sy = Scratch.Buffer(worker, ConvScratch<T>.OutputSlot, g.OCg * grid.Q);
            for (int b = from; b < to; b++)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ConvDirect.Place<T>(X.AsSpan((b * g.C + grp * g.Cg) * H * W, g.Cg * H * W), g.Cg, H, W, sx, grid.Hp * grid.Wp, grid.Wp, g.PH, g.PW);
                    ConvDirect.Correlate<T>(sx, offsets, Weight.AsSpan(grp * g.OCg * g.ColRows, g.OCg * g.ColRows), g.OCg, grid.Q, sy);
                    ConvDirect.Extract<T>(sy, g.OCg, grid.Q, grid.Wp, OH, OW, Bias is null ? default : Bias.AsSpan(grp * g.OCg, g.OCg),
                        Y.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane));
                }
        }
    }

    private static void BackwardDataDirect<T>(ConvGeometry g, ConvDirect.Grid grid, int n, int h, int w, int oh, int ow, T[] dY, T[] weight, T[] dX, ConvScratch<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The flipped kernel with its channel axes swapped, per group: flipped[g][c, oc, kh, kw] = W[g*OCg + oc, c, KH-1-kh, KW-1-kw].
        int taps = g.KH * g.KW, groupLength = g.OCg * g.ColRows;
        var flipped = scratch.Flipped(weight.Length);
        for (int grp = 0; grp < g.Groups; grp++)
            for (int oc = 0; oc < g.OCg; oc++)
                for (int c = 0; c < g.Cg; c++)
                    for (int t = 0; t < taps; t++)
                        flipped[grp * groupLength + (c * g.OCg + oc) * taps + t] = weight[grp * groupLength + (oc * g.Cg + c) * taps + taps - 1 - t];
        grid.TapOffsets(g.KH, g.KW, g.DH, g.DW, scratch.Offsets(g.OCg * taps));
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, scratch, new BackwardDataDirectRange<T>(g, grid, h, w, oh, ow, dY, dX, scratch));
    }

    private readonly record struct BackwardDataDirectRange<T>(ConvGeometry G, ConvDirect.Grid Grid, int H, int W, int OH, int OW, T[] DY, T[] DX, ConvScratch<T> Scratch)
        : ISampleRange where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int worker, int from, int to)
        {
            var (g, grid) = (G, Grid);
            int taps = g.KH * g.KW, groupLength = g.OCg * g.ColRows, plane = OH * OW;
            int ph = g.DH * (g.KH - 1) - g.PH, pw = g.DW * (g.KW - 1) - g.PW;
            var offsets = Scratch.Offsets(g.OCg * taps);
            var flipped = Scratch.Flipped(g.Groups * groupLength);
            var sx = Scratch.Buffer(worker, ConvScratch<T>.InputSlot, grid.InputLength);
            var sy = Scratch.Buffer(worker, ConvScratch<T>.OutputSlot, g.Cg * grid.Q);
            for (int b = from; b < to; b++)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ConvDirect.Place<T>(DY.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), g.OCg, OH, OW, sx, grid.Hp * grid.Wp, grid.Wp, ph, pw);
                    ConvDirect.Correlate<T>(sx, offsets, flipped.Slice(grp * groupLength, groupLength), g.Cg, grid.Q, sy);
                    ConvDirect.Extract<T>(sy, g.Cg, grid.Q, grid.Wp, H, W, default, DX.AsSpan((b * g.C + grp * g.Cg) * H * W, g.Cg * H * W));
                }
        }
    }

    private static void BackwardWeightsDirect<T>(ConvGeometry g, ConvDirect.Grid grid, int n, int h, int w, int oh, int ow, T[] x, T[] dY, T[] dW, T[]? dB, ConvScratch<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        grid.TapOffsets(g.KH, g.KW, g.DH, g.DW, scratch.Offsets(g.ColRows));
        // Per worker: dW (on small grids as one vector per weight, lanes summed once at the end), then dB.
        bool vectorSums = grid.Q < VectorSumsGridLimit;
        int vectorLength = dW.Length * (vectorSums ? ConvDirect.Lanes<T>() : 1);
        int workers = ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, scratch,
            new BackwardWeightsDirectRange<T>(g, grid, h, w, oh, ow, x, dY, vectorSums, vectorLength, scratch));
        for (int worker = 0; worker < workers; worker++)
        {
            var sums = scratch.Buffer(worker, ConvScratch<T>.SumSlot, vectorLength + g.OutC);
            if (vectorSums) ConvDirect.AddLaneSums<T>(sums[..vectorLength], dW);
            else TensorPrimitives.Add(dW, sums[..vectorLength], dW);
            if (dB is not null) TensorPrimitives.Add(dB, sums.Slice(vectorLength, g.OutC), dB);
        }
    }

    private readonly record struct BackwardWeightsDirectRange<T>(ConvGeometry G, ConvDirect.Grid Grid, int H, int W, int OH, int OW, T[] X, T[] DY,
        bool VectorSums, int VectorLength, ConvScratch<T> Scratch) : ISampleRange where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int worker, int from, int to)
        {
            var (g, grid) = (G, Grid);
            int plane = OH * OW, lanes = VectorSums ? ConvDirect.Lanes<T>() : 1;
            var offsets = Scratch.Offsets(g.ColRows);
            var sx = Scratch.Buffer(worker, ConvScratch<T>.InputSlot, grid.InputLength);
            var sy = Scratch.Buffer(worker, ConvScratch<T>.OutputSlot, g.OCg * grid.Q);
            var sums = Scratch.Buffer(worker, ConvScratch<T>.SumSlot, VectorLength + g.OutC);
            sums.Clear();
            for (int b = from; b < to; b++)
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ConvDirect.Place<T>(X.AsSpan((b * g.C + grp * g.Cg) * H * W, g.Cg * H * W), g.Cg, H, W, sx, grid.Hp * grid.Wp, grid.Wp, g.PH, g.PW);
                    // dY on the grid, zeros in the extra columns, so they add nothing to the dot products.
                    ConvDirect.Place<T>(DY.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), g.OCg, OH, OW, sy, grid.Q, grid.Wp, 0, 0);
                    ConvDirect.WeightGradient<T>(sx, offsets, sy, g.OCg, grid.Q, sums.Slice(grp * g.OCg * g.ColRows * lanes, g.OCg * g.ColRows * lanes), VectorSums);
                }
                for (int oc = 0; oc < g.OutC; oc++)
                    sums[VectorLength + oc] += TensorPrimitives.Sum<T>(DY.AsSpan((b * g.OutC + oc) * plane, plane));
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> over samples 0..n-1 and returns the number of workers used: in parallel when there
    /// is more than one sample and enough work, else on the calling thread as worker 0. Each worker takes a fixed,
    /// contiguous range of samples and keeps its sums in its own scratch; the callers add those in worker order, so
    /// the weight gradient comes out bit for bit the same on every run with the same
    /// <see cref="EngineSettings.MaxThreads"/> (a work-stealing split would make a seeded training run drift). The body
    /// is a struct and the workers are kept threads (<see cref="WorkerPool"/>), so a warmed-up loop allocates nothing.
    /// </summary>
    private static int ForEachSample<T, TBody>(int n, long workPerSample, ConvScratch<T> scratch, TBody body)
        where T : unmanaged where TBody : struct, ISampleRange
    {
        int workers = Math.Min(n, EngineSettings.MaxThreads);
        if (workers <= 1 || workPerSample * n < ParallelThreshold) workers = 1;
        scratch.Prepare(workers);
        if (workers == 1) body.Run(0, 0, n);
        else WorkerPool.Run(n, workers, body);
        return workers;
    }
}

/// <summary>
/// A convolution layer's working memory for the fast paths of <see cref="ConvCore"/>, kept across calls so that a
/// warmed-up training step allocates nothing: per worker the padded input (or im2col matrix), the output grid and the
/// gradient sums, plus the tap offsets and the flipped kernel. Buffers grow to the largest size asked for and are
/// not cleared between calls (the callers overwrite or clear what they read). Each worker touches only its own
/// buffers; like the layer's cache, one scratch serves one call at a time.
/// </summary>
internal sealed class ConvScratch<T> where T : unmanaged
{
    /// <summary>Slot of a worker's padded input or im2col matrix.</summary>
    public const int InputSlot = 0;

    /// <summary>Slot of a worker's output grid.</summary>
    public const int OutputSlot = 1;

    /// <summary>Slot of a worker's gradient sums.</summary>
    public const int SumSlot = 2;

    private const int Slots = 3;

    private T[]?[] _buffers = [];
    private int[] _offsets = [];
    private T[] _flipped = [];

    /// <summary>Makes room for <paramref name="workers"/> workers; called before they start, so they never resize the table.</summary>
    public void Prepare(int workers)
    {
        if (_buffers.Length < workers * Slots) Array.Resize(ref _buffers, workers * Slots);
    }

    /// <summary>The first <paramref name="length"/> elements of one worker's buffer in one slot.</summary>
    public Span<T> Buffer(int worker, int slot, int length)
    {
        ref var buffer = ref _buffers[worker * Slots + slot];
        if (buffer is null || buffer.Length < length) buffer = new T[length];
        return buffer.AsSpan(0, length);
    }

    /// <summary>The tap offsets of the direct path (shared by the workers, filled before they start).</summary>
    public Span<int> Offsets(int length)
    {
        if (_offsets.Length < length) _offsets = new int[length];
        return _offsets.AsSpan(0, length);
    }

    /// <summary>The flipped kernel of the direct backward data pass (shared by the workers, filled before they start).</summary>
    public Span<T> Flipped(int length)
    {
        if (_flipped.Length < length) _flipped = new T[length];
        return _flipped.AsSpan(0, length);
    }
}

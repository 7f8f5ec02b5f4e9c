using System.Numerics;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// The fast convolution of one layer (Conv2d, Conv1d as H = 1, ConvTranspose2d run backwards): forward, gradient with
/// respect to the input ("backward data") and with respect to weight and bias ("backward weights"), with the same
/// signatures as their naive references in <see cref="Reference.Conv2dReference"/> and
/// <see cref="Reference.ConvTranspose2dReference"/>, which the tests hold them to. For stride 1 a direct convolution on
/// the padded grid (<see cref="ConvDirect"/>), otherwise im2col + GEMM (<see cref="Gemm"/>); samples split over the
/// engine's worker threads. Shapes: x [N, C, H, W], weight [OutC, C/G, KH, KW], y [N, OutC, OH, OW]. OH and OW are
/// passed in, not recomputed: ConvTranspose2d uses this core with its output as the convolution's input, and there
/// output_padding may add rows that no output position reaches.
/// </summary>
/// <remarks>
/// One object per layer: it holds the layer's working memory, kept across calls so that a warmed-up training step
/// allocates nothing (per worker the padded input or im2col matrix, the output grid and the gradient sums; the tap
/// offsets and the flipped kernel). Buffers grow to the largest size asked for and are not cleared between calls (the
/// code overwrites or clears what it reads); each worker touches only its own, and like the layer's cache, one core
/// serves one call at a time.
/// </remarks>
internal sealed class ConvCore<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Slots of a worker's buffers: the padded input or im2col matrix, the output grid, the gradient sums.
    private const int InputSlot = 0, OutputSlot = 1, SumSlot = 2, Slots = 3;

    private T[]?[] _buffers = [];
    private int[] _offsets = [];
    private T[] _flipped = [];

    /// <summary>
    /// The kernel this layer's convolutions must use, or null for <see cref="DirectKernel"/>'s rule: set by tests
    /// (every width against the naive reference on one machine) and by the benchmark (direct against im2col).
    /// </summary>
    public ConvKernel? ForcedKernel { get; set; }

    // Largest OCg * Cg*KH*KW for which the direct weight gradient is used: on small grids each worker keeps one vector
    // per weight (up to 64 bytes for float), 4 MiB at this limit. Measured faster than im2col + GEMM at 16 x 200 and 64 x 576.
    private const int DirectWeightGradientLimit = 65536;

    // Grids (outputs per image, padded) below this keep the direct weight gradient in vector form across the batch.
    private const int VectorSumsGridLimit = 1024;

    // ---------- forward: y = W * x + b ----------

    /// <summary>Per sample and group: cols = im2col(x), Y_g [OCg, OH*OW] = W_g [OCg, Cg*KH*KW] cols, then + bias.</summary>
    public void Forward(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y)
    {
        if (DirectGrid(g, h, w, oh, ow) is { } grid)
        {
            ForwardDirect(g, grid, n, h, w, oh, ow, x, weight, bias, y);
            return;
        }
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, new ForwardIm2Col(g, h, w, oh, ow, x, weight, bias, y, this), SampleSplit.Balanced);
    }

    private readonly record struct ForwardIm2Col(ConvGeometry G, int H, int W, int OH, int OW, T[] X, T[] Weight, T[]? Bias, T[] Y, ConvCore<T> Core)
        : ISampleRange
    {
        public void Run(int worker, int from, int to)
        {
            var g = G;
            int plane = OH * OW;
            var cols = Core.Buffer(worker, InputSlot, g.ColRows * plane);
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

    /// <summary>Per sample and group: dCols [Cg*KH*KW, OH*OW] = W_g^T dY_g, then col2im into dX. Overwrites dX.</summary>
    public void BackwardData(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] dY, T[] weight, T[] dX)
    {
        if (DirectGrid(g, h, w, oh, ow) is { } forward && DirectBackwardGrid(g, forward.Kernel, h, w, oh, ow) is { } grid)
        {
            BackwardDataDirect(g, grid, n, h, w, oh, ow, dY, weight, dX);
            return;
        }
        Array.Clear(dX);
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, new BackwardDataIm2Col(g, h, w, oh, ow, dY, weight, dX, this), SampleSplit.Balanced);
    }

    private readonly record struct BackwardDataIm2Col(ConvGeometry G, int H, int W, int OH, int OW, T[] DY, T[] Weight, T[] DX, ConvCore<T> Core)
        : ISampleRange
    {
        public void Run(int worker, int from, int to)
        {
            var g = G;
            int plane = OH * OW;
            var dCols = Core.Buffer(worker, InputSlot, g.ColRows * plane);
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

    /// <summary>
    /// Per sample and group: dW_g [OCg, Cg*KH*KW] += dY_g [OCg, OH*OW] cols^T. Workers take fixed sample ranges, each
    /// accumulating into its own dW/dB sums; the sums are added into dW/dB in worker order at the end.
    /// </summary>
    public void BackwardWeights(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] dY, T[] dW, T[]? dB)
    {
        // Larger layers (AlexNet's 384 x 3456) would need too much per-worker accumulator memory: im2col + GEMM there.
        if (g.OCg * g.ColRows <= DirectWeightGradientLimit && DirectGrid(g, h, w, oh, ow) is { } grid)
        {
            BackwardWeightsDirect(g, grid, n, h, w, oh, ow, x, dY, dW, dB);
            return;
        }
        int workers = ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, new BackwardWeightsIm2Col(g, h, w, oh, ow, x, dY, dW.Length, this));
        for (int worker = 0; worker < workers; worker++)
        {
            var sums = Buffer(worker, SumSlot, dW.Length + g.OutC);
            TensorPrimitives.Add(dW, sums[..dW.Length], dW);
            if (dB is not null) TensorPrimitives.Add(dB, sums[dW.Length..], dB);
        }
    }

    /// <summary>One worker's share of <see cref="BackwardWeights"/>: its sums hold dW, then dB (OutC values).</summary>
    private readonly record struct BackwardWeightsIm2Col(ConvGeometry G, int H, int W, int OH, int OW, T[] X, T[] DY, int WeightLength, ConvCore<T> Core)
        : ISampleRange
    {
        public void Run(int worker, int from, int to)
        {
            var g = G;
            int plane = OH * OW;
            var cols = Core.Buffer(worker, InputSlot, g.ColRows * plane);
            var sums = Core.Buffer(worker, SumSlot, WeightLength + g.OutC);
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

    /// <summary>
    /// Runs <paramref name="body"/> over samples 0..n-1 and returns the number of workers used: in parallel when there
    /// is more than one sample and enough work, else on the calling thread as worker 0. The body is a struct and the
    /// workers are kept threads (<see cref="WorkerPool"/>), so a warmed-up loop allocates nothing.
    /// </summary>
    /// <remarks>
    /// <paramref name="split"/> says how samples meet workers. <see cref="SampleSplit.Fixed"/>: each worker takes a
    /// fixed, contiguous range and keeps its sums in its own scratch; the callers add those in worker order, so the
    /// weight gradient comes out bit for bit the same on every run with the same <see cref="EngineSettings.MaxThreads"/>
    /// (a work-stealing split would make a seeded training run drift). <see cref="SampleSplit.Balanced"/>: for bodies
    /// whose samples write only their own outputs (forward, input gradient), each worker takes the next sample until
    /// none is left, so a core that runs slower for a while (a shared machine) does not leave the other waiting; the
    /// worker index then names only a scratch slot, and the result is the same whoever runs a sample.
    /// </remarks>
    private int ForEachSample<TBody>(int n, long workPerSample, TBody body, SampleSplit split = SampleSplit.Fixed)
        where TBody : struct, ISampleRange
    {
        int workers = ParallelPolicy.WorkersFor(n, workPerSample * n, ParallelPolicy.ConvolutionMultiplyAdds);
        Prepare(workers);
        if (workers == 1) body.Run(0, 0, n);
        else if (split == SampleSplit.Balanced) WorkerPool.RunBalanced(n, workers, body);
        else WorkerPool.Run(n, workers, body);
        return workers;
    }

    // ---------- stride 1: direct convolution on the padded grid (see ConvDirect) ----------

    /// <summary>
    /// The one rule for im2col or direct, and at which width: the layer's forced kernel where a test or the benchmark
    /// set one; im2col for strides above 1 (the grid trick needs stride 1) and where no vector width is accelerated
    /// (Half); else the direct kernel at the widest accelerated width.
    /// </summary>
    /// <remarks>
    /// Why direct for every stride-1 shape at every width: it beat im2col + GEMM of the same width on every lecture
    /// shape measured (float, 2 threads, time direct / time im2col, medians of interleaved runs on a shared 2-core
    /// Zen 3 under load, so about +-0.1). 256 bits (AVX2 + FMA): LeNet conv1 64x1x28x28 k5 fwd+bwd 0.22, conv2
    /// 64x8x14x14 k5 fwd+bwd 0.44, 8x64x56x56 k3 fwd 0.59 and fwd+bwd 0.51, AlexNet's 8x96x27x27 -> 256 k5 fwd 0.77,
    /// 64x16x7x7 k3 fwd+bwd 0.29, a LeNet epoch 0.37. 128 bits (DOTNET_EnableAVX2=0, so no FMA either): 0.39, 0.54,
    /// 0.81, 0.81, 0.94, 0.71, LeNet epoch 0.63. The GEMM has to write and read the unfolded matrix (KH*KW times the
    /// input), and with few channels (LeNet's OutC = 8 or 16) its M is barely one register tile. Where the direct
    /// weight gradient would need too much accumulator memory, <see cref="BackwardWeights"/> still takes im2col.
    /// (Direct at 128 bits against im2col at 256 bits lost on the AlexNet layer, 1.4: the widest width is the one to use.)
    /// </remarks>
    internal ConvKernel DirectKernel(in ConvGeometry g)
    {
        if (ForcedKernel is { } forced)
        {
            if (forced != ConvKernel.Im2Col && !ConvDirect.Supported<T>(forced))
                throw new InvalidOperationException($"Convolution kernel {forced} does not run on this machine for {typeof(T).Name}.");
            return g.SH == 1 && g.SW == 1 ? forced : ConvKernel.Im2Col;
        }
        if (g.SH != 1 || g.SW != 1) return ConvKernel.Im2Col;
        return ConvDirect.Widest<T>();
    }

    /// <summary>The forward grid when the direct path applies (see <see cref="DirectKernel"/>; output size as the grid's), else null.</summary>
    private ConvDirect.Grid? DirectGrid(in ConvGeometry g, int h, int w, int oh, int ow)
    {
        var kernel = DirectKernel(g);
        if (kernel == ConvKernel.Im2Col) return null;
        var grid = ConvDirect.Grid.For<T>(kernel, g.Cg, h, w, g.PH, g.PW, g.KH, g.KW, g.DH, g.DW);
        return grid.OH == oh && grid.OW == ow ? grid : null;
    }

    /// <summary>
    /// The grid of the backward data pass (dY padded by D(K-1) - P, flipped kernel) at the forward grid's width, or
    /// null when that padding would be negative or the result would not cover the input exactly (ConvTranspose2d's
    /// output_padding).
    /// </summary>
    private static ConvDirect.Grid? DirectBackwardGrid(in ConvGeometry g, ConvKernel kernel, int h, int w, int oh, int ow)
    {
        int ph = g.DH * (g.KH - 1) - g.PH, pw = g.DW * (g.KW - 1) - g.PW;
        if (ph < 0 || pw < 0) return null;
        var grid = ConvDirect.Grid.For<T>(kernel, g.OCg, oh, ow, ph, pw, g.KH, g.KW, g.DH, g.DW);
        return grid.OH == h && grid.OW == w ? grid : null;
    }

    private void ForwardDirect(ConvGeometry g, ConvDirect.Grid grid, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y)
    {
        grid.TapOffsets(g.KH, g.KW, g.DH, g.DW, Offsets(g.ColRows));
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, new ForwardDirectRange(g, grid, h, w, oh, ow, x, weight, bias, y, this), SampleSplit.Balanced);
    }

    private readonly record struct ForwardDirectRange(ConvGeometry G, ConvDirect.Grid Grid, int H, int W, int OH, int OW, T[] X, T[] Weight, T[]? Bias, T[] Y, ConvCore<T> Core)
        : ISampleRange
    {
        public void Run(int worker, int from, int to)
        {
            var (g, grid) = (G, Grid);
            int plane = OH * OW;
            var offsets = Core.Offsets(g.ColRows);
            var sx = Core.Buffer(worker, InputSlot, grid.InputLength);
            var sy = Core.Buffer(worker, OutputSlot, g.OCg * grid.Q);
            for (int b = from; b < to; b++)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ConvDirect.Place<T>(X.AsSpan((b * g.C + grp * g.Cg) * H * W, g.Cg * H * W), g.Cg, H, W, sx, grid.Hp * grid.Wp, grid.Wp, g.PH, g.PW);
                    ConvDirect.Correlate<T>(grid, sx, offsets, Weight.AsSpan(grp * g.OCg * g.ColRows, g.OCg * g.ColRows), g.OCg, sy);
                    ConvDirect.Extract<T>(sy, g.OCg, grid.Q, grid.Wp, OH, OW, Bias is null ? default : Bias.AsSpan(grp * g.OCg, g.OCg),
                        Y.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane));
                }
        }
    }

    private void BackwardDataDirect(ConvGeometry g, ConvDirect.Grid grid, int n, int h, int w, int oh, int ow, T[] dY, T[] weight, T[] dX)
    {
        // The flipped kernel with its channel axes swapped, per group: flipped[g][c, oc, kh, kw] = W[g*OCg + oc, c, KH-1-kh, KW-1-kw].
        int taps = g.KH * g.KW, groupLength = g.OCg * g.ColRows;
        var flipped = Flipped(weight.Length);
        for (int grp = 0; grp < g.Groups; grp++)
            for (int oc = 0; oc < g.OCg; oc++)
                for (int c = 0; c < g.Cg; c++)
                    for (int t = 0; t < taps; t++)
                        flipped[grp * groupLength + (c * g.OCg + oc) * taps + t] = weight[grp * groupLength + (oc * g.Cg + c) * taps + taps - 1 - t];
        grid.TapOffsets(g.KH, g.KW, g.DH, g.DW, Offsets(g.OCg * taps));
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, new BackwardDataDirectRange(g, grid, h, w, oh, ow, dY, dX, this), SampleSplit.Balanced);
    }

    private readonly record struct BackwardDataDirectRange(ConvGeometry G, ConvDirect.Grid Grid, int H, int W, int OH, int OW, T[] DY, T[] DX, ConvCore<T> Core)
        : ISampleRange
    {
        public void Run(int worker, int from, int to)
        {
            var (g, grid) = (G, Grid);
            int taps = g.KH * g.KW, groupLength = g.OCg * g.ColRows, plane = OH * OW;
            int ph = g.DH * (g.KH - 1) - g.PH, pw = g.DW * (g.KW - 1) - g.PW;
            var offsets = Core.Offsets(g.OCg * taps);
            var flipped = Core.Flipped(g.Groups * groupLength);
            var sx = Core.Buffer(worker, InputSlot, grid.InputLength);
            var sy = Core.Buffer(worker, OutputSlot, g.Cg * grid.Q);
            for (int b = from; b < to; b++)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ConvDirect.Place<T>(DY.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), g.OCg, OH, OW, sx, grid.Hp * grid.Wp, grid.Wp, ph, pw);
                    ConvDirect.Correlate<T>(grid, sx, offsets, flipped.Slice(grp * groupLength, groupLength), g.Cg, sy);
                    ConvDirect.Extract<T>(sy, g.Cg, grid.Q, grid.Wp, H, W, default, DX.AsSpan((b * g.C + grp * g.Cg) * H * W, g.Cg * H * W));
                }
        }
    }

    private void BackwardWeightsDirect(ConvGeometry g, ConvDirect.Grid grid, int n, int h, int w, int oh, int ow, T[] x, T[] dY, T[] dW, T[]? dB)
    {
        grid.TapOffsets(g.KH, g.KW, g.DH, g.DW, Offsets(g.ColRows));
        // Per worker: dW (on small grids as one vector per weight, lanes summed once at the end), then dB.
        bool vectorSums = grid.Q < VectorSumsGridLimit;
        int vectorLength = dW.Length * (vectorSums ? ConvDirect.Lanes<T>(grid.Kernel) : 1);
        int workers = ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow,
            new BackwardWeightsDirectRange(g, grid, h, w, oh, ow, x, dY, vectorSums, vectorLength, this));
        for (int worker = 0; worker < workers; worker++)
        {
            var sums = Buffer(worker, SumSlot, vectorLength + g.OutC);
            if (vectorSums) ConvDirect.AddLaneSums<T>(grid.Kernel, sums[..vectorLength], dW);
            else TensorPrimitives.Add(dW, sums[..vectorLength], dW);
            if (dB is not null) TensorPrimitives.Add(dB, sums.Slice(vectorLength, g.OutC), dB);
        }
    }

    private readonly record struct BackwardWeightsDirectRange(ConvGeometry G, ConvDirect.Grid Grid, int H, int W, int OH, int OW, T[] X, T[] DY,
        bool VectorSums, int VectorLength, ConvCore<T> Core) : ISampleRange
    {
        public void Run(int worker, int from, int to)
        {
            var (g, grid) = (G, Grid);
            int plane = OH * OW, lanes = VectorSums ? ConvDirect.Lanes<T>(grid.Kernel) : 1;
            var offsets = Core.Offsets(g.ColRows);
            var sx = Core.Buffer(worker, InputSlot, grid.InputLength);
            var sy = Core.Buffer(worker, OutputSlot, g.OCg * grid.Q);
            var sums = Core.Buffer(worker, SumSlot, VectorLength + g.OutC);
            sums.Clear();
            for (int b = from; b < to; b++)
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ConvDirect.Place<T>(X.AsSpan((b * g.C + grp * g.Cg) * H * W, g.Cg * H * W), g.Cg, H, W, sx, grid.Hp * grid.Wp, grid.Wp, g.PH, g.PW);
                    // dY on the grid, zeros in the extra columns, so they add nothing to the dot products.
                    ConvDirect.Place<T>(DY.AsSpan((b * g.OutC + grp * g.OCg) * plane, g.OCg * plane), g.OCg, OH, OW, sy, grid.Q, grid.Wp, 0, 0);
                    ConvDirect.WeightGradient<T>(grid, sx, offsets, sy, g.OCg, sums.Slice(grp * g.OCg * g.ColRows * lanes, g.OCg * g.ColRows * lanes), VectorSums);
                }
                for (int oc = 0; oc < g.OutC; oc++)
                    sums[VectorLength + oc] += TensorPrimitives.Sum<T>(DY.AsSpan((b * g.OutC + oc) * plane, plane));
            }
        }
    }

    // ---------- im2col / col2im ----------

    /// <summary>
    /// Unfolds x [channels, H, W] into cols [channels * KH * KW, OH * OW]: row (c, kh, kw), column (oh, ow) holds
    /// x[c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW], or 0 where that falls into the padding. Every entry is written.
    /// </summary>
    private static void Im2Col(in ConvGeometry g, ReadOnlySpan<T> x, int channels, int h, int w, int oh, int ow, Span<T> cols)
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

    /// <summary>The adjoint of <see cref="Im2Col"/>: adds each column entry back onto the pixel it came from.</summary>
    private static void Col2Im(in ConvGeometry g, ReadOnlySpan<T> cols, int channels, int h, int w, int oh, int ow, Span<T> x)
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

    // ---------- the transposed convolution: the same passes, run backwards ----------

    /// <summary>
    /// ConvTranspose2d's forward: y = the convolution's input gradient for "dY" = x, plus the bias. Here (h, w) is the
    /// transposed layer's input and (oh, ow) its output, so the convolution's geometry sees them swapped.
    /// </summary>
    public void TransposedForward(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y)
    {
        BackwardData(g, n, oh, ow, h, w, x, weight, y);
        if (bias is null) return;
        int outC = g.C;
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < outC; oc++)
            {
                var plane = y.AsSpan((b * outC + oc) * oh * ow, oh * ow);
                TensorPrimitives.Add(plane, bias[oc], plane);
            }
    }

    /// <summary>
    /// ConvTranspose2d's backward: dX = the convolution of dY with W (a forward pass), dW += the convolution's weight
    /// gradient with the roles of input and output gradient exchanged, dB += the sum of dY per channel.
    /// </summary>
    public void TransposedBackward(in ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] dY, T[] weight, T[] dX, T[] dW, T[]? dB)
    {
        Forward(g, n, oh, ow, h, w, dY, weight, null, dX);
        BackwardWeights(g, n, oh, ow, h, w, dY, x, dW, null);
        if (dB is null) return;
        int outC = g.C;
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < outC; oc++)
                dB[oc] += TensorPrimitives.Sum<T>(dY.AsSpan((b * outC + oc) * oh * ow, oh * ow));
    }

    // ---------- working memory ----------

    /// <summary>Makes room for <paramref name="workers"/> workers; called before they start, so they never resize the table.</summary>
    private void Prepare(int workers)
    {
        if (_buffers.Length < workers * Slots) Array.Resize(ref _buffers, workers * Slots);
    }

    /// <summary>The first <paramref name="length"/> elements of one worker's buffer in one slot.</summary>
    private Span<T> Buffer(int worker, int slot, int length)
    {
        ref var buffer = ref _buffers[worker * Slots + slot];
        if (buffer is null || buffer.Length < length) buffer = new T[length];
        return buffer.AsSpan(0, length);
    }

    /// <summary>The tap offsets of the direct path (shared by the workers, filled before they start).</summary>
    private Span<int> Offsets(int length)
    {
        if (_offsets.Length < length) _offsets = new int[length];
        return _offsets.AsSpan(0, length);
    }

    /// <summary>The flipped kernel of the direct backward data pass (shared by the workers, filled before they start).</summary>
    private Span<T> Flipped(int length)
    {
        if (_flipped.Length < length) _flipped = new T[length];
        return _flipped.AsSpan(0, length);
    }
}

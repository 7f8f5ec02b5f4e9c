using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>Stride 1: the direct convolution on the padded grid (<see cref="ConvDirect"/>) at the chosen vector width, split over samples.</summary>
internal static partial class ConvCore
{
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
    /// weight gradient would need too much accumulator memory, <see cref="BackwardWeightsFast{T}"/> still takes im2col.
    /// (Direct at 128 bits against im2col at 256 bits lost on the AlexNet layer, 1.4: the widest width is the one to use.)
    /// </remarks>
    internal static ConvKernel DirectKernel<T>(in ConvGeometry g, ConvScratch<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (scratch.ForcedKernel is { } forced)
        {
            if (forced != ConvKernel.Im2Col && !ConvDirect.Supported<T>(forced))
                throw new InvalidOperationException($"Convolution kernel {forced} does not run on this machine for {typeof(T).Name}.");
            return g.SH == 1 && g.SW == 1 ? forced : ConvKernel.Im2Col;
        }
        if (g.SH != 1 || g.SW != 1) return ConvKernel.Im2Col;
        return ConvDirect.Widest<T>();
    }

    /// <summary>The forward grid when the direct path applies (see <see cref="DirectKernel{T}"/>; output size as the grid's), else null.</summary>
    private static ConvDirect.Grid? DirectGrid<T>(in ConvGeometry g, int h, int w, int oh, int ow, ConvScratch<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var kernel = DirectKernel(g, scratch);
        if (kernel == ConvKernel.Im2Col) return null;
        var grid = ConvDirect.Grid.For<T>(kernel, g.Cg, h, w, g.PH, g.PW, g.KH, g.KW, g.DH, g.DW);
        return grid.OH == oh && grid.OW == ow ? grid : null;
    }

    /// <summary>
    /// The grid of the backward data pass (dY padded by D(K-1) - P, flipped kernel) at the forward grid's width, or
    /// null when that padding would be negative or the result would not cover the input exactly (ConvTranspose2d's
    /// output_padding).
    /// </summary>
    private static ConvDirect.Grid? DirectBackwardGrid<T>(in ConvGeometry g, ConvKernel kernel, int h, int w, int oh, int ow) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ph = g.DH * (g.KH - 1) - g.PH, pw = g.DW * (g.KW - 1) - g.PW;
        if (ph < 0 || pw < 0) return null;
        var grid = ConvDirect.Grid.For<T>(kernel, g.OCg, oh, ow, ph, pw, g.KH, g.KW, g.DH, g.DW);
        return grid.OH == h && grid.OW == w ? grid : null;
    }

    private static void ForwardDirect<T>(ConvGeometry g, ConvDirect.Grid grid, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y, ConvScratch<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        grid.TapOffsets(g.KH, g.KW, g.DH, g.DW, scratch.Offsets(g.ColRows));
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, scratch, new ForwardDirectRange<T>(g, grid, h, w, oh, ow, x, weight, bias, y, scratch), SampleSplit.Balanced);
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
                    ConvDirect.Correlate<T>(grid, sx, offsets, Weight.AsSpan(grp * g.OCg * g.ColRows, g.OCg * g.ColRows), g.OCg, sy);
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
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, scratch, new BackwardDataDirectRange<T>(g, grid, h, w, oh, ow, dY, dX, scratch), SampleSplit.Balanced);
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
                    ConvDirect.Correlate<T>(grid, sx, offsets, flipped.Slice(grp * groupLength, groupLength), g.Cg, sy);
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
        int vectorLength = dW.Length * (vectorSums ? ConvDirect.Lanes<T>(grid.Kernel) : 1);
        int workers = ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, scratch,
            new BackwardWeightsDirectRange<T>(g, grid, h, w, oh, ow, x, dY, vectorSums, vectorLength, scratch));
        for (int worker = 0; worker < workers; worker++)
        {
            var sums = scratch.Buffer(worker, ConvScratch<T>.SumSlot, vectorLength + g.OutC);
            if (vectorSums) ConvDirect.AddLaneSums<T>(grid.Kernel, sums[..vectorLength], dW);
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
            int plane = OH * OW, lanes = VectorSums ? ConvDirect.Lanes<T>(grid.Kernel) : 1;
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
                    ConvDirect.WeightGradient<T>(grid, sx, offsets, sy, g.OCg, sums.Slice(grp * g.OCg * g.ColRows * lanes, g.OCg * g.ColRows * lanes), VectorSums);
                }
                for (int oc = 0; oc < g.OutC; oc++)
                    sums[VectorLength + oc] += TensorPrimitives.Sum<T>(DY.AsSpan((b * g.OutC + oc) * plane, plane));
            }
        }
    }
}

using System.Numerics;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// The arithmetic shared by Conv2d, Conv1d (H = 1) and ConvTranspose2d: forward, gradient with respect to the input
/// ("backward data") and with respect to weight and bias ("backward weights"), each as a naive loop over the
/// defining formula and as a fast path: for stride 1 a direct convolution on the padded grid (<see cref="ConvDirect"/>),
/// otherwise im2col + GEMM. Shapes: x [N, C, H, W], weight [OutC, C/G, KH, KW],
/// y [N, OutC, OH, OW]. OH and OW are passed in, not recomputed: ConvTranspose2d uses this core with its output as
/// the convolution's input, and there output_padding may add rows that no output position reaches.
/// <para>
/// One class in four files, by concern: the fast paths and their parallel split here; the naive formulas in
/// Reference/ConvNaive.cs; the unfolding in ConvIm2Col.cs; the stride-1 direct path in ConvCore.Direct.cs. The
/// hyper-parameters are <see cref="ConvGeometry"/>, the per-worker buffers <see cref="ConvScratch{T}"/> (Runtime/).
/// </para>
/// </summary>
internal static partial class ConvCore
{
    // Below this many multiply-adds a call stays on one thread: waking the workers would cost more than they save.
    private const long ParallelThreshold = 1 << 18;

    // Largest OCg * Cg*KH*KW for which the direct weight gradient is used: on small grids each worker keeps one vector
    // per weight (up to 64 bytes for float), 4 MiB at this limit. Measured faster than im2col + GEMM at 16 x 200 and 64 x 576.
    private const int DirectWeightGradientLimit = 65536;

    // Grids (outputs per image, padded) below this keep the direct weight gradient in vector form across the batch.
    private const int VectorSumsGridLimit = 1024;

    // ---------- forward: y = W * x + b ----------

    /// <summary>Per sample and group: cols = im2col(x), Y_g [OCg, OH*OW] = W_g [OCg, Cg*KH*KW] cols, then + bias.</summary>
    public static void ForwardFast<T>(ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] weight, T[]? bias, T[] y, ConvScratch<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (DirectGrid(g, h, w, oh, ow, scratch) is { } grid)
        {
            ForwardDirect(g, grid, n, h, w, oh, ow, x, weight, bias, y, scratch);
            return;
        }
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, scratch, new ForwardIm2Col<T>(g, h, w, oh, ow, x, weight, bias, y, scratch), SampleSplit.Balanced);
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

    /// <summary>Per sample and group: dCols [Cg*KH*KW, OH*OW] = W_g^T dY_g, then col2im into dX. Overwrites dX.</summary>
    public static void BackwardDataFast<T>(ConvGeometry g, int n, int h, int w, int oh, int ow, T[] dY, T[] weight, T[] dX, ConvScratch<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (DirectGrid(g, h, w, oh, ow, scratch) is { } forward && DirectBackwardGrid<T>(g, forward.Kernel, h, w, oh, ow) is { } grid)
        {
            BackwardDataDirect(g, grid, n, h, w, oh, ow, dY, weight, dX, scratch);
            return;
        }
        Array.Clear(dX);
        ForEachSample(n, (long)g.OutC * g.ColRows * oh * ow, scratch, new BackwardDataIm2Col<T>(g, h, w, oh, ow, dY, weight, dX, scratch), SampleSplit.Balanced);
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

    /// <summary>
    /// Per sample and group: dW_g [OCg, Cg*KH*KW] += dY_g [OCg, OH*OW] cols^T. Workers take fixed sample ranges, each
    /// accumulating into its own dW/dB sums; the sums are added into dW/dB in worker order at the end.
    /// </summary>
    public static void BackwardWeightsFast<T>(ConvGeometry g, int n, int h, int w, int oh, int ow, T[] x, T[] dY, T[] dW, T[]? dB, ConvScratch<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Larger layers (AlexNet's 384 x 3456) would need too much per-worker accumulator memory: im2col + GEMM there.
        if (g.OCg * g.ColRows <= DirectWeightGradientLimit && DirectGrid(g, h, w, oh, ow, scratch) is { } grid)
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
    private static int ForEachSample<T, TBody>(int n, long workPerSample, ConvScratch<T> scratch, TBody body, SampleSplit split = SampleSplit.Fixed)
        where T : unmanaged where TBody : struct, ISampleRange
    {
        int workers = WorkerPool.WorkersFor(n, workPerSample * n, ParallelThreshold);
        scratch.Prepare(workers);
        if (workers == 1) body.Run(0, 0, n);
        else if (split == SampleSplit.Balanced) WorkerPool.RunBalanced(n, workers, body);
        else WorkerPool.Run(n, workers, body);
        return workers;
    }
}

namespace CourseNotebooks.Engine.Runtime;

/// <summary>
/// When a loop of the engine goes parallel: the one rule and every cut-off, in one place. A loop over independent
/// items (a convolution's samples, a pooling layer's planes, the points of PCA, t-SNE and the neighbour search) runs
/// on min(items, <see cref="EngineSettings.MaxThreads"/>) of the kept worker threads (<see cref="WorkerPool"/>) when
/// its work reaches the cut-off for its kind of work, and on the calling thread otherwise; the GEMM splits its
/// columns or rows the same way, one thread per <see cref="GemmFlopsPerThread"/>.
/// </summary>
/// <remarks>
/// <para>The measurement behind them (the benchmark's <c>--filter wake</c>, 2-core Zen 3 under a load average of
/// about 4): waking a worker that has slept 1 ms and waiting for it takes a median 12 µs (90th percentile 55 µs),
/// after 5 ms 19 µs (29 µs); right after a previous call, while the worker still spins, 0.5 µs. A call must bring
/// each extra worker several times that much work, or the second core costs more than it saves.</para>
/// <para>The cut-offs are counted in each loop's own unit, whose cost differs by two orders of magnitude: in the
/// benchmark a convolution's multiply-add runs at about 30 per ns in the direct kernel, a scalar window tap of max
/// pooling at about 1 per ns, a tap of the 2x2 vector kernels at about 10 per ns, the GEMM at up to 117 GFLOP/s on
/// one core. Converted to one-thread time, every cut-off sits at 10-100 µs, above the wake-up and its spread under
/// load: 2^18 convolution multiply-adds (about 10 µs; LeNet's first layer is 156,800 per image, so batches of two
/// and more split), 2^16 scalar taps (about 65 µs), 2^20 vector taps (about 100 µs; measured: a 64 x 8 x 28 x 28
/// pool, 400,000 taps, ran slower on two threads than on one), 2^18 elementary steps of a point loop (t-SNE's
/// gradient, a neighbour search), and 4 x 2^20 GEMM flops per thread (about 35 µs at one core's peak).</para>
/// </remarks>
internal static class ParallelPolicy
{
    /// <summary>Multiply-adds of a convolution pass (forward, input or weight gradient) below which one thread does every sample.</summary>
    public const long ConvolutionMultiplyAdds = 1 << 18;

    /// <summary>Window taps of the scalar pooling loops below which one thread does every plane.</summary>
    public const long ScalarPoolTaps = 1 << 16;

    /// <summary>Window taps of the vector 2x2 pooling kernels below which one thread does every plane.</summary>
    public const long VectorPoolTaps = 1 << 20;

    /// <summary>Elementary steps of a point loop (PCA, t-SNE, neighbour search) below which one thread does every point.</summary>
    public const long PointSteps = 1 << 18;

    /// <summary>GEMM flops (2mnk) each thread must get: a product of fewer runs on the calling thread.</summary>
    public const long GemmFlopsPerThread = 4L << 20;

    /// <summary>
    /// The rule: <paramref name="items"/> independent items holding <paramref name="work"/> units of work in all run on
    /// min(items, <see cref="EngineSettings.MaxThreads"/>) workers when the work reaches <paramref name="cutoff"/>,
    /// else on the calling thread alone.
    /// </summary>
    public static int WorkersFor(int items, long work, long cutoff) =>
        items < 2 || work < cutoff ? 1 : Math.Min(items, EngineSettings.MaxThreads);

    /// <summary>The GEMM's threads for <paramref name="flops"/> flops: one per <see cref="GemmFlopsPerThread"/>, at most MaxThreads.</summary>
    public static int GemmThreads(long flops) => (int)Math.Min(EngineSettings.MaxThreads, flops / GemmFlopsPerThread);
}

using CourseNotebooks.Engine.Kernels;

namespace CourseNotebooks.Engine.Runtime;

/// <summary>One worker's share of a per-sample loop: the samples [from, to).</summary>
internal interface ISampleRange
{
    /// <summary>Runs samples <paramref name="from"/> to <paramref name="to"/> - 1 as worker <paramref name="worker"/>.</summary>
    void Run(int worker, int from, int to);
}

/// <summary>How the samples of a pool loop meet its workers (see <see cref="WorkerPool"/>).</summary>
internal enum SampleSplit
{
    /// <summary>Worker w always takes the same contiguous range: for bodies that sum per worker and must repeat bit for bit.</summary>
    Fixed,

    /// <summary>Each worker takes the next sample until none is left: for bodies whose samples write only their own outputs.</summary>
    Balanced,
}

/// <summary>
/// Threads kept for the life of the process that run every parallel loop of the engine: <see cref="ConvCore{T}"/>'s
/// per-sample loops, the pooling layers' plane loops (<see cref="PlaneLoop"/>), the GEMM's column or row panels and
/// the point loops of PCA, t-SNE and the neighbour search (<see cref="PointLoop"/>). The samples are split
/// into W fixed ranges, worker w taking [n*w/W, n*(w+1)/W) with its own scratch, exactly the split a Parallel.For over
/// the workers would make; the calling thread and W-1 kept threads take the ranges in turn, so a thread woken late
/// (the cores are shared) leaves its range to the others, and which thread ran a range never changes its result.
/// Unlike Parallel.For (about a kilobyte of task and closure objects per call, a dozen calls per training step) a
/// warmed-up call allocates nothing. The pool serves one caller at a time; a second thread that finds it busy runs
/// the same ranges with Parallel.For, so the results are the same either way.
/// </summary>
internal static class WorkerPool
{
    private static readonly object s_gate = new();
    private static readonly List<Helper> s_helpers = [];
    // Each kept thread releases it once when its ranges are done, and the caller takes it once per thread. Not a
    // CountdownEvent: that one creates its lock object the first time a caller really has to block, an allocation
    // that can fall in any later call; SemaphoreSlim creates it in its constructor.
    private static readonly SemaphoreSlim s_done = new(0);

    /// <summary>Runs <paramref name="body"/> for workers 0 .. <paramref name="workers"/> - 1 over samples 0 .. n-1 and waits for all of them.</summary>
    /// <exception cref="AggregateException">A worker threw; holds what each failing worker threw, as Parallel.For does.</exception>
    public static void Run<TBody>(int n, int workers, TBody body) where TBody : struct, ISampleRange =>
        Run(n, workers, body, SampleSplit.Fixed);

    /// <summary>
    /// Runs <paramref name="body"/> over samples 0 .. n-1 one sample at a time, each of the <paramref name="workers"/>
    /// threads taking the next sample until none is left (<see cref="SampleSplit.Balanced"/>): the worker index passed
    /// to the body is the thread's scratch slot, not a fixed share of the samples. Only for bodies whose samples are
    /// independent. Why: on a shared machine the cores do not run at the same speed from one moment to the next, and with
    /// fixed halves the faster one waits for the slower; taking samples one at a time lets it do more of them. On the
    /// course's 2-core test machine a core sat idle about 15 % of a 2-thread convolution forward over 8 samples in two
    /// fixed halves; the machine's drift was too large to show the change in a benchmark.
    /// </summary>
    public static void RunBalanced<TBody>(int n, int workers, TBody body) where TBody : struct, ISampleRange =>
        Run(n, workers, body, SampleSplit.Balanced);

    private static void Run<TBody>(int n, int workers, TBody body, SampleSplit split) where TBody : struct, ISampleRange
    {
        // A loop started from inside a running one (a GEMM inside a convolution's sample range, on the thread that
        // holds the pool) or while another thread holds it runs on Parallel.For: the pool's one work item is in use.
        // Fixed ranges there for either split: a balanced body's samples are independent, so its result is the same.
        if (Monitor.IsEntered(s_gate) || !Monitor.TryEnter(s_gate))
        {
            RunWithParallelFor(n, workers, body);
            return;
        }
        try
        {
            while (s_helpers.Count < workers - 1) s_helpers.Add(new Helper(s_helpers.Count + 1));
            var item = WorkItem<TBody>.Shared;
            item.Set(body, n, workers, split);
            for (int worker = 1; worker < workers; worker++) s_helpers[worker - 1].Start(item);
            Exception? error = null;
            try { item.RunRanges(); }
            catch (Exception e) { error = e; }
            for (int worker = 1; worker < workers; worker++) s_done.Wait();
            // Drop the body's array references, so the pool does not keep a batch alive between calls.
            item.Set(default, 0, 1, SampleSplit.Fixed);
            bool failed = error is not null;
            for (int worker = 1; worker < workers; worker++) failed |= s_helpers[worker - 1].Error is not null;
            if (failed)
                throw new AggregateException(new[] { error }.Concat(s_helpers.Take(workers - 1).Select(h => h.Error)).OfType<Exception>());
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    /// <summary>
    /// How many loops found the pool busy and ran on Parallel.For instead (which allocates its tasks and closure): the
    /// allocation tests tell such a call, made while some other thread held the pool, from an allocation of their own.
    /// </summary>
    internal static long ParallelForFallbacks => Interlocked.Read(ref s_parallelForFallbacks);

    private static long s_parallelForFallbacks;

    // Its own method so that the closure Parallel.For needs is allocated on this path only.
    private static void RunWithParallelFor<TBody>(int n, int workers, TBody body) where TBody : struct, ISampleRange
    {
        Interlocked.Increment(ref s_parallelForFallbacks);
        RunOnParallelFor(n, workers, body);
    }

    private static void RunOnParallelFor<TBody>(int n, int workers, TBody body) where TBody : struct, ISampleRange
        => Parallel.For(0, workers, EngineSettings.ParallelOptions, worker => body.Run(worker, Start(n, workers, worker), Start(n, workers, worker + 1)));

    /// <summary>The first sample of a worker's range: worker w of W takes [n*w/W, n*(w+1)/W).</summary>
    private static int Start(int n, int workers, int worker) => (int)((long)n * worker / workers);

    private abstract class WorkItem
    {
        /// <summary>Takes the next range not yet taken and runs it, until none is left.</summary>
        public abstract void RunRanges();
    }

    /// <summary>The current loop of one body type; one object per type, reused because the pool serves one caller at a time.</summary>
    private sealed class WorkItem<TBody> : WorkItem where TBody : struct, ISampleRange
    {
        public static readonly WorkItem<TBody> Shared = new();

        private TBody _body;
        private int _n, _workers = 1, _taken, _slots;
        private SampleSplit _split;

        public void Set(TBody body, int n, int workers, SampleSplit split) =>
            (_body, _n, _workers, _split, _taken, _slots) = (body, n, workers, split, 0, 0);

        public override void RunRanges()
        {
            if (_split == SampleSplit.Balanced)
            {
                // Exactly `workers` threads get here (the caller and workers - 1 kept threads), so the slots are 0 .. workers - 1.
                int slot = Interlocked.Increment(ref _slots) - 1;
                for (int sample; (sample = Interlocked.Increment(ref _taken) - 1) < _n;)
                    _body.Run(slot, sample, sample + 1);
                return;
            }
            for (int worker; (worker = Interlocked.Increment(ref _taken) - 1) < _workers;)
                _body.Run(worker, Start(_n, _workers, worker), Start(_n, _workers, worker + 1));
        }
    }

    /// <summary>One kept thread: waits for a work item, runs the ranges it gets to, signals the caller.</summary>
    private sealed class Helper
    {
        private readonly SemaphoreSlim _start = new(0);
        private WorkItem? _item;

        public Helper(int worker)
        {
            new Thread(Loop) { IsBackground = true, Name = $"CourseNotebooks sample worker {worker}" }.Start();
        }

        /// <summary>What this worker threw in the last call, or null.</summary>
        public Exception? Error { get; private set; }

        public void Start(WorkItem item)
        {
            _item = item;
            Error = null;
            _start.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _start.Wait();
                try { _item!.RunRanges(); }
                catch (Exception e) { Error = e; }
                finally
                {
                    _item = null;
                    s_done.Release();
                }
            }
        }
    }
}

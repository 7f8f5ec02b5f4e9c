using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Runtime;

/// <summary>
/// Engine-wide settings. <see cref="MaxThreads"/> caps the threads of every parallel loop in the engine: the
/// GEMM's and the layers' (convolution, pooling) alike, so one setting makes a whole training step single-threaded.
/// Introduced in notebook 07-training-on-real-data.
/// </summary>
public static class EngineSettings
{
    private static ParallelOptions s_options = new() { MaxDegreeOfParallelism = Gemm.MaxThreads };

    /// <summary>
    /// The most threads any engine call uses (default: <see cref="Environment.ProcessorCount"/>). The same value
    /// as <see cref="Gemm.MaxThreads"/>: setting either sets both.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => Gemm.MaxThreads;
        set => Gemm.MaxThreads = value;
    }

    /// <summary>Options for the layers' Parallel.For loops; cached so a warmed-up loop allocates no options object.</summary>
    internal static ParallelOptions ParallelOptions
    {
        get
        {
            var options = s_options;
            if (options.MaxDegreeOfParallelism != Gemm.MaxThreads)
                s_options = options = new ParallelOptions { MaxDegreeOfParallelism = Gemm.MaxThreads };
            return options;
        }
    }
}

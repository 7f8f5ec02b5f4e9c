namespace CourseNotebooks.Engine.Runtime;

/// <summary>
/// Which code path a layer, loss or optimizer runs. Every fast path (vectorized, blocked, parallel; in Kernels/ or
/// beside its layer) has a naive reference in Reference/ with the same parameters: loops that follow the formula,
/// readable next to the slides, which the tests hold the fast path to. Layers whose math is a single library
/// primitive (a copy, an element-wise product: Dropout, Embedding, Transpose, ...) have one path, the same for both.
/// Introduced in notebook 08-cnn-for-audio (the spectrogram's FFT against its DFT).
/// </summary>
public enum Implementation
{
    /// <summary>The fast path (default).</summary>
    Fast,

    /// <summary>The naive reference that mirrors the formula (Reference/).</summary>
    Naive,
}

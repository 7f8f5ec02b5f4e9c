using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Signal;

/// <summary>
/// Drum tracks ready for a 1-D CNN: each track's spectrogram standardised by one mean and standard deviation (the
/// training set's, so held-out tracks use the same scale), stacked into <see cref="Inputs"/> [N, Bands, Frames], with
/// frame targets (<see cref="DrumMixer.FrameTargets"/>) in <see cref="Targets"/> [N, 1, Frames]. All tracks must have
/// the same length. Introduced in notebook 08-cnn-for-audio.
/// </summary>
public sealed class OnsetDataset
{
    private OnsetDataset(DrumTrack[] tracks, Spectrogram[] spectrograms, Tensor<float> inputs, Tensor<float> targets, double mean, double std)
    {
        Tracks = tracks;
        Spectrograms = spectrograms;
        Inputs = inputs;
        Targets = targets;
        Mean = mean;
        StandardDeviation = std;
    }

    /// <summary>The tracks, in order.</summary>
    public IReadOnlyList<DrumTrack> Tracks { get; }

    /// <summary>Each track's spectrogram (not standardised).</summary>
    public IReadOnlyList<Spectrogram> Spectrograms { get; }

    /// <summary>Standardised spectrograms, [N, Bands, Frames].</summary>
    public Tensor<float> Inputs { get; }

    /// <summary>Frame targets, [N, 1, Frames]: 1 at an onset's frame, 0.5 beside it, 0 elsewhere.</summary>
    public Tensor<float> Targets { get; }

    /// <summary>The mean subtracted from every value.</summary>
    public double Mean { get; }

    /// <summary>The standard deviation every value was divided by.</summary>
    public double StandardDeviation { get; }

    /// <summary>Number of tracks.</summary>
    public int Count => Tracks.Count;

    /// <summary>Frames per second of the spectrograms.</summary>
    public double FramesPerSecond => Spectrograms[0].FramesPerSecond;

    /// <summary>Each track's true onset times (s).</summary>
    public double[][] Onsets => [.. Tracks.Select(t => t.OnsetTimes)];

    /// <summary>
    /// Computes the spectrograms and stacks them.
    /// </summary>
    /// <param name="tracks">Tracks of equal length and sample rate.</param>
    /// <param name="settings">Spectrogram settings; null for the defaults.</param>
    /// <param name="scale">The mean and standard deviation to use (a training set's); null to measure them on these tracks.</param>
    /// <exception cref="ArgumentException">No tracks, or tracks of different lengths or sample rates.</exception>
    public static OnsetDataset Build(IReadOnlyList<DrumTrack> tracks, SpectrogramSettings? settings = null, (double Mean, double StandardDeviation)? scale = null)
    {
        ArgumentNullException.ThrowIfNull(tracks);
        if (tracks.Count == 0) throw new ArgumentException("OnsetDataset: no tracks.", nameof(tracks));
        for (int i = 1; i < tracks.Count; i++)
            if (tracks[i].Samples.Length != tracks[0].Samples.Length || tracks[i].SampleRate != tracks[0].SampleRate)
                throw new ArgumentException(
                    $"OnsetDataset: track {i}: expected {tracks[0].Samples.Length} samples at {tracks[0].SampleRate} Hz as track 0, got {tracks[i].Samples.Length} at {tracks[i].SampleRate} Hz.", nameof(tracks));
        var spectrograms = new Spectrogram[tracks.Count];
        PointLoop.For(tracks.Count, tracks[0].Samples.Length, i => spectrograms[i] = Spectrogram.Compute(tracks[i].Samples, tracks[i].SampleRate, settings));
        int bands = spectrograms[0].Bands, frames = spectrograms[0].Frames, plane = bands * frames;
        var (mean, std) = scale ?? MeasureScale(spectrograms);
        var inputs = new Tensor<float>(tracks.Count, bands, frames);
        var targets = new Tensor<float>(tracks.Count, 1, frames);
        for (int i = 0; i < tracks.Count; i++)
        {
            var values = spectrograms[i].Values.Data;
            for (int j = 0; j < plane; j++) inputs.Data[i * plane + j] = (float)((values[j] - mean) / std);
            DrumMixer.FrameTargets(tracks[i].OnsetTimes, frames, spectrograms[i].FramesPerSecond).CopyTo(targets.Data, i * frames);
        }
        return new OnsetDataset([.. tracks], spectrograms, inputs, targets, mean, std);
    }

    /// <summary>The inputs and targets of the tracks at <paramref name="indices"/>, copied into new tensors.</summary>
    public (Tensor<float> X, Tensor<float> Y) Batch(ReadOnlySpan<int> indices)
    {
        int bands = Inputs.Size(1), frames = Inputs.Size(2), plane = bands * frames;
        var x = new Tensor<float>(indices.Length, bands, frames);
        var y = new Tensor<float>(indices.Length, 1, frames);
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"OnsetDataset.Batch: index {i} is {indices[i]}, expected 0 to {Count - 1}.");
            Array.Copy(Inputs.Data, indices[i] * plane, x.Data, i * plane, plane);
            Array.Copy(Targets.Data, indices[i] * frames, y.Data, i * frames, frames);
        }
        return (x, y);
    }

    /// <summary>
    /// A model's onset probability per frame for every track: σ of its output [N, 1, Frames], run in evaluation mode
    /// in batches of <paramref name="batchSize"/> (the model is left in evaluation mode).
    /// </summary>
    public float[][] Activations(Module<float> model, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Eval();
        int frames = Inputs.Size(2);
        var result = new float[Count][];
        for (int start = 0; start < Count; start += batchSize)
        {
            int[] indices = [.. Enumerable.Range(start, Math.Min(batchSize, Count - start))];
            var output = model.Forward(Batch(indices).X);
            ShapeCheck.SameShape("OnsetDataset.Activations", "model output", [indices.Length, 1, frames], output.Shape);
            for (int i = 0; i < indices.Length; i++)
                result[start + i] = [.. output.Data.AsSpan(i * frames, frames).ToArray().Select(v => 1 / (1 + MathF.Exp(-v)))];
        }
        return result;
    }

    /// <summary>The spectral flux (<see cref="Onsets.SpectralFlux"/>) of every track's spectrogram.</summary>
    public float[][] SpectralFlux() => [.. Spectrograms.Select(s => Signal.Onsets.SpectralFlux(s.Values))];

    private static (double Mean, double Std) MeasureScale(Spectrogram[] spectrograms)
    {
        double sum = 0, squares = 0;
        long n = 0;
        foreach (var s in spectrograms)
            foreach (float v in s.Values.Data) { sum += v; squares += (double)v * v; n++; }
        double mean = sum / n;
        return (mean, Math.Sqrt(Math.Max(squares / n - mean * mean, 1e-12)));
    }
}

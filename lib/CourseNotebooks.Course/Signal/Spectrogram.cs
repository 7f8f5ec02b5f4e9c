using System.Numerics;
using MathNet.Numerics.IntegralTransforms;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Signal;

/// <summary>
/// How a signal becomes a spectrogram: frames of <see cref="FrameSize"/> samples every <see cref="Hop"/> samples,
/// a periodic Hann window, the magnitude of each frame's DFT, summed into <see cref="Bands"/> triangular bands
/// spaced evenly on the mel scale between <see cref="MinHz"/> and <see cref="MaxHz"/>, then log(1 + γ m) with
/// γ = <see cref="Compression"/>. The defaults at 16 kHz: 32 ms frames, a 10 ms hop (100 frames per second),
/// 40 bands from 30 Hz to 8 kHz. Introduced in notebook 08-cnn-for-audio.
/// </summary>
/// <param name="FrameSize">Samples per frame (the DFT length), at least 2.</param>
/// <param name="Hop">Samples between the starts of two frames, positive.</param>
/// <param name="Bands">Number of mel bands, positive.</param>
/// <param name="MinHz">Lower edge of the lowest band, ≥ 0.</param>
/// <param name="MaxHz">Upper edge of the highest band, above <paramref name="MinHz"/>; at most half the sample rate.</param>
/// <param name="Compression">γ in log(1 + γ m), positive.</param>
public sealed record SpectrogramSettings(int FrameSize = 512, int Hop = 160, int Bands = 40, double MinHz = 30, double MaxHz = 8000,
    double Compression = 100)
{
    /// <summary>Frames per second at a sample rate: sampleRate / Hop.</summary>
    public double FramesPerSecond(int sampleRate) => (double)sampleRate / Hop;
}

/// <summary>
/// A log-magnitude mel-band spectrogram: <see cref="Values"/> is [Bands, Frames], band 0 the lowest, so a batch of
/// them is the [N, C, L] input of a <see cref="Conv1d{T}"/> with the bands as channels and time as the length.
/// Frame t is centred on sample t·Hop (time t / <see cref="FramesPerSecond"/>); the signal is padded with zeros by
/// FrameSize/2 at both ends, as librosa's <c>stft(center=True, pad_mode="constant")</c>, so there are
/// floor(samples / Hop) + 1 frames. Introduced in notebook 08-cnn-for-audio.
/// </summary>
/// <remarks>
/// The DFT of each frame comes from MathNet's FFT (<c>Fourier.Forward</c>, MATLAB's sign and scaling:
/// X_k = Σ_n x_n e^(−2πi kn/N)); <see cref="NaiveDft"/> is the same sum written as two loops, which the tests
/// compare with it. librosa: <c>librosa.feature.melspectrogram(power=1)</c> followed by <c>np.log1p(γ S)</c>
/// (its mel filters are area-normalised; these have peak 1).
/// </remarks>
public sealed class Spectrogram
{
    private Spectrogram(Tensor<float> values, double framesPerSecond, double[] bandCentresHz, SpectrogramSettings settings)
    {
        Values = values;
        FramesPerSecond = framesPerSecond;
        BandCentresHz = bandCentresHz;
        Settings = settings;
    }

    /// <summary>The log-compressed band magnitudes, [Bands, Frames].</summary>
    public Tensor<float> Values { get; }

    /// <summary>Frames per second: sample rate / hop.</summary>
    public double FramesPerSecond { get; }

    /// <summary>The centre frequency of each band, in Hz, ascending.</summary>
    public IReadOnlyList<double> BandCentresHz { get; }

    /// <summary>The settings it was made with.</summary>
    public SpectrogramSettings Settings { get; }

    /// <summary>Number of frames (the time axis).</summary>
    public int Frames => Values.Size(1);

    /// <summary>Number of bands (the channel axis).</summary>
    public int Bands => Values.Size(0);

    /// <summary>The time of frame <paramref name="frame"/>'s centre, in seconds.</summary>
    public double TimeOf(int frame) => frame / FramesPerSecond;

    /// <summary>The spectrogram of a mono signal.</summary>
    /// <param name="samples">The signal, any scale (a WAV's samples are in [−1, 1]).</param>
    /// <param name="sampleRate">Samples per second, positive.</param>
    /// <param name="settings">Framing and bands; null for the defaults.</param>
    /// <param name="implementation">Fast (MathNet's FFT) or Naive (<see cref="NaiveDft"/>, O(N²) per frame).</param>
    /// <exception cref="ArgumentException">An empty signal, a bad setting, or MaxHz above half the sample rate.</exception>
    public static Spectrogram Compute(ReadOnlySpan<float> samples, int sampleRate, SpectrogramSettings? settings = null,
        Implementation implementation = Implementation.Fast)
    {
        settings ??= new SpectrogramSettings();
        Check(samples.Length, sampleRate, settings);
        var filters = MelFilters(settings.FrameSize, sampleRate, settings.Bands, settings.MinHz, settings.MaxHz, out double[] centres);
        var magnitudes = Magnitudes(samples, settings.FrameSize, settings.Hop, implementation);
        int frames = magnitudes.GetLength(0), bins = magnitudes.GetLength(1);
        var values = new Tensor<float>(settings.Bands, frames);
        for (int b = 0; b < settings.Bands; b++)
        {
            // A triangle covers a few bins only: sum over those (the others' weights are 0).
            int first = 0, last = bins - 1;
            while (first < bins && filters[b, first] == 0) first++;
            while (last >= first && filters[b, last] == 0) last--;
            for (int t = 0; t < frames; t++)
            {
                double m = 0;
                for (int k = first; k <= last; k++) m += filters[b, k] * magnitudes[t, k];
                values.Data[b * frames + t] = (float)Math.Log(1 + settings.Compression * m);
            }
        }
        return new Spectrogram(values, settings.FramesPerSecond(sampleRate), centres, settings);
    }

    /// <summary>
    /// |X_k| of every windowed frame, [Frames, FrameSize/2 + 1], with frames centred on multiples of
    /// <paramref name="hop"/> as described on <see cref="Spectrogram"/>. The STFT's magnitude, as
    /// <c>np.abs(librosa.stft(x, n_fft, hop, window="hann", center=True, pad_mode="constant"))</c> transposed.
    /// </summary>
    /// <exception cref="ArgumentException">Empty signal, frame size below 2 or hop not positive.</exception>
    public static double[,] Magnitudes(ReadOnlySpan<float> samples, int frameSize, int hop, Implementation implementation = Implementation.Fast)
    {
        if (samples.Length == 0) throw new ArgumentException("Spectrogram: the signal is empty.", nameof(samples));
        if (frameSize < 2) throw new ArgumentOutOfRangeException(nameof(frameSize), frameSize, $"Spectrogram: frame size must be at least 2, got {frameSize}.");
        ShapeCheck.Positive("Spectrogram", "hop", hop);
        int frames = FrameCount(samples.Length, hop), bins = frameSize / 2 + 1, half = frameSize / 2;
        var window = HannWindow(frameSize);
        var result = new double[frames, bins];
        var buffer = new Complex[frameSize];
        var frame = new double[frameSize];
        for (int t = 0; t < frames; t++)
        {
            int start = t * hop - half;
            for (int n = 0; n < frameSize; n++)
            {
                int i = start + n;
                frame[n] = (uint)i < (uint)samples.Length ? samples[i] * window[n] : 0;
            }
            Complex[] spectrum;
            if (implementation == Implementation.Naive) spectrum = NaiveDft(frame);
            else
            {
                for (int n = 0; n < frameSize; n++) buffer[n] = new Complex(frame[n], 0);
                Fourier.Forward(buffer, FourierOptions.Matlab);
                spectrum = buffer;
            }
            for (int k = 0; k < bins; k++) result[t, k] = spectrum[k].Magnitude;
        }
        return result;
    }

    /// <summary>Frames of a centred STFT: floor(samples / hop) + 1.</summary>
    public static int FrameCount(int samples, int hop) => samples / hop + 1;

    /// <summary>
    /// The DFT as its definition, X_k = Σ_{n&lt;N} x_n e^(−2πi kn/N) for k = 0 … N−1, in O(N²): the reference the
    /// FFT is tested against. NumPy: <c>np.fft.fft</c>.
    /// </summary>
    public static Complex[] NaiveDft(ReadOnlySpan<double> x)
    {
        int n = x.Length;
        var result = new Complex[n];
        for (int k = 0; k < n; k++)
        {
            double re = 0, im = 0;
            for (int j = 0; j < n; j++)
            {
                // kn mod N keeps the angle small, so large N loses no precision in the cosine.
                double angle = -2 * Math.PI * ((long)k * j % n) / n;
                re += x[j] * Math.Cos(angle);
                im += x[j] * Math.Sin(angle);
            }
            result[k] = new Complex(re, im);
        }
        return result;
    }

    /// <summary>The periodic Hann window w_n = 0.5 − 0.5 cos(2πn/N) (scipy: <c>signal.get_window("hann", N)</c>).</summary>
    public static double[] HannWindow(int size)
    {
        ShapeCheck.Positive("HannWindow", "size", size);
        var w = new double[size];
        for (int n = 0; n < size; n++) w[n] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * n / size);
        return w;
    }

    /// <summary>Hz to mel (HTK's formula): 2595 log10(1 + f / 700).</summary>
    public static double HzToMel(double hz) => 2595 * Math.Log10(1 + hz / 700);

    /// <summary>Mel to Hz, the inverse of <see cref="HzToMel"/>.</summary>
    public static double MelToHz(double mel) => 700 * (Math.Pow(10, mel / 2595) - 1);

    /// <summary>
    /// Triangular filters [bands, frameSize/2 + 1]: band b rises from edge b to a peak of 1 at edge b+1 and falls to 0
    /// at edge b+2, with bands + 2 edges evenly spaced in mel from minHz to maxHz. DFT bin k lies at k·rate/frameSize Hz.
    /// </summary>
    public static double[,] MelFilters(int frameSize, int sampleRate, int bands, double minHz, double maxHz, out double[] centresHz)
    {
        int bins = frameSize / 2 + 1;
        double lo = HzToMel(minHz), hi = HzToMel(maxHz);
        var edges = Enumerable.Range(0, bands + 2).Select(i => MelToHz(lo + (hi - lo) * i / (bands + 1))).ToArray();
        var filters = new double[bands, bins];
        for (int b = 0; b < bands; b++)
        {
            for (int k = 0; k < bins; k++)
            {
                double f = (double)k * sampleRate / frameSize;
                double up = (f - edges[b]) / (edges[b + 1] - edges[b]), down = (edges[b + 2] - f) / (edges[b + 2] - edges[b + 1]);
                filters[b, k] = Math.Max(0, Math.Min(up, down));
            }
        }
        centresHz = edges[1..^1];
        return filters;
    }

    private static void Check(int length, int sampleRate, SpectrogramSettings s)
    {
        if (length == 0) throw new ArgumentException("Spectrogram: the signal is empty.", "samples");
        ShapeCheck.Positive("Spectrogram", "sample rate", sampleRate);
        if (s.FrameSize < 2) throw new ArgumentOutOfRangeException(nameof(s), s.FrameSize, $"Spectrogram: frame size must be at least 2, got {s.FrameSize}.");
        ShapeCheck.Positive("Spectrogram", "hop", s.Hop);
        ShapeCheck.Positive("Spectrogram", "bands", s.Bands);
        if (!(s.Compression > 0)) throw new ArgumentOutOfRangeException(nameof(s), s.Compression, $"Spectrogram: compression must be positive, got {s.Compression}.");
        if (!(s.MinHz >= 0 && s.MaxHz > s.MinHz && s.MaxHz <= sampleRate / 2.0))
            throw new ArgumentException(
                $"Spectrogram: bands: expected 0 <= MinHz < MaxHz <= {sampleRate / 2.0} Hz (half the sample rate {sampleRate}), got {s.MinHz} to {s.MaxHz} Hz.", nameof(s));
    }
}

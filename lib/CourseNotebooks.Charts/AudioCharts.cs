using System.Globalization;
using System.Net;
using CourseNotebooks.Course.Signal;
using CourseNotebooks.Display;
using Plotly.NET;

namespace CourseNotebooks.Charts;

// The charts and the player of notebook 08-cnn-for-audio: a waveform with its onsets, a spectrogram, onset
// activations against the true and detected onsets, and an HTML audio element. Built from plain Plotly objects like
// the rest of Charts (see the remarks at the top of Charts.cs).
public static partial class Charts
{
    /// <summary>
    /// The waveform's envelope: the signal cut into <paramref name="buckets"/> equal pieces and each piece's minimum
    /// and maximum, with the piece's start time. A 4-second track at 16 kHz has 64,000 samples, too many for a chart
    /// that stays light; the envelope draws the same outline. Public so a test can recompute what
    /// <see cref="Waveform"/> draws.
    /// </summary>
    /// <exception cref="ArgumentException">No samples, a sample rate or bucket count that is not positive.</exception>
    public static (double[] Time, double[] Min, double[] Max) WaveformEnvelope(IReadOnlyList<float> samples, int sampleRate, int buckets = 2000)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) throw new ArgumentException("Charts.WaveformEnvelope: no samples.", nameof(samples));
        if (sampleRate <= 0 || buckets <= 0)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), $"Charts.WaveformEnvelope: sample rate and buckets must be positive, got {sampleRate} and {buckets}.");
        int count = Math.Min(buckets, samples.Count);
        var (time, min, max) = (new double[count], new double[count], new double[count]);
        for (int b = 0; b < count; b++)
        {
            int from = (int)((long)b * samples.Count / count), to = (int)((long)(b + 1) * samples.Count / count);
            float lo = float.MaxValue, hi = float.MinValue;
            for (int i = from; i < to; i++) { lo = Math.Min(lo, samples[i]); hi = Math.Max(hi, samples[i]); }
            (time[b], min[b], max[b]) = ((double)from / sampleRate, lo, hi);
        }
        return (time, min, max);
    }

    /// <summary>
    /// A waveform (its envelope, <see cref="WaveformEnvelope"/>, filled between minimum and maximum) with the true
    /// onsets as red ticks above it. Introduced in notebook 08-cnn-for-audio.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="samples">Mono samples.</param>
    /// <param name="sampleRate">Samples per second.</param>
    /// <param name="onsets">Onset times in seconds, drawn as markers (trace "true onsets"); null for none.</param>
    public static GenericChart Waveform(string title, IReadOnlyList<float> samples, int sampleRate, IReadOnlyList<double>? onsets = null)
    {
        var (time, min, max) = WaveformEnvelope(samples, sampleRate);
        double top = Math.Max(max.Max(), 1e-6);
        var traces = new List<Trace>
        {
            Trace("scatter", ("name", "minimum"), ("x", time), ("y", min), ("mode", "lines"), ("line", Obj(("width", 0.5), ("color", "#1f77b4"))), ("showlegend", false)),
            Trace("scatter", ("name", "waveform"), ("x", time), ("y", max), ("mode", "lines"), ("fill", "tonexty"),
                ("line", Obj(("width", 0.5), ("color", "#1f77b4")))),
        };
        if (onsets is not null)
            traces.Add(OnsetMarkers("true onsets", onsets, top * 1.1, "#d62728", "triangle-down"));
        var layout = Layout(title, ("xaxis", AxisTitle("time (s)")), ("yaxis", AxisTitle("amplitude")));
        return Figure(layout, [.. traces]);
    }

    /// <summary>
    /// A spectrogram as a heatmap: time (s) across, the bands' centre frequencies (Hz) up, colour the log-compressed
    /// magnitude; z is exactly <see cref="Spectrogram.Values"/>, row b = band b. Introduced in notebook 08-cnn-for-audio.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="spectrogram">The spectrogram.</param>
    /// <param name="onsets">Onset times drawn as markers above the top band; null for none.</param>
    public static GenericChart Spectrogram(string title, Spectrogram spectrogram, IReadOnlyList<double>? onsets = null)
    {
        ArgumentNullException.ThrowIfNull(spectrogram);
        int bands = spectrogram.Bands, frames = spectrogram.Frames;
        var z = new float[bands][];
        for (int b = 0; b < bands; b++) z[b] = spectrogram.Values.Data.AsSpan(b * frames, frames).ToArray();
        var times = Enumerable.Range(0, frames).Select(spectrogram.TimeOf).ToArray();
        // Bands are evenly spaced in mel, not in Hz: the y axis is the band index, labelled with its centre frequency.
        var heatmap = Trace("heatmap", ("z", z), ("x", times), ("y", Enumerable.Range(0, bands).ToArray()), ("colorscale", "Viridis"),
            ("colorbar", Obj(("title", Obj(("text", "log(1 + γ·magnitude)"))))), ("name", "spectrogram"));
        int[] ticks = [.. Enumerable.Range(0, bands).Where(b => b % 5 == 0)];
        var yaxis = Obj(("title", Obj(("text", "mel band (centre frequency, Hz)"))), ("tickvals", ticks),
            ("ticktext", ticks.Select(b => spectrogram.BandCentresHz[b].ToString("0", CultureInfo.InvariantCulture)).ToArray()));
        var traces = new List<Trace> { heatmap };
        if (onsets is not null) traces.Add(OnsetMarkers("true onsets", onsets, bands + 0.5, "#d62728", "triangle-down"));
        return Figure(Layout(title, ("xaxis", AxisTitle("time (s)")), ("yaxis", yaxis)), [.. traces]);
    }

    /// <summary>
    /// Onset activations over time (one line per detector, each scaled to its own maximum so a flux of 30 and a
    /// probability of 1 share one axis), the true onsets as red triangles on top and each detector's picked onsets as
    /// markers on its line's level below. Introduced in notebook 08-cnn-for-audio.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="framesPerSecond">Frames per second of the activations.</param>
    /// <param name="trueOnsets">True onset times (s).</param>
    /// <param name="detectors">Per detector: its name, its activation per frame, and the onset times it picked.</param>
    /// <exception cref="ArgumentException">No detector.</exception>
    public static GenericChart OnsetActivations(string title, double framesPerSecond, IReadOnlyList<double> trueOnsets,
        params (string Name, IReadOnlyList<float> Activation, IReadOnlyList<double> Detected)[] detectors)
    {
        ArgumentNullException.ThrowIfNull(trueOnsets);
        if (detectors.Length == 0) throw new ArgumentException("Charts.OnsetActivations: at least one detector is needed.", nameof(detectors));
        var traces = new List<Trace> { OnsetMarkers("true onsets", trueOnsets, 1.12, "#d62728", "triangle-down") };
        for (int d = 0; d < detectors.Length; d++)
        {
            var (name, activation, detected) = detectors[d];
            string colour = SeriesColours[(d + 1) % SeriesColours.Length];
            double max = Math.Max(activation.Max(), 1e-12);
            traces.Add(Trace("scatter", ("name", $"{name} (÷ {max.ToString("0.###", CultureInfo.InvariantCulture)})"),
                ("x", Enumerable.Range(0, activation.Count).Select(t => t / framesPerSecond).ToArray()),
                ("y", activation.Select(v => v / max).ToArray()), ("mode", "lines"), ("line", Obj(("color", colour), ("width", 1.2)))));
            traces.Add(OnsetMarkers($"{name}: detected", detected, 1.04 - 0.08 * (d + 1), colour, "circle"));
        }
        var layout = Layout(title, ("xaxis", AxisTitle("time (s)")), ("yaxis", Obj(("title", Obj(("text", "activation (scaled to its maximum)"))), ("range", new[] { 0.0, 1.2 }))));
        return Figure(layout, [.. traces]);
    }

    private static Trace OnsetMarkers(string name, IReadOnlyList<double> times, double level, string colour, string symbol) =>
        Trace("scatter", ("name", name), ("x", times.ToArray()), ("y", Enumerable.Repeat(level, times.Count).ToArray()), ("mode", "markers"),
            ("marker", Obj(("color", colour), ("symbol", symbol), ("size", 8))));

    /// <summary>The CSS class of the element <see cref="AudioPlayer"/> returns.</summary>
    public const string AudioClass = "course-audio";

    /// <summary>
    /// An HTML audio player for WAV bytes (<c>WavFile.ToBytes</c> of the audio library), embedded as a base64
    /// <c>data:audio/wav</c> URI: it plays in VS Code, Jupyter and the course's HTML report with no network and no
    /// file beside the notebook. A notebook shows it as HTML; a 4-second 16 kHz clip adds about 170 KB to the saved
    /// notebook. Introduced in notebook 08-cnn-for-audio.
    /// </summary>
    /// <param name="wav">A complete WAV file.</param>
    /// <param name="caption">Text shown above the player.</param>
    /// <exception cref="ArgumentException">Bytes that do not start like a WAV file (RIFF … WAVE).</exception>
    public static HtmlContent AudioPlayer(byte[] wav, string caption)
    {
        ArgumentNullException.ThrowIfNull(wav);
        if (wav.Length < 12 || wav[0] != 'R' || wav[1] != 'I' || wav[2] != 'F' || wav[3] != 'F' || wav[8] != 'W' || wav[9] != 'A' || wav[10] != 'V' || wav[11] != 'E')
            throw new ArgumentException($"Charts.AudioPlayer: expected the bytes of a WAV file (RIFF ... WAVE), got {wav.Length} bytes that are not.", nameof(wav));
        return new HtmlContent(
            $"<figure class=\"{AudioClass}\" style=\"margin:0.5em 0\"><figcaption>{WebUtility.HtmlEncode(caption)}</figcaption>" +
            $"<audio controls preload=\"auto\" src=\"data:audio/wav;base64,{Convert.ToBase64String(wav)}\"></audio></figure>",
            $"[audio player: {caption}, {wav.Length:N0} bytes of WAV]");
    }
}

using CourseNotebooks.Course.Data;
using NAudio.Wave;

namespace CourseNotebooks.Audio;

/// <summary>A mono signal in [−1, 1] and its sample rate. Introduced in notebook 08-cnn-for-audio.</summary>
/// <param name="Samples">The samples; stereo files are averaged to mono.</param>
/// <param name="SampleRate">Samples per second.</param>
public sealed record AudioClip(float[] Samples, int SampleRate)
{
    /// <summary>Length in seconds.</summary>
    public double Seconds => (double)Samples.Length / SampleRate;
}

/// <summary>
/// WAV files through NAudio.Core (MIT; <c>WaveFileReader</c>, <c>WaveFileWriter</c>): reading any PCM or IEEE-float WAV
/// as mono floats, and writing 16-bit PCM WAV (to a file, or to bytes a notebook embeds in an audio player).
/// Introduced in notebook 08-cnn-for-audio.
/// </summary>
public static class WavFile
{
    /// <summary>Reads a WAV file as mono samples in [−1, 1] (channels averaged).</summary>
    /// <param name="path">The file.</param>
    /// <param name="remedy">What to run to get a good copy, for the error message.</param>
    /// <exception cref="DataFileException">The file is missing, is not a WAV file, or is truncated; the message names
    /// the file and <paramref name="remedy"/>.</exception>
    public static AudioClip Read(string path, string remedy = "restore it with `git checkout -- data/`")
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new DataFileException(full, "the file does not exist", remedy);
        try
        {
            using var reader = new WaveFileReader(full);
            int channels = reader.WaveFormat.Channels, rate = reader.WaveFormat.SampleRate;
            var provider = reader.ToSampleProvider();
            var interleaved = new List<float>((int)Math.Min(int.MaxValue, reader.SampleCount * channels));
            var buffer = new float[4096 * channels];
            int read;
            while ((read = provider.Read(buffer)) > 0) interleaved.AddRange(buffer.AsSpan(0, read));
            if (interleaved.Count % channels != 0)
                throw new DataFileException(full, $"the data ends in the middle of a frame ({interleaved.Count} samples, {channels} channels)", remedy);
            var mono = new float[interleaved.Count / channels];
            for (int i = 0; i < mono.Length; i++)
            {
                float sum = 0;
                for (int c = 0; c < channels; c++) sum += interleaved[i * channels + c];
                mono[i] = sum / channels;
            }
            if (mono.Length == 0) throw new DataFileException(full, "the file holds no samples", remedy);
            return new AudioClip(mono, rate);
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException or ArgumentException or InvalidOperationException)
        {
            throw new DataFileException(full, $"not a readable WAV file ({e.Message})", remedy, e);
        }
    }

    /// <summary>
    /// A 16-bit PCM mono WAV file as bytes: each sample clamped to [−1, 1] and scaled by 32767 (rounded). The bytes
    /// an HTML audio element plays from a data URI (<c>Charts.AudioPlayer</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Empty samples or a sample rate that is not positive.</exception>
    public static byte[] ToBytes(ReadOnlySpan<float> samples, int sampleRate)
    {
        if (samples.Length == 0) throw new ArgumentException("WavFile.ToBytes: no samples.", nameof(samples));
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, $"WavFile.ToBytes: sample rate must be positive, got {sampleRate}.");
        var pcm = new short[samples.Length];
        for (int i = 0; i < pcm.Length; i++) pcm[i] = (short)Math.Round(32767 * Math.Clamp(samples[i], -1f, 1f));
        var stream = new MemoryStream();
        using (var writer = new WaveFileWriter(stream, new WaveFormat(sampleRate, 16, 1)))
            writer.WriteSamples(pcm, 0, pcm.Length);
        return stream.ToArray();
    }

    /// <summary>Writes <see cref="ToBytes"/> to a file.</summary>
    public static void Write(string path, ReadOnlySpan<float> samples, int sampleRate) => File.WriteAllBytes(path, ToBytes(samples, sampleRate));
}

using System.Numerics;
using CourseNotebooks.Audio;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Signal;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

/// <summary>The pieces of notebook 08-cnn-for-audio: WAV reading, the mixer's labels, the STFT, onset scoring.</summary>
public sealed class AudioOnsetTests
{
    private static readonly Lazy<DrumKit> Kit = new(() => DrumSamples.Load());

    [Fact]
    public void WavFile_RoundTripsThroughNAudio_ToWithinHalfAStep()
    {
        var random = new Random(1);
        float[] samples = [.. Enumerable.Range(0, 1000).Select(_ => (float)(2 * random.NextDouble() - 1)), 1f, -1f, 1.5f];
        byte[] bytes = WavFile.ToBytes(samples, 16000);
        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.Equal(44 + 2 * samples.Length, bytes.Length);            // a plain 16-bit PCM header and the data
        string path = Path.Combine(Path.GetTempPath(), $"course-wav-{Guid.NewGuid():N}.wav");
        try
        {
            File.WriteAllBytes(path, bytes);
            var clip = WavFile.Read(path);
            Assert.Equal(16000, clip.SampleRate);
            Assert.Equal(samples.Length, clip.Samples.Length);
            for (int i = 0; i < samples.Length; i++)
            {
                // 16-bit PCM, read back as s / 32768: within one step of the clamped value.
                float expected = Math.Clamp(samples[i], -1f, 1f);
                Assert.True(Math.Abs(clip.Samples[i] - expected) <= 1.5 / 32768, $"sample {i}: wrote {expected}, read {clip.Samples[i]}");
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void WavFile_ReadsTheCommittedDrums_AsTheirHeaderSays()
    {
        var kit = Kit.Value;
        Assert.Equal(16000, kit.SampleRate);
        Assert.Equal(7, kit.Sounds.Count);
        foreach (var sound in kit.Sounds)
        {
            // data bytes / 2 = samples (16-bit mono); the 44-byte header is sox's plain one.
            long bytes = new FileInfo(DrumSamples.PathOf(sound.Name)).Length;
            Assert.Equal((bytes - 44) / 2, sound.Samples.Length);
            Assert.InRange(sound.Samples.Max(Math.Abs), 0.05f, 1f);
            // Each starts at its attack: the first 10 ms already reach an eighth of the sound's peak (data/README.md).
            Assert.True(sound.Samples.Take(160).Max(Math.Abs) >= 0.125f * sound.Samples.Max(Math.Abs), sound.Name);
        }
    }

    [Fact]
    public void WavFile_MissingOrCorrupt_NamesTheFileAndTheRemedy()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"course-missing-{Guid.NewGuid():N}.wav");
        var e = Assert.Throws<DataFileException>(() => WavFile.Read(missing, DrumSamples.Remedy));
        Assert.Contains(missing, e.Message);
        Assert.Contains("make-samples", e.Message);
        string corrupt = Path.Combine(Path.GetTempPath(), $"course-corrupt-{Guid.NewGuid():N}.wav");
        File.WriteAllBytes(corrupt, [.. "RIFF\0\0\0\0NOPE"u8.ToArray()]);
        try
        {
            var c = Assert.Throws<DataFileException>(() => WavFile.Read(corrupt, DrumSamples.Remedy));
            Assert.Contains(corrupt, c.Message);
            Assert.Contains("git checkout", c.Message);
        }
        finally { File.Delete(corrupt); }
    }

    [Fact]
    public void Mixer_PutsEveryHitExactlyAtItsOnset_SoTheLabelsAreExact()
    {
        var kit = Kit.Value;
        var silent = new DrumMixSettings(MinNoise: 0, MaxNoise: 0, MinVelocity: 0.5, MaxVelocity: 1);
        var track = DrumMixer.Mix(kit, seed: 3, silent);
        Assert.NotEmpty(track.OnsetTimes);
        // Rebuilt here from the hits alone: without noise the samples are exactly the sum of the placed sounds.
        var rebuilt = new float[track.Samples.Length];
        foreach (var hit in track.Hits)
        {
            int start = (int)Math.Round(hit.Time * track.SampleRate);
            Assert.Equal(hit.Time, (double)start / track.SampleRate);     // on a sample
            var source = kit.Sounds[hit.Sound].Samples;
            for (int i = 0; i < source.Length && start + i < rebuilt.Length; i++) rebuilt[start + i] += hit.Velocity * source[i];
        }
        for (int i = 0; i < rebuilt.Length; i++) Assert.Equal(rebuilt[i], track.Samples[i], 1e-6f);
        // The onsets are the distinct hit times, sorted; before the first one the track is silent.
        Assert.Equal(track.Hits.Select(h => h.Time).Distinct().Order(), track.OnsetTimes);
        int first = (int)Math.Round(track.OnsetTimes[0] * track.SampleRate);
        Assert.All(track.Samples.Take(first), s => Assert.Equal(0f, s));
        Assert.NotEqual(0f, track.Samples[first]);
        // Onsets are at least a sixteenth minus twice the jitter apart at the fastest tempo.
        var gaps = track.OnsetTimes.Zip(track.OnsetTimes.Skip(1), (a, b) => b - a);
        Assert.All(gaps, g => Assert.True(g >= 15.0 / silent.MaxTempo - 2 * silent.TimingJitter - 1.0 / track.SampleRate, $"gap {g}"));
    }

    [Fact]
    public void Mixer_IsSeeded_AndNoiseHasTheRequestedLevel()
    {
        var kit = Kit.Value;
        var a = DrumMixer.Mix(kit, seed: 11);
        var b = DrumMixer.Mix(kit, seed: 11);
        var c = DrumMixer.Mix(kit, seed: 12);
        Assert.Equal(a.Samples, b.Samples);
        Assert.Equal(a.OnsetTimes, b.OnsetTimes);
        Assert.NotEqual(a.OnsetTimes, c.OnsetTimes);
        var settings = new DrumMixSettings();
        Assert.InRange(a.NoiseLevel, settings.MinNoise, settings.MaxNoise);
        Assert.InRange(a.Tempo, settings.MinTempo, settings.MaxTempo);
        Assert.Equal(settings.Seconds, a.Seconds, 1e-9);
    }

    [Fact]
    public void FrameTargets_AreOneAtTheOnsetFrame_AndHalfBesideIt()
    {
        var y = DrumMixer.FrameTargets([0.1, 0.254, 0.999], 100, 100);
        Assert.Equal(1f, y[10]);
        Assert.Equal(0.5f, y[9]);
        Assert.Equal(0.5f, y[11]);
        Assert.Equal(1f, y[25]);
        Assert.Equal(0.5f, y[24]);
        Assert.Equal(0f, y[99]);                            // 0.999 s is frame 100, past the end: no target at all
        Assert.Equal(6, y.Count(v => v > 0));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(512)]
    [InlineData(30)]                                         // not a power of two: MathNet's Bluestein path
    public void Fft_MatchesTheNaiveDft(int n)
    {
        var random = new Random(n);
        double[] x = [.. Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5)];
        var naive = Spectrogram.NaiveDft(x);
        var fast = x.Select(v => new Complex(v, 0)).ToArray();
        MathNet.Numerics.IntegralTransforms.Fourier.Forward(fast, MathNet.Numerics.IntegralTransforms.FourierOptions.Matlab);
        for (int k = 0; k < n; k++)
        {
            Assert.Equal(naive[k].Real, fast[k].Real, 1e-10);
            Assert.Equal(naive[k].Imaginary, fast[k].Imaginary, 1e-10);
        }
        // And the definition itself on a pure tone: a cosine at bin 3 gives n/2 at bins 3 and n − 3, nothing else.
        double[] tone = [.. Enumerable.Range(0, n).Select(j => Math.Cos(2 * Math.PI * 3 * j / n))];
        var spectrum = Spectrogram.NaiveDft(tone);
        for (int k = 0; k < n; k++)
            Assert.Equal(k == 3 || k == n - 3 ? n / 2.0 : 0, spectrum[k].Magnitude, 1e-9);
    }

    [Fact]
    public void StftMagnitudes_FastAndNaive_Agree_WithCentredFrames()
    {
        var random = new Random(5);
        float[] signal = [.. Enumerable.Range(0, 1000).Select(_ => (float)(random.NextDouble() - 0.5))];
        var fast = Spectrogram.Magnitudes(signal, 64, 16);
        var naive = Spectrogram.Magnitudes(signal, 64, 16, Implementation.Naive);
        Assert.Equal(1000 / 16 + 1, fast.GetLength(0));
        Assert.Equal(33, fast.GetLength(1));
        for (int t = 0; t < fast.GetLength(0); t++)
            for (int k = 0; k < 33; k++)
                Assert.Equal(naive[t, k], fast[t, k], 1e-9);
        // Frame 5 is centred on sample 80: its DC bin is the Hann-weighted sum of samples 48..111.
        var w = Spectrogram.HannWindow(64);
        double dc = Enumerable.Range(0, 64).Sum(n => w[n] * signal[48 + n]);
        Assert.Equal(Math.Abs(dc), fast[5, 0], 1e-9);
    }

    [Fact]
    public void Spectrogram_HasBandsAsRows_AndAToneLightsItsBand()
    {
        // A 1 kHz tone: the band whose centre is nearest 1 kHz is the loudest in every middle frame.
        float[] tone = [.. Enumerable.Range(0, 16000).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * 1000 * i / 16000.0)))];
        var s = Spectrogram.Compute(tone, 16000);
        Assert.Equal([40, 101], s.Values.Shape.ToArray());
        Assert.Equal(100, s.FramesPerSecond);
        int nearest = Enumerable.Range(0, 40).MinBy(b => Math.Abs(s.BandCentresHz[b] - 1000));
        for (int t = 5; t < 95; t++)
            Assert.Equal(nearest, Enumerable.Range(0, 40).MaxBy(b => s.Values[b, t]));
        var e = Assert.Throws<ArgumentException>(() => Spectrogram.Compute(tone, 16000, new SpectrogramSettings(MaxHz: 9000)));
        Assert.Contains("half the sample rate", e.Message);
    }

    [Fact]
    public void SpectralFlux_SumsOnlyTheRises()
    {
        var s = Tensor.FromArray(new float[,] { { 0, 1, 1, 0.5f, 2 }, { 0, 2, 0, 0, 1 }, { 1, 1, 3, 0, 0 } });
        Assert.Equal([0f, 3f, 2f, 0f, 2.5f], Onsets.SpectralFlux(s));
    }

    [Fact]
    public void Evaluate_HandMadeCases_FollowTheOnsetConvention()
    {
        // Within ±50 ms counts, one partner each: the second detection near 0.5 is a false alarm.
        var score = Onsets.Evaluate([0.10, 0.52, 0.53, 1.31], [0.12, 0.55, 1.00, 1.28]);
        Assert.Equal(new OnsetScore(3, 1, 1), score);
        Assert.Equal(0.75, score.Precision);
        Assert.Equal(0.75, score.Recall);
        Assert.Equal(0.75, score.F1);
        // Exactly 50 ms counts; 51 ms does not.
        Assert.Equal(1, Onsets.Match([1.05], [1.0]));
        Assert.Equal(0, Onsets.Match([1.051], [1.0]));
        // Nothing detected: P = R = F1 = 0; nothing to detect either: all 0 (mir_eval's convention).
        Assert.Equal(0, Onsets.Evaluate([], [0.5]).F1);
        Assert.Equal(0, Onsets.Evaluate([0.5], []).Precision);
        // Counts add over tracks: F1 of the sum, not the mean of F1s.
        var total = OnsetScore.Sum([new OnsetScore(1, 0, 0), new OnsetScore(0, 1, 1)]);
        Assert.Equal(0.5, total.F1);
        // Order of the inputs does not matter.
        Assert.Equal(3, Onsets.Match([1.31, 0.53, 0.10, 0.52], [1.28, 0.12, 1.00, 0.55]));
    }

    [Fact]
    public void Match_IsAsLargeAsAnyOneToOneMatching_OnRandomCases()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 300; trial++)
        {
            double[] d = [.. Enumerable.Range(0, random.Next(0, 7)).Select(_ => Math.Round(random.NextDouble() * 0.4, 3))];
            double[] r = [.. Enumerable.Range(0, random.Next(0, 7)).Select(_ => Math.Round(random.NextDouble() * 0.4, 3))];
            Assert.Equal(MaximumMatching(d, r, 0.05), Onsets.Match(d, r, 0.05));
        }
    }

    // Kuhn's augmenting paths on the bipartite graph "at most tolerance apart": the general maximum matching.
    private static int MaximumMatching(double[] d, double[] r, double tolerance)
    {
        var partner = Enumerable.Repeat(-1, r.Length).ToArray();
        bool Augment(int i, bool[] seen)
        {
            for (int j = 0; j < r.Length; j++)
            {
                if (seen[j] || Math.Abs(d[i] - r[j]) > tolerance + 1e-9) continue;
                seen[j] = true;
                if (partner[j] < 0 || Augment(partner[j], seen)) { partner[j] = i; return true; }
            }
            return false;
        }
        return Enumerable.Range(0, d.Length).Count(i => Augment(i, new bool[r.Length]));
    }

    [Fact]
    public void PickPeaks_TakesLocalMaxima_AboveTheMovingMeanPlusDelta_AtLeastMinGapApart()
    {
        float[] a = [0, 0, 5, 0, 0, 0, 0, 1, 0, 0, 0, 4, 4.5f, 0, 0, 0];
        // Fixed threshold 2: peaks at 2 and 12 (11 is not the local maximum; 7 is below 2).
        Assert.Equal([2, 12], Onsets.PickPeaks(a, new PeakPicking(2, MaxWindow: 1, MeanWindow: 0, MinGap: 1)));
        // Threshold 0.5 with no moving mean: 7 also counts.
        Assert.Equal([2, 7, 12], Onsets.PickPeaks(a, new PeakPicking(0.5, MaxWindow: 1, MeanWindow: 0, MinGap: 1)));
        // The moving mean of ±2 frames around 7 is 0.2: 1 >= 0.2 + 0.5 passes, 1 >= 0.2 + 0.9 does not (12: 4.5 >= 1.7 + 0.9).
        Assert.Equal([2, 7, 12], Onsets.PickPeaks(a, new PeakPicking(0.5, MaxWindow: 1, MeanWindow: 2, MinGap: 1)));
        Assert.Equal([2, 12], Onsets.PickPeaks(a, new PeakPicking(0.9, MaxWindow: 1, MeanWindow: 2, MinGap: 1)));
        // MinGap 6 drops 7, 5 frames after 2; 12 is 10 frames after 2 and stays.
        Assert.Equal([2, 12], Onsets.PickPeaks(a, new PeakPicking(0.5, MaxWindow: 1, MeanWindow: 0, MinGap: 6)));
    }

    [Fact]
    public void TuneThreshold_PicksTheCandidateWithTheBestF1()
    {
        float[] a = [0, 0, 5, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0];
        double[] truth = [0.02, 0.11];                      // frames 2 and 11 at 100 frames per second
        var (best, f1s) = Onsets.TuneThreshold([a], [truth], 100, [0.5, 2, 4], new PeakPicking(0, MaxWindow: 1, MeanWindow: 0, MinGap: 1));
        Assert.Equal(2, best.Threshold);
        Assert.Equal([Onsets.Evaluate([0.02, 0.07, 0.11], truth).F1, 1.0, Onsets.Evaluate([0.02], truth).F1], f1s);
    }
}

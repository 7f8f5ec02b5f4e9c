using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Signal;

/// <summary>What a drum sound plays in a pattern. Introduced in notebook 08-cnn-for-audio.</summary>
public enum DrumRole
{
    /// <summary>Bass drum: on the beats 1 and 3 mostly.</summary>
    Kick,

    /// <summary>Snare: on 2 and 4, with quiet ghost notes between.</summary>
    Snare,

    /// <summary>Hi-hat: on the eighth notes, sometimes the sixteenths.</summary>
    HiHat,

    /// <summary>Tom: a rare fill.</summary>
    Tom,
}

/// <summary>One one-shot sound: its name, its role in a pattern, and its samples (mono, starting at the attack).
/// Introduced in notebook 08-cnn-for-audio.</summary>
public sealed record DrumSound(string Name, DrumRole Role, float[] Samples);

/// <summary>The sounds a <see cref="DrumMixer"/> plays, all at one sample rate. Introduced in notebook 08-cnn-for-audio.</summary>
public sealed record DrumKit(int SampleRate, IReadOnlyList<DrumSound> Sounds);

/// <summary>One hit in a mixed track: when (seconds, exactly on a sample), which sound of the kit, how loud (gain). Introduced in notebook 08-cnn-for-audio.</summary>
public sealed record DrumHit(double Time, int Sound, float Velocity);

/// <summary>
/// A mixed drum track and its exact labels: the samples, the hits, and the onset times (the distinct times at which
/// at least one hit starts; hits of one grid step start together). Introduced in notebook 08-cnn-for-audio.
/// </summary>
public sealed record DrumTrack(float[] Samples, int SampleRate, double Tempo, double NoiseLevel, IReadOnlyList<DrumHit> Hits, double[] OnsetTimes)
{
    /// <summary>Length in seconds.</summary>
    public double Seconds => (double)Samples.Length / SampleRate;
}

/// <summary>
/// The random choices of <see cref="DrumMixer"/>; every range is drawn uniformly per track (tempo, noise) or per
/// hit (velocity) or per grid step (timing). Introduced in notebook 08-cnn-for-audio.
/// </summary>
/// <param name="Seconds">Track length, positive.</param>
/// <param name="MinTempo">Slowest tempo in beats (quarter notes) per minute.</param>
/// <param name="MaxTempo">Fastest tempo, ≥ MinTempo; at 16 steps per bar a step lasts 15 / tempo seconds.</param>
/// <param name="TimingJitter">Each grid step moves by up to ± this many seconds (a human drummer's timing).</param>
/// <param name="MinVelocity">Quietest gain of a hit (ghost notes of the snare use the lower half of the range).</param>
/// <param name="MaxVelocity">Loudest gain of a hit.</param>
/// <param name="MinNoise">Smallest RMS of the background noise (samples are in [−1, 1]).</param>
/// <param name="MaxNoise">Largest RMS of the background noise.</param>
public sealed record DrumMixSettings(double Seconds = 4, double MinTempo = 80, double MaxTempo = 150, double TimingJitter = 0.01,
    double MinVelocity = 0.15, double MaxVelocity = 1.0, double MinNoise = 0.003, double MaxNoise = 0.03);

/// <summary>
/// Mixes drum tracks from one-shot sounds at onset times it chooses itself, so every label is exact: a 16-step bar
/// at a random tempo; per step and role a hit with a probability that depends on the step (kick on 1 and 3, snare on
/// 2 and 4 with ghost notes, hi-hat on the eighths, rare toms); each step's time moved by a random jitter; each hit
/// at a random velocity; then background noise (white, plus a slowly swelling band of noise that has no onset).
/// A hit starts exactly at a sample, and its onset time is that sample's index / sample rate. Seeded: the same kit,
/// settings and seed give the same samples. Introduced in notebook 08-cnn-for-audio.
/// </summary>
public static class DrumMixer
{
    // Probability of a hit per role at each of the 16 steps of a bar (step 0 = beat 1, 4 = beat 2, ...).
    private static double Probability(DrumRole role, int step) => role switch
    {
        DrumRole.Kick => step % 8 == 0 ? 0.9 : step % 4 == 2 ? 0.2 : step % 2 == 1 ? 0.04 : 0.1,
        DrumRole.Snare => step % 8 == 4 ? 0.9 : step % 2 == 1 ? 0.12 : 0.08,
        DrumRole.HiHat => step % 2 == 0 ? 0.7 : 0.25,
        DrumRole.Tom => 0.04,
        _ => 0,
    };

    /// <summary>One track.</summary>
    /// <param name="kit">The sounds; each role present in the kit is played (roles without a sound are skipped).</param>
    /// <param name="seed">Seed of every random choice.</param>
    /// <param name="settings">Ranges of the random choices; null for the defaults.</param>
    /// <exception cref="ArgumentException">An empty kit, or a setting out of range.</exception>
    public static DrumTrack Mix(DrumKit kit, int seed, DrumMixSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(kit);
        settings ??= new DrumMixSettings();
        Check(kit, settings);
        var random = new Random(seed);
        int rate = kit.SampleRate, length = (int)Math.Round(settings.Seconds * rate);
        var samples = new float[length];
        double tempo = Uniform(random, settings.MinTempo, settings.MaxTempo);
        double step = 15.0 / tempo;                                   // a sixteenth note, in seconds
        double start = Uniform(random, 0.05, 0.3);
        var hits = new List<DrumHit>();
        var onsets = new List<double>();
        var roles = Enum.GetValues<DrumRole>().Where(r => kit.Sounds.Any(s => s.Role == r)).ToArray();
        // The last onset leaves room for the ±50 ms window and for the network to see the attack.
        double lastOnset = settings.Seconds - 0.1;
        for (int k = 0; ; k++)
        {
            double jitter = Uniform(random, -settings.TimingJitter, settings.TimingJitter);
            double time = start + k * step + jitter;
            if (time > lastOnset) break;
            int index = (int)Math.Round(Math.Max(0, time) * rate);
            bool any = false;
            foreach (var role in roles)
            {
                if (random.NextDouble() >= Probability(role, k % 16)) continue;
                var candidates = Enumerable.Range(0, kit.Sounds.Count).Where(i => kit.Sounds[i].Role == role).ToArray();
                int sound = candidates[random.Next(candidates.Length)];
                bool ghost = role == DrumRole.Snare && k % 8 != 4;
                double hi = ghost ? (settings.MinVelocity + settings.MaxVelocity) / 2 : settings.MaxVelocity;
                float velocity = (float)Uniform(random, settings.MinVelocity, hi);
                var source = kit.Sounds[sound].Samples;
                for (int i = 0; i < source.Length && index + i < length; i++) samples[index + i] += velocity * source[i];
                hits.Add(new DrumHit((double)index / rate, sound, velocity));
                any = true;
            }
            if (any) onsets.Add((double)index / rate);
        }
        double noise = Uniform(random, settings.MinNoise, settings.MaxNoise);
        AddNoise(samples, rate, noise, random);
        return new DrumTrack(samples, rate, tempo, noise, hits, [.. onsets]);
    }

    /// <summary><paramref name="count"/> tracks with seeds seed, seed + 1, ….</summary>
    public static DrumTrack[] MixMany(DrumKit kit, int count, int seed, DrumMixSettings? settings = null)
    {
        ShapeCheck.NonNegative("DrumMixer", "count", count);
        var tracks = new DrumTrack[count];
        // A track is seconds of audio, tens of thousands of samples, each mixed from several hits.
        PointLoop.For(count, 1 << 16, i => tracks[i] = Mix(kit, seed + i, settings));
        return tracks;
    }

    /// <summary>
    /// Frame targets for a track: 1 at the frame nearest each onset (round(time · framesPerSecond)) and
    /// <paramref name="neighbour"/> at the frames either side (a softer target that forgives a frame of timing), else 0.
    /// </summary>
    public static float[] FrameTargets(IReadOnlyList<double> onsetTimes, int frames, double framesPerSecond, float neighbour = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(onsetTimes);
        var y = new float[frames];
        foreach (double t in onsetTimes)
        {
            int f = (int)Math.Round(t * framesPerSecond);
            if ((uint)f >= (uint)frames) continue;
            if (f > 0) y[f - 1] = Math.Max(y[f - 1], neighbour);
            if (f + 1 < frames) y[f + 1] = Math.Max(y[f + 1], neighbour);
            y[f] = 1;
        }
        return y;
    }

    // White noise of RMS `level`, plus noise through a one-pole low-pass whose loudness swells and fades over
    // about a second: it moves many bands slowly, which a flux detector can mistake for onsets.
    private static void AddNoise(float[] samples, int rate, double level, Random random)
    {
        double phase = random.NextDouble() * 2 * Math.PI, swellHz = Uniform(random, 0.3, 1.2);
        double lowPass = 0, a = Math.Exp(-2 * Math.PI * 1500.0 / rate);
        for (int i = 0; i < samples.Length; i++)
        {
            double white = Gaussian(random);
            lowPass = a * lowPass + (1 - a) * Gaussian(random);
            double swell = 0.5 + 0.5 * Math.Sin(phase + 2 * Math.PI * swellHz * i / rate);
            // (1 − a) shrinks the low-passed noise's RMS; sqrt((1 + a) / (1 − a)) restores it to 1.
            samples[i] += (float)(level * white + 3 * level * swell * swell * lowPass * Math.Sqrt((1 + a) / (1 - a)));
        }
    }

    private static double Uniform(Random random, double lo, double hi) => lo + (hi - lo) * random.NextDouble();

    private static double Gaussian(Random random)
    {
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static void Check(DrumKit kit, DrumMixSettings s)
    {
        ShapeCheck.Positive("DrumMixer", "sample rate", kit.SampleRate);
        if (kit.Sounds.Count == 0) throw new ArgumentException("DrumMixer: the kit has no sounds.", nameof(kit));
        if (!(s.Seconds > 0.2)) throw new ArgumentException($"DrumMixer: Seconds: expected more than 0.2, got {s.Seconds}.", nameof(s));
        if (!(s.MinTempo > 0 && s.MaxTempo >= s.MinTempo))
            throw new ArgumentException($"DrumMixer: tempo: expected 0 < MinTempo <= MaxTempo, got {s.MinTempo} to {s.MaxTempo}.", nameof(s));
        if (!(s.TimingJitter >= 0 && s.TimingJitter < 7.5 / s.MaxTempo))
            throw new ArgumentException(
                $"DrumMixer: TimingJitter: expected 0 to less than half a sixteenth at MaxTempo ({7.5 / s.MaxTempo:0.000} s), got {s.TimingJitter}.", nameof(s));
        if (!(s.MinVelocity >= 0 && s.MaxVelocity >= s.MinVelocity))
            throw new ArgumentException($"DrumMixer: velocity: expected 0 <= MinVelocity <= MaxVelocity, got {s.MinVelocity} to {s.MaxVelocity}.", nameof(s));
        if (!(s.MinNoise >= 0 && s.MaxNoise >= s.MinNoise))
            throw new ArgumentException($"DrumMixer: noise: expected 0 <= MinNoise <= MaxNoise, got {s.MinNoise} to {s.MaxNoise}.", nameof(s));
    }
}

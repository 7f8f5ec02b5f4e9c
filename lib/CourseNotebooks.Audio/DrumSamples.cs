using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Signal;

namespace CourseNotebooks.Audio;

/// <summary>
/// The course's drum one-shots (data/drums/, from Debian's sonic-pi-samples, CC0; see data/README.md) as a
/// <see cref="DrumKit"/> for the engine's <see cref="DrumMixer"/>. Introduced in notebook 08-cnn-for-audio.
/// </summary>
public static class DrumSamples
{
    /// <summary>The folder under the data folder.</summary>
    public const string Folder = "drums";

    /// <summary>The command that rebuilds the files from the Debian package.</summary>
    public const string Remedy = "restore them with `git checkout -- data/drums`, or rebuild them with environment/make-samples";

    /// <summary>The sounds, in kit order, with their roles.</summary>
    public static IReadOnlyList<(string Name, DrumRole Role)> Sounds { get; } =
    [
        ("drum_heavy_kick", DrumRole.Kick), ("drum_bass_hard", DrumRole.Kick),
        ("drum_snare_hard", DrumRole.Snare), ("drum_snare_soft", DrumRole.Snare),
        ("drum_cymbal_closed", DrumRole.HiHat), ("drum_cymbal_pedal", DrumRole.HiHat),
        ("drum_tom_mid_hard", DrumRole.Tom),
    ];

    /// <summary>The path of one sound's WAV file.</summary>
    public static string PathOf(string name, string? dataDirectory = null)
        => Path.Combine(dataDirectory ?? Datasets.FindDataDirectory(), Folder, name + ".wav");

    /// <summary>Loads the kit (16 kHz mono).</summary>
    /// <param name="dataDirectory">The data folder; null searches for it (<see cref="Datasets.FindDataDirectory"/>).</param>
    /// <exception cref="DataFileException">A file is missing or unreadable, or the files' sample rates differ.</exception>
    public static DrumKit Load(string? dataDirectory = null)
    {
        dataDirectory ??= Datasets.FindDataDirectory();
        var clips = Sounds.Select(s => (s.Name, s.Role, Path: PathOf(s.Name, dataDirectory))).Select(s => (s.Name, s.Role, s.Path, Clip: WavFile.Read(s.Path, Remedy))).ToArray();
        int rate = clips[0].Clip.SampleRate;
        foreach (var c in clips)
            if (c.Clip.SampleRate != rate)
                throw new DataFileException(Path.GetFullPath(c.Path), $"sample rate {c.Clip.SampleRate} Hz, expected {rate} Hz as {clips[0].Name}", Remedy);
        return new DrumKit(rate, [.. clips.Select(c => new DrumSound(c.Name, c.Role, c.Clip.Samples))]);
    }
}

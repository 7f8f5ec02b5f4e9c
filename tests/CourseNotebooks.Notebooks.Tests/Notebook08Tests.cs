using System.Globalization;
using System.Text.Json;
using CourseNotebooks.Audio;
using CourseNotebooks.Course.Signal;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Exercises;
using CourseNotebooks.Host;

using Plots = CourseNotebooks.Charts.Charts;

namespace CourseNotebooks.Notebooks.Tests;

[Collection(NotebookCollection.Name)]
public sealed class Notebook08Tests(NotebookFixture fixture)
{
    private const string Name = "08-cnn-for-audio";

    private static double[] Numbers(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetDouble())];

    private static JsonElement TraceNamed(JsonDocument chart, string name) =>
        chart.RootElement.GetProperty("data").EnumerateArray().Single(t => t.TryGetProperty("name", out var n) && n.GetString()!.StartsWith(name, StringComparison.Ordinal));

    private static string StandardOutputOf(NotebookRun run, string sourceFragment) =>
        run.CodeCells.Single(c => c.Cell.Source.Contains(sourceFragment, StringComparison.Ordinal)).StandardOutput;

    [Fact]
    public async Task Notebook_RunsWithoutError()
    {
        var run = await fixture.RunAsync(Name);
        NotebookAssertions.AllCellsSucceeded(run);
    }

    [Fact]
    public async Task Cnn_BeatsSpectralFlux_OnHeldOutTracks_ByTheNotebooksMargins()
    {
        var run = await fixture.RunAsync(Name);
        var flux = run.GetVariable<OnsetScore>("fluxScore");
        var cnn = run.GetVariable<OnsetScore>("cnnScore");
        // The thresholds the notebook writes down, and the same figures here so that loosening them there fails.
        Assert.Equal(0.85, run.GetVariable<double>("FluxF1AtLeast"));
        Assert.Equal(0.93, run.GetVariable<double>("CnnF1AtLeast"));
        Assert.Equal(0.02, run.GetVariable<double>("CnnMarginAtLeast"));
        Assert.True(flux.F1 >= 0.85, $"flux F1 {flux.F1}");
        Assert.True(cnn.F1 >= 0.93, $"CNN F1 {cnn.F1}");
        Assert.True(cnn.F1 - flux.F1 >= 0.02, $"CNN {cnn.F1} against flux {flux.F1}");

        // Recomputed here from the notebook's held-out activations and onsets, with the library's scorer.
        var test = run.GetVariable<OnsetDataset>("test");
        double fps = run.GetVariable<double>("framesPerSecond");
        Assert.Equal(24, test.Count);
        Assert.Equal(cnn, Onsets.Score(run.GetVariable<float[][]>("testActivations"), test.Onsets, fps, run.GetVariable<PeakPicking>("cnnBest")));
        // The flux recomputed from the held-out spectrograms, not read back.
        var fluxAgain = test.Spectrograms.Select(s => Onsets.SpectralFlux(s.Values)).ToArray();
        Assert.Equal(flux, Onsets.Score(fluxAgain, test.Onsets, fps, run.GetVariable<PeakPicking>("fluxBest")));
        // Every held-out onset is counted once: TP + FN is the number of true onsets for both detectors.
        int onsets = test.Onsets.Sum(o => o.Length);
        Assert.Equal(onsets, cnn.TruePositives + cnn.FalseNegatives);
        Assert.Equal(onsets, flux.TruePositives + flux.FalseNegatives);
        // The held-out tracks are not training tracks.
        var train = run.GetVariable<OnsetDataset>("train");
        Assert.DoesNotContain(test.Tracks, t => train.Tracks.Any(u => u.Samples.AsSpan().SequenceEqual(t.Samples)));
        Assert.Equal(train.Mean, test.Mean);

        // The sentence is generated from these numbers.
        string text = StandardOutputOf(run, "double f1Gain");
        Assert.Contains($"The CNN's F1 is {cnn.F1.ToString("0.000", CultureInfo.CurrentCulture)} against {flux.F1.ToString("0.000", CultureInfo.CurrentCulture)}", text);
        Assert.Contains($"{(100 * (cnn.F1 - flux.F1)).ToString("0.0", CultureInfo.CurrentCulture)} points higher", text);
        Assert.Contains($"with {cnn.FalsePositives + cnn.FalseNegatives} errors", text);
    }

    [Fact]
    public async Task Thresholds_AreChosenOnTrainingTracksOnly()
    {
        var run = await fixture.RunAsync(Name);
        var train = run.GetVariable<OnsetDataset>("train");
        double fps = run.GetVariable<double>("framesPerSecond");
        var cnnBest = run.GetVariable<PeakPicking>("cnnBest");
        double[] candidates = run.GetVariable<double[]>("probabilityCandidates");
        var (again, f1s) = Onsets.TuneThreshold(run.GetVariable<float[][]>("trainActivations"), train.Onsets, fps, candidates, cnnBest with { Threshold = 0.5 });
        Assert.Equal(cnnBest, again);
        Assert.Equal(run.GetVariable<double[]>("cnnTrainF1s"), f1s);
    }

    [Fact]
    public async Task Fft_MatchesTheNaiveDft_OnTheTrack()
    {
        var run = await fixture.RunAsync(Name);
        Assert.True(run.GetVariable<double>("fftError") <= 1e-9 * run.GetVariable<double>("largestMagnitude"));
        Assert.Equal(100.0, run.GetVariable<double>("framesPerSecond"));
        var fft = run.GetVariable<double[,]>("fftMagnitudes");
        Assert.Equal(41, fft.GetLength(0));                 // 0.4 s = 6,400 samples, hop 160: 6,400 / 160 + 1 frames
        Assert.Equal(257, fft.GetLength(1));
    }

    [Fact]
    public async Task Charts_CarryTheTracksData()
    {
        var run = await fixture.RunAsync(Name);
        var example = run.GetVariable<DrumTrack>("example");
        Assert.Equal(DrumMixer.Mix(DrumSamples.Load(), 8).OnsetTimes, example.OnsetTimes);          // the notebook's Seed, 8

        using (var waveform = NotebookAssertions.ChartOf(run, "waveformChart"))
        {
            Assert.Equal(example.OnsetTimes, Numbers(TraceNamed(waveform, "true onsets").GetProperty("x")));
            var (time, _, max) = Plots.WaveformEnvelope(example.Samples, example.SampleRate);
            var trace = TraceNamed(waveform, "waveform");
            Assert.Equal(time, Numbers(trace.GetProperty("x")));
            Assert.Equal(max, Numbers(trace.GetProperty("y")));
        }
        using (var spectrogram = NotebookAssertions.ChartOf(run, "spectrogramChart"))
        {
            var values = run.GetVariable<Spectrogram>("exampleSpectrogram").Values;
            Assert.Equal([40, 401], values.Shape.ToArray());
            NotebookAssertions.Close(values.Data, NotebookAssertions.HeatmapValues(spectrogram), 0);
        }
        using (var activations = NotebookAssertions.ChartOf(run, "activationChart"))
        {
            var test = run.GetVariable<OnsetDataset>("test");
            double fps = run.GetVariable<double>("framesPerSecond");
            Assert.Equal(test.Onsets[0], Numbers(TraceNamed(activations, "true onsets").GetProperty("x")));
            float[] cnn = run.GetVariable<float[][]>("testActivations")[0];
            Assert.Equal(Onsets.PeakTimes(cnn, run.GetVariable<PeakPicking>("cnnBest"), fps), Numbers(TraceNamed(activations, "CNN probability: detected").GetProperty("x")));
            var line = Numbers(TraceNamed(activations, "CNN probability (").GetProperty("y"));
            Assert.Equal(cnn.Length, line.Length);
            Assert.Equal(cnn[17] / cnn.Max(), line[17], 1e-6);
            float[] flux = run.GetVariable<float[][]>("testFlux")[0];
            Assert.Equal(Onsets.PeakTimes(flux, run.GetVariable<PeakPicking>("fluxBest"), fps), Numbers(TraceNamed(activations, "spectral flux: detected").GetProperty("x")));
        }
    }

    [Fact]
    public async Task AudioPlayer_EmbedsTheTrackAsAWavDataUri()
    {
        var run = await fixture.RunAsync(Name);
        var example = run.GetVariable<DrumTrack>("example");
        var cell = run.CodeCells.Single(c => c.Cell.Source.Contains("Charts.AudioPlayer(WavFile.ToBytes(example.Samples", StringComparison.Ordinal));
        string html = cell.Outputs.Select(o => o.TextOf("text/html")).Single(h => h is not null && h.Contains("<audio", StringComparison.Ordinal))!;
        Assert.Contains($"class=\"{Plots.AudioClass}\"", html);
        var match = System.Text.RegularExpressions.Regex.Match(html, "src=\"data:audio/wav;base64,([A-Za-z0-9+/=]+)\"");
        Assert.True(match.Success, html[..Math.Min(200, html.Length)]);
        byte[] wav = Convert.FromBase64String(match.Groups[1].Value);
        Assert.Equal(WavFile.ToBytes(example.Samples, example.SampleRate), wav);
        // The held-out track gets a player too.
        Assert.Contains(run.CodeCells, c => c.Cell.Source.Contains("Charts.AudioPlayer(WavFile.ToBytes(shownTrack", StringComparison.Ordinal)
            && c.Outputs.Any(o => o.TextOf("text/html")?.Contains("data:audio/wav;base64,", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task Training_ShowsLiveProgress_AndTheLossFalls()
    {
        var run = await fixture.RunAsync(Name);
        var losses = run.GetVariable<List<double>>("epochLosses");
        Assert.Equal(40, losses.Count);
        Assert.True(losses[^1] < 0.5 * losses[0], $"first {losses[0]}, last {losses[^1]}");
        var progress = run.GetVariable<CourseNotebooks.Charts.LiveProgress>("training");
        var cell = run.CodeCells.Single(c => c.Cell.Source.Contains("LiveProgress.Start($\"Training the onset CNN", StringComparison.Ordinal));
        var display = Assert.Single(cell.Outputs, o => o.Kind == OutputKind.Display);
        string[] lines = display.PlainText.Split('\n');
        Assert.Equal(progress.Title, lines[0]);
        Assert.Equal(8, lines.Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)));
        Assert.True(progress.Draws >= 9, $"{progress.Draws} draws");
        Assert.Contains(progress.Result!, cell.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exercises_PassTheirChecks_AndTheReferenceSolutionsAgreeWithTheLibrary()
    {
        var run = await fixture.RunAsync(Name);
        var verdicts = NotebookAssertions.Verdicts(run);
        Assert.Equal(3, verdicts.Count);
        Assert.All(verdicts, v => Assert.True(v.Correct, v.Message));
        var probes = run.CodeCells.Select(c => c.ReturnValue).OfType<ProbeRun>().ToDictionary(p => p.Name);

        static float[] Flux(float[,] grid) => Onsets.SpectralFlux(Tensor.FromArray(grid));
        var flux = Exercise.Probe("spectral-flux",
            () => Flux(Exercise.RandomGrid(40, 30, 81)), () => Flux(Exercise.RandomGrid(1, 12, 82)), () => Flux(Exercise.RandomGrid(5, 1, 83)),
            () => Flux(Exercise.RandomGrid(3, 200, 84)));
        Assert.True(Exercise.Compare(flux, probes["spectral-flux"]).Correct);

        var matching = Exercise.Probe("onset-matching",
            () => Onsets.Match([0.0, 0.04, 0.08, 0.5], [0.02, 0.06, 0.45], 0.05),
            () => Onsets.Match([1.0, 2.0, 3.0], [1.06, 1.94, 3.1], 0.05),
            () => Onsets.Match([0.1, 0.2, 0.3, 0.4], [0.15, 0.25, 0.35], 0.05),
            () => Onsets.Match([0.5], [], 0.05),
            () => Onsets.Match([0.0, 0.3, 0.31, 0.32, 0.9], [0.29, 0.33, 0.6, 0.88, 0.95], 0.02));
        Assert.True(Exercise.Compare(matching, probes["onset-matching"]).Correct);

        // The receptive field from the model itself: 1 + Σ (K − 1) frames over its convolutions, 10 ms each.
        var cnn = run.GetVariable<Sequential<float>>("cnn");
        int frames = 1 + cnn.Layers.OfType<Conv1d<float>>().Sum(c => c.KernelSize - 1);
        Assert.Equal(13, frames);
        Assert.True(Exercise.Compare(Exercise.Probe("receptive-field-ms", () => frames * 10L), probes["receptive-field-ms"]).Correct);
    }
}

using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Signal;

/// <summary>
/// Precision, recall and F1 of detected onsets against the true ones: a detection within the tolerance of a true
/// onset that no other detection took is a true positive; the other detections are false positives and the missed
/// onsets false negatives. Scores of several tracks add up by their counts (<see cref="Sum"/>), not by averaging
/// F1s. Introduced in notebook 08-cnn-for-audio. mir_eval: <c>mir_eval.onset.f_measure</c>.
/// </summary>
/// <param name="TruePositives">Matched pairs.</param>
/// <param name="FalsePositives">Detections with no partner.</param>
/// <param name="FalseNegatives">True onsets with no partner.</param>
public sealed record OnsetScore(int TruePositives, int FalsePositives, int FalseNegatives)
{
    /// <summary>TP / (TP + FP); 0 when nothing was detected (mir_eval returns 0 there too).</summary>
    public double Precision => TruePositives + FalsePositives == 0 ? 0 : (double)TruePositives / (TruePositives + FalsePositives);

    /// <summary>TP / (TP + FN); 0 when there is no true onset.</summary>
    public double Recall => TruePositives + FalseNegatives == 0 ? 0 : (double)TruePositives / (TruePositives + FalseNegatives);

    /// <summary>2 P R / (P + R) = 2 TP / (2 TP + FP + FN); 0 when both are 0.</summary>
    public double F1 => TruePositives == 0 ? 0 : 2.0 * TruePositives / (2.0 * TruePositives + FalsePositives + FalseNegatives);

    /// <summary>The counts of several tracks added up.</summary>
    public static OnsetScore Sum(IEnumerable<OnsetScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        int tp = 0, fp = 0, fn = 0;
        foreach (var s in scores) { tp += s.TruePositives; fp += s.FalsePositives; fn += s.FalseNegatives; }
        return new OnsetScore(tp, fp, fn);
    }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"P {Precision:0.000}, R {Recall:0.000}, F1 {F1:0.000} (TP {TruePositives}, FP {FalsePositives}, FN {FalseNegatives})");
}

/// <summary>
/// How an activation (one value per frame) becomes onsets, after Böck, Krebs and Schedl (ISMIR 2012): frame t is an
/// onset when its value is the largest within ±<see cref="MaxWindow"/> frames, exceeds the mean within
/// ±<see cref="MeanWindow"/> frames by at least <see cref="Threshold"/> (with MeanWindow 0: is at least Threshold, a
/// fixed threshold, as for a network's probabilities), and comes at least <see cref="MinGap"/>
/// frames after the previous onset. Introduced in notebook 08-cnn-for-audio. madmom:
/// <c>madmom.features.onsets.peak_picking</c> (with symmetric windows).
/// </summary>
/// <param name="Threshold">δ, in the activation's unit.</param>
/// <param name="MaxWindow">Half-width of the local-maximum window, in frames, ≥ 0.</param>
/// <param name="MeanWindow">Half-width of the moving mean, in frames, ≥ 0; 0 for no moving mean (a fixed threshold).</param>
/// <param name="MinGap">Minimum distance between two onsets, in frames, ≥ 1.</param>
public sealed record PeakPicking(double Threshold, int MaxWindow = 3, int MeanWindow = 10, int MinGap = 3);

/// <summary>
/// Onset detection and its evaluation: the classical spectral-flux detector, peak picking, and the one-to-one
/// matching with a tolerance window that onset evaluations use (±50 ms). Introduced in notebook 08-cnn-for-audio.
/// </summary>
public static class Onsets
{
    /// <summary>The usual tolerance of onset evaluation, ±50 ms (MIREX; mir_eval's default window).</summary>
    public const double DefaultTolerance = 0.05;

    /// <summary>
    /// Spectral flux: SF(t) = Σ_b max(0, S[b, t] − S[b, t−1]), the summed increase of every band from one frame to
    /// the next, with SF(0) = 0. A note or a drum hit raises many bands at once, so SF peaks at onsets (Masri 1996;
    /// Dixon, "Onset detection revisited", DAFx 2006). Input [Bands, Frames] (a <see cref="Spectrogram"/>'s Values).
    /// </summary>
    /// <exception cref="ArgumentException">The spectrogram is not 2-D.</exception>
    public static float[] SpectralFlux(Tensor<float> spectrogram)
    {
        ArgumentNullException.ThrowIfNull(spectrogram);
        ShapeCheck.Rank("SpectralFlux", spectrogram.Shape, 2, "Bands, Frames");
        int bands = spectrogram.Size(0), frames = spectrogram.Size(1);
        var flux = new float[frames];
        var s = spectrogram.Data;
        for (int b = 0; b < bands; b++)
            for (int t = 1; t < frames; t++)
                flux[t] += Math.Max(0, s[b * frames + t] - s[b * frames + t - 1]);
        return flux;
    }

    /// <summary>The frames picked as onsets by the rule of <see cref="PeakPicking"/>, ascending.</summary>
    /// <exception cref="ArgumentException">A window is negative or MinGap below 1.</exception>
    public static int[] PickPeaks(ReadOnlySpan<float> activation, PeakPicking settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ShapeCheck.NonNegative("PickPeaks", "MaxWindow", settings.MaxWindow);
        ShapeCheck.NonNegative("PickPeaks", "MeanWindow", settings.MeanWindow);
        ShapeCheck.Positive("PickPeaks", "MinGap", settings.MinGap);
        var peaks = new List<int>();
        int last = int.MinValue / 2;
        for (int t = 0; t < activation.Length; t++)
        {
            float v = activation[t];
            bool isMax = true;
            for (int u = Math.Max(0, t - settings.MaxWindow); isMax && u <= Math.Min(activation.Length - 1, t + settings.MaxWindow); u++)
                isMax = activation[u] <= v;
            if (!isMax) continue;
            double floor = settings.Threshold;
            if (settings.MeanWindow > 0)
            {
                int lo = Math.Max(0, t - settings.MeanWindow), hi = Math.Min(activation.Length - 1, t + settings.MeanWindow);
                double sum = 0;
                for (int u = lo; u <= hi; u++) sum += activation[u];
                floor += sum / (hi - lo + 1);
            }
            if (v < floor) continue;
            if (t - last < settings.MinGap) continue;
            peaks.Add(t);
            last = t;
        }
        return [.. peaks];
    }

    /// <summary>The picked frames as times in seconds (frame / framesPerSecond).</summary>
    public static double[] PeakTimes(ReadOnlySpan<float> activation, PeakPicking settings, double framesPerSecond)
        => [.. PickPeaks(activation, settings).Select(t => t / framesPerSecond)];

    /// <summary>
    /// The number of one-to-one pairs (detection, true onset) at most <paramref name="tolerance"/> apart, as large as
    /// possible. Both lists are sorted, and the greedy walk (pair the earliest unmatched true onset with the earliest
    /// unmatched detection that is within reach; skip whichever of the two can no longer be matched) finds a largest
    /// matching, because windows of equal width keep their order: an exchange argument shows that taking the earliest
    /// partner never loses a pair. mir_eval finds the same number with a general bipartite matching.
    /// </summary>
    /// <exception cref="ArgumentException">A negative or non-finite tolerance.</exception>
    public static int Match(IReadOnlyList<double> detected, IReadOnlyList<double> reference, double tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(detected);
        ArgumentNullException.ThrowIfNull(reference);
        if (!(tolerance >= 0) || double.IsInfinity(tolerance))
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, $"Onsets.Match: tolerance must be a non-negative number of seconds, got {tolerance}.");
        double[] d = [.. detected.Order()], r = [.. reference.Order()];
        int i = 0, j = 0, pairs = 0;
        while (i < d.Length && j < r.Length)
        {
            // A small slack so that 0.05 s apart counts as within ±50 ms despite binary fractions (mir_eval compares
            // with <= on rounded differences too).
            if (Math.Abs(d[i] - r[j]) <= tolerance + 1e-9) { pairs++; i++; j++; }
            else if (d[i] < r[j]) i++;                  // this detection is too early for every later onset too
            else j++;                                  // this onset is too early for every later detection too
        }
        return pairs;
    }

    /// <summary>Precision, recall and F1 of one track's detections (times in seconds) against its true onsets.</summary>
    public static OnsetScore Evaluate(IReadOnlyList<double> detected, IReadOnlyList<double> reference, double tolerance = DefaultTolerance)
    {
        int tp = Match(detected, reference, tolerance);
        return new OnsetScore(tp, detected.Count - tp, reference.Count - tp);
    }

    /// <summary>
    /// The threshold δ among <paramref name="candidates"/> whose peak picking gives the highest F1 summed over the
    /// given tracks (activations at <paramref name="framesPerSecond"/>, true onsets in seconds); ties go to the first
    /// candidate. A detector is tuned on training tracks this way and then scored on held-out ones.
    /// </summary>
    /// <returns>The best settings (the template with the chosen δ) and the F1 of each candidate.</returns>
    /// <exception cref="ArgumentException">No candidates, or activation and onset lists of different counts.</exception>
    public static (PeakPicking Best, double[] F1s) TuneThreshold(IReadOnlyList<float[]> activations, IReadOnlyList<double[]> onsets,
        double framesPerSecond, IReadOnlyList<double> candidates, PeakPicking template, double tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(onsets);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(template);
        if (candidates.Count == 0) throw new ArgumentException("Onsets.TuneThreshold: no candidate thresholds.", nameof(candidates));
        if (activations.Count != onsets.Count)
            throw new ArgumentException($"Onsets.TuneThreshold: tracks: expected as many onset lists as activations ({activations.Count}), got {onsets.Count}.", nameof(onsets));
        var f1s = new double[candidates.Count];
        PointLoop.For(candidates.Count, activations.Sum(a => (long)a.Length), c =>
        {
            var settings = template with { Threshold = candidates[c] };
            f1s[c] = OnsetScore.Sum(activations.Select((a, i) => Evaluate(PeakTimes(a, settings, framesPerSecond), onsets[i], tolerance))).F1;
        });
        int best = 0;
        for (int c = 1; c < f1s.Length; c++) if (f1s[c] > f1s[best]) best = c;
        return (template with { Threshold = candidates[best] }, f1s);
    }

    /// <summary>Scores peak-picked detections of several tracks together (counts added, see <see cref="OnsetScore"/>).</summary>
    public static OnsetScore Score(IReadOnlyList<float[]> activations, IReadOnlyList<double[]> onsets, double framesPerSecond, PeakPicking settings,
        double tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(onsets);
        if (activations.Count != onsets.Count)
            throw new ArgumentException($"Onsets.Score: tracks: expected as many onset lists as activations ({activations.Count}), got {onsets.Count}.", nameof(onsets));
        return OnsetScore.Sum(activations.Select((a, i) => Evaluate(PeakTimes(a, settings, framesPerSecond), onsets[i], tolerance)));
    }
}

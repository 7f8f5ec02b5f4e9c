using System.Diagnostics;
using System.Net;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Display;

namespace CourseNotebooks.Charts;

/// <summary>
/// Live progress of long work in a notebook, one display that updates in place: a title, one line per finished
/// epoch (or any line the notebook adds), and the current batch (epoch, batch, loss, accuracy, time, images per
/// second). At the end <see cref="Finish"/> writes the result to standard output too, which every host keeps.
/// Introduced in notebook 01-convolution; every training cell uses it.
/// </summary>
/// <example>
/// <code>
/// var progress = LiveProgress.Start("Training the small CNN");
/// var history = Training.Fit(model, optimizer, train, test, epochs: 3, onBatch: progress.Report, onEpoch: progress.Report);
/// progress.Finish($"test accuracy {history[^1].TestAccuracy:P1}");
/// </code>
/// </example>
/// <remarks>
/// <para>Where the host redraws displays in place (<see cref="NotebookDisplay.UpdatesInPlace"/>: the course runner,
/// VS Code, Jupyter) it is one display, shown once and updated under the same id. Elsewhere (a console program, a
/// file-based app, a test) nothing is redrawn: each finished line and the final result go to standard output once,
/// so logs stay short.</para>
/// <para>Batch lines are redrawn at most every <see cref="MinimumInterval"/> (a redraw costs a formatted message to
/// the front end; a batch can take a millisecond). Epoch lines and the final result are always drawn.</para>
/// </remarks>
public sealed class LiveProgress
{
    private readonly List<string> _lines = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _live;
    private DisplayHandle? _display;
    private TimeSpan _lastDraw = TimeSpan.MinValue;
    private string? _current;

    static LiveProgress()
    {
        DisplayFormatters.Register<Snapshot>(MimeTypes.Html, s => "<pre class=\"course-progress\">" + WebUtility.HtmlEncode(s.Text) + "</pre>");
        DisplayFormatters.Register<Snapshot>(MimeTypes.PlainText, s => s.Text);
        DisplayFormatters.SetMimeOrder(typeof(Snapshot), MimeTypes.Html, MimeTypes.PlainText);
    }

    private LiveProgress(string title, TimeSpan minimumInterval, bool live)
    {
        Title = title;
        MinimumInterval = minimumInterval;
        _live = live;
    }

    /// <summary>What one redraw shows: the display's text at that moment.</summary>
    /// <param name="Text">Title, finished lines and the current batch line.</param>
    public sealed record Snapshot(string Text)
    {
        /// <inheritdoc />
        public override string ToString() => Text;
    }

    /// <summary>The first line of the display.</summary>
    public string Title { get; }

    /// <summary>Batch redraws closer together than this are skipped.</summary>
    public TimeSpan MinimumInterval { get; }

    /// <summary>The finished lines so far (epoch results, added lines, and the final result).</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>The result given to <see cref="Finish"/>, or null while the work runs.</summary>
    public string? Result { get; private set; }

    /// <summary>How many times the display was drawn (shown or updated) in a host that redraws in place.</summary>
    public int Draws { get; private set; }

    /// <summary>The whole display as plain text: title, finished lines, then the current batch line if any.</summary>
    public string Text => string.Join(Environment.NewLine, new[] { Title }.Concat(_lines).Concat(_current is null ? [] : [_current]));

    /// <summary>Starts a progress display (shown at once in a notebook).</summary>
    /// <param name="title">What is running, e.g. "Training the small CNN (3 epochs)".</param>
    /// <param name="secondsBetweenRedraws">Minimum time between two batch redraws.</param>
    /// <exception cref="ArgumentException">Empty title or a negative interval.</exception>
    public static LiveProgress Start(string title, double secondsBetweenRedraws = 0.25)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        if (!(secondsBetweenRedraws >= 0))
            throw new ArgumentOutOfRangeException(nameof(secondsBetweenRedraws), secondsBetweenRedraws, "LiveProgress: the redraw interval must be a non-negative number of seconds.");
        var progress = new LiveProgress(title, TimeSpan.FromSeconds(secondsBetweenRedraws), NotebookDisplay.UpdatesInPlace);
        if (!progress._live) Console.WriteLine(title);
        else progress.Draw();
        return progress;
    }

    /// <summary>The current batch (redrawn at most every <see cref="MinimumInterval"/>, and always on an epoch's last batch).</summary>
    public void Report(Training.BatchProgress batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _current = batch.ToString();
        if (_live && (batch.Batch == batch.Batches || _clock.Elapsed - _lastDraw >= MinimumInterval)) Draw();
    }

    /// <summary>A finished epoch: becomes a line of its own, drawn at once.</summary>
    public void Report(Training.EpochResult epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        AddLine(epoch.ToString());
    }

    /// <summary>Adds a finished line (e.g. "hand-made filters done"), drawn at once.</summary>
    public void AddLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        _lines.Add(line);
        _current = null;
        if (!_live) Console.WriteLine(line);
        else Draw();
    }

    /// <summary>
    /// Ends the display with <paramref name="result"/> as its last line, and writes the result to standard output
    /// as well, so hosts that keep only text still show it.
    /// </summary>
    public void Finish(string result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
        _lines.Add($"done in {_clock.Elapsed.TotalSeconds:F1} s");
        _current = null;
        if (_live) Draw();
        Console.WriteLine(result);
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private void Draw()
    {
        _lastDraw = _clock.Elapsed;
        var snapshot = new Snapshot(Text);
        // The same id on the first display and on every update: that is what lets each host replace it in place.
        if (_display is null) _display = NotebookDisplay.Show(snapshot);
        else _display.Update(snapshot);
        Draws++;
    }
}

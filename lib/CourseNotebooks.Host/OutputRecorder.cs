using System.Text;
using CourseNotebooks.Display;

namespace CourseNotebooks.Host;

/// <summary>
/// The outputs of one cell as they happen: console text (consecutive writes to one stream merged), displays (an
/// update replaces its display, wherever in the run it was shown) and the return value, under one budget of
/// characters per cell.
/// </summary>
internal sealed class OutputRecorder(long maxChars, DisplayRegistry displays)
{
    private readonly object _lock = new();
    private readonly List<CellOutput> _outputs = [];
    private readonly StringBuilder _stream = new();
    private OutputKind? _streamKind;
    private long _chars;
    private long _dropped;
    private bool _closed;

    /// <summary>Console text of the cell, within the budget.</summary>
    public void Write(OutputKind kind, ReadOnlySpan<char> text)
    {
        lock (_lock)
        {
            if (_closed) return;
            int keep = (int)Math.Clamp(maxChars - _chars, 0, text.Length);
            _dropped += text.Length - keep;
            if (keep == 0) return;
            _chars += keep;
            if (_streamKind != kind) FlushStream();
            _streamKind = kind;
            _stream.Append(text[..keep]);
        }
    }

    /// <summary>A display shown by the cell (counted against the budget; over it, dropped).</summary>
    public void Show(string id, object? value, IReadOnlyList<FormattedValue> formats, OutputKind kind = OutputKind.Display)
    {
        lock (_lock)
        {
            if (_closed) return;
            long size = formats.Sum(f => (long)f.Text.Length);
            if (_dropped > 0 || _chars + size > maxChars)
            {
                _dropped += size;
                return;
            }
            _chars += size;
            FlushStream();
            _outputs.Add(ToOutput(kind, value, formats, id));
            displays.Shown(id, this, _outputs.Count - 1);
        }
    }

    /// <summary>Replaces output <paramref name="index"/> (a display of this cell) with a new value.</summary>
    public void Replace(int index, object? value, IReadOnlyList<FormattedValue> formats)
    {
        lock (_lock)
        {
            var old = _outputs[index];
            _outputs[index] = ToOutput(old.Kind, value, formats, old.DisplayId);
        }
    }

    /// <summary>Ends the cell: the outputs in order, and a note when output was dropped.</summary>
    public IReadOnlyList<CellOutput> Close()
    {
        lock (_lock)
        {
            FlushStream();
            if (_dropped > 0)
                _outputs.Add(new CellOutput(OutputKind.StandardError,
                    [new FormattedText(MimeTypes.PlainText, $"[output truncated: {_dropped:N0} characters beyond the limit of {maxChars:N0} were dropped]")]));
            _closed = true;
            return [.. _outputs];
        }
    }

    /// <summary>Characters dropped so far.</summary>
    public long Dropped
    {
        get { lock (_lock) return _dropped; }
    }

    private void FlushStream()
    {
        if (_stream.Length == 0 || _streamKind is not { } kind) return;
        _outputs.Add(new CellOutput(kind, [new FormattedText(MimeTypes.PlainText, _stream.ToString())]));
        _stream.Clear();
        _streamKind = null;
    }

    private static CellOutput ToOutput(OutputKind kind, object? value, IReadOnlyList<FormattedValue> formats, string? id) =>
        new(kind, [.. formats.Select(f => new FormattedText(f.MimeType, f.Text))], value) { DisplayId = id };
}

/// <summary>Where each display of a run was shown, so an update from any later cell replaces the right output.</summary>
internal sealed class DisplayRegistry : IDisplaySink
{
    private readonly Dictionary<string, (OutputRecorder Recorder, int Index)> _shown = [];
    private readonly Func<OutputRecorder?> _current;

    public DisplayRegistry(Func<OutputRecorder?> current) => _current = current;

    public bool UpdatesInPlace => true;

    public void Shown(string id, OutputRecorder recorder, int index)
    {
        lock (_shown) _shown[id] = (recorder, index);
    }

    public void Show(string displayId, object? value, IReadOnlyList<FormattedValue> formats) =>
        _current()?.Show(displayId, value, formats);

    public void Update(string displayId, object? value, IReadOnlyList<FormattedValue> formats)
    {
        (OutputRecorder Recorder, int Index) at;
        lock (_shown)
            if (!_shown.TryGetValue(displayId, out at)) at = default;
        if (at.Recorder is not null) at.Recorder.Replace(at.Index, value, formats);
        else _current()?.Show(displayId, value, formats);
    }
}

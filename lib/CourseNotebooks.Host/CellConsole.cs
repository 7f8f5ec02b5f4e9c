using System.Text;

namespace CourseNotebooks.Host;

/// <summary>
/// Standard output and error while notebook cells run: every write goes to the cell that is running (as text, in
/// order with its displays), up to a budget per cell; what is over the budget is counted and dropped where it is
/// written, so a cell that prints without end costs neither memory nor time to keep.
/// </summary>
/// <remarks>
/// Installed for a whole run (<see cref="Install"/>), since Console.Out is process-wide. Writes from threads a cell
/// left running land in whichever cell runs at the time, or nowhere between cells.
/// </remarks>
internal sealed class CellConsole : TextWriter
{
    private readonly Func<OutputRecorder?> _target;
    private readonly OutputKind _kind;

    private CellConsole(Func<OutputRecorder?> target, OutputKind kind)
    {
        _target = target;
        _kind = kind;
    }

    /// <summary>Routes Console.Out and Console.Error to <paramref name="target"/>'s current recorder until disposed.</summary>
    public static IDisposable Install(Func<OutputRecorder?> target)
    {
        var (outBefore, errorBefore) = (Console.Out, Console.Error);
        Console.SetOut(new CellConsole(target, OutputKind.StandardOutput));
        Console.SetError(new CellConsole(target, OutputKind.StandardError));
        return new Restore(() =>
        {
            Console.SetOut(outBefore);
            Console.SetError(errorBefore);
        });
    }

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Write(new ReadOnlySpan<char>(in value));

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer) => _target()?.Write(_kind, buffer);

    public override void Write(string? value) => Write(value.AsSpan());

    public override void WriteLine(ReadOnlySpan<char> buffer)
    {
        if (_target() is not { } recorder) return;
        recorder.Write(_kind, buffer);
        recorder.Write(_kind, CoreNewLine);
    }

    public override void WriteLine(string? value) => WriteLine(value.AsSpan());

    public override void WriteLine() => Write(CoreNewLine);

    private sealed class Restore(Action undo) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) undo();
        }
    }
}

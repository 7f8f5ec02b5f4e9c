using System.Text;
using Microsoft.DotNet.Interactive.Utility;

namespace CourseNotebooks.Host;

/// <summary>
/// Caps what a cell writes to <see cref="Console.Out"/> and <see cref="Console.Error"/> before the kernel sees it.
/// </summary>
/// <remarks>
/// Why at the source: the kernel turns every console write into an event and keeps all events of a cell in the
/// command's result until the cell ends, so dropping output in the runner's own recorder does not free it. A cell
/// that prints 200 MB then holds 400 MB of strings, and under the grader's memory limit the process can die on a
/// kernel thread (an abort, not an exception the grade can name). Behind this writer the kernel never sees more
/// than the cap per cell.
/// <para>
/// How: the kernel swaps <see cref="Console.Out"/> for its own multiplexing writer while any submission holds a
/// console subscription, and swaps the original back when the last one ends. <see cref="Install"/> holds one
/// subscription for the whole run, so the kernel's writer stays in place, and puts this writer in front of it;
/// later submissions find it there and leave it. Disposing the returned handle ends the subscription and the kernel
/// restores the console as it was before the run.
/// </para>
/// </remarks>
internal sealed class CappedConsoleWriter : TextWriter
{
    private readonly TextWriter _inner;
    private readonly Budget _budget;

    private CappedConsoleWriter(TextWriter inner, Budget budget)
    {
        _inner = inner;
        _budget = budget;
    }

    /// <summary>The characters the current cell may still write, shared by standard output and error.</summary>
    internal sealed class Budget(long maxChars)
    {
        private long _written;
        private long _dropped;

        /// <summary>Characters dropped since the last <see cref="StartCell"/>.</summary>
        public long Dropped => Interlocked.Read(ref _dropped);

        /// <summary>Starts a new cell's budget.</summary>
        public void StartCell()
        {
            Interlocked.Exchange(ref _written, 0);
            Interlocked.Exchange(ref _dropped, 0);
        }

        /// <summary>How many of <paramref name="length"/> characters may pass; counts the rest as dropped.</summary>
        public int Take(int length)
        {
            long before = Interlocked.Add(ref _written, length) - length;
            long allowed = Math.Clamp(maxChars - before, 0, length);
            if (allowed < length) Interlocked.Add(ref _dropped, length - allowed);
            return (int)allowed;
        }
    }

    /// <summary>Puts a capped writer in front of the kernel's console writers for the run.</summary>
    /// <returns>The shared budget (reset it per cell) and the handle that undoes the installation.</returns>
    public static (Budget Budget, IDisposable Installation) Install(long maxCharsPerCell)
    {
        var subscription = ConsoleOutput.Subscribe(_ => System.Reactive.Disposables.Disposable.Empty);
        var budget = new Budget(maxCharsPerCell);
        Console.SetOut(new CappedConsoleWriter(Console.Out, budget));
        Console.SetError(new CappedConsoleWriter(Console.Error, budget));
        return (budget, subscription);
    }

    public override Encoding Encoding => _inner.Encoding;

    public override void Write(char value)
    {
        if (_budget.Take(1) == 1) _inner.Write(value);
    }

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        int keep = _budget.Take(buffer.Length);
        if (keep > 0) _inner.Write(buffer[..keep]);
    }

    public override void Write(string? value) => Write(value.AsSpan());

    public override void WriteLine(string? value) => WriteLine(value.AsSpan());

    public override void WriteLine(ReadOnlySpan<char> buffer)
    {
        // Whole lines go through as lines, so the kernel's events look as they would without the cap.
        int keep = _budget.Take(buffer.Length + CoreNewLine.Length);
        if (keep == buffer.Length + CoreNewLine.Length) _inner.WriteLine(buffer);
        else if (keep > 0) _inner.Write(buffer[..Math.Min(keep, buffer.Length)]);
    }

    public override void WriteLine() => Write(CoreNewLine);

    public override void Flush() => _inner.Flush();
}

namespace CourseNotebooks.Display;

/// <summary>
/// Where displays go: the host running the notebook installs a sink (the course runner records outputs, the .NET
/// Interactive bridge publishes kernel events); without one, displays are written to standard output.
/// </summary>
public interface IDisplaySink
{
    /// <summary>True when the host can replace a shown display in place (a notebook front end); false for a log.</summary>
    bool UpdatesInPlace { get; }

    /// <summary>Shows a new display under <paramref name="displayId"/>.</summary>
    void Show(string displayId, object? value, IReadOnlyList<FormattedValue> formats);

    /// <summary>Replaces the display shown under <paramref name="displayId"/>.</summary>
    void Update(string displayId, object? value, IReadOnlyList<FormattedValue> formats);
}

/// <summary>
/// Shows values from notebook code, in place where the host can: <c>NotebookDisplay.Show(x)</c> (or <c>display(x)</c>
/// in a notebook) returns a handle whose <see cref="DisplayHandle.Update"/> redraws the same output. Live training
/// progress is built on it. Introduced in notebook 01-convolution (through the course's LiveProgress).
/// </summary>
public static class NotebookDisplay
{
    private static volatile IDisplaySink? _sink;

    /// <summary>The host's sink; null (the default) writes displays to standard output.</summary>
    public static IDisplaySink? Sink
    {
        get => _sink;
        set => _sink = value;
    }

    /// <summary>True when displays update in place (a notebook front end), false in a console program or a log.</summary>
    public static bool UpdatesInPlace => _sink?.UpdatesInPlace == true;

    /// <summary>Shows <paramref name="value"/> with every rendering it has.</summary>
    public static DisplayHandle Show(object? value)
    {
        var handle = new DisplayHandle("display-" + Guid.NewGuid().ToString("N"));
        var formats = DisplayFormatters.Format(value);
        if (_sink is { } sink) sink.Show(handle.Id, value, formats);
        else Console.WriteLine(formats.First(f => f.MimeType == MimeTypes.PlainText).Text);
        return handle;
    }

    internal static void Update(DisplayHandle handle, object? value)
    {
        var formats = DisplayFormatters.Format(value);
        if (_sink is { } sink) sink.Update(handle.Id, value, formats);
        else Console.WriteLine(formats.First(f => f.MimeType == MimeTypes.PlainText).Text);
    }
}

/// <summary>A shown display, to redraw with a new value.</summary>
public sealed class DisplayHandle
{
    internal DisplayHandle(string id) => Id = id;

    /// <summary>The display's id, the same on every update (hosts replace the output that carries it).</summary>
    public string Id { get; }

    /// <summary>Replaces the display's value (in place where the host can, else written out again).</summary>
    public void Update(object? value) => NotebookDisplay.Update(this, value);
}

/// <summary>
/// What notebook cells see besides their own variables when the course runner executes them: the
/// <c>display(x)</c> helper of the notebook kernels, so the same cell runs in every host.
/// </summary>
public class NotebookGlobals
{
    /// <summary>Shows a value below the cell; the handle updates it in place. Named as the kernels' helper.</summary>
#pragma warning disable IDE1006 // the kernels' name, so cells read the same in every host
    public DisplayHandle display(object? value) => NotebookDisplay.Show(value);
#pragma warning restore IDE1006
}

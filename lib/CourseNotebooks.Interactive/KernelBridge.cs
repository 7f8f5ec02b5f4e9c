using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using CourseNotebooks.Display;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace CourseNotebooks.Interactive;

/// <summary>
/// Connects the display protocol to a .NET Interactive kernel: every rendering registered with
/// <see cref="DisplayFormatters"/> (now or later) becomes a kernel formatter, and displays become the kernel's display
/// events, updated in place under one id. Runs once, when the charts library's <c>CourseDisplay.Install</c> loads this
/// assembly inside a kernel.
/// </summary>
internal static class KernelBridge
{
    private static int _connected;

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The charts library loads this assembly only to connect it; the initializer is the connection.")]
    internal static void Connect()
    {
        if (Interlocked.Exchange(ref _connected, 1) == 1) return;
        DisplayFormatters.Registered += Mirror;
        foreach (var (type, mime) in DisplayFormatters.Registrations) Mirror(type, mime);
        NotebookDisplay.Sink = new KernelSink();
    }

    private static void Mirror(Type type, string mimeType)
    {
        Formatter.Register(new BridgeFormatter(type, mimeType));
        Formatter.SetPreferredMimeTypesFor(type, [.. DisplayFormatters.MimeOrderOf(type)]);
    }

    /// <summary>A kernel formatter that asks the display protocol, and falls back to the kernel's own choice when the
    /// protocol declines the value (a sequence that is not a table of records).</summary>
    private sealed class BridgeFormatter(Type type, string mimeType) : ITypeFormatter
    {
        public string MimeType { get; } = mimeType;

        public Type Type { get; } = type;

        public bool Format(object instance, FormatContext context)
        {
            if (DisplayFormatters.TryRender(instance, MimeType) is { } text)
            {
                context.Writer.Write(text);
                return true;
            }
            return Fallback(instance).Format(instance, context);
        }

        /// <summary>
        /// The formatter the kernel would have chosen without this one: the most derived of its registered formatters
        /// for the mime type that accept the value, bridge formatters excluded (matched by name: a process that loads
        /// the library twice has two copies of this type, and choosing the other copy would recurse).
        /// </summary>
        private ITypeFormatter Fallback(object instance)
        {
            var candidates = Formatter.RegisteredFormatters(true)
                .Where(f => f.MimeType == MimeType && f.GetType().FullName != typeof(BridgeFormatter).FullName
                            && !f.Type.ContainsGenericParameters && f.Type.IsInstanceOfType(instance))
                .ToList();
            return candidates.First(c => candidates.All(o => ReferenceEquals(o, c) || !c.Type.IsAssignableFrom(o.Type) || o.Type == c.Type));
        }
    }

    /// <summary>Displays as kernel events of the cell that shows them; an update keeps the display's id.</summary>
    private sealed class KernelSink : IDisplaySink
    {
        private readonly Dictionary<string, KernelInvocationContext> _contexts = [];

        public bool UpdatesInPlace => KernelInvocationContext.Current is not null;

        public void Show(string displayId, object? value, IReadOnlyList<CourseNotebooks.Display.FormattedValue> formats)
        {
            if (KernelInvocationContext.Current is not { } context)
            {
                Console.WriteLine(formats.First(f => f.MimeType == MimeTypes.PlainText).Text);
                return;
            }
            lock (_contexts) _contexts[displayId] = context;
            context.Publish(new DisplayedValueProduced(value, context.Command, Convert(formats), displayId));
        }

        public void Update(string displayId, object? value, IReadOnlyList<CourseNotebooks.Display.FormattedValue> formats)
        {
            KernelInvocationContext? context;
            lock (_contexts) _contexts.TryGetValue(displayId, out context);
            context ??= KernelInvocationContext.Current;
            context?.Publish(new DisplayedValueUpdated(value, displayId, context.Command, Convert(formats)));
        }

        private static Microsoft.DotNet.Interactive.Formatting.FormattedValue[] Convert(IReadOnlyList<CourseNotebooks.Display.FormattedValue> formats) =>
            [.. formats.Select(f => new Microsoft.DotNet.Interactive.Formatting.FormattedValue(f.MimeType, f.Text))];
    }
}

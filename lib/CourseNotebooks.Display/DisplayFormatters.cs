using System.Collections;
using System.Globalization;

namespace CourseNotebooks.Display;

/// <summary>
/// The renderings of notebook values, by type and mime type: a library registers how its types look (the course's
/// charts library registers tensors, tables and charts) and every host asks here, so a value looks the same in the
/// course runner, in VS Code and Jupyter, and in a console program.
/// </summary>
/// <remarks>
/// <para>For each mime type the most specific registration wins: the value's own type, then its base types, then
/// its interfaces. A renderer may decline a value (return null), for example a sequence formatter that draws
/// only sequences of records; the next candidate is then asked. Every value has a <c>text/plain</c> rendering:
/// when nothing registered answers, <see cref="PlainText"/> writes one.</para>
/// <para>Registrations are process-wide and the last one for a type and mime type replaces the earlier one, so
/// registering again (a notebook's setup cell run twice) is harmless.</para>
/// </remarks>
public static class DisplayFormatters
{
    private static readonly object Lock = new();
    private static readonly Dictionary<(Type Type, string MimeType), Func<object, string?>> Renderers = [];
    private static readonly Dictionary<Type, string[]> MimeOrder = [];

    static DisplayFormatters()
    {
        Register<HtmlContent>(MimeTypes.Html, h => h.Markup);
        Register<HtmlContent>(MimeTypes.PlainText, h => h.PlainText);
        Register<MarkdownContent>(MarkdownContent.MimeType, m => m.Markdown);
        Register<MarkdownContent>(MimeTypes.PlainText, m => m.Markdown);
    }

    /// <summary>Raised after a registration, with the type and mime type (hosts that keep their own formatter
    /// tables, as .NET Interactive does, mirror it).</summary>
    public static event Action<Type, string>? Registered;

    /// <summary>Every registration so far, as (type, mime type) pairs.</summary>
    public static IReadOnlyList<(Type Type, string MimeType)> Registrations
    {
        get { lock (Lock) return [.. Renderers.Keys]; }
    }

    /// <summary>Registers how values of type <typeparamref name="T"/> (and of types derived from it) render as
    /// <paramref name="mimeType"/>.</summary>
    public static void Register<T>(string mimeType, Func<T, string> render)
    {
        ArgumentNullException.ThrowIfNull(render);
        Register(typeof(T), mimeType, value => render((T)value));
    }

    /// <summary>
    /// Registers a renderer for <paramref name="type"/> (a class, an interface, or a closed generic type) that may
    /// decline a value by returning null.
    /// </summary>
    /// <exception cref="ArgumentException">An empty mime type or an open generic type.</exception>
    public static void Register(Type type, string mimeType, Func<object, string?> render)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentException.ThrowIfNullOrWhiteSpace(mimeType);
        ArgumentNullException.ThrowIfNull(render);
        if (type.ContainsGenericParameters)
            throw new ArgumentException($"DisplayFormatters.Register: {type} is an open generic type; register each closed type (Tensor<float>, Tensor<double>).", nameof(type));
        lock (Lock) Renderers[(type, mimeType)] = render;
        Registered?.Invoke(type, mimeType);
    }

    /// <summary>
    /// The mime types a value of <paramref name="type"/> is shown in, in this order (hosts that pick one show the
    /// first they support). Types without an order show HTML first when they have it.
    /// </summary>
    public static void SetMimeOrder(Type type, params string[] mimeTypes)
    {
        ArgumentNullException.ThrowIfNull(type);
        lock (Lock) MimeOrder[type] = [.. mimeTypes];
    }

    /// <summary>
    /// The mime types values of exactly <paramref name="type"/> are shown in: its order when one was set, else every
    /// mime type registered for it with HTML first and plain text last.
    /// </summary>
    public static IReadOnlyList<string> MimeOrderOf(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        lock (Lock)
        {
            if (MimeOrder.TryGetValue(type, out var order)) return order;
            var mimes = Renderers.Keys.Where(k => k.Type == type).Select(k => k.MimeType).ToList();
            return [.. mimes.Where(m => m == MimeTypes.Html), .. mimes.Where(m => m is not MimeTypes.Html and not MimeTypes.PlainText), .. mimes.Where(m => m == MimeTypes.PlainText)];
        }
    }

    /// <summary>The rendering of <paramref name="value"/> as <paramref name="mimeType"/> by the most specific
    /// registration that answers, or null when none does (for text/plain: see <see cref="PlainText"/>).</summary>
    public static string? TryRender(object value, string mimeType)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value is MimeContent content)
            return content.MimeType == mimeType ? content.Text : mimeType == MimeTypes.PlainText ? content.ToString() : null;
        foreach (var type in Candidates(value.GetType()))
        {
            Func<object, string?>? render;
            lock (Lock) Renderers.TryGetValue((type, mimeType), out render);
            if (render is not null && render(value) is { } text) return text;
        }
        return null;
    }

    /// <summary>
    /// Every rendering of <paramref name="value"/>: each registered mime type that answers (in the type's mime
    /// order, else HTML first), and always a text/plain one.
    /// </summary>
    public static IReadOnlyList<FormattedValue> Format(object? value)
    {
        if (value is null) return [new FormattedValue(MimeTypes.PlainText, "null")];
        if (value is MimeContent content)
            return content.MimeType == MimeTypes.PlainText
                ? [new FormattedValue(MimeTypes.PlainText, content.Text)]
                : [new FormattedValue(content.MimeType, content.Text), new FormattedValue(MimeTypes.PlainText, content.ToString())];
        var candidates = Candidates(value.GetType()).ToList();
        var mimes = new List<string>();
        string[]? order = null;
        lock (Lock)
        {
            foreach (var type in candidates)
            {
                foreach (var (t, mime) in Renderers.Keys)
                    if (t == type && !mimes.Contains(mime)) mimes.Add(mime);
                order ??= MimeOrder.GetValueOrDefault(type);
            }
        }
        var ordered = (order ?? []).Where(mimes.Contains)
            .Concat(mimes.Where(m => m == MimeTypes.Html))
            .Concat(mimes.Where(m => m != MimeTypes.Html && m != MimeTypes.PlainText))
            .Concat(mimes.Where(m => m == MimeTypes.PlainText))
            .Distinct().ToList();
        var result = new List<FormattedValue>();
        foreach (string mime in ordered)
            if (TryRender(value, mime) is { } text) result.Add(new FormattedValue(mime, text));
        if (result.All(f => f.MimeType != MimeTypes.PlainText)) result.Add(new FormattedValue(MimeTypes.PlainText, PlainText(value)));
        return result;
    }

    /// <summary>
    /// The default plain text of a value: strings as they are, numbers in the invariant culture ("0.5", never
    /// "0,5" or "5E-01"), sequences as <c>[a, b, c]</c> (at most 100 items), anything else by its ToString().
    /// </summary>
    public static string PlainText(object? value)
    {
        switch (value)
        {
            case null: return "null";
            case string s: return s;
            case IFormattable f: return f.ToString(null, CultureInfo.InvariantCulture);
            case IEnumerable items when value.GetType().ToString() == value.ToString():
                var shown = new List<string>();
                int count = 0;
                foreach (object? item in items)
                    if (count++ < 100) shown.Add(item is string text ? text : PlainText(item));
                return "[" + string.Join(", ", shown) + (count > 100 ? $", ... ({count} items)" : "") + "]";
            default: return value.ToString() ?? value.GetType().Name;
        }
    }

    /// <summary>The type, its base types, then its interfaces (most derived first).</summary>
    private static IEnumerable<Type> Candidates(Type type)
    {
        for (var t = type; t is not null; t = t.BaseType) yield return t;
        foreach (var i in type.GetInterfaces().OrderByDescending(i => i.GetInterfaces().Length)) yield return i;
    }
}

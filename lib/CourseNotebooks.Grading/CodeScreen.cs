using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis;

namespace CourseNotebooks.Grading;

/// <summary>Who wrote the code of one cell: the student (an exercise cell) or the TA (every other cell).</summary>
/// <param name="Exercise">The exercise whose cell this is, or null for the TA's cells.</param>
public sealed record CellAuthor(string? Exercise)
{
    /// <summary>True for a student's exercise cell.</summary>
    public bool IsStudent => Exercise is not null;
}

/// <summary>
/// Judges student code by what it compiles to, never by its text: the IL of each cell's compiled submission is read
/// (System.Reflection.Metadata over the compiler's own output), so a name in a comment or a string counts for nothing,
/// while a call made through any path counts: another cell's function, a lambda, a property, an operator, a base
/// class, a generic argument, or an object the notebook made earlier.
/// </summary>
/// <remarks>
/// <para>Two checks. <see cref="Capabilities"/>: what no exercise cell may use at all (reflection, <c>dynamic</c>,
/// expression trees, interop and unsafe memory, files, processes, the network, the process's exit, environment and
/// standard streams, the display's sink and formatters). These are how a cell could reach the grader's state or a
/// forbidden API by a name built at run time; no exercise needs them. Threads and timers are allowed: the grader
/// takes each probe's values as the probe ends and the run ends itself after the last cell, so a thread left running
/// can neither change a grade nor keep the run alive.</para>
/// <para><see cref="Forbidden"/>: the APIs one exercise forbids, judged from its hidden check: every method the
/// check can reach in student code (and in the notebook's own code that student code calls) is read, and so is
/// every object of the notebook's that such code reads from a variable (walked through its fields, so a layer
/// inside a model or a delegate that calls one counts).</para>
/// <para>NOTE: a virtual call through a base type on an object that the hidden check itself passes in (not read from
/// a notebook variable) is not followed to its runtime type; hidden checks pass data, not the forbidden objects.</para>
/// </remarks>
public sealed class CodeScreen
{
    private readonly Dictionary<string, Submission> _submissions = new(StringComparer.Ordinal);
    private readonly Func<IReadOnlyList<(string Name, Type Type, object? Value)>> _variables;

    /// <summary>A screen over the cells of one session; <paramref name="variables"/> reads its top-level variables.</summary>
    public CodeScreen(Func<IReadOnlyList<(string Name, Type Type, object? Value)>> variables) => _variables = variables;

    /// <summary>Records a compiled cell (before it runs), with its author.</summary>
    public void Add(Compilation compilation, CellAuthor author)
    {
        ArgumentNullException.ThrowIfNull(compilation);
        ArgumentNullException.ThrowIfNull(author);
        _submissions[compilation.AssemblyName!] = new Submission(compilation, author);
    }

    /// <summary>
    /// The capabilities no exercise cell may use, as "what" and "why": a namespace (ending in ".") or a type's full
    /// name matches everything in it; "Type::Member" matches one member (properties by their name).
    /// </summary>
    public static readonly IReadOnlyList<(string What, string Why)> CapabilityRules =
    [
        ("System.Reflection.", "reflection"), ("System.Linq.Expressions.", "expression trees"), ("Microsoft.CSharp.", "dynamic"),
        ("System.Runtime.CompilerServices.CallSite", "dynamic"), ("System.Runtime.CompilerServices.CallSite`1", "dynamic"),
        ("System.Runtime.InteropServices.", "interop and raw memory"), ("System.Runtime.CompilerServices.Unsafe", "unsafe memory"),
        ("System.Runtime.Loader.", "assembly loading"), ("System.Runtime.Serialization.", "serialization"),
        ("System.Text.Json.", "serialization"), ("System.Xml.", "serialization"), ("System.ComponentModel.", "reflection"),
        ("System.Activator", "reflection"), ("System.AppDomain", "the process"), ("System.AppContext", "the process"),
        ("System.Type::GetType", "reflection"), ("System.Type::GetMethod", "reflection"), ("System.Type::GetMethods", "reflection"),
        ("System.Type::GetField", "reflection"), ("System.Type::GetFields", "reflection"), ("System.Type::GetProperty", "reflection"),
        ("System.Type::GetProperties", "reflection"), ("System.Type::GetMember", "reflection"), ("System.Type::GetMembers", "reflection"),
        ("System.Type::GetConstructor", "reflection"), ("System.Type::GetConstructors", "reflection"), ("System.Type::InvokeMember", "reflection"),
        ("System.Type::GetNestedType", "reflection"), ("System.Type::GetNestedTypes", "reflection"), ("System.Type::GetEvent", "reflection"),
        ("System.Type::GetEvents", "reflection"), ("System.Type::GetInterface", "reflection"), ("System.Type::GetInterfaces", "reflection"),
        ("System.Type::Assembly", "reflection"), ("System.Type::Module", "reflection"), ("System.Type::MakeGenericType", "reflection"),
        ("System.Type::TypeInitializer", "reflection"), ("System.Type::GetDefaultMembers", "reflection"),
        ("System.Delegate::CreateDelegate", "reflection"), ("System.Delegate::DynamicInvoke", "reflection"), ("System.Delegate::Method", "reflection"),
        ("System.Runtime.CompilerServices.RuntimeHelpers::GetUninitializedObject", "reflection"),
        ("System.Runtime.CompilerServices.RuntimeHelpers::RunClassConstructor", "reflection"),
        ("System.Runtime.CompilerServices.RuntimeHelpers::RunModuleConstructor", "reflection"),
        ("System.Runtime.CompilerServices.RuntimeHelpers::GetObjectValue", "reflection"),
        ("System.Runtime.CompilerServices.ModuleInitializerAttribute", "code that runs on load"),
        ("System.Runtime.CompilerServices.UnsafeAccessorAttribute", "private members of other types"),
        ("System.IO.File", "files"), ("System.IO.Directory", "files"), ("System.IO.FileInfo", "files"), ("System.IO.DirectoryInfo", "files"),
        ("System.IO.FileSystemInfo", "files"), ("System.IO.FileStream", "files"), ("System.IO.RandomAccess", "files"), ("System.IO.DriveInfo", "files"),
        ("System.IO.FileSystemWatcher", "files"), ("System.IO.UnmanagedMemoryStream", "raw memory"), ("System.IO.UnmanagedMemoryAccessor", "raw memory"),
        ("System.IO.Pipes.", "pipes"), ("System.IO.MemoryMappedFiles.", "raw memory"), ("Microsoft.Win32.", "the operating system"),
        ("System.Net.", "the network"), ("System.Diagnostics.Process", "processes"), ("System.Diagnostics.ProcessStartInfo", "processes"),
        ("System.Diagnostics.Debugger", "the debugger"),
        ("System.Environment::Exit", "the process's exit"), ("System.Environment::FailFast", "the process's exit"),
        ("System.Environment::SetEnvironmentVariable", "the environment"), ("System.Environment::GetEnvironmentVariable", "the environment"),
        ("System.Environment::GetEnvironmentVariables", "the environment"), ("System.Environment::GetCommandLineArgs", "the command line"),
        ("System.Environment::CommandLine", "the command line"), ("System.Environment::CurrentDirectory", "the environment"),
        ("System.Console::SetOut", "standard streams"), ("System.Console::SetError", "standard streams"), ("System.Console::SetIn", "standard streams"),
        ("System.Console::OpenStandardOutput", "standard streams"), ("System.Console::OpenStandardError", "standard streams"),
        ("System.Console::OpenStandardInput", "standard streams"), ("System.Console::In", "standard streams"), ("System.Console::Read", "standard streams"),
        ("System.Console::ReadLine", "standard streams"), ("System.Console::ReadKey", "standard streams"),
        ("System.GC::ReRegisterForFinalize", "finalizers"),
        ("CourseNotebooks.Display.NotebookDisplay::Sink", "the notebook's display"), ("CourseNotebooks.Display.DisplayFormatters::Register", "the notebook's display"),
        ("CourseNotebooks.Display.IDisplaySink", "the notebook's display"),
    ];

    /// <summary>
    /// Uses the rules above would catch that are harmless and that compilers or ordinary code emit: a type's name,
    /// list helpers behind collection expressions (<c>List&lt;int&gt; xs = [1, 2];</c>), and parameter attributes.
    /// </summary>
    public static readonly IReadOnlyList<string> CapabilityExceptions =
    [
        "System.Reflection.MemberInfo::Name", "System.Runtime.InteropServices.CollectionsMarshal",
        "System.Runtime.InteropServices.InAttribute", "System.Runtime.InteropServices.OutAttribute",
        "System.Runtime.InteropServices.OptionalAttribute", "System.Runtime.InteropServices.DefaultParameterValueAttribute",
    ];

    /// <summary>
    /// The first capability an exercise cell's compiled code uses that no exercise may use, as a sentence for the
    /// student ("uses reflection (System.Type.GetMethod)"), or null when it uses none.
    /// </summary>
    public string? Capabilities(Compilation cell)
    {
        var submission = Find(cell);
        foreach (var use in submission.Uses())
            if (use.Library && !CapabilityExceptions.Any(e => Matches(use, e))
                && CapabilityRules.FirstOrDefault(r => Matches(use, r.What)) is { What: not null } rule)
                return $"uses {rule.Why} ({use.Display}), which exercise cells may not use";
        foreach (var type in submission.DefinedTypes())
            if (type.HasFinalizer) return $"declares a finalizer (~{type.Name}), which exercise cells may not use";
        if (submission.ExternMethods().FirstOrDefault() is { } external)
            return $"declares a method without a body ({external}: native code or a private accessor), which exercise cells may not use";
        return null;
    }

    /// <summary>
    /// The first of <paramref name="forbidden"/> that the code a hidden check runs can reach through student code, as
    /// the end of a sentence that starts "the solution ..." ("calls Math.Pow (System.Math.Pow) in Helper (in the cell
    /// of exercise sum-to-ten)"), or null when none is reached.
    /// </summary>
    /// <param name="hiddenCheck">The hidden check's compiled cell (the TA's code: itself never judged).</param>
    /// <param name="forbidden">The exercise's forbid list, as written in its header (e.g. "Math.Pow", "MaxPool2d").</param>
    public string? Forbidden(Compilation hiddenCheck, IReadOnlyList<string> forbidden)
    {
        if (forbidden.Count == 0) return null;
        var start = Find(hiddenCheck);
        var seen = new HashSet<(string, MethodDefinitionHandle)>();
        var seenFields = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<(Submission Where, MethodDefinitionHandle Method, bool Judged, string Path)>();
        foreach (var method in start.AllMethods()) queue.Enqueue((start, method, false, ""));
        while (queue.Count > 0)
        {
            var (where, method, judged, path) = queue.Dequeue();
            if (!seen.Add((where.Name, method))) continue;
            string here = judged ? (path.Length > 0 ? path : where.Describe(method)) : "";
            foreach (var use in where.UsesOf(method))
            {
                if (use.Library)
                {
                    if (judged && forbidden.FirstOrDefault(f => MatchesForbidden(use, f)) is { } hit)
                        return $"calls {hit} ({use.Display}) in {here}";
                    continue;
                }
                // Code of another cell (or another method of this one).
                if (use.Target is not { } target || !_submissions.TryGetValue(target.Assembly, out var other)) continue;
                bool student = judged || other.Author.IsStudent;
                string step = target.Name.Length > 0 && !target.Name.StartsWith('<') ? $"{target.Name} (in {other.DescribeCell()})" : $"the code of {other.DescribeCell()}";
                string next = student ? (judged && here != step ? $"{here} → {step}" : step) : "";
                if (target.IsField && target.TypeFullName.StartsWith("Submission#", StringComparison.Ordinal))
                {
                    // A value a cell computed: the student cell's top-level code that computed it, and the object itself.
                    if (!student) continue;
                    if (other.Author.IsStudent)
                        foreach (var m in other.AllMethods()) queue.Enqueue((other, m, true, next.Length > 0 ? next : other.Describe(m)));
                    if (seenFields.Add(target.Assembly + "::" + target.Name)
                        && InspectVariable(target.Name, forbidden, queue) is { } found)
                        return $"reaches {found.Api} through the notebook's variable '{target.Name}', which holds {found.What} ({(here.Length > 0 ? here : other.DescribeCell())})";
                    continue;
                }
                if (target.IsField) continue;
                foreach (var m in target.Methods(other)) queue.Enqueue((other, m, student, next));
            }
        }
        return null;
    }

    /// <summary>
    /// Walks the object a notebook variable holds (fields, arrays, delegates; at most 100,000 objects) for an
    /// instance of a forbidden type or a delegate into forbidden code; delegates into cell code are queued for reading.
    /// </summary>
    private (string Api, string What)? InspectVariable(string name, IReadOnlyList<string> forbidden,
        Queue<(Submission, MethodDefinitionHandle, bool, string)> queue)
    {
        var pending = new Stack<object>();
        foreach (var (n, _, value) in _variables())
            if (n == name && value is not null) pending.Push(value);
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        int budget = 100_000;
        while (pending.Count > 0 && budget-- > 0)
        {
            object value = pending.Pop();
            if (!visited.Add(value)) continue;
            var type = value.GetType();
            foreach (var t in TypeChain(type))
                if (forbidden.FirstOrDefault(f => MatchesType(t, f)) is { } hit)
                    return (hit, $"a {Pretty(type)}");
            if (value is Delegate d)
            {
                foreach (var single in d.GetInvocationList())
                {
                    var m = single.Method;
                    if (m.DeclaringType is { } declaring && forbidden.FirstOrDefault(f => MatchesType(declaring, f) || MatchesMember(declaring, m.Name, f)) is { } hit)
                        return (hit, $"a delegate to {Pretty(declaring)}.{m.Name}");
                    if (m.Module.Assembly.GetName().Name is { } asm && _submissions.TryGetValue(asm, out var cell)
                        && cell.FindMethod(m) is { } handle)
                        queue.Enqueue((cell, handle, true, $"the notebook's delegate in '{name}'"));
                    if (single.Target is { } target) pending.Push(target);
                }
                continue;
            }
            if (type.IsPointer || type.IsPrimitive || value is string || type.IsEnum) continue;
            if (value is Array array)
            {
                var element = type.GetElementType()!;
                if (element.IsPrimitive || element.IsEnum || element == typeof(string)) continue;
                foreach (object? item in array) if (item is not null) pending.Push(item);
                continue;
            }
            for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
                foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.FieldType.IsPrimitive || field.FieldType.IsPointer || field.FieldType.IsByRefLike) continue;
                    if (field.GetValue(value) is { } child) pending.Push(child);
                }
        }
        return null;
    }

    private static IEnumerable<Type> TypeChain(Type type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            yield return t;
            if (t.IsGenericType) foreach (var a in t.GetGenericArguments()) yield return a;
        }
    }

    private static string Pretty(Type type) => type.IsGenericType ? type.Name.Split('`')[0] + "<" + string.Join(", ", type.GetGenericArguments().Select(Pretty)) + ">" : type.Name;

    private Submission Find(Compilation compilation) =>
        _submissions.TryGetValue(compilation.AssemblyName!, out var s) ? s
            : throw new InvalidOperationException($"CodeScreen: the cell {compilation.AssemblyName} was not added");

    // ---- matching ----

    private static bool Matches(Use use, string rule)
    {
        if (rule.Contains("::", StringComparison.Ordinal))
        {
            int at = rule.IndexOf("::", StringComparison.Ordinal);
            string type = rule[..at], member = rule[(at + 2)..];
            return use.Declaring?.FullName == type && use.Member is { } m && MemberNameIs(m, member);
        }
        if (rule.EndsWith('.')) return use.Types.Any(t => t.Namespace.Length > 0 && (t.Namespace + ".").StartsWith(rule, StringComparison.Ordinal));
        return use.Types.Any(t => t.FullName == rule || t.FullName.StartsWith(rule + "+", StringComparison.Ordinal));
    }

    /// <summary>
    /// A forbid-list entry: "Name" forbids a type of that name (any namespace; nested and generic types too) and any
    /// member of that name of a library type; "Type.Member" forbids that member of types named Type, or the type of
    /// that full name (e.g. "System.Math").
    /// </summary>
    internal static bool MatchesForbidden(Use use, string entry)
    {
        int dot = entry.LastIndexOf('.');
        if (dot < 0)
            return use.Types.Any(t => t.Name == entry) || (use.Member is { } m && MemberNameIs(m, entry));
        string type = entry[..dot], member = entry[(dot + 1)..];
        return use.Types.Any(t => t.FullName == entry || t.FullName.EndsWith("." + entry, StringComparison.Ordinal))
               || (use.Member is { } name && MemberNameIs(name, member) && use.Declaring is { } d && (d.Name == type || d.FullName == type || d.FullName.EndsWith("." + type, StringComparison.Ordinal)));
    }

    private static bool MatchesType(Type type, string entry)
    {
        string name = type.Name.Split('`')[0];
        string full = (type.FullName ?? type.Name).Split('`')[0].Replace('+', '.');
        return entry.Contains('.') ? full == entry || full.EndsWith("." + entry, StringComparison.Ordinal) : name == entry;
    }

    private static bool MatchesMember(Type declaring, string member, string entry)
    {
        int dot = entry.LastIndexOf('.');
        if (dot < 0) return MemberNameIs(member, entry);
        return MemberNameIs(member, entry[(dot + 1)..]) && MatchesType(declaring, entry[..dot]);
    }

    private static bool MemberNameIs(string member, string name) =>
        member == name || member == "get_" + name || member == "set_" + name || member == "add_" + name || member == "remove_" + name;

    // ---- reading compiled cells ----

    /// <summary>A type named in IL: namespace, name (without generic arity) and its assembly ("" for this cell's own types).</summary>
    internal sealed record TypeName(string Namespace, string Name, string Assembly)
    {
        public string FullName => Namespace.Length == 0 ? Name : Namespace + "." + Name;
    }

    /// <summary>A reference to another cell's member: its assembly, the member's name, and how to find its code.</summary>
    internal sealed record Target(string Assembly, string Name, bool IsField, string TypeFullName, string? Signature)
    {
        /// <summary>The methods this target stands for in <paramref name="cell"/>: the method itself, or every method
        /// of a type that is constructed or named.</summary>
        public IEnumerable<MethodDefinitionHandle> Methods(Submission cell) => cell.Resolve(this);
    }

    /// <summary>One use in IL: the types it names (declaring type, generic arguments, signature types), the member's
    /// name, whether it is library code, and where it points inside the cells.</summary>
    internal sealed record Use(IReadOnlyList<TypeName> Types, TypeName? Declaring, string? Member, bool Library, Target? Target, string Display);

    internal sealed class Submission(Compilation compilation, CellAuthor author)
    {
        private PEReader? _pe;
        private MetadataReader? _reader;
        private byte[]? _image;

        public CellAuthor Author { get; } = author;

        public string Name { get; } = compilation.AssemblyName!;

        private MetadataReader Reader
        {
            get
            {
                if (_reader is not null) return _reader;
                using var stream = new MemoryStream();
                var emitted = compilation.Emit(stream);
                if (!emitted.Success)
                    throw new InvalidOperationException($"CodeScreen: {Name} does not compile: {emitted.Diagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error)}");
                _image = stream.ToArray();
                _pe = new PEReader(ImmutableArray.Create(_image));
                return _reader = _pe.GetMetadataReader();
            }
        }

        public string DescribeCell() => Author.Exercise is { } e ? $"the cell of exercise {e}" : "a cell of the notebook";

        public string Describe(MethodDefinitionHandle handle)
        {
            var method = Reader.GetMethodDefinition(handle);
            string name = Reader.GetString(method.Name);
            var type = Reader.GetTypeDefinition(method.GetDeclaringType());
            string typeName = Reader.GetString(type.Name);
            string who = name.StartsWith('<') || typeName.StartsWith('<') || typeName.StartsWith("Submission#", StringComparison.Ordinal) && name.StartsWith('<')
                ? "code" : name;
            return who == "code" ? $"the top-level code of {DescribeCell()}" : $"{who} (in {DescribeCell()})";
        }

        public IEnumerable<MethodDefinitionHandle> AllMethods() => Reader.MethodDefinitions;

        /// <summary>
        /// Methods declared with no body that the runtime does not supply itself: <c>extern</c> methods, which are
        /// platform calls ([DllImport]) or private accessors ([UnsafeAccessor]). Abstract and interface methods and the
        /// runtime's own delegate methods are not among them.
        /// </summary>
        public IEnumerable<string> ExternMethods()
        {
            foreach (var h in Reader.MethodDefinitions)
            {
                var method = Reader.GetMethodDefinition(h);
                if (method.RelativeVirtualAddress != 0 || (method.Attributes & System.Reflection.MethodAttributes.Abstract) != 0) continue;
                if ((method.ImplAttributes & System.Reflection.MethodImplAttributes.Runtime) != 0) continue;
                yield return Reader.GetString(method.Name);
            }
        }

        public IEnumerable<(string Name, bool HasFinalizer)> DefinedTypes() =>
            Reader.TypeDefinitions.Select(h => Reader.GetTypeDefinition(h)).Select(t =>
                (Reader.GetString(t.Name), t.GetMethods().Any(m => Reader.GetString(Reader.GetMethodDefinition(m).Name) == "Finalize")));

        /// <summary>
        /// Every use in every method body, type definition and signature of this cell, except inside the helper types
        /// the compiler writes itself (&lt;PrivateImplementationDetails&gt;, inline arrays: no source names them, and
        /// their bodies are fixed), and except attributes (<c>[DefaultMember]</c> on an indexer is reflection's type),
        /// of which only the module initializer counts.
        /// </summary>
        public IEnumerable<Use> Uses()
        {
            foreach (var h in Reader.TypeDefinitions)
            {
                if (CompilerHelper(h)) continue;
                foreach (var m in Reader.GetTypeDefinition(h).GetMethods())
                    foreach (var use in UsesOf(m, attributes: false)) yield return use;
            }
            foreach (var h in Reader.TypeDefinitions)
            {
                if (CompilerHelper(h)) continue;
                var type = Reader.GetTypeDefinition(h);
                if (!type.BaseType.IsNil) yield return TypeUse(type.BaseType);
                foreach (var i in type.GetInterfaceImplementations())
                    yield return TypeUse(Reader.GetInterfaceImplementation(i).Interface);
                foreach (var f in type.GetFields())
                    foreach (var t in Reader.GetFieldDefinition(f).DecodeSignature(Provider, null).All())
                        yield return Of(t);
            }
            foreach (var a in Reader.CustomAttributes)
                if (MemberUse(Reader.GetCustomAttribute(a).Constructor) is { Declaring.Name: "ModuleInitializerAttribute" or "UnsafeAccessorAttribute" } attribute)
                    yield return attribute;
        }

        private bool CompilerHelper(TypeDefinitionHandle handle)
        {
            var type = Reader.GetTypeDefinition(handle);
            while (type.GetDeclaringType() is { IsNil: false } outer) type = Reader.GetTypeDefinition(outer);
            string name = Reader.GetString(type.Name);
            return name.StartsWith("<PrivateImplementationDetails>", StringComparison.Ordinal) || name.StartsWith("<>y__InlineArray", StringComparison.Ordinal);
        }

        /// <summary>The uses of one method: its signature, its locals and every token its IL names.</summary>
        public IEnumerable<Use> UsesOf(MethodDefinitionHandle handle, bool attributes = true)
        {
            var method = Reader.GetMethodDefinition(handle);
            foreach (var t in method.DecodeSignature(Provider, null).All()) yield return Of(t);
            if (attributes)
                foreach (var a in method.GetCustomAttributes())
                    yield return MemberUse(Reader.GetCustomAttribute(a).Constructor);
            if (method.RelativeVirtualAddress == 0) yield break;
            var body = _pe!.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
                foreach (var local in Reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(Provider, null))
                    foreach (var t in local.All()) yield return Of(t);
            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                int code = il.ReadByte();
                if (code == 0xFE) code = 0xFE00 | il.ReadByte();
                var operand = OperandTypes.TryGetValue(code, out var o) ? o : OperandType.InlineNone;
                switch (operand)
                {
                    case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok or OperandType.InlineType:
                        var token = MetadataTokens.EntityHandle(il.ReadInt32());
                        yield return token.Kind is HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification
                            ? TypeUse(token) : MemberUse(token);
                        break;
                    case OperandType.InlineSwitch:
                        int count = il.ReadInt32();
                        il.Offset += 4 * count;
                        break;
                    default:
                        il.Offset += OperandSize(operand);
                        break;
                }
            }
        }

        private static int OperandSize(OperandType operand) => operand switch
        {
            OperandType.InlineNone => 0,
            OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
            OperandType.InlineVar => 2,
            OperandType.InlineI8 or OperandType.InlineR => 8,
            _ => 4,
        };

        /// <summary>The methods a target stands for in this cell.</summary>
        public IEnumerable<MethodDefinitionHandle> Resolve(Target target)
        {
            foreach (var h in Reader.TypeDefinitions)
            {
                var type = Reader.GetTypeDefinition(h);
                if (FullName(type) != target.TypeFullName) continue;
                if (target.Name.Length == 0)
                {
                    // A cell's own class is named to reach its members (each followed when used), not to run all of it.
                    if (target.TypeFullName.StartsWith("Submission#", StringComparison.Ordinal)) continue;
                    foreach (var m in AllMethodsOf(h)) yield return m;
                    continue;
                }
                foreach (var m in type.GetMethods())
                    if (Reader.GetString(Reader.GetMethodDefinition(m).Name) == target.Name) yield return m;
            }
        }

        private IEnumerable<MethodDefinitionHandle> AllMethodsOf(TypeDefinitionHandle handle)
        {
            var type = Reader.GetTypeDefinition(handle);
            foreach (var m in type.GetMethods()) yield return m;
            foreach (var nested in type.GetNestedTypes())
                foreach (var m in AllMethodsOf(nested)) yield return m;
        }

        /// <summary>The method a runtime delegate points at, found by its type and name.</summary>
        public MethodDefinitionHandle? FindMethod(MethodInfo method)
        {
            string typeName = (method.DeclaringType?.FullName ?? "").Replace('+', '/');
            foreach (var h in Reader.TypeDefinitions)
                if (FullName(Reader.GetTypeDefinition(h)) == typeName)
                    foreach (var m in Reader.GetTypeDefinition(h).GetMethods())
                        if (Reader.GetString(Reader.GetMethodDefinition(m).Name) == method.Name) return m;
            return null;
        }

        private string FullName(TypeDefinition type)
        {
            string name = Reader.GetString(type.Name);
            if (type.GetDeclaringType() is { IsNil: false } outer) return FullName(Reader.GetTypeDefinition(outer)) + "/" + name;
            string ns = Reader.GetString(type.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        private Use Of(TypeName type) =>
            new([type], type, null, type.Assembly.Length > 0 && !IsSubmission(type.Assembly), null, type.FullName);

        private Use TypeUse(EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                {
                    var def = Reader.GetTypeDefinition((TypeDefinitionHandle)handle);
                    var own = new TypeName(Reader.GetString(def.Namespace), Reader.GetString(def.Name), "");
                    return new Use([own], own, null, false, new Target(Name, "", false, FullName(def), null), own.FullName);
                }
                case HandleKind.TypeReference:
                {
                    var type = Reference((TypeReferenceHandle)handle, out string typeFullName);
                    bool library = !IsSubmission(type.Assembly);
                    return new Use([type], type, null, library, library ? null : new Target(type.Assembly, "", false, typeFullName, null), type.FullName);
                }
                default:
                {
                    var spec = Reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(Provider, null);
                    var all = spec.All().ToList();
                    var head = all.FirstOrDefault();
                    bool library = all.All(t => !IsSubmission(t.Assembly));
                    return new Use(all, head, null, library, null, head?.FullName ?? "a generic type");
                }
            }
        }

        private Use MemberUse(EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.MethodDefinition:
                {
                    var method = Reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                    var type = Reader.GetTypeDefinition(method.GetDeclaringType());
                    string name = Reader.GetString(method.Name);
                    var own = new TypeName(Reader.GetString(type.Namespace), Reader.GetString(type.Name), "");
                    return new Use([own], own, name, false, new Target(Name, name, false, FullName(type), null), $"{own.Name}.{name}");
                }
                case HandleKind.FieldDefinition:
                {
                    var field = Reader.GetFieldDefinition((FieldDefinitionHandle)handle);
                    var type = Reader.GetTypeDefinition(field.GetDeclaringType());
                    string name = Reader.GetString(field.Name);
                    var own = new TypeName(Reader.GetString(type.Namespace), Reader.GetString(type.Name), "");
                    return new Use([own], own, name, false, null, $"{own.Name}.{name}");
                }
                case HandleKind.MethodSpecification:
                {
                    var spec = Reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    var inner = MemberUse(spec.Method);
                    var args = spec.DecodeSignature(Provider, null).SelectMany(a => a.All()).ToList();
                    return inner with { Types = [.. inner.Types, .. args], Library = inner.Library && args.All(a => !IsSubmission(a.Assembly)) };
                }
                case HandleKind.MemberReference:
                {
                    var member = Reader.GetMemberReference((MemberReferenceHandle)handle);
                    string name = Reader.GetString(member.Name);
                    var parent = member.Parent.Kind switch
                    {
                        HandleKind.TypeReference or HandleKind.TypeDefinition or HandleKind.TypeSpecification => TypeUse(member.Parent),
                        HandleKind.MethodDefinition => MemberUse(member.Parent),
                        _ => new Use([], null, null, true, null, "?"),
                    };
                    var signature = member.GetKind() == MemberReferenceKind.Method
                        ? member.DecodeMethodSignature(Provider, null).All().ToList()
                        : member.DecodeFieldSignature(Provider, null).All().ToList();
                    bool field = member.GetKind() == MemberReferenceKind.Field;
                    Target? target = null;
                    if (!parent.Library && parent.Declaring is { } d && member.Parent.Kind == HandleKind.TypeReference)
                    {
                        Reference((TypeReferenceHandle)member.Parent, out string typeFullName);
                        target = new Target(d.Assembly, name, field, typeFullName, null);
                    }
                    return new Use([.. parent.Types, .. signature], parent.Declaring, name, parent.Library, target, $"{parent.Declaring?.FullName}.{Readable(name)}");
                }
                default:
                    return new Use([], null, null, true, null, handle.Kind.ToString());
            }
        }

        /// <summary>A member's name as source writes it: a property's accessor by the property's name.</summary>
        private static string Readable(string member) =>
            member.StartsWith("get_", StringComparison.Ordinal) || member.StartsWith("set_", StringComparison.Ordinal) ? member[4..] : member == ".ctor" ? "new" : member;

        private TypeName Reference(TypeReferenceHandle handle, out string fullName)
        {
            var type = Reader.GetTypeReference(handle);
            string name = Reader.GetString(type.Name);
            string ns = Reader.GetString(type.Namespace);
            switch (type.ResolutionScope.Kind)
            {
                case HandleKind.TypeReference:
                    var outer = Reference((TypeReferenceHandle)type.ResolutionScope, out string outerName);
                    fullName = outerName + "/" + name;
                    return new TypeName(outer.Namespace, outer.Name + "+" + Strip(name), outer.Assembly);
                case HandleKind.AssemblyReference:
                    var asm = Reader.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope);
                    fullName = ns.Length == 0 ? name : ns + "." + name;
                    return new TypeName(ns, Strip(name), Reader.GetString(asm.Name));
                default:
                    fullName = ns.Length == 0 ? name : ns + "." + name;
                    return new TypeName(ns, Strip(name), "");
            }
        }

        private static string Strip(string name) => name.Split('`')[0];

        private bool IsSubmission(string assembly) => assembly.Length == 0 || assembly.StartsWith('ℛ') || assembly == Name;

        private SignatureProvider Provider => _provider ??= new SignatureProvider(this);

        private SignatureProvider? _provider;

        internal sealed class SignatureProvider(Submission owner) : ISignatureTypeProvider<Sig, object?>
        {
            public Sig GetArrayType(Sig elementType, ArrayShape shape) => elementType;
            public Sig GetByReferenceType(Sig elementType) => elementType;
            public Sig GetFunctionPointerType(MethodSignature<Sig> signature) => new([new TypeName("", "method pointer", "ℛ")]);
            public Sig GetGenericInstantiation(Sig genericType, ImmutableArray<Sig> typeArguments) => new([.. genericType.Types, .. typeArguments.SelectMany(a => a.Types)]);
            public Sig GetGenericMethodParameter(object? genericContext, int index) => Sig.None;
            public Sig GetGenericTypeParameter(object? genericContext, int index) => Sig.None;
            public Sig GetModifiedType(Sig modifier, Sig unmodifiedType, bool isRequired) => unmodifiedType;
            public Sig GetPinnedType(Sig elementType) => elementType;
            public Sig GetPointerType(Sig elementType) => elementType;
            public Sig GetPrimitiveType(PrimitiveTypeCode typeCode) => Sig.None;
            public Sig GetSZArrayType(Sig elementType) => elementType;
            public Sig GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
            {
                var def = reader.GetTypeDefinition(handle);
                return new([new TypeName(reader.GetString(def.Namespace), Strip(reader.GetString(def.Name)), "")]);
            }
            public Sig GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => new([owner.Reference(handle, out _)]);
            public Sig GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
                reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
        }
    }

    /// <summary>The types a signature names.</summary>
    internal sealed record Sig(IReadOnlyList<TypeName> Types)
    {
        public static readonly Sig None = new([]);
        public IEnumerable<TypeName> All() => Types;
    }

    private static readonly Dictionary<int, OperandType> OperandTypes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => (int)(ushort)o.Value, o => o.OperandType);
}

internal static class SignatureExtensions
{
    public static IEnumerable<CodeScreen.TypeName> All(this MethodSignature<CodeScreen.Sig> signature) =>
        signature.ReturnType.All().Concat(signature.ParameterTypes.SelectMany(p => p.All()));
}

using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CourseNotebooks.Grading;

/// <summary>What a path in the submissions folder is, without following it.</summary>
public enum EntryKind
{
    /// <summary>A regular file.</summary>
    File,
    /// <summary>A folder.</summary>
    Folder,
    /// <summary>A symbolic link (to anything).</summary>
    Link,
    /// <summary>A named pipe (FIFO).</summary>
    Pipe,
    /// <summary>A character or block device.</summary>
    Device,
    /// <summary>A socket.</summary>
    Socket,
    /// <summary>Gone, or unreadable.</summary>
    Missing,
}

/// <summary>
/// Reading what students handed in without trusting it: the kind of each entry is read without following links
/// (<c>statx</c> with AT_SYMLINK_NOFOLLOW on Linux), so a link to the TA's notebook, a named pipe or /dev/zero is
/// refused by name before anything opens it, and a file is read only up to a size limit.
/// </summary>
public static partial class SubmissionFiles
{
    /// <summary>The largest notebook file graded (a course notebook with outputs is a few MB).</summary>
    public const long MaxNotebookBytes = 32L << 20;

    /// <summary>The kind of <paramref name="path"/>, not following a link.</summary>
    public static EntryKind KindOf(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            var buffer = new byte[256];
            if (Statx(-100, path, 0x100 /* AT_SYMLINK_NOFOLLOW */, 0x1 /* STATX_TYPE */, buffer) != 0) return EntryKind.Missing;
            int mode = BitConverter.ToUInt16(buffer, 28) & 0xF000;
            return mode switch
            {
                0x8000 => EntryKind.File,
                0x4000 => EntryKind.Folder,
                0xA000 => EntryKind.Link,
                0x1000 => EntryKind.Pipe,
                0x2000 or 0x6000 => EntryKind.Device,
                0xC000 => EntryKind.Socket,
                _ => EntryKind.Missing,
            };
        }
        // Elsewhere .NET tells links and folders apart; other special files are rare off Linux (the grader's sandbox is Linux's).
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) return EntryKind.Link;
        if (Directory.Exists(path)) return EntryKind.Folder;
        return info.Exists ? EntryKind.File : EntryKind.Missing;
    }

    /// <summary>What a refused entry is, in words for the TA.</summary>
    public static string Describe(EntryKind kind, string path) => kind switch
    {
        EntryKind.Link => $"a symbolic link{(new FileInfo(path).LinkTarget is { } target ? $" (to {target})" : "")}, not a file",
        EntryKind.Pipe => "a named pipe, not a file",
        EntryKind.Device => "a device, not a file",
        EntryKind.Socket => "a socket, not a file",
        EntryKind.Missing => "gone or unreadable",
        _ => kind.ToString(),
    };

    /// <summary>The bytes of a regular file of at most <paramref name="maxBytes"/>.</summary>
    /// <exception cref="IOException">The path is not a regular file, or is larger.</exception>
    public static byte[] ReadRegularFile(string path, long maxBytes = MaxNotebookBytes)
    {
        var kind = KindOf(path);
        if (kind != EntryKind.File) throw new IOException($"{path} is {Describe(kind, path)}");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > maxBytes) throw new IOException($"{path} is {stream.Length:N0} bytes, more than the {maxBytes:N0} a notebook may have");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The SHA-256 of a regular file (refusing anything else, as <see cref="ReadRegularFile"/>).</summary>
    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(ReadRegularFile(path)));

    /// <summary>
    /// A file name for a student id, one to one: an id that is already a plain lower-case name (letters, digits,
    /// '.', '_', '-', not starting with '.' or '-', at most 64 characters) is kept; any other id becomes its plain part
    /// followed by '-' and 16 hex digits of its SHA-256. Plain ids never end in such a suffix, so two ids never share a
    /// name, even on a case-insensitive file system ("Alice" and "alice" differ).
    /// </summary>
    public static string FileNameOf(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (PlainId().IsMatch(id) && !HashSuffix().IsMatch(id)) return id;
        var slug = new StringBuilder();
        foreach (char c in id.ToLowerInvariant())
            if (slug.Length < 40) slug.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..16];
        string plain = slug.ToString().TrimStart('-', '_', '.');
        return (plain.Length == 0 ? "student" : plain) + "-" + hash;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex PlainId();

    [GeneratedRegex("-[0-9a-f]{16}$")]
    private static partial Regex HashSuffix();

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}

using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Networks;

/// <summary>
/// Saves and loads a module's parameters in a small versioned binary file, so a long training run can be resumed
/// and a trained model reused later. Introduced in notebook 07-training-on-real-data, which names it for keeping the
/// network it trains (the notebook itself writes no file).
/// PyTorch: torch.save(model.state_dict(), path) / model.load_state_dict(torch.load(path)) (parameters only).
/// </summary>
/// <remarks>
/// <para>Format, version 1 (all integers little-endian):</para>
/// <code>
/// "CNCK"                       magic, 4 ASCII bytes
/// int32  version               1
/// byte   element type          1 = float32, 2 = float64
/// per parameter, in NamedParameters() order:
///   byte 1                     "a parameter follows"
///   string name                dotted name, e.g. "0.weight" (7-bit-encoded length, then UTF-8)
///   int32 rank, int32 × rank   shape
///   element bytes              row-major data
/// byte 0                       end of parameters
/// 32 bytes                     SHA-256 of everything above (catches truncated and damaged files)
/// </code>
/// <para>Saving writes a temporary file in the target folder, flushes it to disk and only then renames it over the
/// target, so an exception or a crash during the save leaves the previous checkpoint untouched. Loading checks the
/// whole file and every name and shape before it changes any parameter, so a failed load leaves the model as it was.
/// Only parameters are stored (no optimizer state, no buffers).</para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>The format version this library writes and reads.</summary>
    public const int FormatVersion = 1;

    private static readonly byte[] Magic = "CNCK"u8.ToArray();
    private const int HashLength = 32;
    private const int HeaderLength = 4 + 4 + 1;

    /// <summary>Writes every parameter of <paramref name="module"/> to <paramref name="path"/>, replacing it atomically.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="NotSupportedException">The element type is neither float nor double.</exception>
    public static void Save<T>(Module<T> module, string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte elementType = ElementTypeCode<T>();
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath)!;
        string temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var record = new MemoryStream();
                var writer = new BinaryWriter(record, Encoding.UTF8, leaveOpen: true);
                void Flush()
                {
                    writer.Flush();
                    hash.AppendData(record.GetBuffer(), 0, (int)record.Length);
                    file.Write(record.GetBuffer(), 0, (int)record.Length);
                    record.SetLength(0);
                }

                writer.Write(Magic);
                writer.Write(FormatVersion);
                writer.Write(elementType);
                Flush();
                // Parameters are written one record at a time, so a large model never needs a second copy in memory.
                foreach (var (name, p) in module.NamedParameters())
                {
                    writer.Write((byte)1);
                    writer.Write(name);
                    writer.Write(p.Value.Rank);
                    foreach (int d in p.Value.Shape) writer.Write(d);
                    writer.Write(MemoryMarshal.AsBytes(p.Value.Data.AsSpan()));
                    Flush();
                }
                writer.Write((byte)0);
                Flush();
                file.Write(hash.GetHashAndReset());
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            // The target was never touched; remove the partial temporary file and report the original error.
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>
    /// Reads <paramref name="path"/> into the parameters of <paramref name="module"/>, which must have exactly the
    /// same parameter names and shapes (the same architecture).
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a checkpoint (wrong magic), an unknown version, or a truncated or damaged file.</exception>
    /// <exception cref="ArgumentException">
    /// The checkpoint belongs to a different architecture: a parameter is missing, extra, or has another shape, or the
    /// element type differs; the message names the parameter with the expected (model) and actual (file) shape.
    /// </exception>
    public static void Load<T>(Module<T> module, string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        string where = $"Checkpoint '{path}'";
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException(
                $"{where}: not a checkpoint file: expected the magic bytes 'CNCK', got {Describe(bytes.AsSpan(0, Math.Min(4, bytes.Length)))}.");
        if (bytes.Length < HeaderLength)
            throw new InvalidDataException($"{where}: the file is truncated: {bytes.Length} bytes, shorter than the {HeaderLength}-byte header.");
        int version = BitConverter.ToInt32(bytes, 4);
        if (version != FormatVersion)
            throw new InvalidDataException($"{where}: format version {version} is not supported: expected version {FormatVersion}.");
        if (bytes.Length < HeaderLength + 1 + HashLength)
            throw new InvalidDataException($"{where}: the file is truncated: {bytes.Length} bytes is too short for a version-{version} checkpoint.");
        int body = bytes.Length - HashLength;
        if (!SHA256.HashData(bytes.AsSpan(0, body)).AsSpan().SequenceEqual(bytes.AsSpan(body)))
            throw new InvalidDataException($"{where}: the file is truncated or damaged: its SHA-256 checksum does not match ({bytes.Length} bytes).");

        byte elementType = bytes[8];
        byte expectedType = ElementTypeCode<T>();
        if (elementType != expectedType)
            throw new ArgumentException(
                $"{where}: element type: expected {TypeName(expectedType)} (the model's), got {TypeName(elementType)} (the file's).", nameof(module));

        var stored = ReadRecords(bytes, body, where);
        var model = module.NamedParameters().ToList();
        foreach (var (name, p) in model)
        {
            if (!stored.TryGetValue(name, out var record))
                throw new ArgumentException(
                    $"{where}: parameter '{name}' (shape {p.Value.ShapeString}) is missing from the file: checkpoint for a different architecture.", nameof(module));
            if (!p.Value.Shape.SequenceEqual(record.Shape))
                throw new ArgumentException(
                    $"{where}: parameter '{name}': expected shape {p.Value.ShapeString} (model), got {Tensor<float>.ShapeText(record.Shape)} (file): checkpoint for a different architecture.",
                    nameof(module));
        }
        var modelNames = model.Select(m => m.Name).ToHashSet();
        foreach (var name in stored.Keys)
            if (!modelNames.Contains(name))
                throw new ArgumentException(
                    $"{where}: the file has parameter '{name}' (shape {Tensor<float>.ShapeText(stored[name].Shape)}) that the model does not have: checkpoint for a different architecture.",
                    nameof(module));

        // Everything matched: only now are the parameters overwritten.
        foreach (var (name, p) in model)
        {
            var record = stored[name];
            bytes.AsSpan(record.Offset, record.ByteLength).CopyTo(MemoryMarshal.AsBytes(p.Value.Data.AsSpan()));
        }
    }

    private sealed record StoredParameter(int[] Shape, int Offset, int ByteLength);

    private static Dictionary<string, StoredParameter> ReadRecords(byte[] bytes, int body, string where)
    {
        int elementSize = bytes[8] == 1 ? sizeof(float) : sizeof(double);
        var records = new Dictionary<string, StoredParameter>();
        using var reader = new BinaryReader(new MemoryStream(bytes, 0, body, writable: false), Encoding.UTF8);
        reader.BaseStream.Position = HeaderLength;
        try
        {
            while (true)
            {
                byte tag = reader.ReadByte();
                if (tag == 0) break;
                if (tag != 1) throw new InvalidDataException($"{where}: damaged file: unexpected record tag {tag} at byte {reader.BaseStream.Position - 1}.");
                string name = reader.ReadString();
                int rank = reader.ReadInt32();
                if (rank < 0 || rank > 32) throw new InvalidDataException($"{where}: damaged file: parameter '{name}' has rank {rank}.");
                var shape = new int[rank];
                long count = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = reader.ReadInt32();
                    if (shape[d] < 0) throw new InvalidDataException($"{where}: damaged file: parameter '{name}' has shape {Tensor<float>.ShapeText(shape)}.");
                    count *= shape[d];
                }
                long byteLength = count * elementSize;
                long offset = reader.BaseStream.Position;
                if (offset + byteLength > body)
                    throw new InvalidDataException($"{where}: damaged file: parameter '{name}' {Tensor<float>.ShapeText(shape)} runs past the end of the data.");
                if (!records.TryAdd(name, new StoredParameter(shape, (int)offset, (int)byteLength)))
                    throw new InvalidDataException($"{where}: damaged file: parameter '{name}' appears twice.");
                reader.BaseStream.Position = offset + byteLength;
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{where}: damaged file: the parameter list ends early.", e);
        }
        if (reader.BaseStream.Position != body)
            throw new InvalidDataException($"{where}: damaged file: {body - reader.BaseStream.Position} unexpected bytes after the parameter list.");
        return records;
    }

    private static byte ElementTypeCode<T>()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Checkpoint: the format stores little-endian bytes; this platform is big-endian.");
        if (typeof(T) == typeof(float)) return 1;
        if (typeof(T) == typeof(double)) return 2;
        throw new NotSupportedException($"Checkpoint: element type {typeof(T).Name} is not supported: expected float or double.");
    }

    private static string TypeName(byte code) => code switch
    {
        1 => "float32",
        2 => "float64",
        _ => $"unknown type code {code}",
    };

    private static string Describe(ReadOnlySpan<byte> head)
        => head.Length == 0 ? "an empty file" : "bytes " + Convert.ToHexString(head);
}

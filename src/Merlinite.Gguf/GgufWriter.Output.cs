using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;

namespace Merlinite.Gguf;

public sealed partial class GgufWriter
{
    public const uint FormatVersion = 3;

    // Tensor data is produced this many elements at a time (4 MB of floats): big enough for fast I/O, small enough
    // that writing a 14 GB model stays within a few megabytes of memory.
    private const int ChunkElements = 1 << 20;

    /// <summary>The exact size in bytes <see cref="Write"/> will produce with the current contents.</summary>
    public long ComputeFileSize()
    {
        long header = AlignUp(SerializeHeader(out _).Length, Alignment);
        return header + _tensors.Sum(t => AlignUp(t.Bytes, Alignment));
    }

    /// <summary>
    /// Writes the file to <paramref name="path"/> atomically: everything goes to <c>PATH.partial</c> in the same folder,
    /// which is flushed to disk and then renamed over <paramref name="path"/>. If anything fails (including a row
    /// callback throwing), the partial file is deleted and <paramref name="path"/> is left as it was. The partial file
    /// has one fixed name, so a write killed midway leaves a file the next write of the same path replaces, not a new
    /// one each time (gigabytes at 7B).
    /// </summary>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder", nameof(path));
        string temp = full + ".partial";
        byte[] header = SerializeHeader(out long dataBytes);  // validation errors surface before any file exists
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                Share = FileShare.None,
                BufferSize = 1 << 16,
                // Zero tensors are holes: preallocating would give them real disk blocks.
                PreallocationSize = _tensors.Any(t => t.Zero) ? 0 : AlignUp(header.Length, Alignment) + dataBytes,
            };
            using (var stream = new FileStream(temp, options))
            {
                WriteTo(stream, header);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes the file to a stream (not atomic; use <see cref="Write"/> for files).</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WriteTo(stream, SerializeHeader(out _));
    }

    private void WriteTo(Stream stream, byte[] header)
    {
        uint alignment = Alignment;
        stream.Write(header);
        Pad(stream, header.Length, alignment);

        float[]? floats = null;
        byte[]? bytes = null;
        try
        {
            foreach (var tensor in _tensors)
            {
                WriteTensorData(stream, tensor, ref floats, ref bytes);
                Pad(stream, tensor.Bytes, alignment);
            }
            // A hole at the end is only a position until the length covers it.
            if (stream.CanSeek && stream.Length < stream.Position) stream.SetLength(stream.Position);
        }
        finally
        {
            if (floats is not null) ArrayPool<float>.Shared.Return(floats);
            if (bytes is not null) ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static void WriteTensorData(Stream stream, PendingTensor t, ref float[]? floats, ref byte[]? bytes)
    {
        if (t.Zero)
        {
            WriteZeros(stream, t.Bytes);
            return;
        }
        if (t.Filler is null && t.RawFiller is null && t.Floats.IsEmpty)
        {
            stream.Write(t.Raw.Span);
            return;
        }

        int rowsPerChunk = (int)Math.Clamp(ChunkElements / t.RowLength, 1, t.RowCount);
        int rowBytes = (int)t.RowBytes;
        int rowLength = (int)t.RowLength;
        Ensure(ref bytes, rowsPerChunk * rowBytes);
        if (t.RawFiller is null) Ensure(ref floats, rowsPerChunk * rowLength);

        for (long row = 0; row < t.RowCount; row += rowsPerChunk)
        {
            int rows = (int)Math.Min(rowsPerChunk, t.RowCount - row);
            var encoded = bytes.AsSpan(0, rows * rowBytes);
            if (t.RawFiller is not null)
            {
                encoded.Clear();
                t.RawFiller(row, rows, encoded);
            }
            else
            {
                var values = floats.AsSpan(0, rows * rowLength);
                if (t.Filler is not null)
                {
                    values.Clear();
                    t.Filler(row, rows, values);
                }
                else
                {
                    t.Floats.Span.Slice((int)(row * rowLength), values.Length).CopyTo(values);
                }
                GgmlEncoder.Encode(t.Type.Type, values, encoded);
            }
            stream.Write(encoded);
        }
    }

    /// <summary>Magic, version, counts, metadata and tensor infos (offsets assigned in insertion order).</summary>
    private byte[] SerializeHeader(out long dataBytes)
    {
        uint alignment = Alignment;
        var w = new ArrayBufferWriter<byte>(4096);
        w.Write("GGUF"u8);
        U32(w, FormatVersion);
        U64(w, (ulong)_tensors.Count);
        U64(w, (ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            Str(w, key);
            U32(w, (uint)value.Type);
            WriteValue(w, value);
        }

        long offset = 0;
        foreach (var t in _tensors)
        {
            Str(w, t.Name);
            U32(w, (uint)t.Shape.Length);
            foreach (long d in t.Shape) U64(w, (ulong)d);
            U32(w, (uint)t.Type.Type);
            U64(w, (ulong)offset);
            offset = checked(offset + AlignUp(t.Bytes, alignment));
        }
        dataBytes = offset;
        return w.WrittenSpan.ToArray();
    }

    private static void WriteValue(ArrayBufferWriter<byte> w, GgufValue value)
    {
        switch (value.Type)
        {
            case GgufValueType.String:
                Str(w, value.AsString());
                break;
            case GgufValueType.Array:
                WriteArrayBody(w, value);
                break;
            default:
                int size = GgufValueTypes.FixedSize(value.Type);
                Span<byte> buffer = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(buffer, value.Bits);  // low bytes first: truncation keeps the value
                w.Write(buffer[..size]);
                break;
        }
    }

    /// <summary>Element type, count, elements: the encoding of an array value and of each element of a nested array.</summary>
    private static void WriteArrayBody(ArrayBufferWriter<byte> w, GgufValue value)
    {
        U32(w, (uint)value.ElementType!.Value);
        U64(w, (ulong)value.ArrayLength);
        var payload = (Array)value.Reference!;
        switch (value.ElementType)
        {
            case GgufValueType.String:
                foreach (var s in (string[])payload) Str(w, s);
                break;
            case GgufValueType.Array:
                foreach (var inner in (GgufValue[])payload) WriteArrayBody(w, inner);
                break;
            case GgufValueType.Bool:
            {
                var bools = (bool[])payload;
                var span = w.GetSpan(Math.Max(bools.Length, 1));
                for (int i = 0; i < bools.Length; i++) span[i] = bools[i] ? (byte)1 : (byte)0;
                w.Advance(bools.Length);
                break;
            }
            default:
                // Fixed-size elements are stored little-endian and packed, exactly as in memory on this (LE) host.
                w.Write(MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(payload),
                    payload.Length * GgufValueTypes.FixedSize(value.ElementType!.Value)));
                break;
        }
    }

    private static void U32(ArrayBufferWriter<byte> w, uint v)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(w.GetSpan(4), v);
        w.Advance(4);
    }

    private static void U64(ArrayBufferWriter<byte> w, ulong v)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(w.GetSpan(8), v);
        w.Advance(8);
    }

    private static void Str(ArrayBufferWriter<byte> w, string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        U64(w, (ulong)n);
        Encoding.UTF8.GetBytes(s, w.GetSpan(n));
        w.Advance(n);
    }

    /// <summary>Skips <paramref name="count"/> bytes where the stream can seek (a hole that reads as zeros), else writes
    /// them.</summary>
    private static void WriteZeros(Stream stream, long count)
    {
        if (stream.CanSeek)
        {
            stream.Seek(count, SeekOrigin.Current);
            return;
        }
        Span<byte> zeros = stackalloc byte[4096];
        zeros.Clear();
        for (long left = count; left > 0; left -= zeros.Length) stream.Write(zeros[..(int)Math.Min(left, zeros.Length)]);
    }

    private static void Pad(Stream stream, long written, uint alignment)
    {
        long padding = AlignUp(written, alignment) - written;
        Span<byte> zeros = stackalloc byte[256];
        zeros.Clear();
        while (padding > 0)
        {
            int n = (int)Math.Min(padding, zeros.Length);
            stream.Write(zeros[..n]);
            padding -= n;
        }
    }

    private static void Ensure<T>([NotNull] ref T[]? buffer, int length)
    {
        if (buffer is not null && buffer.Length >= length) return;
        if (buffer is not null) ArrayPool<T>.Shared.Return(buffer);
        buffer = null;
        buffer = ArrayPool<T>.Shared.Rent(length);
    }

    private static long AlignUp(long value, uint alignment) => (value + alignment - 1) & ~((long)alignment - 1);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

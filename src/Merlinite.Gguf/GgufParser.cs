using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Merlinite.Gguf;

/// <summary>
/// Parses a GGUF header (magic, version, counts, metadata, tensor infos) and validates the tensor layout.
/// <para>The input is untrusted. Every count and length is checked against the bytes left in the file before
/// anything is allocated for it, so a lying count fails fast with a <see cref="GgufFormatException"/> instead of an
/// OutOfMemoryException or a long loop; every failure names the file, the offset and the problem.</para>
/// </summary>
internal sealed class GgufParser
{
    public const uint DefaultAlignment = 32;
    public const string AlignmentKey = "general.alignment";

    /// <summary>ggml's GGML_MAX_DIMS.</summary>
    public const int MaxDimensions = 4;

    /// <summary>ggml's GGML_MAX_NAME: names must be shorter than this many bytes (it stores a NUL).</summary>
    public const int MaxTensorNameBytes = 64;

    /// <summary>gguf.cpp's GGUF_MAX_STRING_LENGTH.</summary>
    public const long MaxStringLength = 1L << 30;

    /// <summary>Nested arrays are read recursively; the bound keeps a crafted file from overflowing the stack.</summary>
    public const int MaxArrayNesting = 16;

    // The smallest possible encodings, used to bound the header's counts before reading them:
    // key length + 1-byte key + value type + 1-byte value; name length + n_dims + one dimension + type + offset.
    private const int MinMetadataEntryBytes = 8 + 1 + 4 + 1;
    private const int MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

    private static readonly byte[] Magic = "GGUF"u8.ToArray();

    private readonly GgufSource _source;
    private readonly string _name;
    private readonly long _length;
    private byte[] _buffer;
    private long _bufferStart;
    private int _bufferCount;
    private long _position;

    private GgufParser(GgufSource source, string name)
    {
        _source = source;
        _name = name;
        _length = source.Length;
        _buffer = new byte[(int)Math.Clamp(_length, 16, 64 * 1024)];
    }

    internal sealed record Result(
        uint Version, uint Alignment, long DataOffset, GgufMetadata Metadata, GgufTensorInfo[] Tensors,
        Dictionary<string, int> TensorIndex);

    public static Result Parse(GgufSource source, string name) => new GgufParser(source, name).Run();

    private long Remaining => _length - _position;

    private Result Run()
    {
        if (_length < 4)
            throw Fail(0, $"file is {_length} bytes long, too short to be a GGUF file");
        var magic = Take(4, "the magic");
        if (!magic.SequenceEqual(Magic))
            throw Fail(0, $"not a GGUF file: it starts with {DescribeBytes(magic)} at offset 0x0, expected \"GGUF\"");

        long versionOffset = _position;
        uint version = ReadUInt32("the GGUF version");
        if (version is not (2 or 3))
        {
            string why = version switch
            {
                1 => "GGUF version 1 is no longer supported (convert the model again)",
                _ when version != 0 && (version & 0xFFFF) == 0 =>
                    $"GGUF version 0x{version:X8} looks byte-swapped: big-endian GGUF files are not supported",
                _ => $"GGUF version {version} is not supported (only 2 and 3)",
            };
            throw Fail(versionOffset, $"{why} (at offset 0x{versionOffset:X})");
        }

        long tensorCountOffset = _position;
        ulong tensorCount = ReadUInt64("the tensor count");
        long kvCountOffset = _position;
        ulong kvCount = ReadUInt64("the metadata count");
        CheckCount(tensorCount, MinTensorInfoBytes, tensorCountOffset, "tensor count", "tensor info");
        CheckCount(kvCount, MinMetadataEntryBytes, kvCountOffset, "metadata count", "metadata entry");
        if ((Int128)tensorCount * MinTensorInfoBytes + (Int128)kvCount * MinMetadataEntryBytes > Remaining)
            throw Fail(tensorCountOffset,
                $"{tensorCount} tensors and {kvCount} metadata entries (counts at offset 0x{tensorCountOffset:X}) cannot fit in the {Remaining} bytes left in the file");

        var (metadata, alignment) = ReadMetadata((int)kvCount);
        var (tensors, tensorIndex) = ReadTensorInfos((int)tensorCount, alignment);

        // ggml pads the header to the alignment only when there are tensors (gguf_get_data_offset).
        long dataOffset = tensors.Length > 0 ? AlignUp(_position, alignment) : _position;
        var placed = PlaceTensors(tensors, dataOffset);
        return new Result(version, alignment, dataOffset, metadata, placed, tensorIndex);
    }

    // ---- metadata ----

    private (GgufMetadata, uint) ReadMetadata(int count)
    {
        var entries = new List<GgufKeyValue>(Math.Min(count, 4096));
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        long alignmentOffset = -1;
        for (int i = 0; i < count; i++)
        {
            long keyOffset = _position;
            string key = ReadString($"the key of metadata entry {i}");
            if (key.Length == 0)
                throw Fail(keyOffset, $"metadata entry {i} at offset 0x{keyOffset:X} has an empty key");
            if (index.TryGetValue(key, out int previous))
                throw Fail(keyOffset, $"duplicate metadata key '{key}' at offset 0x{keyOffset:X} (entries {previous} and {i})");

            long typeOffset = _position;
            uint typeId = ReadUInt32($"the value type of metadata key '{key}'");
            if (!GgufValueTypes.IsDefined(typeId))
                throw Fail(typeOffset, $"metadata key '{key}' has unknown value type {typeId} at offset 0x{typeOffset:X}");
            var type = (GgufValueType)typeId;
            var value = type == GgufValueType.Array ? ReadArray(key, 1) : ReadScalar(key, type);
            if (key == AlignmentKey) alignmentOffset = keyOffset;
            index.Add(key, entries.Count);
            entries.Add(new GgufKeyValue(key, value));
        }

        uint alignment = DefaultAlignment;
        if (alignmentOffset >= 0)
        {
            var value = entries[index[AlignmentKey]].Value;
            // gguf.cpp insists on uint32 here; accepting other types would make files llama.cpp rejects look fine.
            if (value.Type != GgufValueType.UInt32)
                throw Fail(alignmentOffset, $"{AlignmentKey} at offset 0x{alignmentOffset:X} must be a uint32 but is {value.TypeName}");
            alignment = value.AsUInt32();
            if (alignment == 0 || (alignment & (alignment - 1)) != 0)
                throw Fail(alignmentOffset, $"{AlignmentKey} = {alignment} at offset 0x{alignmentOffset:X} is not a power of two");
        }
        return (new GgufMetadata(entries.ToArray(), index, _name), alignment);
    }

    private GgufValue ReadScalar(string key, GgufValueType type)
    {
        string what = $"the value of metadata key '{key}'";
        ulong bits = type switch
        {
            GgufValueType.UInt8 or GgufValueType.Bool => Take(1, what)[0],
            GgufValueType.Int8 => (ulong)(long)(sbyte)Take(1, what)[0],
            GgufValueType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what)),
            GgufValueType.Int16 => (ulong)(long)BinaryPrimitives.ReadInt16LittleEndian(Take(2, what)),
            GgufValueType.UInt32 or GgufValueType.Float32 => ReadUInt32(what),
            GgufValueType.Int32 => (ulong)(long)(int)ReadUInt32(what),
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => ReadUInt64(what),
            _ => 0,
        };
        if (type == GgufValueType.Bool) bits = bits != 0 ? 1UL : 0UL;
        object? reference = type == GgufValueType.String ? ReadString(what) : null;
        return GgufValue.ForReader(type, bits, reference, default, key);
    }

    /// <summary>Reads an array's element type, count and elements (the same encoding at every nesting level).</summary>
    private GgufValue ReadArray(string key, int depth)
    {
        long typeOffset = _position;
        if (depth > MaxArrayNesting)
            throw Fail(typeOffset, $"metadata key '{key}' nests arrays deeper than {MaxArrayNesting} levels (at offset 0x{typeOffset:X})");
        uint elementId = ReadUInt32($"the element type of array '{key}'");
        if (!GgufValueTypes.IsDefined(elementId))
            throw Fail(typeOffset, $"array '{key}' has unknown element type {elementId} at offset 0x{typeOffset:X}");
        var elementType = (GgufValueType)elementId;

        long countOffset = _position;
        ulong count = ReadUInt64($"the length of array '{key}'");
        int minSize = GgufValueTypes.MinEncodedSize(elementType);
        if (count > (ulong)(Remaining / minSize))
            throw Fail(countOffset,
                $"array '{key}' length {count} at offset 0x{countOffset:X} exceeds what the {Remaining} bytes left in the file can hold ({minSize} bytes per {GgufValueTypes.Name(elementType)} at least)");
        if (count > (ulong)Array.MaxLength)
            throw Fail(countOffset, $"array '{key}' length {count} at offset 0x{countOffset:X} exceeds the supported maximum of {Array.MaxLength}");
        int n = (int)count;

        object payload = elementType switch
        {
            GgufValueType.UInt8 => ReadBlittable<byte>(n, key),
            GgufValueType.Int8 => ReadBlittable<sbyte>(n, key),
            GgufValueType.UInt16 => ReadBlittable<ushort>(n, key),
            GgufValueType.Int16 => ReadBlittable<short>(n, key),
            GgufValueType.UInt32 => ReadBlittable<uint>(n, key),
            GgufValueType.Int32 => ReadBlittable<int>(n, key),
            GgufValueType.Float32 => ReadBlittable<float>(n, key),
            GgufValueType.UInt64 => ReadBlittable<ulong>(n, key),
            GgufValueType.Int64 => ReadBlittable<long>(n, key),
            GgufValueType.Float64 => ReadBlittable<double>(n, key),
            GgufValueType.Bool => Array.ConvertAll(ReadBlittable<byte>(n, key), b => b != 0),
            GgufValueType.String => ReadStrings(n, key),
            _ => ReadNested(n, key, depth),
        };
        return GgufValue.ForReader(GgufValueType.Array, 0, payload, elementType, key);
    }

    private T[] ReadBlittable<T>(int n, string key) where T : unmanaged
    {
        var result = new T[n];
        var bytes = MemoryMarshal.AsBytes(result.AsSpan());
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("GGUF reading needs a little-endian host");
        ReadInto(bytes, $"the elements of array '{key}'");
        return result;
    }

    private string[] ReadStrings(int n, string key)
    {
        var result = new string[n];
        for (int i = 0; i < n; i++) result[i] = ReadString($"element {i} of array '{key}'");
        return result;
    }

    private GgufValue[] ReadNested(int n, string key, int depth)
    {
        var result = new GgufValue[n];
        for (int i = 0; i < n; i++) result[i] = ReadArray($"{key}[{i}]", depth + 1);
        return result;
    }

    // ---- tensor infos ----

    private sealed record RawTensor(string Name, long[] Shape, GgmlTypeInfo Type, long Offset, long Elements, long Bytes, long InfoOffset);

    private (RawTensor[], Dictionary<string, int>) ReadTensorInfos(int count, uint alignment)
    {
        var tensors = new RawTensor[count];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            long infoOffset = _position;
            string name = ReadString($"the name of tensor {i}");
            int nameBytes = Encoding.UTF8.GetByteCount(name);
            if (nameBytes >= MaxTensorNameBytes)
                throw Fail(infoOffset, $"tensor {i} name '{Shorten(name)}' at offset 0x{infoOffset:X} is {nameBytes} bytes, longer than ggml's limit of {MaxTensorNameBytes - 1}");
            if (index.TryGetValue(name, out int previous))
                throw Fail(infoOffset, $"duplicate tensor name '{name}' at offset 0x{infoOffset:X} (tensors {previous} and {i})");

            long dimsOffset = _position;
            uint dims = ReadUInt32($"the dimension count of tensor '{name}'");
            if (dims is 0 or > MaxDimensions)
                throw Fail(dimsOffset, $"tensor '{name}' has {dims} dimensions at offset 0x{dimsOffset:X} (must be 1 to {MaxDimensions})");
            var shape = new long[dims];
            Int128 elements = 1;
            for (int d = 0; d < dims; d++)
            {
                long dimOffset = _position;
                ulong ne = ReadUInt64($"dimension {d} of tensor '{name}'");
                if (ne == 0 || ne > long.MaxValue)
                    throw Fail(dimOffset, $"tensor '{name}' dimension {d} is {(long)ne} at offset 0x{dimOffset:X} (must be at least 1)");
                shape[d] = (long)ne;
                elements *= (long)ne;
                if (elements > long.MaxValue)
                    throw Fail(dimOffset, $"tensor '{name}' shape [{string.Join(", ", shape.Take(d + 1))}] at offset 0x{dimOffset:X} has more than 2^63 elements");
            }

            long typeOffset = _position;
            uint typeId = ReadUInt32($"the type of tensor '{name}'");
            if (!GgmlTypeInfo.TryGet(typeId, out var type))
                throw Fail(typeOffset, $"tensor '{name}' has unknown ggml type id {typeId} ({GgmlTypeInfo.DescribeUnknown(typeId)}) at offset 0x{typeOffset:X}");
            if (shape[0] % type.BlockSize != 0)
                throw Fail(typeOffset, $"tensor '{name}' of type {type.Name} has rows of {shape[0]} elements, not a multiple of the block size {type.BlockSize} (type at offset 0x{typeOffset:X})");
            Int128 bytes = elements / type.BlockSize * type.BytesPerBlock;
            if (bytes > _length)
                throw Fail(infoOffset, $"tensor '{name}' (info at offset 0x{infoOffset:X}) needs {bytes} bytes of data but the whole file is {_length} bytes");

            long offsetOffset = _position;
            ulong offset = ReadUInt64($"the data offset of tensor '{name}'");
            if (offset > (ulong)_length)
                throw Fail(offsetOffset, $"tensor '{name}' data offset 0x{offset:X} at offset 0x{offsetOffset:X} points past the end of the file ({_length} bytes)");
            if (offset % alignment != 0)
                throw Fail(offsetOffset, $"tensor '{name}' data offset 0x{offset:X} at offset 0x{offsetOffset:X} is not a multiple of the alignment {alignment}");

            index.Add(name, i);
            tensors[i] = new RawTensor(name, shape, type, (long)offset, (long)elements, (long)bytes, infoOffset);
        }
        return (tensors, index);
    }

    private GgufTensorInfo[] PlaceTensors(RawTensor[] tensors, long dataOffset)
    {
        if (tensors.Length > 0 && dataOffset > _length)
            throw Fail(_position, $"the data section would start at offset 0x{dataOffset:X}, past the end of the file ({_length} bytes)");
        var result = new GgufTensorInfo[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            var t = tensors[i];
            long start = dataOffset + t.Offset;  // both <= _length, so no overflow
            if ((Int128)start + t.Bytes > _length)
                throw Fail(t.InfoOffset,
                    $"tensor '{t.Name}' (info at offset 0x{t.InfoOffset:X}) data [0x{start:X}, 0x{(Int128)start + t.Bytes:X}) extends past the end of the file ({_length} bytes)");
            result[i] = new GgufTensorInfo(i, t.Name, t.Shape, t.Type, t.Offset, dataOffset, t.Elements, t.Bytes, t.InfoOffset);
        }

        // ggml itself requires the tensors to be packed in order; we accept any order but not shared bytes, since a
        // writer never produces overlap and overlapping tensors are a sign of a corrupt or hostile file.
        var byOffset = result.OrderBy(t => t.Offset).ThenBy(t => t.Index).ToArray();
        for (int i = 1; i < byOffset.Length; i++)
        {
            var a = byOffset[i - 1];
            var b = byOffset[i];
            if (a.Offset + a.ByteSize > b.Offset)
                throw Fail(b.InfoOffset,
                    $"tensors '{a.Name}' [0x{a.FileOffset:X}, 0x{a.FileOffset + a.ByteSize:X}) and '{b.Name}' [0x{b.FileOffset:X}, 0x{b.FileOffset + b.ByteSize:X}) overlap");
        }
        return result;
    }

    // ---- primitive reads ----

    private uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

    private ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

    private string ReadString(string what)
    {
        long lengthOffset = _position;
        ulong length = ReadUInt64($"the length of {what}");
        if (length > (ulong)Remaining)
            throw Fail(lengthOffset, $"string length {length} at offset 0x{lengthOffset:X} ({what}) exceeds the {Remaining} bytes left in the file");
        if (length > MaxStringLength)
            throw Fail(lengthOffset, $"string length {length} at offset 0x{lengthOffset:X} ({what}) exceeds the maximum of {MaxStringLength}");
        if (length == 0) return string.Empty;
        // Invalid UTF-8 becomes U+FFFD rather than an error: llama.cpp treats these as byte strings and does not care.
        return Encoding.UTF8.GetString(Take((int)length, what));
    }

    private void CheckCount(ulong count, int minBytes, long offset, string what, string unit)
    {
        if (count > (ulong)(Remaining / minBytes))
            throw Fail(offset, $"{what} {count} at offset 0x{offset:X} cannot fit in the {Remaining} bytes left in the file (each {unit} needs at least {minBytes} bytes)");
    }

    /// <summary>Returns the next <paramref name="n"/> bytes (valid until the next read) and advances.</summary>
    private ReadOnlySpan<byte> Take(int n, string what)
    {
        if (n > Remaining)
            throw Fail(_position, $"unexpected end of file at offset 0x{_position:X} reading {what} (needs {n} bytes, {Remaining} left)");
        if (_position < _bufferStart || _position + n > _bufferStart + _bufferCount)
            Fill(n, what);
        var span = _buffer.AsSpan((int)(_position - _bufferStart), n);
        _position += n;
        return span;
    }

    private void ReadInto(Span<byte> destination, string what)
    {
        while (!destination.IsEmpty)
        {
            int chunk = (int)Math.Min(destination.Length, _buffer.Length);
            Take(chunk, what).CopyTo(destination);
            destination = destination[chunk..];
        }
    }

    private void Fill(int n, string what)
    {
        if (n > _buffer.Length) _buffer = new byte[n];
        int count = (int)Math.Min(_buffer.Length, Remaining);
        if (!_source.TryReadExactly(_position, _buffer.AsSpan(0, count)))
        {
            _bufferCount = 0;
            throw Fail(_position, $"could not read {what} at offset 0x{_position:X}: the file ended early (was it truncated while open?)");
        }
        _bufferStart = _position;
        _bufferCount = count;
    }

    private static long AlignUp(long value, uint alignment) => (value + alignment - 1) & ~((long)alignment - 1);

    private GgufFormatException Fail(long offset, string message) => new($"{_name}: {message}", _name, offset);

    private static string DescribeBytes(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (byte b in bytes) sb.Append(sb.Length > 0 ? " " : "").Append(b.ToString("X2", CultureInfo.InvariantCulture));
        return $"bytes {sb}";
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "...";
}

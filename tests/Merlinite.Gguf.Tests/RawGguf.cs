using System.Buffers.Binary;
using System.Text;

namespace Merlinite.Gguf.Tests;

/// <summary>
/// Hand-assembles GGUF bytes field by field, so tests can produce exactly the (malformed) layouts they need and know
/// the offset of every field. Offsets are recorded by name with <see cref="Mark"/>.
/// </summary>
internal sealed class RawGguf
{
    private readonly MemoryStream _bytes = new();
    private readonly Dictionary<string, long> _marks = new();

    public long Position => _bytes.Position;

    public RawGguf Mark(string name)
    {
        _marks[name] = _bytes.Position;
        return this;
    }

    public long this[string mark] => _marks[mark];

    public RawGguf Bytes(ReadOnlySpan<byte> bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    public RawGguf U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return Bytes(b);
    }

    public RawGguf U64(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return Bytes(b);
    }

    public RawGguf Str(string s)
    {
        var utf8 = Encoding.UTF8.GetBytes(s);
        U64((ulong)utf8.Length);
        return Bytes(utf8);
    }

    public RawGguf Header(ulong tensors, ulong kvs, uint version = 3) => Bytes("GGUF"u8).U32(version).U64(tensors).U64(kvs);

    public RawGguf KvU32(string key, uint value) => Str(key).U32((uint)GgufValueType.UInt32).U32(value);

    public RawGguf KvString(string key, string value) => Str(key).U32((uint)GgufValueType.String).Str(value);

    /// <summary>A tensor info record: name, n_dims, ne..., type, offset.</summary>
    public RawGguf Tensor(string name, long[] shape, GgmlType type, ulong offset)
    {
        Str(name).U32((uint)shape.Length);
        foreach (long d in shape) U64((ulong)d);
        return U32((uint)type).U64(offset);
    }

    /// <summary>Zero padding up to the next multiple of <paramref name="alignment"/>.</summary>
    public RawGguf Align(int alignment = 32)
    {
        while (_bytes.Position % alignment != 0) _bytes.WriteByte(0);
        return this;
    }

    public RawGguf Zeros(int n) => Bytes(new byte[n]);

    public byte[] ToArray() => _bytes.ToArray();
}

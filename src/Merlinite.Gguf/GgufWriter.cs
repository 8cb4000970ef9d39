using System.Text;

namespace Merlinite.Gguf;

/// <summary>
/// Builds a GGUF v3 file: metadata in insertion order, then tensors in insertion order, each padded to the alignment
/// (the layout gguf.cpp writes). Tensor data is produced only during <see cref="Write"/>, from arrays or row callbacks,
/// a chunk at a time, so models far larger than memory can be written. <see cref="Write"/> is atomic: the file appears
/// under its name only once it is complete.
/// </summary>
public sealed partial class GgufWriter
{
    private readonly List<GgufKeyValue> _metadata = [];
    private readonly Dictionary<string, int> _metadataIndex = new(StringComparer.Ordinal);

    /// <summary>The metadata added so far, in file order.</summary>
    public IReadOnlyList<GgufKeyValue> Metadata => _metadata;

    /// <summary>
    /// Data alignment: the <c>general.alignment</c> entry if one was added, else 32. Setting it adds or replaces that
    /// entry (llama.cpp reads the alignment from it, so the two can never disagree); setting the default 32 adds nothing.
    /// </summary>
    public uint Alignment
    {
        get => _metadataIndex.TryGetValue(GgufParser.AlignmentKey, out int i) ? _metadata[i].Value.AsUInt32() : GgufParser.DefaultAlignment;
        set
        {
            CheckAlignment(value);
            var entry = new GgufKeyValue(GgufParser.AlignmentKey, GgufValue.FromUInt32(value));
            if (_metadataIndex.TryGetValue(GgufParser.AlignmentKey, out int i)) _metadata[i] = entry;
            else if (value != GgufParser.DefaultAlignment) Add(entry.Key, entry.Value);
        }
    }

    public bool ContainsKey(string key) => _metadataIndex.ContainsKey(key);

    /// <summary>Adds any value (e.g. one copied from a <see cref="GgufFile"/>); keys must be unique.</summary>
    public void Add(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (_metadataIndex.ContainsKey(key))
            throw new ArgumentException($"metadata key '{key}' was already added", nameof(key));
        if (key == GgufParser.AlignmentKey)
        {
            if (value.Type != GgufValueType.UInt32)
                throw new ArgumentException($"{GgufParser.AlignmentKey} must be a uint32 (llama.cpp rejects other types), got {value.TypeName}", nameof(value));
            CheckAlignment(value.AsUInt32());
        }
        _metadataIndex.Add(key, _metadata.Count);
        _metadata.Add(new GgufKeyValue(key, value.WithKey(key)));
    }

    public void AddUInt8(string key, byte value) => Add(key, GgufValue.FromUInt8(value));
    public void AddInt8(string key, sbyte value) => Add(key, GgufValue.FromInt8(value));
    public void AddUInt16(string key, ushort value) => Add(key, GgufValue.FromUInt16(value));
    public void AddInt16(string key, short value) => Add(key, GgufValue.FromInt16(value));
    public void AddUInt32(string key, uint value) => Add(key, GgufValue.FromUInt32(value));
    public void AddInt32(string key, int value) => Add(key, GgufValue.FromInt32(value));
    public void AddUInt64(string key, ulong value) => Add(key, GgufValue.FromUInt64(value));
    public void AddInt64(string key, long value) => Add(key, GgufValue.FromInt64(value));
    public void AddFloat32(string key, float value) => Add(key, GgufValue.FromFloat32(value));
    public void AddFloat64(string key, double value) => Add(key, GgufValue.FromFloat64(value));
    public void AddBool(string key, bool value) => Add(key, GgufValue.FromBool(value));
    public void AddString(string key, string value) => Add(key, GgufValue.FromString(value));

    public void AddUInt8Array(string key, ReadOnlySpan<byte> values) => Add(key, GgufValue.FromArray(values));
    public void AddInt8Array(string key, ReadOnlySpan<sbyte> values) => Add(key, GgufValue.FromArray(values));
    public void AddUInt16Array(string key, ReadOnlySpan<ushort> values) => Add(key, GgufValue.FromArray(values));
    public void AddInt16Array(string key, ReadOnlySpan<short> values) => Add(key, GgufValue.FromArray(values));
    public void AddUInt32Array(string key, ReadOnlySpan<uint> values) => Add(key, GgufValue.FromArray(values));
    public void AddInt32Array(string key, ReadOnlySpan<int> values) => Add(key, GgufValue.FromArray(values));
    public void AddUInt64Array(string key, ReadOnlySpan<ulong> values) => Add(key, GgufValue.FromArray(values));
    public void AddInt64Array(string key, ReadOnlySpan<long> values) => Add(key, GgufValue.FromArray(values));
    public void AddFloat32Array(string key, ReadOnlySpan<float> values) => Add(key, GgufValue.FromArray(values));
    public void AddFloat64Array(string key, ReadOnlySpan<double> values) => Add(key, GgufValue.FromArray(values));
    public void AddBoolArray(string key, ReadOnlySpan<bool> values) => Add(key, GgufValue.FromArray(values));
    public void AddStringArray(string key, IEnumerable<string> values) => Add(key, GgufValue.FromStringArray(values));

    /// <summary>An array of arrays (each built with <see cref="GgufValue.FromArray(ReadOnlySpan{int})"/> etc.). Valid GGUF, though llama.cpp's loader rejects it.</summary>
    public void AddNestedArray(string key, IEnumerable<GgufValue> arrays) => Add(key, GgufValue.FromNestedArray(arrays));

    private static void CheckAlignment(uint alignment)
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw new ArgumentException($"alignment {alignment} is not a power of two", nameof(alignment));
    }

    private static int Utf8Length(string s) => Encoding.UTF8.GetByteCount(s);
}

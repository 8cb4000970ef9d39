using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Merlinite.Gguf;

/// <summary>One metadata entry.</summary>
public readonly record struct GgufKeyValue(string Key, GgufValue Value);

/// <summary>
/// A file's metadata in file order, with lookup by key. Missing keys throw <see cref="GgufFormatException"/> naming
/// the file: a model without a required key is a malformed model, not a programming error.
/// </summary>
public sealed class GgufMetadata : IReadOnlyList<GgufKeyValue>
{
    private readonly GgufKeyValue[] _entries;
    private readonly Dictionary<string, int> _index;
    private readonly string _source;

    internal GgufMetadata(GgufKeyValue[] entries, Dictionary<string, int> index, string source)
    {
        _entries = entries;
        _index = index;
        _source = source;
    }

    public int Count => _entries.Length;

    public GgufKeyValue this[int index] => _entries[index];

    /// <summary>The value of <paramref name="key"/>; throws <see cref="GgufFormatException"/> when absent.</summary>
    public GgufValue this[string key] => Get(key);

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    public bool ContainsKey(string key) => _index.ContainsKey(key);

    public bool TryGetValue(string key, [NotNullWhen(true)] out GgufValue? value)
    {
        if (_index.TryGetValue(key, out int i))
        {
            value = _entries[i].Value;
            return true;
        }
        value = null;
        return false;
    }

    public GgufValue Get(string key) =>
        TryGetValue(key, out var value) ? value : throw new GgufFormatException($"{_source}: metadata key '{key}' is missing", _source, null);

    public string GetString(string key) => Get(key).AsString();

    public uint GetUInt32(string key) => Get(key).AsUInt32();

    public int GetInt32(string key) => Get(key).AsInt32();

    public ulong GetUInt64(string key) => Get(key).AsUInt64();

    public float GetFloat32(string key) => Get(key).AsFloat32();

    public bool GetBool(string key) => Get(key).AsBool();

    /// <summary>The string value of <paramref name="key"/>, or <paramref name="fallback"/> when absent (a wrong type still throws).</summary>
    public string? GetStringOrDefault(string key, string? fallback = null) => TryGetValue(key, out var v) ? v.AsString() : fallback;

    public uint? GetUInt32OrNull(string key) => TryGetValue(key, out var v) ? v.AsUInt32() : null;

    public float? GetFloat32OrNull(string key) => TryGetValue(key, out var v) ? v.AsFloat32() : null;

    public IEnumerator<GgufKeyValue> GetEnumerator() => ((IEnumerable<GgufKeyValue>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

namespace Merlinite.Gguf;

/// <summary>
/// One metadata value: a scalar, a string, or an array (of scalars, strings, or further arrays). Immutable.
/// <para>The typed accessors convert only where nothing can be lost: any integer type reads as any other integer type
/// when the value is in range, and float64 reads as float32. Anything else throws a <see cref="GgufFormatException"/>
/// naming the key, because a wrongly typed key means the file is not what the caller expects.</para>
/// </summary>
public sealed partial class GgufValue
{
    // Scalars live in _bits (integers sign- or zero-extended, floats as their IEEE bits, bool as 0/1) so reading a
    // large vocabulary does not box one object per value; strings and arrays live in _ref. Array payloads are typed
    // .NET arrays (byte[], int[], string[], GgufValue[] for nested arrays, ...) that are never handed out.
    private readonly ulong _bits;
    private readonly object? _ref;
    private readonly GgufValueType _elementType;

    private GgufValue(GgufValueType type, ulong bits, object? reference, GgufValueType elementType = default, string? key = null)
    {
        Type = type;
        _bits = bits;
        _ref = reference;
        _elementType = elementType;
        Key = key;
    }

    public GgufValueType Type { get; }

    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>The element type of an array; null for a scalar or string.</summary>
    public GgufValueType? ElementType => IsArray ? _elementType : null;

    /// <summary>The number of elements of an array; throws for a non-array.</summary>
    public int ArrayLength => IsArray ? ((Array)_ref!).Length : throw Mismatch("an array");

    /// <summary>The metadata key this value was read under (<c>key[i]</c> for an array element); null for a value built in code.</summary>
    public string? Key { get; }

    internal ulong Bits => _bits;

    internal object? Reference => _ref;

    internal GgufValue WithKey(string? key) => new(Type, _bits, _ref, _elementType, key);

    /// <summary>"uint32", "string", or for arrays "[string; 512]".</summary>
    public string TypeName => IsArray
        ? $"[{GgufValueTypes.Name(_elementType)}; {ArrayLength}]"
        : GgufValueTypes.Name(Type);

    public override string ToString() => GgufValueFormatter.Format(this, maxElements: 8, maxStringLength: 200);

    // ---- scalar accessors ----

    public string AsString() => Type == GgufValueType.String ? (string)_ref! : throw Mismatch("a string");

    public bool AsBool() => Type == GgufValueType.Bool ? _bits != 0 : throw Mismatch("a bool");

    public byte AsUInt8() => (byte)Integer(byte.MinValue, byte.MaxValue, "uint8");

    public sbyte AsInt8() => (sbyte)Integer(sbyte.MinValue, sbyte.MaxValue, "int8");

    public ushort AsUInt16() => (ushort)Integer(ushort.MinValue, ushort.MaxValue, "uint16");

    public short AsInt16() => (short)Integer(short.MinValue, short.MaxValue, "int16");

    public uint AsUInt32() => (uint)Integer(uint.MinValue, uint.MaxValue, "uint32");

    public int AsInt32() => (int)Integer(int.MinValue, int.MaxValue, "int32");

    public ulong AsUInt64() => (ulong)Integer(ulong.MinValue, ulong.MaxValue, "uint64");

    public long AsInt64() => (long)Integer(long.MinValue, long.MaxValue, "int64");

    public float AsFloat32() => Type switch
    {
        GgufValueType.Float32 => BitConverter.UInt32BitsToSingle((uint)_bits),
        GgufValueType.Float64 => (float)BitConverter.UInt64BitsToDouble(_bits),
        _ => throw Mismatch("a float32"),
    };

    public double AsFloat64() => Type switch
    {
        GgufValueType.Float32 => BitConverter.UInt32BitsToSingle((uint)_bits),
        GgufValueType.Float64 => BitConverter.UInt64BitsToDouble(_bits),
        _ => throw Mismatch("a float64"),
    };

    // ---- array accessors (each returns a fresh copy, so the value stays immutable) ----

    public string[] AsStringArray() => IsArray && _elementType == GgufValueType.String
        ? (string[])((string[])_ref!).Clone()
        : throw Mismatch("an array of strings");

    public float[] AsFloat32Array() => !IsArray ? throw Mismatch("an array of float32") : _elementType switch
    {
        GgufValueType.Float32 => (float[])((float[])_ref!).Clone(),
        GgufValueType.Float64 => Array.ConvertAll((double[])_ref!, d => (float)d),
        _ => throw Mismatch("an array of float32"),
    };

    public double[] AsFloat64Array() => !IsArray ? throw Mismatch("an array of float64") : _elementType switch
    {
        GgufValueType.Float64 => (double[])((double[])_ref!).Clone(),
        GgufValueType.Float32 => Array.ConvertAll((float[])_ref!, f => (double)f),
        _ => throw Mismatch("an array of float64"),
    };

    public bool[] AsBoolArray() => IsArray && _elementType == GgufValueType.Bool
        ? (bool[])((bool[])_ref!).Clone()
        : throw Mismatch("an array of bools");

    public int[] AsInt32Array() => IntegerArray(int.MinValue, int.MaxValue, "int32", v => (int)v);

    public uint[] AsUInt32Array() => IntegerArray(uint.MinValue, uint.MaxValue, "uint32", v => (uint)v);

    public long[] AsInt64Array() => IntegerArray(long.MinValue, long.MaxValue, "int64", v => (long)v);

    public ulong[] AsUInt64Array() => IntegerArray(ulong.MinValue, ulong.MaxValue, "uint64", v => (ulong)v);

    public byte[] AsUInt8Array() => IntegerArray(byte.MinValue, byte.MaxValue, "uint8", v => (byte)v);

    /// <summary>Element <paramref name="index"/> of an array as a value of its own (for nested arrays and generic code).</summary>
    public GgufValue GetElement(int index)
    {
        if (!IsArray) throw Mismatch("an array");
        var array = (Array)_ref!;
        if ((uint)index >= (uint)array.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"array '{Key}' has {array.Length} elements");
        string? key = Key is null ? null : $"{Key}[{index}]";
        return _elementType switch
        {
            GgufValueType.Array => ((GgufValue[])array)[index].WithKey(key),
            GgufValueType.String => new GgufValue(GgufValueType.String, 0, ((string[])array)[index], key: key),
            GgufValueType.Bool => new GgufValue(GgufValueType.Bool, ((bool[])array)[index] ? 1UL : 0UL, null, key: key),
            GgufValueType.Float32 => new GgufValue(GgufValueType.Float32, BitConverter.SingleToUInt32Bits(((float[])array)[index]), null, key: key),
            GgufValueType.Float64 => new GgufValue(GgufValueType.Float64, BitConverter.DoubleToUInt64Bits(((double[])array)[index]), null, key: key),
            _ => new GgufValue(_elementType, (ulong)(long)IntegerAt(index), null, key: key),
        };
    }

    /// <summary>All elements of an array as values (allocates one object per element; prefer the typed accessors).</summary>
    public IReadOnlyList<GgufValue> AsArray()
    {
        int n = ArrayLength;
        var result = new GgufValue[n];
        for (int i = 0; i < n; i++) result[i] = GetElement(i);
        return result;
    }

    // ---- helpers ----

    private Int128 Integer(Int128 min, Int128 max, string target)
    {
        if (!GgufValueTypes.IsInteger(Type)) throw Mismatch($"an integer ({target})");
        Int128 v = GgufValueTypes.IsSigned(Type) ? (Int128)(long)_bits : (Int128)_bits;
        if (v < min || v > max)
            throw new GgufFormatException($"metadata key '{Key ?? "(value)"}' holds {v} ({GgufValueTypes.Name(Type)}), which does not fit in {target}");
        return v;
    }

    private T[] IntegerArray<T>(Int128 min, Int128 max, string target, Func<Int128, T> convert)
    {
        if (!IsArray || !GgufValueTypes.IsInteger(_elementType)) throw Mismatch($"an array of integers ({target})");
        int n = ((Array)_ref!).Length;
        var result = new T[n];
        for (int i = 0; i < n; i++)
        {
            Int128 v = IntegerAt(i);
            if (v < min || v > max)
                throw new GgufFormatException($"metadata key '{Key ?? "(value)"}' element {i} holds {v}, which does not fit in {target}");
            result[i] = convert(v);
        }
        return result;
    }

    // Switches on the element type, not on the payload's runtime type: the CLR lets an sbyte[] pass as a byte[]
    // (and int[] as uint[], ...), so type patterns would read signed arrays as unsigned.
    internal Int128 IntegerAt(int i) => _elementType switch
    {
        GgufValueType.UInt8 => ((byte[])_ref!)[i],
        GgufValueType.Int8 => ((sbyte[])_ref!)[i],
        GgufValueType.UInt16 => ((ushort[])_ref!)[i],
        GgufValueType.Int16 => ((short[])_ref!)[i],
        GgufValueType.UInt32 => ((uint[])_ref!)[i],
        GgufValueType.Int32 => ((int[])_ref!)[i],
        GgufValueType.UInt64 => ((ulong[])_ref!)[i],
        GgufValueType.Int64 => ((long[])_ref!)[i],
        _ => throw Mismatch("an array of integers"),
    };

    private GgufFormatException Mismatch(string expected) =>
        new($"metadata key '{Key ?? "(value)"}' is {Describe()}, not {expected}");

    private string Describe() => IsArray
        ? $"an array of {GgufValueTypes.Name(_elementType)}"
        : (GgufValueTypes.Name(Type).StartsWith('i') ? "an " : "a ") + GgufValueTypes.Name(Type);
}

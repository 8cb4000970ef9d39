namespace Merlinite.Gguf;

public sealed partial class GgufValue
{
    public static GgufValue FromUInt8(byte value) => new(GgufValueType.UInt8, value, null);
    public static GgufValue FromInt8(sbyte value) => new(GgufValueType.Int8, (ulong)(long)value, null);
    public static GgufValue FromUInt16(ushort value) => new(GgufValueType.UInt16, value, null);
    public static GgufValue FromInt16(short value) => new(GgufValueType.Int16, (ulong)(long)value, null);
    public static GgufValue FromUInt32(uint value) => new(GgufValueType.UInt32, value, null);
    public static GgufValue FromInt32(int value) => new(GgufValueType.Int32, (ulong)(long)value, null);
    public static GgufValue FromUInt64(ulong value) => new(GgufValueType.UInt64, value, null);
    public static GgufValue FromInt64(long value) => new(GgufValueType.Int64, (ulong)value, null);
    public static GgufValue FromFloat32(float value) => new(GgufValueType.Float32, BitConverter.SingleToUInt32Bits(value), null);
    public static GgufValue FromFloat64(double value) => new(GgufValueType.Float64, BitConverter.DoubleToUInt64Bits(value), null);
    public static GgufValue FromBool(bool value) => new(GgufValueType.Bool, value ? 1UL : 0UL, null);

    public static GgufValue FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(GgufValueType.String, 0, value);
    }

    public static GgufValue FromArray(ReadOnlySpan<byte> values) => MakeArray(GgufValueType.UInt8, values.ToArray());
    public static GgufValue FromArray(ReadOnlySpan<sbyte> values) => MakeArray(GgufValueType.Int8, values.ToArray());
    public static GgufValue FromArray(ReadOnlySpan<ushort> values) => MakeArray(GgufValueType.UInt16, values.ToArray());
    public static GgufValue FromArray(ReadOnlySpan<short> values) => MakeArray(GgufValueType.Int16, values.ToArray());
    public static GgufValue FromArray(ReadOnlySpan<uint> values) => MakeArray(GgufValueType.UInt32, values.ToArray());
    public static GgufValue FromArray(ReadOnlySpan<int> values) => MakeArray(GgufValueType.Int32, values.ToArray());
    public static GgufValue FromArray(ReadOnlySpan<ulong> values) => MakeArray(GgufValueType.UInt64, values.ToArray());
    public static GgufValue FromArray(ReadOnlySpan<long> values) => MakeArray(GgufValueType.Int64, values.ToArray());
    public static GgufValue FromArray(ReadOnlySpan<float> values) => MakeArray(GgufValueType.Float32, values.ToArray());
    public static GgufValue FromArray(ReadOnlySpan<double> values) => MakeArray(GgufValueType.Float64, values.ToArray());
    public static GgufValue FromArray(ReadOnlySpan<bool> values) => MakeArray(GgufValueType.Bool, values.ToArray());

    public static GgufValue FromStringArray(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var array = values.ToArray();
        if (System.Array.IndexOf(array, null) is int i and >= 0)
            throw new ArgumentException($"string array element {i} is null", nameof(values));
        return MakeArray(GgufValueType.String, array);
    }

    /// <summary>An array whose elements are arrays themselves (GGUF allows nesting; each inner array has its own element type).</summary>
    public static GgufValue FromNestedArray(IEnumerable<GgufValue> arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        var array = arrays.ToArray();
        for (int i = 0; i < array.Length; i++)
        {
            if (array[i] is null || !array[i].IsArray)
                throw new ArgumentException($"nested array element {i} is not an array value", nameof(arrays));
            array[i] = array[i].WithKey(null);
        }
        return MakeArray(GgufValueType.Array, array);
    }

    private static GgufValue MakeArray(GgufValueType elementType, Array payload) =>
        new(GgufValueType.Array, 0, payload, elementType);

    /// <summary>Used by the reader, which already owns a freshly read payload and knows the key.</summary>
    internal static GgufValue ForReader(GgufValueType type, ulong bits, object? reference, GgufValueType elementType, string key) =>
        new(type, bits, reference, elementType, key);
}

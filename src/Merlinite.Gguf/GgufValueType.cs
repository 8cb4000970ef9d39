namespace Merlinite.Gguf;

/// <summary>Metadata value types, numbered as gguf.h's <c>enum gguf_type</c> (stored as uint32 in the file).</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>Facts about <see cref="GgufValueType"/> shared by the reader, writer and formatter.</summary>
public static class GgufValueTypes
{
    /// <summary>True for ids 0–12.</summary>
    public static bool IsDefined(uint id) => id <= (uint)GgufValueType.Float64;

    /// <summary>The lower-case name gguf.cpp's <c>gguf_type_name</c> uses (<c>uint32</c>, <c>string</c>, ...).</summary>
    public static string Name(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => "uint8",
        GgufValueType.Int8 => "int8",
        GgufValueType.UInt16 => "uint16",
        GgufValueType.Int16 => "int16",
        GgufValueType.UInt32 => "uint32",
        GgufValueType.Int32 => "int32",
        GgufValueType.Float32 => "float32",
        GgufValueType.Bool => "bool",
        GgufValueType.String => "string",
        GgufValueType.Array => "array",
        GgufValueType.UInt64 => "uint64",
        GgufValueType.Int64 => "int64",
        GgufValueType.Float64 => "float64",
        _ => $"type {(uint)type}",
    };

    /// <summary>Encoded size of one scalar of <paramref name="type"/>, or 0 for string and array (variable).</summary>
    public static int FixedSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    /// <summary>
    /// The fewest bytes one element of this type can take in a file: the reader checks counts against it before
    /// allocating, so a lying count cannot make it allocate more than the file could hold.
    /// </summary>
    internal static int MinEncodedSize(GgufValueType type) => type switch
    {
        GgufValueType.String => 8,          // uint64 length, possibly of an empty string
        GgufValueType.Array => 4 + 8,       // element type + count, possibly empty
        _ => FixedSize(type),
    };

    internal static bool IsInteger(GgufValueType type) => type is GgufValueType.UInt8 or GgufValueType.Int8
        or GgufValueType.UInt16 or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32
        or GgufValueType.UInt64 or GgufValueType.Int64;

    internal static bool IsSigned(GgufValueType type) => type is GgufValueType.Int8 or GgufValueType.Int16
        or GgufValueType.Int32 or GgufValueType.Int64;
}

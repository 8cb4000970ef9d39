using System.Diagnostics.CodeAnalysis;

namespace Merlinite.Gguf;

/// <summary>
/// Storage layout of a <see cref="GgmlType"/>: elements are stored in blocks of <see cref="BlockSize"/> values taking
/// <see cref="BytesPerBlock"/> bytes (1 and the scalar size for the plain types). Known for every type, so row and
/// tensor sizes can be computed even for types this library cannot dequantize.
/// </summary>
public sealed class GgmlTypeInfo
{
    // ggml's QK_K: the super-block size of the k-quants and i-quants.
    private const int QK_K = 256;

    private static readonly GgmlTypeInfo?[] ById = Build();

    private GgmlTypeInfo(GgmlType type, string name, int blockSize, int bytesPerBlock, bool isQuantized)
    {
        Type = type;
        Name = name;
        BlockSize = blockSize;
        BytesPerBlock = bytesPerBlock;
        IsQuantized = isQuantized;
    }

    public GgmlType Type { get; }

    /// <summary>The name gguf-py and llama.cpp tools print, e.g. <c>Q4_K</c>, <c>BF16</c>.</summary>
    public string Name { get; }

    /// <summary>Elements per block (1 for F32, F16, BF16, F64 and the integer types).</summary>
    public int BlockSize { get; }

    /// <summary>Bytes one block occupies.</summary>
    public int BytesPerBlock { get; }

    public bool IsQuantized { get; }

    /// <summary>True when <see cref="GgmlDequantizer"/> can convert this type to float.</summary>
    public bool CanDequantize => GgmlDequantizer.IsSupported(Type);

    /// <summary>True when <see cref="GgmlEncoder"/> (and so <see cref="GgufWriter"/> from floats) can produce this type.</summary>
    public bool CanEncode => GgmlEncoder.IsSupported(Type);

    /// <summary>All types, in id order.</summary>
    public static IReadOnlyList<GgmlTypeInfo> All { get; } = ById.Where(t => t is not null).Select(t => t!).ToArray();

    /// <summary>The layout of <paramref name="type"/>; throws for a value that is not a defined <see cref="GgmlType"/>.</summary>
    public static GgmlTypeInfo Of(GgmlType type) =>
        TryGet((uint)type, out var info) ? info : throw new ArgumentOutOfRangeException(nameof(type), type, "not a ggml type");

    /// <summary>Looks up a raw type id as stored in a file.</summary>
    public static bool TryGet(uint id, [NotNullWhen(true)] out GgmlTypeInfo? info)
    {
        info = id < ById.Length ? ById[id] : null;
        return info is not null;
    }

    /// <summary>Parses a type name case-insensitively (<c>q8_0</c>, <c>Q4_K</c>, <c>bf16</c>).</summary>
    public static bool TryParse(string? name, [NotNullWhen(true)] out GgmlTypeInfo? info)
    {
        info = All.FirstOrDefault(t => string.Equals(t.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));
        return info is not null;
    }

    /// <summary>
    /// A description of an id that is not a current type, for error messages: ids ggml used to define are named so the
    /// reader sees the file is from an older converter, not corrupt.
    /// </summary>
    internal static string DescribeUnknown(uint id) => id switch
    {
        4 => "Q4_2, removed from ggml",
        5 => "Q4_3, removed from ggml",
        31 => "Q4_0_4_4, removed from GGUF files; use Q4_0",
        32 => "Q4_0_4_8, removed from GGUF files; use Q4_0",
        33 => "Q4_0_8_8, removed from GGUF files; use Q4_0",
        36 => "IQ4_NL_4_4, removed from GGUF files; use IQ4_NL",
        37 => "IQ4_NL_4_8, removed from GGUF files; use IQ4_NL",
        38 => "IQ4_NL_8_8, removed from GGUF files; use IQ4_NL",
        _ => "not a ggml type",
    };

    /// <summary>Bytes of one row of <paramref name="rowLength"/> elements; the length must be a whole number of blocks.</summary>
    public long RowByteSize(long rowLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowLength);
        if (rowLength % BlockSize != 0)
            throw new ArgumentException($"a row of {rowLength} elements is not a multiple of the {Name} block size {BlockSize}", nameof(rowLength));
        return checked(rowLength / BlockSize * BytesPerBlock);
    }

    public override string ToString() => Name;

    private static GgmlTypeInfo?[] Build()
    {
        var table = new GgmlTypeInfo?[(int)GgmlType.Q2_0 + 1];
        void Add(GgmlType type, int blockSize, int bytes, bool quantized = true) =>
            table[(int)type] = new GgmlTypeInfo(type, type.ToString(), blockSize, bytes, quantized);

        // Sizes are ggml-common.h's block structs; gguf-py's GGML_QUANT_SIZES lists the same numbers.
        Add(GgmlType.F32, 1, 4, false);
        Add(GgmlType.F16, 1, 2, false);
        Add(GgmlType.Q4_0, 32, 2 + 16);
        Add(GgmlType.Q4_1, 32, 2 + 2 + 16);
        Add(GgmlType.Q5_0, 32, 2 + 4 + 16);
        Add(GgmlType.Q5_1, 32, 2 + 2 + 4 + 16);
        Add(GgmlType.Q8_0, 32, 2 + 32);
        Add(GgmlType.Q8_1, 32, 2 + 2 + 32);
        Add(GgmlType.Q2_K, QK_K, 2 + 2 + QK_K / 16 + QK_K / 4);
        Add(GgmlType.Q3_K, QK_K, 2 + QK_K / 4 + QK_K / 8 + 12);
        Add(GgmlType.Q4_K, QK_K, 2 + 2 + 12 + QK_K / 2);
        Add(GgmlType.Q5_K, QK_K, 2 + 2 + 12 + QK_K / 2 + QK_K / 8);
        Add(GgmlType.Q6_K, QK_K, 2 + QK_K / 2 + QK_K / 4 + QK_K / 16);
        Add(GgmlType.Q8_K, QK_K, 4 + QK_K + QK_K / 16 * 2);
        Add(GgmlType.IQ2_XXS, QK_K, 2 + QK_K / 4);
        Add(GgmlType.IQ2_XS, QK_K, 2 + QK_K / 4 + QK_K / 32);
        Add(GgmlType.IQ3_XXS, QK_K, 2 + 3 * QK_K / 8);
        Add(GgmlType.IQ1_S, QK_K, 2 + QK_K / 8 + QK_K / 16);
        Add(GgmlType.IQ4_NL, 32, 2 + 16);
        Add(GgmlType.IQ3_S, QK_K, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + QK_K / 64);
        Add(GgmlType.IQ2_S, QK_K, 2 + QK_K / 4 + QK_K / 16);
        Add(GgmlType.IQ4_XS, QK_K, 2 + 2 + QK_K / 64 + QK_K / 2);
        Add(GgmlType.I8, 1, 1, false);
        Add(GgmlType.I16, 1, 2, false);
        Add(GgmlType.I32, 1, 4, false);
        Add(GgmlType.I64, 1, 8, false);
        Add(GgmlType.F64, 1, 8, false);
        Add(GgmlType.IQ1_M, QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32);
        Add(GgmlType.BF16, 1, 2, false);
        Add(GgmlType.TQ1_0, QK_K, 2 + QK_K / 64 + (QK_K - 4 * QK_K / 64) / 5);
        Add(GgmlType.TQ2_0, QK_K, 2 + QK_K / 4);
        Add(GgmlType.MXFP4, 32, 1 + 16);
        Add(GgmlType.NVFP4, 64, 4 + 32);
        Add(GgmlType.Q1_0, 128, 2 + 16);
        Add(GgmlType.Q2_0, 64, 2 + 16);
        return table;
    }
}

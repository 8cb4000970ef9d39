using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Merlinite.Gguf;

/// <summary>
/// Converts stored ggml data to float: the plain types, the legacy block quants (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1)
/// and the k-quants (Q2_K..Q6_K, Q8_K). Results match ggml's reference <c>dequantize_row_*</c> bit for bit (same
/// operations in the same order). The i-quants, ternary and FP4 formats are not supported.
/// </summary>
public static partial class GgmlDequantizer
{
    public static bool IsSupported(GgmlType type) => type is
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.F64 or
        GgmlType.I8 or GgmlType.I16 or GgmlType.I32 or GgmlType.I64 or
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1 or
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K;

    /// <summary>
    /// Dequantizes whole blocks: <paramref name="source"/> must be a multiple of the type's block bytes and
    /// <paramref name="destination"/> exactly the matching number of elements.
    /// </summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        var info = GgmlTypeInfo.Of(type);
        if (!IsSupported(type)) throw new NotSupportedException($"dequantizing {info.Name} is not supported");
        if (source.Length % info.BytesPerBlock != 0)
            throw new ArgumentException($"{source.Length} bytes is not a whole number of {info.Name} blocks ({info.BytesPerBlock} bytes each)", nameof(source));
        long elements = (long)(source.Length / info.BytesPerBlock) * info.BlockSize;
        if (destination.Length != elements)
            throw new ArgumentException($"{source.Length} bytes of {info.Name} hold {elements} elements but the destination has room for {destination.Length}", nameof(destination));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ggml data is little-endian");

        switch (type)
        {
            case GgmlType.F32: MemoryMarshal.Cast<byte, float>(source).CopyTo(destination); break;
            case GgmlType.F16: F16(source, destination); break;
            case GgmlType.BF16: BF16(source, destination); break;
            case GgmlType.F64: Convert(MemoryMarshal.Cast<byte, double>(source), destination, static v => (float)v); break;
            case GgmlType.I8: Convert(MemoryMarshal.Cast<byte, sbyte>(source), destination, static v => v); break;
            case GgmlType.I16: Convert(MemoryMarshal.Cast<byte, short>(source), destination, static v => v); break;
            case GgmlType.I32: Convert(MemoryMarshal.Cast<byte, int>(source), destination, static v => v); break;
            case GgmlType.I64: Convert(MemoryMarshal.Cast<byte, long>(source), destination, static v => v); break;
            case GgmlType.Q4_0: Q4_0(source, destination); break;
            case GgmlType.Q4_1: Q4_1(source, destination); break;
            case GgmlType.Q5_0: Q5_0(source, destination); break;
            case GgmlType.Q5_1: Q5_1(source, destination); break;
            case GgmlType.Q8_0: Q8_0(source, destination); break;
            case GgmlType.Q8_1: Q8_1(source, destination); break;
            case GgmlType.Q2_K: Q2_K(source, destination); break;
            case GgmlType.Q3_K: Q3_K(source, destination); break;
            case GgmlType.Q4_K: Q4_K(source, destination); break;
            case GgmlType.Q5_K: Q5_K(source, destination); break;
            case GgmlType.Q6_K: Q6_K(source, destination); break;
            case GgmlType.Q8_K: Q8_K(source, destination); break;
        }
    }

    private static float Half(ReadOnlySpan<byte> s, int offset) => GgmlFloat.HalfTable[BinaryPrimitives.ReadUInt16LittleEndian(s[offset..])];

    private static void Convert<T>(ReadOnlySpan<T> source, Span<float> destination, Func<T, float> convert)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = convert(source[i]);
    }

    private static void F16(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var halves = MemoryMarshal.Cast<byte, ushort>(source);
        var table = GgmlFloat.HalfTable;
        for (int i = 0; i < halves.Length; i++) destination[i] = table[halves[i]];
    }

    private static void BF16(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var halves = MemoryMarshal.Cast<byte, ushort>(source);
        var bits = MemoryMarshal.Cast<float, uint>(destination);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<ushort>.Count <= halves.Length; i += Vector256<ushort>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create(halves.Slice(i, Vector256<ushort>.Count)));
                (lo << 16).CopyTo(bits[i..]);
                (hi << 16).CopyTo(bits[(i + Vector256<uint>.Count)..]);
            }
        }
        for (; i < halves.Length; i++) bits[i] = (uint)halves[i] << 16;
    }
}

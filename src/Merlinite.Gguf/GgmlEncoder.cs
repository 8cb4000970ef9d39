using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Merlinite.Gguf;

/// <summary>
/// Converts floats to the stored types the writer can produce: F32, F16, BF16 and Q8_0, rounding exactly as ggml's
/// reference code (<c>quantize_row_q8_0_ref</c>, <c>ggml_compute_fp32_to_bf16</c>) so the output is byte-identical to
/// what llama.cpp's own tools write for the same input.
/// </summary>
public static class GgmlEncoder
{
    public static bool IsSupported(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0;

    /// <summary>The number of bytes <paramref name="elementCount"/> values take as <paramref name="type"/> (a whole number of blocks).</summary>
    public static long EncodedSize(GgmlType type, long elementCount) => GgmlTypeInfo.Of(type).RowByteSize(elementCount);

    /// <summary>Encodes <paramref name="source"/> (a whole number of blocks) into exactly <see cref="EncodedSize"/> bytes.</summary>
    public static void Encode(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        var info = GgmlTypeInfo.Of(type);
        if (!IsSupported(type)) throw new NotSupportedException($"encoding {info.Name} is not supported (only F32, F16, BF16, Q8_0)");
        long size = info.RowByteSize(source.Length);
        if (destination.Length != size)
            throw new ArgumentException($"{source.Length} values encode to {size} bytes of {info.Name}, but the destination is {destination.Length} bytes", nameof(destination));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ggml data is little-endian");

        switch (type)
        {
            case GgmlType.F32:
                MemoryMarshal.AsBytes(source).CopyTo(destination);
                break;
            case GgmlType.F16:
            {
                var halves = MemoryMarshal.Cast<byte, Half>(destination);
                for (int i = 0; i < source.Length; i++) halves[i] = (Half)source[i];
                break;
            }
            case GgmlType.BF16:
            {
                var halves = MemoryMarshal.Cast<byte, ushort>(destination);
                for (int i = 0; i < source.Length; i++) halves[i] = GgmlFloat.SingleToBFloat16(source[i]);
                break;
            }
            case GgmlType.Q8_0:
                QuantizeQ8_0(source, destination);
                break;
        }
    }

    /// <summary>
    /// ggml's quantize_row_q8_0_ref: per block of 32, d = max|x| / 127 (stored as fp16) and q = round(x / d), with
    /// the reciprocal taken from the unrounded d and ties rounded away from zero (C's roundf).
    /// </summary>
    public static void QuantizeQ8_0(ReadOnlySpan<float> source, Span<byte> destination)
    {
        const int qk = 32, blockBytes = 34;
        if (source.Length % qk != 0) throw new ArgumentException($"{source.Length} values are not a whole number of Q8_0 blocks of {qk}", nameof(source));
        if (destination.Length < source.Length / qk * blockBytes) throw new ArgumentException("destination too small", nameof(destination));
        for (int b = 0; b < source.Length / qk; b++)
        {
            var x = source.Slice(b * qk, qk);
            var block = destination.Slice(b * blockBytes, blockBytes);
            float amax = 0;
            // C's MAX(a, b) = a > b ? a : b; written out so NaN inputs behave as in ggml.
            foreach (float v in x) amax = amax > MathF.Abs(v) ? amax : MathF.Abs(v);
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteUInt16LittleEndian(block, GgmlFloat.SingleToHalf(d));
            for (int j = 0; j < qk; j++) block[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        }
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Merlinite.Gguf;

// The 32-element block formats (ggml-common.h block_q4_0 ... block_q8_1). In the 4- and 5-bit formats byte j holds
// element j in its low nibble and element j+16 in its high nibble.
public static partial class GgmlDequantizer
{
    private const int QK = 32;

    private static void Q4_0(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b * 18 < src.Length; b++)
        {
            var block = src.Slice(b * 18, 18);
            float d = Half(block, 0);
            var qs = block[2..];
            var y = dst.Slice(b * QK, QK);
            for (int j = 0; j < QK / 2; j++)
            {
                y[j] = ((qs[j] & 0x0F) - 8) * d;
                y[j + QK / 2] = ((qs[j] >> 4) - 8) * d;
            }
        }
    }

    private static void Q4_1(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b * 20 < src.Length; b++)
        {
            var block = src.Slice(b * 20, 20);
            float d = Half(block, 0), m = Half(block, 2);
            var qs = block[4..];
            var y = dst.Slice(b * QK, QK);
            for (int j = 0; j < QK / 2; j++)
            {
                y[j] = (qs[j] & 0x0F) * d + m;
                y[j + QK / 2] = (qs[j] >> 4) * d + m;
            }
        }
    }

    // Q5: a 32-bit mask qh supplies the fifth bit; bit j belongs to element j.
    private static void Q5_0(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b * 22 < src.Length; b++)
        {
            var block = src.Slice(b * 22, 22);
            float d = Half(block, 0);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(block[2..]);
            var qs = block[6..];
            var y = dst.Slice(b * QK, QK);
            for (int j = 0; j < QK / 2; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = (((qs[j] & 0x0F) | h0) - 16) * d;
                y[j + QK / 2] = (((qs[j] >> 4) | h1) - 16) * d;
            }
        }
    }

    private static void Q5_1(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b * 24 < src.Length; b++)
        {
            var block = src.Slice(b * 24, 24);
            float d = Half(block, 0), m = Half(block, 2);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
            var qs = block[8..];
            var y = dst.Slice(b * QK, QK);
            for (int j = 0; j < QK / 2; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = ((qs[j] & 0x0F) | h0) * d + m;
                y[j + QK / 2] = ((qs[j] >> 4) | h1) * d + m;
            }
        }
    }

    private static void Q8_0(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b * 34 < src.Length; b++)
        {
            var block = src.Slice(b * 34, 34);
            ScaleInt8(Half(block, 0), MemoryMarshal.Cast<byte, sbyte>(block.Slice(2, QK)), dst.Slice(b * QK, QK));
        }
    }

    private static void Q8_1(ReadOnlySpan<byte> src, Span<float> dst)
    {
        // d, then s = d·Σq (only used by dot products), then the quants.
        for (int b = 0; b * 36 < src.Length; b++)
        {
            var block = src.Slice(b * 36, 36);
            ScaleInt8(Half(block, 0), MemoryMarshal.Cast<byte, sbyte>(block.Slice(4, QK)), dst.Slice(b * QK, QK));
        }
    }

    /// <summary>y = q·d for 32 quants: the hot loop of Q8_0 models, so it is vectorised (exact: int→float is lossless).</summary>
    private static void ScaleInt8(float d, ReadOnlySpan<sbyte> q, Span<float> y)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(d);
            var (s0, s1) = Vector256.Widen(Vector256.Create(q));
            var (i0, i1) = Vector256.Widen(s0);
            var (i2, i3) = Vector256.Widen(s1);
            (Vector256.ConvertToSingle(i0) * scale).CopyTo(y);
            (Vector256.ConvertToSingle(i1) * scale).CopyTo(y[8..]);
            (Vector256.ConvertToSingle(i2) * scale).CopyTo(y[16..]);
            (Vector256.ConvertToSingle(i3) * scale).CopyTo(y[24..]);
            return;
        }
        for (int j = 0; j < q.Length; j++) y[j] = q[j] * d;
    }
}

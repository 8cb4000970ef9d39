using System.Buffers.Binary;

namespace Merlinite.Gguf;

// The k-quants: 256-element super-blocks (ggml-common.h block_q2_K ... block_q8_K) whose sub-block scales are
// themselves quantized against the fp16 super-block scale(s).
public static partial class GgmlDequantizer
{
    private const int QK_K = 256;

    /// <summary>
    /// ggml's get_scale_min_k4: Q4_K/Q5_K pack eight 6-bit scales and eight 6-bit mins into 12 bytes. Sub-blocks 0–3
    /// use the low 6 bits of bytes 0–3 (scale) and 4–7 (min); sub-blocks 4–7 take their low 4 bits from bytes 8–11 and
    /// their top 2 bits from the spare high bits of bytes 0–7.
    /// </summary>
    internal static (int Scale, int Min) ScaleMinK4(int j, ReadOnlySpan<byte> q)
    {
        if (j < 4) return (q[j] & 63, q[j + 4] & 63);
        return ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }

    // scales[16] (low nibble: scale, high nibble: min, per 16 elements), qs[64] (2 bits), d, dmin.
    private static void Q2_K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        const int size = 84;
        for (int b = 0; b * size < src.Length; b++)
        {
            var block = src.Slice(b * size, size);
            var scales = block[..16];
            var qs = block.Slice(16, 64);
            float d = Half(block, 80), min = Half(block, 82);
            var y = dst.Slice(b * QK_K, QK_K);
            int yi = 0, si = 0;
            for (int n = 0; n < QK_K; n += 128)
            {
                var q = qs.Slice(n / 4, 32);
                for (int shift = 0; shift < 8; shift += 2)
                {
                    for (int half = 0; half < 2; half++)
                    {
                        byte sc = scales[si++];
                        float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                        for (int l = 0; l < 16; l++) y[yi++] = dl * ((q[l + 16 * half] >> shift) & 3) - ml;
                    }
                }
            }
        }
    }

    // hmask[32] (third bit, cleared means subtract 4), qs[64] (low 2 bits), scales[12] (sixteen 6-bit scales), d.
    private static void Q3_K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        const int size = 110;
        Span<int> scales = stackalloc int[16];
        for (int b = 0; b * size < src.Length; b++)
        {
            var block = src.Slice(b * size, size);
            var hm = block[..32];
            var qs = block.Slice(32, 64);
            UnpackQ3Scales(block.Slice(96, 12), scales);
            float dAll = Half(block, 108);
            var y = dst.Slice(b * QK_K, QK_K);
            int yi = 0, si = 0, m = 1;
            for (int n = 0; n < QK_K; n += 128)
            {
                var q = qs.Slice(n / 4, 32);
                for (int shift = 0; shift < 8; shift += 2, m <<= 1)
                {
                    for (int half = 0; half < 2; half++)
                    {
                        float dl = dAll * (scales[si++] - 32);
                        for (int l = 16 * half; l < 16 * half + 16; l++)
                            y[yi++] = dl * (((q[l] >> shift) & 3) - ((hm[l] & m) != 0 ? 0 : 4));
                    }
                }
            }
        }
    }

    /// <summary>Q3_K scale j: low 4 bits from byte j (j&lt;8, low nibble) or j-8 (high nibble), top 2 bits from bytes 8–11.</summary>
    internal static void UnpackQ3Scales(ReadOnlySpan<byte> packed, Span<int> scales)
    {
        for (int j = 0; j < 16; j++)
        {
            int low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
            int high = (packed[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
            scales[j] = low | (high << 4);
        }
    }

    // d, dmin, scales[12] (8 scales + 8 mins, 6 bits), qs[128]: 64-element chunks, low nibbles then high nibbles.
    private static void Q4_K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        const int size = 144;
        for (int b = 0; b * size < src.Length; b++)
        {
            var block = src.Slice(b * size, size);
            float d = Half(block, 0), min = Half(block, 2);
            var scales = block.Slice(4, 12);
            var y = dst.Slice(b * QK_K, QK_K);
            for (int chunk = 0; chunk < 4; chunk++)
            {
                var q = block.Slice(16 + 32 * chunk, 32);
                var (sc1, m1) = ScaleMinK4(2 * chunk, scales);
                var (sc2, m2) = ScaleMinK4(2 * chunk + 1, scales);
                float d1 = d * sc1, min1 = min * m1, d2 = d * sc2, min2 = min * m2;
                var y1 = y.Slice(64 * chunk, 32);
                var y2 = y.Slice(64 * chunk + 32, 32);
                for (int l = 0; l < 32; l++)
                {
                    y1[l] = d1 * (q[l] & 0xF) - min1;
                    y2[l] = d2 * (q[l] >> 4) - min2;
                }
            }
        }
    }

    // As Q4_K plus qh[32]: bit 2·chunk (low nibbles) and 2·chunk+1 (high nibbles) of qh[l] add 16.
    private static void Q5_K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        const int size = 176;
        for (int b = 0; b * size < src.Length; b++)
        {
            var block = src.Slice(b * size, size);
            float d = Half(block, 0), min = Half(block, 2);
            var scales = block.Slice(4, 12);
            var qh = block.Slice(16, 32);
            var y = dst.Slice(b * QK_K, QK_K);
            for (int chunk = 0; chunk < 4; chunk++)
            {
                var ql = block.Slice(48 + 32 * chunk, 32);
                var (sc1, m1) = ScaleMinK4(2 * chunk, scales);
                var (sc2, m2) = ScaleMinK4(2 * chunk + 1, scales);
                float d1 = d * sc1, min1 = min * m1, d2 = d * sc2, min2 = min * m2;
                int u1 = 1 << (2 * chunk), u2 = 2 << (2 * chunk);
                var y1 = y.Slice(64 * chunk, 32);
                var y2 = y.Slice(64 * chunk + 32, 32);
                for (int l = 0; l < 32; l++)
                {
                    y1[l] = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - min1;
                    y2[l] = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - min2;
                }
            }
        }
    }

    // ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8, per 16 elements), d.
    private static void Q6_K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        const int size = 210;
        for (int b = 0; b * size < src.Length; b++)
        {
            var block = src.Slice(b * size, size);
            float d = Half(block, 208);
            var y = dst.Slice(b * QK_K, QK_K);
            for (int half = 0; half < 2; half++)
            {
                var ql = block.Slice(64 * half, 64);
                var qh = block.Slice(128 + 32 * half, 32);
                var sc = block.Slice(192 + 8 * half, 8);
                var yh = y.Slice(128 * half, 128);
                for (int l = 0; l < 32; l++)
                {
                    int s = l / 16;
                    int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    yh[l] = d * (sbyte)sc[s] * q1;
                    yh[l + 32] = d * (sbyte)sc[s + 2] * q2;
                    yh[l + 64] = d * (sbyte)sc[s + 4] * q3;
                    yh[l + 96] = d * (sbyte)sc[s + 6] * q4;
                }
            }
        }
    }

    // float32 d, qs[256] (int8), bsums[16] (only for dot products).
    private static void Q8_K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        const int size = 292;
        for (int b = 0; b * size < src.Length; b++)
        {
            var block = src.Slice(b * size, size);
            float d = BinaryPrimitives.ReadSingleLittleEndian(block);
            var y = dst.Slice(b * QK_K, QK_K);
            for (int j = 0; j < QK_K; j++) y[j] = d * (sbyte)block[4 + j];
        }
    }
}

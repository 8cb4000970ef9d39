using System.Buffers.Binary;

namespace Merlinite.Gguf.Tests;

/// <summary>
/// Blocks are assembled here from the layouts in ggml-common.h (and the packing code of ggml's quantizers), and the
/// expected values computed from the format definitions, independently of the library's decoding loops. Scales are
/// exactly representable so every expected value is exact.
/// </summary>
public class DequantizerTests
{
    private static ushort H(float v) => BitConverter.HalfToUInt16Bits((Half)v);

    private static float[] Dequantize(GgmlType type, byte[] block)
    {
        var info = GgmlTypeInfo.Of(type);
        var result = new float[block.Length / info.BytesPerBlock * info.BlockSize];
        GgmlDequantizer.Dequantize(type, block, result);
        return result;
    }

    [Fact]
    public void Q4_0_low_nibbles_are_the_first_half_and_high_nibbles_the_second()
    {
        // block_q4_0: half d; uint8 qs[16]. Element j (< 16) is qs[j] & 15, element j + 16 is qs[j] >> 4; x = (q - 8)·d.
        var block = new byte[18];
        BinaryPrimitives.WriteUInt16LittleEndian(block, H(0.25f));
        var q = new int[32];
        for (int i = 0; i < 32; i++) q[i] = (i * 7 + 3) % 16;
        for (int j = 0; j < 16; j++) block[2 + j] = (byte)(q[j] | (q[j + 16] << 4));

        var y = Dequantize(GgmlType.Q4_0, block);
        for (int i = 0; i < 32; i++) Assert.Equal((q[i] - 8) * 0.25f, y[i]);
    }

    [Fact]
    public void Q4_1_Q5_0_Q5_1_follow_their_layouts()
    {
        var q = new int[32];
        for (int i = 0; i < 32; i++) q[i] = (i * 11 + 5) % 32; // 5-bit values

        // block_q4_1: d, m, qs[16]; x = q·d + m (4-bit q).
        var b41 = new byte[20];
        BinaryPrimitives.WriteUInt16LittleEndian(b41, H(0.5f));
        BinaryPrimitives.WriteUInt16LittleEndian(b41.AsSpan(2), H(-2f));
        for (int j = 0; j < 16; j++) b41[4 + j] = (byte)((q[j] & 15) | ((q[j + 16] & 15) << 4));
        var y = Dequantize(GgmlType.Q4_1, b41);
        for (int i = 0; i < 32; i++) Assert.Equal((q[i] & 15) * 0.5f - 2f, y[i]);

        // block_q5_0: d, uint32 qh (bit i = fifth bit of element i), qs[16]; x = (q - 16)·d.
        var b50 = new byte[22];
        BinaryPrimitives.WriteUInt16LittleEndian(b50, H(0.125f));
        uint qh = 0;
        for (int i = 0; i < 32; i++) if ((q[i] & 16) != 0) qh |= 1u << i;
        BinaryPrimitives.WriteUInt32LittleEndian(b50.AsSpan(2), qh);
        for (int j = 0; j < 16; j++) b50[6 + j] = (byte)((q[j] & 15) | ((q[j + 16] & 15) << 4));
        y = Dequantize(GgmlType.Q5_0, b50);
        for (int i = 0; i < 32; i++) Assert.Equal((q[i] - 16) * 0.125f, y[i]);

        // block_q5_1: d, m, qh, qs[16]; x = q·d + m.
        var b51 = new byte[24];
        BinaryPrimitives.WriteUInt16LittleEndian(b51, H(0.25f));
        BinaryPrimitives.WriteUInt16LittleEndian(b51.AsSpan(2), H(1f));
        BinaryPrimitives.WriteUInt32LittleEndian(b51.AsSpan(4), qh);
        for (int j = 0; j < 16; j++) b51[8 + j] = (byte)((q[j] & 15) | ((q[j + 16] & 15) << 4));
        y = Dequantize(GgmlType.Q5_1, b51);
        for (int i = 0; i < 32; i++) Assert.Equal(q[i] * 0.25f + 1f, y[i]);
    }

    [Fact]
    public void Q8_0_is_signed_quants_times_d_across_several_blocks()
    {
        var blocks = new byte[3 * 34];
        for (int b = 0; b < 3; b++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(blocks.AsSpan(b * 34), H(0.5f * (b + 1)));
            for (int j = 0; j < 32; j++) blocks[b * 34 + 2 + j] = (byte)(sbyte)(j * 8 - 128 + b);
        }
        var y = Dequantize(GgmlType.Q8_0, blocks);
        for (int b = 0; b < 3; b++)
            for (int j = 0; j < 32; j++)
                Assert.Equal((j * 8 - 128 + b) * 0.5f * (b + 1), y[b * 32 + j]);
    }

    /// <summary>ggml's Q4_K/Q5_K scale packing (quantize_row_q4_K_ref): six-bit scale ls and min lm of sub-block j.</summary>
    private static byte[] PackK4Scales(int[] ls, int[] lm)
    {
        var s = new byte[12];
        for (int j = 0; j < 8; j++)
        {
            if (j < 4)
            {
                s[j] = (byte)ls[j];
                s[j + 4] = (byte)lm[j];
            }
            else
            {
                s[j + 4] = (byte)((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                s[j - 4] |= (byte)((ls[j] >> 4) << 6);
                s[j] |= (byte)((lm[j] >> 4) << 6);
            }
        }
        return s;
    }

    [Fact]
    public void Q4_K_uses_six_bit_scales_and_mins_per_32_elements()
    {
        // block_q4_K: half d, half dmin, scales[12], qs[128]. Element i is in sub-block i / 32 and 64-element chunk
        // c = i / 64: the first 32 of a chunk are the low nibbles of qs[32c .. 32c+31], the next 32 the high nibbles.
        // x = d·scale·q − dmin·min.
        int[] ls = [1, 63, 17, 32, 5, 48, 60, 33];   // > 15 exercises the high-bit packing of sub-blocks 4..7
        int[] lm = [0, 7, 63, 16, 47, 2, 31, 50];
        const float d = 0.5f, dmin = 0.25f;
        var q = new int[256];
        for (int i = 0; i < 256; i++) q[i] = (i * 5 + i / 16) % 16;

        var block = new byte[144];
        BinaryPrimitives.WriteUInt16LittleEndian(block, H(d));
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(2), H(dmin));
        PackK4Scales(ls, lm).CopyTo(block, 4);
        for (int i = 0; i < 256; i++)
        {
            int chunk = i / 64, within = i % 64;
            int index = 16 + 32 * chunk + within % 32;
            block[index] |= (byte)(within < 32 ? q[i] : q[i] << 4);
        }

        var y = Dequantize(GgmlType.Q4_K, block);
        for (int i = 0; i < 256; i++)
        {
            int sub = i / 32;
            Assert.Equal(d * ls[sub] * q[i] - dmin * lm[sub], y[i]);
        }
    }

    [Fact]
    public void Q5_K_adds_the_fifth_bit_from_qh()
    {
        // block_q5_K: d, dmin, scales[12], qh[32], qs[128]; element i (chunk c, position l in its 32) takes bit
        // 2c (first 32 of the chunk) or 2c + 1 (second 32) of qh[l] as its value-16 bit.
        int[] ls = [3, 9, 40, 63, 1, 20, 33, 62];
        int[] lm = [5, 0, 12, 63, 36, 8, 49, 17];
        const float d = 0.25f, dmin = 0.5f;
        var q = new int[256];
        for (int i = 0; i < 256; i++) q[i] = (i * 13 + 7) % 32;

        var block = new byte[176];
        BinaryPrimitives.WriteUInt16LittleEndian(block, H(d));
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(2), H(dmin));
        PackK4Scales(ls, lm).CopyTo(block, 4);
        for (int i = 0; i < 256; i++)
        {
            int chunk = i / 64, within = i % 64, l = within % 32;
            bool high = within >= 32;
            block[48 + 32 * chunk + l] |= (byte)(high ? (q[i] & 15) << 4 : q[i] & 15);
            if ((q[i] & 16) != 0) block[16 + l] |= (byte)(1 << (2 * chunk + (high ? 1 : 0)));
        }

        var y = Dequantize(GgmlType.Q5_K, block);
        for (int i = 0; i < 256; i++) Assert.Equal(d * ls[i / 32] * q[i] - dmin * lm[i / 32], y[i]);
    }

    [Fact]
    public void Q6_K_combines_low_nibbles_and_high_bit_pairs_with_signed_scales()
    {
        // block_q6_K: ql[128], qh[64], int8 scales[16], half d. Element i: half h = i / 128, r = i % 128,
        // group g = r / 32, l = r % 32. Low 4 bits: ql[64h + l + 32·(g & 1)], low nibble for g < 2, high for g >= 2.
        // High 2 bits: bits 2g..2g+1 of qh[32h + l]. x = d·scales[i / 16]·(q − 32).
        sbyte[] scales = [1, -1, 127, -128, 5, 17, -33, 64, 2, -7, 100, 0, -2, 3, 45, -90];
        const float d = 0.125f;
        var q = new int[256];
        for (int i = 0; i < 256; i++) q[i] = (i * 37 + 11) % 64;

        var block = new byte[210];
        for (int i = 0; i < 256; i++)
        {
            int h = i / 128, r = i % 128, g = r / 32, l = r % 32;
            int qlIndex = 64 * h + l + 32 * (g & 1);
            block[qlIndex] |= (byte)(g < 2 ? q[i] & 15 : (q[i] & 15) << 4);
            block[128 + 32 * h + l] |= (byte)((q[i] >> 4) << (2 * g));
        }
        for (int s = 0; s < 16; s++) block[192 + s] = (byte)scales[s];
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(208), H(d));

        var y = Dequantize(GgmlType.Q6_K, block);
        for (int i = 0; i < 256; i++) Assert.Equal(d * scales[i / 16] * (q[i] - 32), y[i]);
    }

    [Fact]
    public void Q3_K_and_Q2_K_follow_their_layouts()
    {
        // block_q3_K: hmask[32], qs[64], scales[12], d. Element i: chunk n = i / 128, shift group s = (i % 128) / 32,
        // l = i % 32: low 2 bits at bits 2s of qs[32n + l]; hmask[l] bit (4n + s) set means "no −4".
        // Scale j (6-bit, stored +32) is packed as quantize_row_q3_K_ref does. x = d·(scale − 32)·(q − (hbit ? 0 : 4)).
        var sc = new int[16];
        for (int j = 0; j < 16; j++) sc[j] = (j * 23 + 9) % 64;
        var q = new int[256];
        var hbit = new bool[256];
        for (int i = 0; i < 256; i++) { q[i] = (i * 3 + i / 7) % 4; hbit[i] = (i * 7) % 3 == 0; }
        const float d = 0.5f;

        var b3 = new byte[110];
        for (int i = 0; i < 256; i++)
        {
            int n = i / 128, s = (i % 128) / 32, l = i % 32;
            b3[32 + 32 * n + l] |= (byte)(q[i] << (2 * s));
            if (hbit[i]) b3[l] |= (byte)(1 << (4 * n + s));
        }
        for (int j = 0; j < 16; j++)
        {
            int l = sc[j];
            if (j < 8) b3[96 + j] = (byte)(l & 0xF);
            else b3[96 + j - 8] |= (byte)((l & 0xF) << 4);
            b3[96 + 8 + j % 4] |= (byte)((l >> 4) << (2 * (j / 4)));
        }
        BinaryPrimitives.WriteUInt16LittleEndian(b3.AsSpan(108), H(d));
        var y = Dequantize(GgmlType.Q3_K, b3);
        for (int i = 0; i < 256; i++) Assert.Equal(d * (sc[i / 16] - 32) * (q[i] - (hbit[i] ? 0 : 4)), y[i]);

        // block_q2_K: scales[16] (low nibble scale, high nibble min), qs[64], d, dmin; same 2-bit placement as Q3_K.
        // x = d·scale·q − dmin·min.
        var b2 = new byte[84];
        for (int j = 0; j < 16; j++) b2[j] = (byte)((j * 5 % 16) | ((15 - j) << 4));
        for (int i = 0; i < 256; i++)
        {
            int n = i / 128, s = (i % 128) / 32, l = i % 32;
            b2[16 + 32 * n + l] |= (byte)(q[i] << (2 * s));
        }
        BinaryPrimitives.WriteUInt16LittleEndian(b2.AsSpan(80), H(0.25f));
        BinaryPrimitives.WriteUInt16LittleEndian(b2.AsSpan(82), H(0.125f));
        y = Dequantize(GgmlType.Q2_K, b2);
        for (int i = 0; i < 256; i++)
            Assert.Equal(0.25f * (b2[i / 16] & 15) * q[i] - 0.125f * (b2[i / 16] >> 4), y[i]);
    }

    [Fact]
    public void Q8_K_has_a_float32_scale()
    {
        var block = new byte[292];
        BinaryPrimitives.WriteSingleLittleEndian(block, 0.1f);
        for (int j = 0; j < 256; j++) block[4 + j] = (byte)(sbyte)(j - 128);
        var y = Dequantize(GgmlType.Q8_K, block);
        for (int j = 0; j < 256; j++) Assert.Equal(0.1f * (j - 128), y[j]);
    }

    [Fact]
    public void Plain_types_convert_exactly()
    {
        Assert.Equal(new[] { -3f, 7f }, Dequantize(GgmlType.I8, [0xFD, 7]));
        Assert.Equal(new[] { -2f }, Dequantize(GgmlType.I32, BitConverter.GetBytes(-2)));
        Assert.Equal(new[] { 0.1f }, Dequantize(GgmlType.F64, BitConverter.GetBytes(0.1)));
        var bf = new byte[2 * 40];
        for (int i = 0; i < 40; i++) BinaryPrimitives.WriteUInt16LittleEndian(bf.AsSpan(2 * i), (ushort)(0x3F80 + i * 3));
        var y = Dequantize(GgmlType.BF16, bf); // 40 elements: vector body plus scalar tail
        for (int i = 0; i < 40; i++) Assert.Equal(BitConverter.Int32BitsToSingle((0x3F80 + i * 3) << 16), y[i]);
    }

    [Fact]
    public void Mismatched_lengths_and_unsupported_types_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => GgmlDequantizer.Dequantize(GgmlType.Q8_0, new byte[33], new float[32]));
        Assert.Throws<ArgumentException>(() => GgmlDequantizer.Dequantize(GgmlType.Q8_0, new byte[34], new float[31]));
        Assert.Throws<NotSupportedException>(() => GgmlDequantizer.Dequantize(GgmlType.IQ4_NL, new byte[18], new float[32]));
    }
}

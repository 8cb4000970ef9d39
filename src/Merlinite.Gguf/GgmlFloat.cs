namespace Merlinite.Gguf;

/// <summary>
/// Conversions between float and the 16-bit formats ggml stores (IEEE half and bfloat16), rounding exactly as ggml
/// does so files written here match files written by llama.cpp's tools bit for bit.
/// </summary>
public static class GgmlFloat
{
    // ggml converts half to float through a 64K-entry table for the same reason: it is faster than bit twiddling
    // and exact. 256 KB, built on first use.
    private static float[]? s_halfTable;

    internal static float[] HalfTable => s_halfTable ??= BuildHalfTable();

    public static float HalfToSingle(ushort bits) => HalfTable[bits];

    /// <summary>Round to nearest, ties to even (what F16C and ggml's software fallback do).</summary>
    public static ushort SingleToHalf(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>bfloat16 is the upper half of a float32.</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>ggml_compute_fp32_to_bf16: round to nearest even; NaNs are kept NaN (quieted) rather than rounded to infinity.</summary>
    public static ushort SingleToBFloat16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    private static float[] BuildHalfTable()
    {
        var table = new float[65536];
        for (int i = 0; i < table.Length; i++) table[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return table;
    }
}

namespace Merlinite.Gguf.Tests;

public class GgmlTypeInfoTests
{
    [Theory]
    // (block size, bytes per block) as in gguf-py's GGML_QUANT_SIZES.
    [InlineData(GgmlType.F32, 1, 4)]
    [InlineData(GgmlType.F16, 1, 2)]
    [InlineData(GgmlType.BF16, 1, 2)]
    [InlineData(GgmlType.Q4_0, 32, 18)]
    [InlineData(GgmlType.Q4_1, 32, 20)]
    [InlineData(GgmlType.Q5_0, 32, 22)]
    [InlineData(GgmlType.Q5_1, 32, 24)]
    [InlineData(GgmlType.Q8_0, 32, 34)]
    [InlineData(GgmlType.Q8_1, 32, 36)]
    [InlineData(GgmlType.Q2_K, 256, 84)]
    [InlineData(GgmlType.Q3_K, 256, 110)]
    [InlineData(GgmlType.Q4_K, 256, 144)]
    [InlineData(GgmlType.Q5_K, 256, 176)]
    [InlineData(GgmlType.Q6_K, 256, 210)]
    [InlineData(GgmlType.Q8_K, 256, 292)]
    [InlineData(GgmlType.IQ2_XXS, 256, 66)]
    [InlineData(GgmlType.IQ2_XS, 256, 74)]
    [InlineData(GgmlType.IQ3_XXS, 256, 98)]
    [InlineData(GgmlType.IQ1_S, 256, 50)]
    [InlineData(GgmlType.IQ4_NL, 32, 18)]
    [InlineData(GgmlType.IQ3_S, 256, 110)]
    [InlineData(GgmlType.IQ2_S, 256, 82)]
    [InlineData(GgmlType.IQ4_XS, 256, 136)]
    [InlineData(GgmlType.I8, 1, 1)]
    [InlineData(GgmlType.I16, 1, 2)]
    [InlineData(GgmlType.I32, 1, 4)]
    [InlineData(GgmlType.I64, 1, 8)]
    [InlineData(GgmlType.F64, 1, 8)]
    [InlineData(GgmlType.IQ1_M, 256, 56)]
    [InlineData(GgmlType.TQ1_0, 256, 54)]
    [InlineData(GgmlType.TQ2_0, 256, 66)]
    [InlineData(GgmlType.MXFP4, 32, 17)]
    [InlineData(GgmlType.NVFP4, 64, 36)]
    [InlineData(GgmlType.Q1_0, 128, 18)]
    [InlineData(GgmlType.Q2_0, 64, 18)]
    public void Block_layouts_match_ggml(GgmlType type, int blockSize, int bytes)
    {
        var info = GgmlTypeInfo.Of(type);
        Assert.Equal(blockSize, info.BlockSize);
        Assert.Equal(bytes, info.BytesPerBlock);
        Assert.Equal(type.ToString(), info.Name);
    }

    [Fact]
    public void Every_enum_value_has_a_layout_and_removed_ids_have_none()
    {
        Assert.Equal(Enum.GetValues<GgmlType>().Length, GgmlTypeInfo.All.Count);
        foreach (uint removed in new uint[] { 4, 5, 31, 32, 33, 36, 37, 38, 43 })
            Assert.False(GgmlTypeInfo.TryGet(removed, out _));
        Assert.Equal(12, (int)GgmlType.Q4_K);
        Assert.Equal(30, (int)GgmlType.BF16);
    }

    [Fact]
    public void Row_sizes_and_names()
    {
        Assert.Equal(4096 / 256 * 144, GgmlTypeInfo.Of(GgmlType.Q4_K).RowByteSize(4096));
        Assert.Throws<ArgumentException>(() => GgmlTypeInfo.Of(GgmlType.Q4_K).RowByteSize(100));
        Assert.True(GgmlTypeInfo.TryParse("q4_k", out var info));
        Assert.Equal(GgmlType.Q4_K, info.Type);
        Assert.True(GgmlTypeInfo.Of(GgmlType.Q6_K).CanDequantize);
        Assert.False(GgmlTypeInfo.Of(GgmlType.IQ2_XXS).CanDequantize);
        Assert.True(GgmlTypeInfo.Of(GgmlType.Q8_0).CanEncode);
        Assert.False(GgmlTypeInfo.Of(GgmlType.Q4_K).CanEncode);
    }
}

namespace Merlinite.Gguf.Tests;

/// <summary>
/// Compares against data produced by ggml itself (Fixtures/ggml-reference.bin, made by make-ggml-reference.c with
/// llama.cpp's libggml-base): the file was written by gguf.cpp, the quants by ggml's reference quantizers and the
/// expected floats by ggml's own dequantizers.
/// </summary>
public class GgmlReferenceTests
{
    private static GgufFile Open() => GgufFile.Open(Path.Combine(AppContext.BaseDirectory, "Fixtures", "ggml-reference.bin"));

    [Fact]
    public void A_file_written_by_gguf_cpp_is_read()
    {
        using var f = Open();
        Assert.Equal(3u, f.Version);
        Assert.Equal(512u, f.Metadata.GetUInt32("reference.n"));
        Assert.Equal(23, f.Tensors.Count);
        Assert.All(f.Tensors, t => Assert.Equal(512, t.ElementCount));
        Assert.Equal(GgmlType.Q4_K, f.GetTensor("q.q4_K").Type);
    }

    [Theory]
    [InlineData("q4_0")]
    [InlineData("q4_1")]
    [InlineData("q5_0")]
    [InlineData("q5_1")]
    [InlineData("q8_0")]
    [InlineData("q2_K")]
    [InlineData("q3_K")]
    [InlineData("q4_K")]
    [InlineData("q5_K")]
    [InlineData("q6_K")]
    public void Dequantization_matches_ggml_bit_for_bit(string type)
    {
        using var f = Open();
        var expected = f.ReadTensorAsFloat32("deq." + type);
        var actual = f.ReadTensorAsFloat32("q." + type);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, "q.q8_0")]
    [InlineData(GgmlType.F16, "f16")]
    [InlineData(GgmlType.BF16, "bf16")]
    public void Encoding_matches_ggml_byte_for_byte(GgmlType type, string reference)
    {
        using var f = Open();
        var input = f.ReadTensorAsFloat32("input");
        var encoded = new byte[GgmlEncoder.EncodedSize(type, input.Length)];
        GgmlEncoder.Encode(type, input, encoded);
        Assert.Equal(f.ReadTensorBytes(reference), encoded);
    }

    [Fact]
    public void Rewriting_the_reference_file_reproduces_it_byte_for_byte()
    {
        using var f = Open();
        var w = new GgufWriter();
        foreach (var (key, value) in f.Metadata) w.Add(key, value);
        foreach (var t in f.Tensors) w.CopyTensor(f, t);
        Assert.Equal(File.ReadAllBytes(f.Path), Samples.ToBytes(w));
    }
}

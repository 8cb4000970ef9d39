namespace Merlinite.Gguf.Tests;

public class GgufValueTests
{
    private static GgufMetadata Read(Action<GgufWriter> build)
    {
        var w = new GgufWriter();
        build(w);
        return GgufFile.FromMemory(Samples.ToBytes(w), "v.gguf").Metadata;
    }

    [Fact]
    public void Integer_accessors_widen_and_narrow_when_the_value_fits()
    {
        var m = Read(w =>
        {
            w.AddUInt8("u8", 200);
            w.AddInt64("i64small", -5);
            w.AddUInt64("u64small", 7);
        });
        Assert.Equal(200u, m["u8"].AsUInt32());
        Assert.Equal(200L, m["u8"].AsInt64());
        Assert.Equal(-5, m["i64small"].AsInt32());
        Assert.Equal(7, m["u64small"].AsInt32());
        Assert.Equal((ushort)7, m["u64small"].AsUInt16());
    }

    [Fact]
    public void Out_of_range_integers_throw_naming_the_key()
    {
        var m = Read(w =>
        {
            w.AddInt32("negative", -1);
            w.AddUInt64("huge", ulong.MaxValue);
        });
        var e1 = Assert.Throws<GgufFormatException>(() => m["negative"].AsUInt32());
        Assert.Contains("'negative'", e1.Message);
        Assert.Contains("-1", e1.Message);
        var e2 = Assert.Throws<GgufFormatException>(() => m["huge"].AsInt64());
        Assert.Contains("'huge'", e2.Message);
    }

    [Fact]
    public void Wrong_types_throw_GgufFormatException_naming_key_and_types()
    {
        var m = Read(w =>
        {
            w.AddUInt32("llama.block_count", 2);
            w.AddString("general.name", "x");
            w.AddFloat32Array("scores", [1f]);
            w.AddBool("flag", true);
        });
        var e = Assert.Throws<GgufFormatException>(() => m["llama.block_count"].AsString());
        Assert.Equal("metadata key 'llama.block_count' is a uint32, not a string", e.Message);
        e = Assert.Throws<GgufFormatException>(() => m["general.name"].AsUInt32());
        Assert.Contains("'general.name' is a string, not an integer", e.Message);
        e = Assert.Throws<GgufFormatException>(() => m["scores"].AsStringArray());
        Assert.Contains("'scores' is an array of float32, not an array of strings", e.Message);
        Assert.Throws<GgufFormatException>(() => m["scores"].AsInt32Array());
        Assert.Throws<GgufFormatException>(() => m["scores"].AsFloat32());
        Assert.Throws<GgufFormatException>(() => m["flag"].AsInt32());
        Assert.Throws<GgufFormatException>(() => m["general.name"].ArrayLength);
    }

    [Fact]
    public void Floats_accept_float64_and_integers_do_not_become_floats()
    {
        var m = Read(w =>
        {
            w.AddFloat64("f64", 0.25);
            w.AddFloat32("f32", 1.5f);
            w.AddUInt32("u32", 3);
        });
        Assert.Equal(0.25f, m["f64"].AsFloat32());
        Assert.Equal(1.5, m["f32"].AsFloat64());
        Assert.Throws<GgufFormatException>(() => m["u32"].AsFloat32());
    }

    [Fact]
    public void Missing_keys_throw_GgufFormatException_naming_file_and_key()
    {
        var m = Read(w => w.AddUInt32("a", 1));
        var e = Assert.Throws<GgufFormatException>(() => m["llama.block_count"]);
        Assert.Equal("v.gguf: metadata key 'llama.block_count' is missing", e.Message);
        Assert.False(m.TryGetValue("b", out _));
        Assert.Null(m.GetUInt32OrNull("b"));
    }

    [Fact]
    public void Returned_arrays_are_copies()
    {
        var value = GgufValue.FromArray([1, 2, 3]);
        value.AsInt32Array()[0] = 99;
        Assert.Equal(1, value.AsInt32Array()[0]);
    }

    [Fact]
    public void ToString_summarises_long_arrays()
    {
        var value = GgufValue.FromStringArray(Enumerable.Range(0, 512).Select(i => i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : "x"));
        Assert.Equal("[string; 512] \"<unk>\", \"<s>\", \"</s>\", ...", value.ToString());
        Assert.Equal("[int32; 3] 1, 2, 3", GgufValue.FromArray([1, 2, 3]).ToString());
        Assert.Equal("\"a\\nb\"", GgufValue.FromString("a\nb").ToString());
    }
}

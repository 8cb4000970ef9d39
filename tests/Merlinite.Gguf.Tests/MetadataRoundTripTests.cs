namespace Merlinite.Gguf.Tests;

public class MetadataRoundTripTests
{
    private static GgufFile RoundTrip(GgufWriter writer) => GgufFile.FromMemory(Samples.ToBytes(writer), "rt.gguf");

    [Fact]
    public void Every_scalar_type_round_trips_with_its_type_and_extreme_values()
    {
        var w = new GgufWriter();
        w.AddUInt8("u8", byte.MaxValue);
        w.AddInt8("i8", sbyte.MinValue);
        w.AddUInt16("u16", ushort.MaxValue);
        w.AddInt16("i16", short.MinValue);
        w.AddUInt32("u32", uint.MaxValue);
        w.AddInt32("i32", int.MinValue);
        w.AddUInt64("u64", ulong.MaxValue);
        w.AddInt64("i64", long.MinValue);
        w.AddFloat32("f32", -1.5e-7f);
        w.AddFloat64("f64", Math.PI);
        w.AddBool("yes", true);
        w.AddBool("no", false);
        w.AddString("s", "héllo ▁wörld \u0000 end");
        w.AddString("empty", "");

        using var f = RoundTrip(w);
        var m = f.Metadata;
        Assert.Equal(["u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "yes", "no", "s", "empty"], m.Keys);
        Assert.Equal(GgufValueType.UInt8, m["u8"].Type);
        Assert.Equal(byte.MaxValue, m["u8"].AsUInt8());
        Assert.Equal(GgufValueType.Int8, m["i8"].Type);
        Assert.Equal(sbyte.MinValue, m["i8"].AsInt8());
        Assert.Equal(GgufValueType.UInt16, m["u16"].Type);
        Assert.Equal(ushort.MaxValue, m["u16"].AsUInt16());
        Assert.Equal(GgufValueType.Int16, m["i16"].Type);
        Assert.Equal(short.MinValue, m["i16"].AsInt16());
        Assert.Equal(GgufValueType.UInt32, m["u32"].Type);
        Assert.Equal(uint.MaxValue, m["u32"].AsUInt32());
        Assert.Equal(GgufValueType.Int32, m["i32"].Type);
        Assert.Equal(int.MinValue, m["i32"].AsInt32());
        Assert.Equal(GgufValueType.UInt64, m["u64"].Type);
        Assert.Equal(ulong.MaxValue, m["u64"].AsUInt64());
        Assert.Equal(GgufValueType.Int64, m["i64"].Type);
        Assert.Equal(long.MinValue, m["i64"].AsInt64());
        Assert.Equal(GgufValueType.Float32, m["f32"].Type);
        Assert.Equal(BitConverter.SingleToInt32Bits(-1.5e-7f), BitConverter.SingleToInt32Bits(m["f32"].AsFloat32()));
        Assert.Equal(GgufValueType.Float64, m["f64"].Type);
        Assert.Equal(Math.PI, m["f64"].AsFloat64());
        Assert.True(m["yes"].AsBool());
        Assert.False(m["no"].AsBool());
        Assert.Equal("héllo ▁wörld \u0000 end", m["s"].AsString());
        Assert.Equal("", m["empty"].AsString());
    }

    [Fact]
    public void Arrays_of_every_element_type_round_trip()
    {
        var w = new GgufWriter();
        w.AddUInt8Array("u8", [0, 1, 255]);
        w.AddInt8Array("i8", [-128, 0, 127]);
        w.AddUInt16Array("u16", [0, 65535]);
        w.AddInt16Array("i16", [-32768, 32767]);
        w.AddUInt32Array("u32", [0, uint.MaxValue]);
        w.AddInt32Array("i32", [int.MinValue, -1, int.MaxValue]);
        w.AddUInt64Array("u64", [0, ulong.MaxValue]);
        w.AddInt64Array("i64", [long.MinValue, long.MaxValue]);
        w.AddFloat32Array("f32", [0.5f, float.NegativeInfinity, float.Epsilon]);
        w.AddFloat64Array("f64", [double.MaxValue, -0.25]);
        w.AddBoolArray("bool", [true, false, true]);
        w.AddStringArray("str", ["a", "", "ü"]);
        w.AddInt32Array("empty", []);

        using var f = RoundTrip(w);
        var m = f.Metadata;
        Assert.Equal(new byte[] { 0, 1, 255 }, m["u8"].AsUInt8Array());
        Assert.Equal(GgufValueType.Int8, m["i8"].ElementType);
        Assert.Equal(new long[] { -128, 0, 127 }, m["i8"].AsInt64Array());
        Assert.Equal(GgufValueType.UInt16, m["u16"].ElementType);
        Assert.Equal(new uint[] { 0, 65535 }, m["u16"].AsUInt32Array());
        Assert.Equal(GgufValueType.Int16, m["i16"].ElementType);
        Assert.Equal(new[] { -32768, 32767 }, m["i16"].AsInt32Array());
        Assert.Equal(new uint[] { 0, uint.MaxValue }, m["u32"].AsUInt32Array());
        Assert.Equal(new[] { int.MinValue, -1, int.MaxValue }, m["i32"].AsInt32Array());
        Assert.Equal(new ulong[] { 0, ulong.MaxValue }, m["u64"].AsUInt64Array());
        Assert.Equal(new[] { long.MinValue, long.MaxValue }, m["i64"].AsInt64Array());
        Assert.Equal(new[] { 0.5f, float.NegativeInfinity, float.Epsilon }, m["f32"].AsFloat32Array());
        Assert.Equal(new[] { double.MaxValue, -0.25 }, m["f64"].AsFloat64Array());
        Assert.Equal(new[] { true, false, true }, m["bool"].AsBoolArray());
        Assert.Equal(new[] { "a", "", "ü" }, m["str"].AsStringArray());
        Assert.Equal(GgufValueType.Int32, m["empty"].ElementType);
        Assert.Equal(0, m["empty"].ArrayLength);
    }

    [Fact]
    public void Nested_arrays_including_string_arrays_round_trip()
    {
        var w = new GgufWriter();
        w.AddNestedArray("merges_by_rank", [
            GgufValue.FromStringArray(["a b", "c d"]),
            GgufValue.FromStringArray([]),
            GgufValue.FromStringArray(["é f"]),
        ]);
        w.AddNestedArray("mixed", [
            GgufValue.FromArray([1, 2, 3]),
            GgufValue.FromNestedArray([GgufValue.FromArray([0.5f]), GgufValue.FromStringArray(["deep"])]),
        ]);

        using var f = RoundTrip(w);
        var merges = f.Metadata["merges_by_rank"];
        Assert.Equal(GgufValueType.Array, merges.ElementType);
        Assert.Equal(3, merges.ArrayLength);
        Assert.Equal(new[] { "a b", "c d" }, merges.GetElement(0).AsStringArray());
        Assert.Empty(merges.GetElement(1).AsStringArray());
        Assert.Equal(new[] { "é f" }, merges.GetElement(2).AsStringArray());

        var mixed = f.Metadata["mixed"];
        Assert.Equal(new[] { 1, 2, 3 }, mixed.GetElement(0).AsInt32Array());
        var inner = mixed.GetElement(1);
        Assert.Equal(GgufValueType.Array, inner.ElementType);
        Assert.Equal(new[] { 0.5f }, inner.GetElement(0).AsFloat32Array());
        Assert.Equal(new[] { "deep" }, inner.GetElement(1).AsStringArray());
        Assert.Equal("mixed[1][1]", inner.GetElement(1).Key);
    }

    [Fact]
    public void Metadata_can_be_copied_from_one_file_to_another_verbatim()
    {
        var original = Samples.ToBytes(Samples.SmallModel());
        using var source = GgufFile.FromMemory(original);
        var copy = new GgufWriter();
        foreach (var (key, value) in source.Metadata) copy.Add(key, value);
        foreach (var t in source.Tensors) copy.CopyTensor(source, t);

        Assert.Equal(original, Samples.ToBytes(copy));
    }

    [Fact]
    public void File_header_fields_are_exposed()
    {
        using var f = RoundTrip(Samples.SmallModel());
        Assert.Equal(3u, f.Version);
        Assert.Equal(32u, f.Alignment);
        Assert.Equal(8, f.Metadata.Count);
        Assert.Equal(4, f.Tensors.Count);
        Assert.Equal("llama", f.Metadata.GetString("general.architecture"));
        Assert.Equal(2u, f.Metadata.GetUInt32("llama.block_count"));
        Assert.Null(f.Metadata.GetStringOrDefault("general.missing"));
        Assert.Equal("tok5", f.Metadata["tokenizer.ggml.tokens"].AsStringArray()[5]);
    }
}

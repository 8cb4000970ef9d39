using System.Text.Json;

namespace Merlinite.Gguf.Tests;

public class GgufInfoTests
{
    private static GgufFile Sample() => GgufFile.FromMemory(Samples.ToBytes(Samples.SmallModel()), "sample.gguf");

    [Fact]
    public void Text_report_lists_header_metadata_and_tensor_table()
    {
        using var f = Sample();
        var text = GgufInfo.ToText(f);
        var lines = text.Split('\n');

        Assert.Contains("file:          sample.gguf", lines);
        Assert.Contains("GGUF version:  3", lines);
        Assert.Contains(lines, l => l.Contains("string   general.architecture = \"llama\""));
        Assert.Contains(lines, l => l.Contains("string   general.name = \"tiny \\\"test\\\" model\\nwith newline\""));
        Assert.Contains(lines, l => l.Contains("uint32   llama.block_count = 2"));
        Assert.Contains(lines, l => l.Contains("float32  llama.rope.freq_base = 10000"));
        Assert.Contains(lines, l => l.Contains("bool     tokenizer.ggml.add_bos_token = true"));
        Assert.Contains(lines, l => l.EndsWith("array    tokenizer.ggml.tokens = [string; 40] \"<unk>\", \"<s>\", \"</s>\", ..."));
        Assert.Contains(lines, l => l.Contains("tokenizer.ggml.scores = [float32; 40] 0, -0.5, -1, ..."));

        var header = lines.Single(l => l.TrimStart().StartsWith("# "));
        Assert.Matches(@"#\s+name\s+shape\s+type\s+bytes\s+offset\s+file offset", header);
        var q = lines.Single(l => l.Contains("blk.0.attn_q.weight"));
        Assert.Matches(@"^\s+2\s+blk\.0\.attn_q\.weight\s+\[64, 64\]\s+Q8_0\s+4352\s+0x1500\s+0x", q);
        Assert.Contains(lines, l => l.Contains("blk.0.ffn_up.weight") && l.Contains("[64, 8, 2]") && l.Contains("BF16"));
        Assert.Equal(2 + 4 + 1, lines.SkipWhile(l => !l.StartsWith("Tensors")).Count()); // title, header, 4 rows, final ""
    }

    [Fact]
    public void Full_text_report_prints_whole_arrays()
    {
        using var f = Sample();
        var line = GgufInfo.ToText(f, full: true).Split('\n').Single(l => l.Contains("tokenizer.ggml.tokens"));
        Assert.EndsWith("\"tok38\", \"tok39\"", line);
    }

    [Fact]
    public void Json_report_parses_and_holds_metadata_and_tensors()
    {
        using var f = Sample();
        using var doc = JsonDocument.Parse(GgufInfo.ToJson(f));
        var root = doc.RootElement;
        Assert.Equal("sample.gguf", root.GetProperty("path").GetString());
        Assert.Equal(3, root.GetProperty("version").GetInt32());
        Assert.Equal(f.DataOffset, root.GetProperty("data_offset").GetInt64());

        var meta = root.GetProperty("metadata");
        Assert.Equal(8, meta.EnumerateObject().Count());
        Assert.Equal("llama", meta.GetProperty("general.architecture").GetProperty("value").GetString());
        Assert.Equal("uint32", meta.GetProperty("llama.block_count").GetProperty("type").GetString());
        Assert.Equal(2, meta.GetProperty("llama.block_count").GetProperty("value").GetInt32());
        Assert.Equal(10000f, meta.GetProperty("llama.rope.freq_base").GetProperty("value").GetSingle());
        var tokens = meta.GetProperty("tokenizer.ggml.tokens");
        Assert.Equal("array", tokens.GetProperty("type").GetString());
        Assert.Equal("string", tokens.GetProperty("element_type").GetString());
        Assert.Equal(40, tokens.GetProperty("count").GetInt32());
        Assert.Equal(GgufInfo.DefaultMaxArrayElements, tokens.GetProperty("value").GetArrayLength());
        Assert.True(tokens.GetProperty("truncated").GetBoolean());
        Assert.Equal("<s>", tokens.GetProperty("value")[1].GetString());

        var tensors = root.GetProperty("tensors");
        Assert.Equal(4, tensors.GetArrayLength());
        var q = tensors[2];
        Assert.Equal("blk.0.attn_q.weight", q.GetProperty("name").GetString());
        Assert.Equal(new long[] { 64, 64 }, q.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("Q8_0", q.GetProperty("type").GetString());
        Assert.Equal(8, q.GetProperty("type_id").GetInt32());
        Assert.Equal(4352, q.GetProperty("bytes").GetInt64());
        Assert.Equal(f.Tensors[2].FileOffset, q.GetProperty("file_offset").GetInt64());
    }

    [Fact]
    public void Full_json_has_whole_arrays_and_non_finite_floats_stay_valid_json()
    {
        var w = new GgufWriter();
        w.AddFloat32("nan", float.NaN);
        w.AddFloat64Array("inf", [double.PositiveInfinity, double.NegativeInfinity, 1.5]);
        w.AddStringArray("many", Enumerable.Range(0, 100).Select(i => $"<{i}>"));
        w.AddNestedArray("nested", [GgufValue.FromArray([1, 2]), GgufValue.FromStringArray(["x"])]);
        using var f = GgufFile.FromMemory(Samples.ToBytes(w));
        using var doc = JsonDocument.Parse(GgufInfo.ToJson(f, full: true));
        var meta = doc.RootElement.GetProperty("metadata");
        Assert.Equal("NaN", meta.GetProperty("nan").GetProperty("value").GetString());
        Assert.Equal("-Infinity", meta.GetProperty("inf").GetProperty("value")[1].GetString());
        Assert.Equal(1.5, meta.GetProperty("inf").GetProperty("value")[2].GetDouble());
        Assert.Equal(100, meta.GetProperty("many").GetProperty("value").GetArrayLength());
        Assert.Equal("<99>", meta.GetProperty("many").GetProperty("value")[99].GetString());
        Assert.False(meta.GetProperty("many").TryGetProperty("truncated", out _));
        var nested = meta.GetProperty("nested").GetProperty("value");
        Assert.Equal("int32", nested[0].GetProperty("element_type").GetString());
        Assert.Equal(2, nested[0].GetProperty("value")[1].GetInt32());
        Assert.Equal("x", nested[1].GetProperty("value")[0].GetString());
    }

    [Fact]
    public void Reports_handle_files_without_tensors()
    {
        var w = new GgufWriter();
        w.AddString("general.name", "empty");
        using var f = GgufFile.FromMemory(Samples.ToBytes(w));
        Assert.Contains("Tensors (0):", GgufInfo.ToText(f));
        using var doc = JsonDocument.Parse(GgufInfo.ToJson(f));
        Assert.Equal(0, doc.RootElement.GetProperty("tensors").GetArrayLength());
    }
}

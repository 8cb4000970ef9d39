using Merlinite.Engine.Data;

namespace Merlinite.Engine.Tests.Data;

/// <summary>Input JSONL is read strictly: what the user wrote is what gets scored, trained or sampled.</summary>
public sealed class JsonLinesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-jsonl-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(byte[] bytes)
    {
        string path = Path.Combine(_dir, "in.jsonl");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Invalid_utf8_is_refused_with_line_and_byte_offset_instead_of_being_replaced()
    {
        var bytes = "{\"id\":\"a\",\"prompt\":\"ok\"}\n{\"id\":\"b\",\"prompt\":\"x"u8.ToArray().Concat(new byte[] { 0xC3, 0x28 }).Concat("\"}\n"u8.ToArray()).ToArray();
        var e = Assert.Throws<InputFormatException>(() => PromptFile.Read(Write(bytes), null));
        Assert.Contains("in.jsonl:2: not valid UTF-8 at byte 46 of the file (column 22 of the line)", e.Message);
    }

    [Fact]
    public void A_line_number_standing_in_for_an_id_cannot_collide_with_an_explicit_id()
    {
        var e = Assert.Throws<InputFormatException>(() => PromptFile.Read(Write("{\"prompt\":\"a\"}\n{\"id\":\"1\",\"prompt\":\"b\"}\n"u8.ToArray()), null));
        Assert.Contains("in.jsonl:2: id '1' is also the id of line 1", e.Message);
        Assert.Contains("known by its line number", e.Message);
        e = Assert.Throws<InputFormatException>(() => PromptFile.Read(Write("{\"id\":7,\"prompt\":\"a\"}\n{\"id\":\"7\",\"prompt\":\"b\"}\n"u8.ToArray()), null));
        Assert.Contains(":2: id '7' is also the id of line 1", e.Message);
    }

    [Fact]
    public void A_byte_order_mark_and_crlf_line_ends_are_accepted()
    {
        var items = PromptFile.Read(Write("\uFEFF{\"id\":\"a\",\"prompt\":\"x\"}\r\n{\"id\":\"b\",\"prompt\":\"y\"}\r\n"u8.ToArray()), null);
        Assert.Equal(["a", "b"], items.Select(i => i.Id));
        Assert.Equal("x", items[0].Messages[^1].Content);
    }

    [Fact]
    public void A_folder_an_empty_file_and_an_empty_id_are_clear_errors()
    {
        Assert.Contains("is a folder", Assert.Throws<InputFormatException>(() => PromptFile.Read(_dir, null)).Message);
        Assert.Contains("no items", Assert.Throws<InputFormatException>(() => PromptFile.Read(Write("\n \n"u8.ToArray()), null)).Message);
        Assert.Contains("in.jsonl:1: \"id\" must be a non-empty string", Assert.Throws<InputFormatException>(() => PromptFile.Read(Write("{\"id\":\"\",\"prompt\":\"x\"}"u8.ToArray()), null)).Message);
    }

    [Fact]
    public void Sample_files_and_preference_pairs_read_as_score_pairs()
    {
        string samples = Write("""
            {"id":"p","messages":[{"role":"user","content":"q"}],"prompt_tokens":3,"samples":[{"index":0,"seed":1,"text":"a","finish_reason":"stop","tokens":1},{"index":1,"seed":2,"text":"b","finish_reason":"length","tokens":1}]}
            {"id":"r","prompt":"q2","chosen":"good","rejected":"bad"}
            """u8.ToArray());
        var pairs = PairFile.ReadScorePairs(samples, null);
        Assert.Equal(["p#0", "p#1", "r/chosen", "r/rejected"], pairs.Select(p => p.Id));
        Assert.Equal(["a", "b", "good", "bad"], pairs.Select(p => p.Response));
        Assert.Equal("q", pairs[0].Prompt.Single().Content);
    }
}

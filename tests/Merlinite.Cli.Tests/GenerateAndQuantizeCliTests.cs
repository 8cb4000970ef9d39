using System.Text.Json;

namespace Merlinite.Cli.Tests;

public class GenerateAndQuantizeCliTests
{
    [Fact]
    public void Generate_writes_one_completion_per_prompt_line()
    {
        using var dir = new TempDir();
        var model = dir.File("m.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", model).ExitCode);
        File.WriteAllText(dir.File("in.jsonl"),
            "{\"id\":\"a\",\"prompt\":\"hello\"}\n\n" +
            "{\"id\":\"b\",\"messages\":[{\"role\":\"user\",\"content\":\"sort 3 1 2\"}]}\n");
        var r = MerliniteBinary.Run("generate", "-m", model, "-i", dir.File("in.jsonl"), "--out", dir.File("out.jsonl"), "--max-tokens", "8", "--seed", "3");
        Assert.Equal(0, r.ExitCode);
        var lines = File.ReadAllLines(dir.File("out.jsonl"));
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("a", first.RootElement.GetProperty("id").GetString());
        Assert.True(first.RootElement.GetProperty("completion_tokens").GetInt32() is > 0 and <= 8);
        Assert.False(File.Exists(dir.File("out.jsonl.partial")));
    }

    [Fact]
    public void A_malformed_prompt_line_names_the_line_and_leaves_no_output()
    {
        using var dir = new TempDir();
        var model = dir.File("m.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", model).ExitCode);
        File.WriteAllText(dir.File("in.jsonl"), "{\"id\":\"a\",\"prompt\":\"hello\"}\n{\"id\":\"b\",\"prompt\":\n");
        var r = MerliniteBinary.Run("generate", "-m", model, "-i", dir.File("in.jsonl"), "--out", dir.File("out.jsonl"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("in.jsonl:2:", r.Stderr);
        Assert.False(File.Exists(dir.File("out.jsonl")));
        Assert.False(File.Exists(dir.File("out.jsonl.partial")));
    }

    [Fact]
    public void Quantize_to_q8_0_gives_a_smaller_model_that_llama_cpp_loads()
    {
        using var dir = new TempDir();
        var model = dir.File("m.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", model).ExitCode);
        var q = MerliniteBinary.Run("quantize", "-m", model, "-o", dir.File("q.gguf"), "--type", "q8_0");
        Assert.Equal(0, q.ExitCode);
        Assert.True(new FileInfo(dir.File("q.gguf")).Length < new FileInfo(model).Length);
        var info = MerliniteBinary.Run("gguf", "info", dir.File("q.gguf"));
        Assert.Contains("Q8_0", info.Stdout);
        var chat = MerliniteBinary.Run("chat", dir.File("q.gguf"), "-p", "hi", "--max-tokens", "4");
        Assert.Equal(0, chat.ExitCode);
    }
}

namespace Merlinite.Cli.Tests;

public class GgufInfoCliTests
{
    [Fact]
    public void Info_on_a_synthesized_model_shows_metadata_and_tensors()
    {
        using var dir = new TempDir();
        var model = dir.File("m.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--arch", "mixtral", "--seed", "3", "--out", model).ExitCode);
        var r = MerliniteBinary.Run("gguf", "info", model);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("general.architecture", r.Stdout);
        Assert.Contains("llama.expert_count", r.Stdout);
        Assert.Contains("blk.0.ffn_gate_exps.weight", r.Stdout);

        var j = MerliniteBinary.Run("gguf", "info", model, "--json");
        Assert.Equal(0, j.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(j.Stdout);
        Assert.Equal(JsonArrayOf(doc.RootElement, "tensors"), r.Stdout.Split('\n').Count(l => l.Contains(".weight")));
    }

    [Fact]
    public void Info_starts_with_a_summary_of_what_the_file_is()
    {
        using var dir = new TempDir();
        string model = dir.File("q8.gguf"), adapter = dir.File("a.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--arch", "mixtral", "--type", "q8_0", "--seed", "3", "--out", model).ExitCode);
        var lines = MerliniteBinary.Run("gguf", "info", model).Stdout.Split('\n');
        Assert.StartsWith("summary:       llama model", lines[0]);
        Assert.Contains("experts (2 used)", lines[0]);
        Assert.Contains("trained context", lines[0]);
        Assert.StartsWith("weights:       Q8_0 (general.file_type 7); tensors Q8_0 ×", lines[1]);

        AdapterFixture.Write(adapter, width: 64, rank: 4);
        Assert.StartsWith("summary:       LoRA adapter for a llama model: rank 4, alpha 8, 1 adapted weight, 512 parameters",
            MerliniteBinary.Run("gguf", "info", adapter).Stdout);
    }

    private static int JsonArrayOf(System.Text.Json.JsonElement root, string name) => root.GetProperty(name).GetArrayLength();

    [Fact]
    public void A_truncated_copy_is_a_clear_error_with_exit_1()
    {
        using var dir = new TempDir();
        var model = dir.File("m.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", model).ExitCode);
        var bytes = File.ReadAllBytes(model);
        foreach (var cut in new[] { 3, 100, bytes.Length / 3, bytes.Length - 10 })
        {
            var truncated = dir.File($"cut{cut}.gguf");
            File.WriteAllBytes(truncated, bytes[..cut]);
            var r = MerliniteBinary.Run("gguf", "info", truncated);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains($"cut{cut}.gguf", r.Stderr);
            Assert.DoesNotContain("   at ", r.Stderr); // a message, not a stack trace
        }
    }

    [Fact]
    public void A_truncated_model_fails_to_load_in_chat_with_exit_1()
    {
        using var dir = new TempDir();
        var model = dir.File("m.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", model).ExitCode);
        var bytes = File.ReadAllBytes(model);
        File.WriteAllBytes(model, bytes[..(bytes.Length / 2)]);
        var r = MerliniteBinary.Run("chat", model, "-p", "hi");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("m.gguf", r.Stderr);
    }
}

using System.Security.Cryptography;
using Snapshooter.Xunit;

namespace Merlinite.Cli.Tests;

/// <summary>
/// The foundation's determinism promise: the same synth seed gives the same file on every machine, and chat with
/// the same seed in the reproducible mode prints the same bytes on every x86-64-v3 CPU and thread count. Snapshots
/// pin both, so a change in either shows up as a diff.
/// </summary>
public class ChatSnapshotTests
{
    [Fact]
    public void Synth_tiny_seed_1_then_chat_seed_7_prints_pinned_bytes()
    {
        using var dir = new TempDir();
        var model = dir.File("t.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--preset", "tiny", "--seed", "1", "--out", model).ExitCode);

        string[] chat = ["chat", model, "-p", "hi", "--seed", "7", "--max-tokens", "20", "--reproducible"];
        var first = MerliniteBinary.Run(chat);
        var second = MerliniteBinary.Run([.. chat, "--threads", "1"]);
        Assert.Equal(0, first.ExitCode);
        Assert.Equal(first.Stdout, second.Stdout);

        Snapshot.Match(new
        {
            ModelSha256 = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(model))),
            ChatStdoutUtf8Hex = Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(first.Stdout)),
            ChatStdout = first.Stdout,
        });
    }

    [Fact]
    public void Piped_stdin_is_the_prompt_and_json_output_reports_the_finish()
    {
        using var dir = new TempDir();
        var model = dir.File("t.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", model).ExitCode);
        var piped = MerliniteBinary.RunWithInput("hi\n", "chat", model, "--seed", "7", "--max-tokens", "20");
        var flag = MerliniteBinary.Run("chat", model, "-p", "hi", "--seed", "7", "--max-tokens", "20");
        Assert.Equal(flag.Stdout, piped.Stdout);

        var json = MerliniteBinary.Run("chat", model, "-p", "hi", "--seed", "7", "--max-tokens", "20", "--json");
        using var doc = System.Text.Json.JsonDocument.Parse(json.Stdout);
        Assert.Equal(flag.Stdout.TrimEnd('\n'), doc.RootElement.GetProperty("text").GetString());
        Assert.Equal(20, doc.RootElement.GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", doc.RootElement.GetProperty("finish_reason").GetString());
    }
}

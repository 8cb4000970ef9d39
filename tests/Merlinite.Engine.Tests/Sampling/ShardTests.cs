using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Tests.Sampling;

/// <summary>Sampling split into shards on the block grid: the shards' outputs, joined in order, are the one-process
/// output byte for byte, for any number of shards.</summary>
[Collection("tiny models")]
public sealed class ShardTests(TinyModels models) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-shards-").FullName;

    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private SampleJob Job(string output) => new(new ModelSpec(models.Mistral), Path.Combine(_dir, "prompts.jsonl"), output, new SampleSettings
    {
        N = 2, Parallel = 8, Sampler = new() { Temperature = 1.0f, MaxTokens = 8, Seed = 11 },
        Runtime = new RuntimeSettings { Context = 2048, Threads = 1 },
    });

    [Fact]
    public void Shards_joined_in_order_equal_the_one_process_output_byte_for_byte()
    {
        // 150 prompts: three blocks of the sampler's grid (64 + 64 + 22), so 2, 3 and 4 shards all cut differently.
        File.WriteAllLines(Path.Combine(_dir, "prompts.jsonl"), Enumerable.Range(0, 150).Select(i => $"{{\"id\":\"p{i}\",\"prompt\":\"{new string('w', i % 7)} task {i}\"}}"));
        string whole = Path.Combine(_dir, "whole.jsonl");
        Job(whole).Run(ReusePolicy.ResumeOrRecompute, null, default);
        byte[] expected = File.ReadAllBytes(whole);
        Assert.Equal(150, File.ReadAllLines(whole).Length);

        foreach (int n in new[] { 2, 3, 4 })
        {
            string merged = Path.Combine(_dir, $"merged-{n}.jsonl");
            // Shards in reverse order: which one finishes first must not matter.
            foreach (int k in Enumerable.Range(0, n).Reverse())
            {
                var shard = new Shard(k, n);
                (Job(ShardMerge.ShardPath(merged, shard)) with { Shard = shard }).Run(ReusePolicy.ResumeOrRecompute, null, default);
            }
            ShardMerge.Concatenate(merged, n);
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(merged)), $"{n} shards joined differ from one process");
        }
    }

    [Fact]
    public void A_missing_shard_is_named_and_nothing_is_written()
    {
        string merged = Path.Combine(_dir, "m.jsonl");
        File.WriteAllText(ShardMerge.ShardPath(merged, new Shard(0, 2)), "{\"id\":\"a\"}\n");
        var e = Assert.Throws<FileNotFoundException>(() => ShardMerge.Concatenate(merged, 2));
        Assert.Contains("m.shard-1-of-2.jsonl", e.Message);
        Assert.False(File.Exists(merged));
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/4", 3, 4)]
    public void K_of_N_parses(string text, int k, int n) => Assert.Equal(new Shard(k, n), Shard.Parse(text));

    [Theory]
    [InlineData("4/4")]
    [InlineData("-1/2")]
    [InlineData("1/0")]
    [InlineData("1")]
    [InlineData("a/b")]
    public void A_bad_shard_is_refused(string text) => Assert.Throws<SettingException>(() => Shard.Parse(text));
}

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
        N = 2, Parallel = 8, Sampling = new() { Temperature = 1.0f, MaxTokens = 8, Seed = 11 },
        Runtime = new RuntimeSettings { Context = 2048, Threads = 1 },
    });

    [Fact]
    public void Shards_joined_in_order_equal_the_one_process_output_byte_for_byte()
    {
        // 150 prompts: three blocks of the sampler's grid (64 + 64 + 22), so 2, 3 and 4 shards all cut differently.
        File.WriteAllLines(Path.Combine(_dir, "prompts.jsonl"), Enumerable.Range(0, 150).Select(i => $"{{\"id\":\"p{i}\",\"prompt\":\"{new string('w', i % 7)} task {i}\"}}"));
        string whole = Path.Combine(_dir, "whole.jsonl");
        Job(whole).Run(ReuseRule.ResumeOrRecompute, null, default);
        byte[] expected = File.ReadAllBytes(whole);
        Assert.Equal(150, File.ReadAllLines(whole).Length);

        foreach (int n in new[] { 2, 3, 4 })
        {
            string merged = Path.Combine(_dir, $"merged-{n}.jsonl");
            // Shards in reverse order: which one finishes first must not matter.
            foreach (int k in Enumerable.Range(0, n).Reverse())
                Job(merged).ForShard(new Shard(k, n)).Run(ReuseRule.ResumeOrRecompute, null, default);
            ShardMerge.Join(n, [.. Job(merged).ShardedOutputs()]);
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(merged)), $"{n} shards joined differ from one process");
            Assert.Empty(Directory.GetFiles(_dir, $"merged-{n}.shard-*"));
            // The join carries the one-process record: the one-process job finds its output complete.
            Assert.True(Job(merged).Run(ReuseRule.ResumeOrRefuse, null, default).UpToDate);
        }
    }

    private RewardJob Reward(string samples, string output) => new(new ModelSpec(models.Mistral), new ModelSpec(models.Mixtral), samples, output,
        new RewardSettings { Template = Chat.ChatTemplate.Merlinite, Scoring = new ScoringSettings { Parallel = 4, Batch = 256, Runtime = new RuntimeSettings { Threads = 1 } } });

    [Fact]
    public void Reward_shards_joined_equal_the_one_process_rewards_and_score_files_byte_for_byte()
    {
        // 160 prompts x 2 answers = 320 pairs: five blocks of the scorer's 64, so 2 and 3 shards cut inside the file.
        File.WriteAllLines(Path.Combine(_dir, "prompts.jsonl"), Enumerable.Range(0, 160).Select(i => $"{{\"id\":\"p{i}\",\"prompt\":\"task {i}\"}}"));
        string samples = Path.Combine(_dir, "samples.jsonl");
        Job(samples).Run(ReuseRule.ResumeOrRecompute, null, default);
        var whole = Reward(samples, Path.Combine(_dir, "rewards.jsonl"));
        whole.Run(ReuseRule.ResumeOrRecompute, null, default);
        foreach (int n in new[] { 2, 3 })
        {
            var job = Reward(samples, Path.Combine(_dir, $"rewards-{n}.jsonl"));
            foreach (int k in Enumerable.Range(0, n).Reverse()) job.ForShard(new Shard(k, n)).Run(ReuseRule.ResumeOrRecompute, null, default);
            ShardMerge.Join(n, [.. job.ShardedOutputs()]);
            foreach (var (one, joined) in new[] { (whole.Output, job.Output), (whole.InstructScores, job.InstructScores), (whole.ReferenceScores, job.ReferenceScores) })
                Assert.True(File.ReadAllBytes(one.Path).AsSpan().SequenceEqual(File.ReadAllBytes(joined.Path)), $"{joined.Name} differs from {one.Name}");
            Assert.Equal(320, File.ReadAllLines(job.Out).Length);
            Assert.Empty(Directory.GetFiles(_dir, $"rewards-{n}.shard-*"));
        }
    }

    [Fact]
    public void A_shard_given_no_pairs_is_complete_and_a_rerun_keeps_it()
    {
        // 10 pairs are one block of the scorer's grid: one of 2 shards gets none. A rerun after an interrupted run
        // finds its empty output complete and up to date (it once failed reading it back: "no items").
        File.WriteAllLines(Path.Combine(_dir, "prompts.jsonl"), Enumerable.Range(0, 5).Select(i => $"{{\"id\":\"p{i}\",\"prompt\":\"task {i}\"}}"));
        string samples = Path.Combine(_dir, "samples.jsonl");
        Job(samples).Run(ReuseRule.ResumeOrRecompute, null, default);
        var shards = Enumerable.Range(0, 2).Select(k => Reward(samples, Path.Combine(_dir, "few.jsonl")).ForShard(new Shard(k, 2))).ToList();
        var first = shards.Select(s => s.Run(ReuseRule.ResumeOrRecompute, null, default).Rewards.Count).ToList();
        Assert.Equal([0, 10], first.Order());
        foreach (var shard in shards)
        {
            var (rewards, result) = shard.Run(ReuseRule.ResumeOrRecompute, null, default);
            Assert.True(result.UpToDate);
            Assert.Contains(rewards.Count, first);
        }
    }

    [Fact]
    public void A_missing_or_stale_shard_is_named_and_nothing_is_written()
    {
        File.WriteAllLines(Path.Combine(_dir, "prompts.jsonl"), Enumerable.Range(0, 70).Select(i => $"{{\"id\":\"p{i}\",\"prompt\":\"task {i}\"}}"));
        string merged = Path.Combine(_dir, "m.jsonl");
        Job(merged).ForShard(new Shard(0, 2)).Run(ReuseRule.ResumeOrRecompute, null, default);
        var e = Assert.Throws<InvalidOperationException>(() => ShardMerge.Join(2, [.. Job(merged).ShardedOutputs()]));
        Assert.Contains("shard 1/2 has not finished m.shard-1-of-2.jsonl: the file is not there", e.Message);
        Assert.False(File.Exists(merged));
        Assert.False(File.Exists(merged + ".meta.json"));

        // Shard 1 made with another seed (an edited recipe whose shard task never ran again): refused, not joined.
        var other = Job(merged) with { Settings = Job(merged).Settings with { Sampling = Job(merged).Settings.Sampling with { Seed = 12 } } };
        other.ForShard(new Shard(1, 2)).Run(ReuseRule.ResumeOrRecompute, null, default);
        e = Assert.Throws<InvalidOperationException>(() => ShardMerge.Join(2, [.. Job(merged).ShardedOutputs()]));
        Assert.Contains("made by different settings", e.Message);
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

using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Sampling;
using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Tests.Jobs;

/// <summary>Best-of-N selection is a pure function of the samples and their rewards.
/// Figures are compared to 12 places: a handful of double operations on values near 1 round by about 10^-15.
/// </summary>
public class SelectionTests
{
    private static SampledPrompt Prompt(string id, int samples) => new(id, null, [ChatMessage.User(id)], 1,
        Enumerable.Range(0, samples).Select(i => new SampleOutput(i, 0, $"{id}-{i}", FinishReason.Stop, 1)).ToList());

    private static RewardResult R(string id, double reward) => new(id, reward, 0, 0, 1, null);

    [Fact]
    public void The_best_sample_wins_ties_go_to_the_lowest_index_and_unscored_samples_take_no_part()
    {
        var prompts = new[] { Prompt("a", 3), Prompt("b", 2), Prompt("c", 2) };
        var rewards = new[]
        {
            R("a#0", 1), R("a#1", 3), R("a#2", 3),
            R("b#0", -1), new RewardResult("b#1", 0, 0, 0, 0, "too long"),
            new RewardResult("c#0", 0, 0, 0, 0, "too long"), new RewardResult("c#1", 0, 0, 0, 0, "too long"),
        };
        var (winners, stats) = Selection.BestOfN(prompts, rewards, new SelectionRule());
        Assert.Equal([("a", 1, "a-1"), ("b", 0, "b-0")], winners.Select(w => (w.PromptId, w.Sample, w.Response)));
        Assert.Equal(3, stats.Prompts);
        Assert.Equal(7, stats.Samples);
        Assert.Equal((3 + -1) / 2.0, stats.BatchReward, 12);
        Assert.Equal((1 + 3 + 3 - 1) / 4.0, stats.MeanReward, 12);
        double mean = 1.5, variance = new[] { 1.0, 3, 3, -1 }.Sum(x => (x - mean) * (x - mean)) / 3;
        Assert.Equal(Math.Sqrt(variance), stats.RewardSpread, 12);
        Assert.Equal(2 / 3.0, stats.AcceptanceRate, 12);
    }

    [Fact]
    public void Min_reward_and_min_margin_reject_winners_without_changing_the_batch_reward()
    {
        var prompts = new[] { Prompt("a", 2), Prompt("b", 2) };
        var rewards = new[] { R("a#0", 5), R("a#1", 4), R("b#0", 1), R("b#1", -3) };
        var (byReward, s1) = Selection.BestOfN(prompts, rewards, new SelectionRule { MinReward = 2 });
        Assert.Equal(["a"], byReward.Select(w => w.PromptId));
        var (byMargin, s2) = Selection.BestOfN(prompts, rewards, new SelectionRule { MinMargin = 1 });
        Assert.Equal(["b"], byMargin.Select(w => w.PromptId)); // a: 5 - 4.5 = 0.5 < 1; b: 1 - (-1) = 2
        Assert.Equal(3, s1.BatchReward, 12);
        Assert.Equal(s1.BatchReward, s2.BatchReward);
        Assert.Equal(0.5, s2.AcceptanceRate);
    }

    [Fact]
    public void Nothing_scored_gives_no_winners_and_a_nan_batch_reward()
    {
        var (winners, stats) = Selection.BestOfN([Prompt("a", 1)], [], new SelectionRule());
        Assert.Empty(winners);
        Assert.True(double.IsNaN(stats.BatchReward));
        Assert.Equal(0, stats.AcceptanceRate);
    }

    [Fact]
    public void Winners_are_written_as_sft_examples_that_read_back_as_pairs()
    {
        string path = Path.Combine(Path.GetTempPath(), $"winners-{Guid.NewGuid():N}.jsonl");
        try
        {
            File.WriteAllText(path, WinnerFile.Format(new Winner("a", 2, [ChatMessage.User("q")], "answer", 1.23456789)) + "\n");
            Assert.Equal("{\"id\":\"a\",\"sample\":2,\"reward\":1.234568,\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"answer\"}]}\n", File.ReadAllText(path));
            var pair = Assert.Single(PairFile.ReadScorePairs(path, null));
            Assert.Equal(("a", "answer"), (pair.Id, pair.Response));
        }
        finally { File.Delete(path); }
    }
}

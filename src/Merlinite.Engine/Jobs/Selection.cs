using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Jobs;

/// <summary>Which best sample of a prompt is good enough to train on (a recipe's selection section).</summary>
public sealed record SelectionRule
{
    /// <summary>A winner needs at least this reward; null: any.</summary>
    public double? MinReward { get; init; }
    /// <summary>A winner needs this much more than the mean reward of its prompt's samples; null: any.</summary>
    public double? MinMargin { get; init; }

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return MinMargin is double m ? Require.AtLeast("min_margin", m, 0) : null;
        yield return MinReward is double r && !double.IsFinite(r) ? new SettingProblem("min_reward", "must be a finite number") : null;
    }
}

/// <summary>The sample chosen for one prompt: what the policy is fine-tuned on.</summary>
public sealed record Winner(string PromptId, int Sample, IReadOnlyList<ChatMessage> Messages, string Response, double Reward);

/// <summary>The reward figures of one round of samples.</summary>
public sealed record SelectionStats(
    int Prompts,
    int Samples,
    /// <summary>Mean over prompts of the best sample's reward: the Merlinite card's "batch reward".</summary>
    double BatchReward,
    double MeanReward,
    /// <summary>Standard deviation of all sample rewards.</summary>
    double RewardSpread,
    /// <summary>Share of prompts whose best sample passed the rule.</summary>
    double AcceptanceRate);

/// <summary>Best-of-N selection as a pure function of the samples and their rewards.</summary>
public static class Selection
{
    /// <summary>
    /// Per prompt, the sample with the highest reward (ties: the lowest sample index); samples that could not be scored
    /// take no part. The winner is kept if it passes <paramref name="rule"/>. Prompts keep their file order.
    /// </summary>
    public static (IReadOnlyList<Winner> Winners, SelectionStats Stats) BestOfN(
        IReadOnlyList<SampledPrompt> prompts, IReadOnlyList<RewardResult> rewards, SelectionRule rule)
    {
        var byId = rewards.Where(r => r.Ok && double.IsFinite(r.Reward)).ToDictionary(r => r.Id, r => r.Reward, StringComparer.Ordinal);
        var winners = new List<Winner>();
        var best = new List<double>();
        var all = new List<double>();
        int samples = 0;
        foreach (var prompt in prompts)
        {
            samples += prompt.Samples.Count;
            var scored = prompt.Samples
                .Select(s => (Sample: s, Found: byId.TryGetValue(PairFile.SampleId(prompt.Id, s.Index), out double r), Reward: r))
                .Where(x => x.Found).ToList();
            if (scored.Count == 0) continue;
            all.AddRange(scored.Select(x => x.Reward));
            var top = scored.OrderByDescending(x => x.Reward).ThenBy(x => x.Sample.Index).First();
            best.Add(top.Reward);
            double mean = scored.Average(x => x.Reward);
            bool ok = (rule.MinReward is not double minR || top.Reward >= minR) && (rule.MinMargin is not double minM || top.Reward - mean >= minM);
            if (ok) winners.Add(new Winner(prompt.Id, top.Sample.Index, prompt.Messages, top.Sample.Text, top.Reward));
        }
        double avg = all.Count == 0 ? double.NaN : all.Average();
        double spread = all.Count < 2 ? 0 : Math.Sqrt(all.Sum(x => (x - avg) * (x - avg)) / (all.Count - 1));
        var stats = new SelectionStats(prompts.Count, samples, best.Count == 0 ? double.NaN : best.Average(), avg, spread,
            prompts.Count == 0 ? 0 : (double)winners.Count / prompts.Count);
        return (winners, stats);
    }
}

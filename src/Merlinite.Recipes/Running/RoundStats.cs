using System.Globalization;
using Merlinite.Engine.Jobs;

namespace Merlinite.Recipes.Running;

/// <summary>The figures of one round: the policy of that round sampled, scored and (except the last) trained on.</summary>
public sealed record RoundStats(
    int Round,
    int Prompts,
    int Samples,
    /// <summary>Mean over prompts of the best sample's reward: the seed's "batch reward".</summary>
    double BatchReward,
    double MeanReward,
    /// <summary>Standard deviation of all sample rewards.</summary>
    double RewardSpread,
    /// <summary>Share of prompts whose best sample passed the selection rule.</summary>
    double AcceptanceRate,
    double? SftLoss,
    double? HeldOutAccuracy,
    /// <summary>Share of this round's samples (temperature as configured) whose text is the prompt's "answer".</summary>
    double? SampleAccuracy = null)
{
    public static RoundStats From(int round, SelectionStats s, double? sampleAccuracy, double? heldOutAccuracy, double? sftLoss) =>
        new(round, s.Prompts, s.Samples, s.BatchReward, s.MeanReward, s.RewardSpread, s.AcceptanceRate, sftLoss, heldOutAccuracy, sampleAccuracy);

    /// <summary>The line the runner prints when the round is done.</summary>
    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"round {Round}: batch reward {BatchReward:F4}, mean {MeanReward:F4}, spread {RewardSpread:F4}, accepted {AcceptanceRate:P0}" +
        $"{(SftLoss is double l ? $", sft loss {l:F4}" : "")}{(SampleAccuracy is double sa ? $", samples right {sa:P1}" : "")}{(HeldOutAccuracy is double a ? $", held-out accuracy {a:P1}" : "")}");
}

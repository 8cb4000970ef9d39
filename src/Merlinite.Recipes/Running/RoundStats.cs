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
    double? SampleAccuracy = null);

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
    /// <summary>The headline score of each eval task on this round's policy.</summary>
    public IReadOnlyList<EvalScore> Evals { get; init; } = [];

    public static RoundStats From(int round, SelectionStats s, double? sampleAccuracy, double? heldOutAccuracy, double? sftLoss) =>
        new(round, s.Prompts, s.Samples, s.BatchReward, s.MeanReward, s.RewardSpread, s.AcceptanceRate, sftLoss, heldOutAccuracy, sampleAccuracy);

    /// <summary>The line the runner prints when the round is done.</summary>
    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"round {Round}: batch reward {BatchReward:F4}, mean {MeanReward:F4}, spread {RewardSpread:F4}, accepted {AcceptanceRate:P0}" +
        $"{(SftLoss is double l ? $", sft loss (last epoch) {l:F4}" : "")}" +
        $"{(SampleAccuracy is double sa ? $", samples right {sa:P1}" : "")}" +
        $"{(HeldOutAccuracy is double a ? $", held-out accuracy {a:P1}" : "")}") +
        string.Concat(Evals.Select(e => $", {e.Task} {e.Show()}"));
}

/// <summary>An eval task's headline metric on one round's policy.</summary>
public sealed record EvalScore(string Task, string Metric, double Value, double StdErr, bool IsRating)
{
    /// <summary>The headline per category (MT-Bench) or subject (MMLU), as the card charts MT-Bench's 8 domains.</summary>
    public IReadOnlyList<Engine.Evaluation.GroupScore> Groups { get; init; } = [];

    /// <summary>"63.59% acc" or "7.96 score".</summary>
    public string Show() => !double.IsFinite(Value) ? $"– {Metric}"
        : IsRating ? string.Create(CultureInfo.InvariantCulture, $"{Value:F2} {Metric}") : string.Create(CultureInfo.InvariantCulture, $"{100 * Value:F1}% {Metric}");
}

/// <summary>A round's rewards: every scored sample's, and the winners'.</summary>
public sealed record RoundRewards(int Round, IReadOnlyList<double> All, IReadOnlyList<double> Winners);

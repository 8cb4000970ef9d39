namespace Merlinite.Engine.Scoring;

public enum RewardNorm { Sum, Mean }

/// <summary>r = β·(log π_instruct(y|x) − log π_reference(y|x)), from the summed (or mean) response log-probs.</summary>
public sealed record RewardResult(string Id, double Reward, double InstructLogProb, double ReferenceLogProb, int Count, string? Error)
{
    public bool Ok => Error is null;

    public static RewardResult Combine(string id, ScoreSummary instruct, ScoreSummary reference, double beta, RewardNorm norm)
    {
        if (instruct.Error is not null || reference.Error is not null)
            return new RewardResult(id, 0, 0, 0, 0, instruct.Error ?? reference.Error);
        double li = norm == RewardNorm.Mean ? instruct.Mean : instruct.Sum;
        double lr = norm == RewardNorm.Mean ? reference.Mean : reference.Sum;
        return new RewardResult(id, beta * (li - lr), li, lr, instruct.Count, null);
    }
}

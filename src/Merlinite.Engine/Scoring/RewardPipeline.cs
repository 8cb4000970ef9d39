using System.Globalization;
using System.Text;
using System.Text.Json;
using Merlinite.Engine.Models;

namespace Merlinite.Engine.Scoring;

public enum RewardNorm { Sum, Mean }

public sealed record RewardSettings(double Beta, RewardNorm Norm, bool KeepBoth);

/// <summary>r = β·(log π_policy(y|x) − log π_ref(y|x)), from the summed (or mean) response log-probs.</summary>
public sealed record RewardResult(string Id, double Reward, double PolicyLogProb, double ReferenceLogProb, int Count, string? Error)
{
    public bool Ok => Error is null;

    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("id", Id);
            if (Error is not null) w.WriteString("error", Error);
            else
            {
                w.WriteNumber("reward", Math.Round(Reward, 6));
                w.WriteNumber("policy_logprob", PolicyLogProb);
                w.WriteNumber("ref_logprob", ReferenceLogProb);
                w.WriteNumber("count", Count);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}

/// <summary>
/// The DPO log-ratio reward in phases: every item is scored by the policy model, which is then freed, then by the
/// reference model, so two 8x7B models never have to be resident together (unless <see cref="RewardSettings.KeepBoth"/>).
/// Both models score the same token ids (tokenized once, with the policy model), and each phase writes a resumable
/// score file, so a killed run redoes nothing that finished.
/// </summary>
public static class RewardPipeline
{
    public static IReadOnlyList<RewardResult> Run(
        ModelLoadOptions policy, ModelLoadOptions reference, Func<LoadedModel, IReadOnlyList<ScoreItem>> buildItems,
        ScorerOptions scorerOptions, RewardSettings settings, string workPrefix,
        Action<string, ScoreProgress>? progress, CancellationToken ct)
    {
        if (settings.Beta <= 0) throw new ArgumentException($"--beta must be > 0 (got {settings.Beta.ToString(CultureInfo.InvariantCulture)})");
        VocabularyFingerprint.EnsureSame(policy.Path, reference.Path);
        string policyFile = workPrefix + ".policy.jsonl", refFile = workPrefix + ".ref.jsonl";

        IReadOnlyList<ScoreItem> items;
        LoadedModel? policyModel = LoadedModel.Load(policy);
        try
        {
            items = buildItems(policyModel);
            ScoreFileRunner.Run(policyModel, scorerOptions, items, policyFile, withTokens: false, p => progress?.Invoke("policy", p), ct);
            if (!settings.KeepBoth) { policyModel.Dispose(); policyModel = null; }
            using var refModel = LoadedModel.Load(reference);
            ScoreFileRunner.Run(refModel, scorerOptions, items, refFile, withTokens: false, p => progress?.Invoke("reference", p), ct);
        }
        finally
        {
            policyModel?.Dispose();
        }
        return Combine(items, ScoreJson.ReadSummaries(policyFile), ScoreJson.ReadSummaries(refFile), settings);
    }

    public static IReadOnlyList<RewardResult> Combine(IReadOnlyList<ScoreItem> items,
        IReadOnlyDictionary<string, ScoreSummary> policy, IReadOnlyDictionary<string, ScoreSummary> reference, RewardSettings s) =>
        items.Select(item =>
        {
            var p = policy[item.Id];
            var r = reference[item.Id];
            if (p.Error is not null || r.Error is not null)
                return new RewardResult(item.Id, 0, 0, 0, 0, p.Error ?? r.Error);
            double lp = s.Norm == RewardNorm.Mean ? p.Mean : p.Sum;
            double lr = s.Norm == RewardNorm.Mean ? r.Mean : r.Sum;
            return new RewardResult(item.Id, s.Beta * (lp - lr), lp, lr, p.Count, null);
        }).ToList();
}

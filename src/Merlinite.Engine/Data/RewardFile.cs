using System.Text;
using System.Text.Json;
using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Data;

/// <summary>
/// The rewards file of <c>merlinite reward</c> (and a recipe's round-k/rewards.jsonl): one line per scored pair,
/// <c>{"id", "reward", "instruct_logprob", "reference_logprob", "count"}</c>, or <c>{"id", "error"}</c> for a pair
/// that could not be scored (too long for the context, ...).
/// </summary>
public static class RewardFile
{
    public static string Format(RewardResult r)
    {
        return JsonLines.Format(w =>
        {
            w.WriteString("id", r.Id);
            if (r.Error is not null) w.WriteString("error", r.Error);
            else
            {
                w.WriteNumber("reward", Math.Round(r.Reward, 6));
                w.WriteNumber("instruct_logprob", r.InstructLogProb);
                w.WriteNumber("reference_logprob", r.ReferenceLogProb);
                w.WriteNumber("count", r.Count);
            }
        });
    }

    /// <summary>The rewards in file order (each as written, rounded to 6 decimals, so a reread run selects as the first
    /// did). A reward output may be empty: a shard given no pairs writes a complete empty one.</summary>
    public static IReadOnlyList<RewardResult> Read(string path) =>
        JsonLines.Read(path, (root, where, lineNo) =>
        {
            string id = JsonLines.Id(root, where, lineNo);
            if (JsonLines.OptionalString(root, "error") is { } error) return new RewardResult(id, 0, 0, 0, 0, error);
            double Number(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
                ? v.GetDouble() : throw new InputFormatException($"{where}: expected a number \"{name}\"");
            return new RewardResult(id, Number("reward"), Number("instruct_logprob"), Number("reference_logprob"), (int)Number("count"), null);
        }, allowEmpty: true);
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Merlinite.Engine.Outputs;

namespace Merlinite.Recipes.Running;

/// <summary>report.json, report.md and reward.svg of a finished run; the peak round (highest batch reward) is the result.</summary>
public static class RunReport
{
    public static int PeakRound(IReadOnlyList<RoundStats> rounds) =>
        rounds.Where(r => double.IsFinite(r.BatchReward)).OrderByDescending(r => r.BatchReward).ThenBy(r => r.Round).FirstOrDefault()?.Round ?? 0;

    public static void Write(RunLayout layout, LoadedRecipe recipe, IReadOnlyList<RoundStats> rounds)
    {
        int peak = PeakRound(rounds);
        string? result = layout.PolicyAdapter(peak, recipe.Recipe.StartAdapter);
        AtomicFile.WriteAllText(layout.ReportJson, Json(recipe, rounds, peak, result));
        AtomicFile.WriteAllText(layout.ReportMarkdown, Markdown(recipe, rounds, peak, result));
        AtomicFile.WriteAllText(layout.RewardChart, RewardChart.Svg(rounds, peak));
    }

    private static string Json(LoadedRecipe recipe, IReadOnlyList<RoundStats> rounds, int peak, string? result)
    {
        static JsonNode? N(double? v) => v is double d && double.IsFinite(d) ? JsonValue.Create(Math.Round(d, 4)) : null;
        var array = new JsonArray(rounds.Select(r => (JsonNode)new JsonObject
        {
            ["round"] = r.Round,
            ["prompts"] = r.Prompts,
            ["samples"] = r.Samples,
            ["batch_reward"] = N(r.BatchReward),
            ["mean_reward"] = N(r.MeanReward),
            ["reward_spread"] = N(r.RewardSpread),
            ["acceptance_rate"] = N(r.AcceptanceRate),
            ["sft_loss"] = N(r.SftLoss),
            ["held_out_accuracy"] = N(r.HeldOutAccuracy),
            ["sample_accuracy"] = N(r.SampleAccuracy),
        }).ToArray());
        var root = new JsonObject
        {
            ["recipe"] = recipe.Recipe.Name,
            ["recipe_sha256"] = recipe.Sha256,
            ["peak_round"] = peak,
            ["result_adapter"] = result is null ? null : Path.GetRelativePath(recipe.Recipe.Output.Dir, result),
            ["rounds"] = array,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string Markdown(LoadedRecipe recipe, IReadOnlyList<RoundStats> rounds, int peak, string? result)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"# {(recipe.Recipe.Name.Length > 0 ? recipe.Recipe.Name : "recipe")} run");
        sb.AppendLine();
        sb.AppendLine(inv, $"Recipe `{Path.GetRelativePath(recipe.Recipe.Output.Dir, recipe.File)}` (sha256 `{recipe.Sha256[..12]}`). Reward: {recipe.Recipe.Reward.Beta.ToString(inv)} × [log p_instruct − log p_reference]; batch reward = mean over prompts of the best-of-{recipe.Recipe.Sampling.N} reward.");
        sb.AppendLine();
        sb.AppendLine("| round | batch reward | mean reward | spread | accepted | SFT loss | samples right | held-out accuracy (greedy) |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        static string P(double? v, string format) => v is double d ? d.ToString(format, CultureInfo.InvariantCulture) : "–";
        foreach (var r in rounds)
            sb.AppendLine(inv, $"| {r.Round}{(r.Round == peak ? " (peak)" : "")} | {r.BatchReward:F4} | {r.MeanReward:F4} | {r.RewardSpread:F4} | {r.AcceptanceRate:P0} | {P(r.SftLoss, "F4")} | {P(r.SampleAccuracy, "P1")} | {P(r.HeldOutAccuracy, "P1")} |");
        sb.AppendLine();
        sb.AppendLine(inv, $"Result: the policy of round {peak} (highest batch reward): {(result is null ? "the base model (no adapter)" : $"`{Path.GetRelativePath(recipe.Recipe.Output.Dir, result)}`")}{(recipe.Recipe.Output.Merge ? ", merged into `result.gguf`" : "")}.");
        sb.AppendLine();
        sb.AppendLine("Samples right and held-out accuracy come from a checker (exact match with the prompts' \"answer\"), not from the reward.");
        sb.AppendLine();
        sb.AppendLine("![reward per round](reward.svg)");
        return sb.ToString();
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Merlinite.Engine.Evaluation;
using Merlinite.Engine.Outputs;
using Merlinite.Recipes.Running.Charts;

namespace Merlinite.Recipes.Running;

/// <summary>How the batch reward moved with one evaluation across rounds (the seed's reward-vs-MT-Bench claim).</summary>
public sealed record RewardCorrelation(string Eval, int Rounds, double Pearson, double Spearman);

/// <summary>report.json, report.md, report.html and the charts of a finished run; the peak round (highest batch
/// reward) is the result.</summary>
public static class RunReport
{
    /// <summary>The peak round the last report names, or null without a readable report.</summary>
    public static int? ReadPeakRound(RunLayout layout)
    {
        try
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(layout.ReportJson));
            return node?["peak_round"]?.GetValue<int>();
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException
                                      or FormatException or UnauthorizedAccessException) { return null; }
    }

    public static int PeakRound(IReadOnlyList<RoundStats> rounds) =>
        rounds.Where(r => double.IsFinite(r.BatchReward)).OrderByDescending(r => r.BatchReward).ThenBy(r => r.Round).FirstOrDefault()?.Round ?? 0;

    /// <summary>Pearson and Spearman of batch reward against held-out accuracy and each eval task, over the rounds
    /// where both exist.</summary>
    public static IReadOnlyList<RewardCorrelation> Correlations(IReadOnlyList<RoundStats> rounds)
    {
        var evals = new List<(string Name, Func<RoundStats, double?> Value)>();
        if (rounds.Any(r => r.HeldOutAccuracy is not null)) evals.Add(("held-out accuracy", r => r.HeldOutAccuracy));
        foreach (var task in rounds.SelectMany(r => r.Evals).Select(e => e.Task).Distinct())
            evals.Add((task, r => r.Evals.FirstOrDefault(e => e.Task == task)?.Value));
        return evals.Select(e =>
        {
            var pairs = rounds.Select(r => (r.BatchReward, V: e.Value(r))).Where(p => double.IsFinite(p.BatchReward) && p.V is double v && double.IsFinite(v)).ToList();
            var x = pairs.Select(p => p.BatchReward).ToList();
            var y = pairs.Select(p => p.V!.Value).ToList();
            return new RewardCorrelation(e.Name, pairs.Count, EvalStats.Pearson(x, y), EvalStats.Spearman(x, y));
        }).ToList();
    }

    public static void Write(RunLayout layout, LoadedRecipe recipe, IReadOnlyList<RoundStats> rounds, IReadOnlyList<RoundRewards> rewards, LabStats? lab = null)
    {
        int peak = PeakRound(rounds);
        string? result = layout.PolicyAdapter(peak, recipe.Recipe.StartAdapter);
        var correlations = Correlations(rounds);
        AtomicFile.WriteAllText(layout.ReportJson, Json(recipe, rounds, peak, result, correlations, lab));
        AtomicFile.WriteAllText(layout.ReportMarkdown, Markdown(recipe, rounds, peak, result, correlations) + (lab is null ? "" : "\n" + lab.Markdown()));
        string rewardChart = RunCharts.Rewards(rounds, peak), distribution = RunCharts.RewardDistribution(rewards, peak), scatter = RunCharts.RewardVsEval(rounds);
        AtomicFile.WriteAllText(layout.RewardChart, rewardChart);
        AtomicFile.WriteAllText(layout.RewardDistributionChart, distribution);
        AtomicFile.WriteAllText(layout.RewardVsEvalChart, scatter);
        var categoryCharts = RunCharts.CategoryTasks(rounds).Select(t => (Task: t, Svg: RunCharts.Categories(rounds, t))).ToList();
        foreach (var (task, chart) in categoryCharts) AtomicFile.WriteAllText(layout.CategoryChart(task), chart);
        AtomicFile.WriteAllText(layout.ReportHtml, Html(recipe, rounds, peak, result, correlations,
            [rewardChart, distribution, scatter, .. categoryCharts.Select(c => c.Svg)]));
    }

    private static JsonNode? N(double? v) => v is double d && double.IsFinite(d) ? JsonValue.Create(Math.Round(d, 4)) : null;

    private static string Json(LoadedRecipe recipe, IReadOnlyList<RoundStats> rounds, int peak, string? result, IReadOnlyList<RewardCorrelation> correlations, LabStats? lab)
    {
        var array = new JsonArray(rounds.Select(r =>
        {
            var evals = new JsonObject();
            foreach (var e in r.Evals)
            {
                var groups = new JsonObject();
                foreach (var g in e.Groups) groups[g.Name] = N(g.Value);
                evals[e.Task] = new JsonObject
                {
                    ["metric"] = e.Metric, ["value"] = N(e.Value), ["stderr"] = N(e.StdErr), ["groups"] = groups,
                };
            }
            return (JsonNode)new JsonObject
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
                ["evals"] = evals,
            };
        }).ToArray());
        var root = new JsonObject
        {
            ["recipe"] = recipe.Recipe.Name,
            ["recipe_sha256"] = recipe.Sha256,
            ["peak_round"] = peak,
            ["result_adapter"] = result is null ? null : Path.GetRelativePath(recipe.Recipe.Output.Dir, result),
            ["chat_binary"] = recipe.Recipe.Output.Pack
                ? Path.GetFileName(new RunLayout(recipe.Recipe.Output.Dir).ChatBinary(recipe.Recipe.Name)) : null,
            ["rounds"] = array,
            ["reward_correlation"] = new JsonArray(correlations.Select(c => (JsonNode)new JsonObject
            {
                ["eval"] = c.Eval, ["rounds"] = c.Rounds, ["pearson"] = N(c.Pearson), ["spearman"] = N(c.Spearman),
            }).ToArray()),
        };
        if (lab is not null) root["lab"] = lab.ToJson();
        return root.ToJsonString(Engine.Data.JsonStyle.Indented) + "\n";
    }

    /// <summary>The per-round table: columns, then one row per round.</summary>
    private static (string[] Header, List<string[]> Rows) Table(IReadOnlyList<RoundStats> rounds, int peak)
    {
        static string P(double? v, string format) => v is double d && double.IsFinite(d) ? d.ToString(format, CultureInfo.InvariantCulture) : "–";
        var tasks = rounds.SelectMany(r => r.Evals).Select(e => (e.Task, e.Metric)).Distinct().ToList();
        string[] header = ["round", "batch reward", "mean reward", "spread", "accepted", "SFT loss (last epoch)",
            "samples right", "held-out accuracy (greedy)",
            .. tasks.Select(t => $"{t.Task} ({t.Metric})")];
        var rows = rounds.Select(r => (string[])[
            $"{r.Round}{(r.Round == peak ? " (peak)" : "")}", P(r.BatchReward, "F4"), P(r.MeanReward, "F4"), P(r.RewardSpread, "F4"), P(r.AcceptanceRate, "P0"),
            P(r.SftLoss, "F4"), P(r.SampleAccuracy, "P1"), P(r.HeldOutAccuracy, "P1"),
            .. tasks.Select(t => r.Evals.FirstOrDefault(e => e.Task == t.Task) is { } e ? ShowWithError(e) : "–")]).ToList();
        return (header, rows);
    }

    /// <summary>The rated tasks (MT-Bench) by category and round, as the card charts MT-Bench's domains; a section per
    /// task, empty when no task has categories.</summary>
    private static string ByCategory(IReadOnlyList<RoundStats> rounds)
    {
        var sb = new StringBuilder();
        foreach (string task in RunCharts.CategoryTasks(rounds))
        {
            var categories = rounds.SelectMany(r => r.Evals.Where(e => e.Task == task).SelectMany(e => e.Groups))
                .Select(g => g.Name).Distinct().Order(StringComparer.Ordinal).ToList();
            sb.AppendLine($"{task} by category (its chart: {RunLayout.CategoryChartName(task)}):");
            sb.AppendLine();
            sb.AppendLine("| category | " + string.Join(" | ", rounds.Select(r => $"round {r.Round}")) + " |");
            sb.AppendLine("|---|" + string.Concat(rounds.Select(_ => "---|")));
            foreach (string c in categories)
                sb.AppendLine($"| {c} | " + string.Join(" | ", rounds.Select(r =>
                    r.Evals.FirstOrDefault(e => e.Task == task)?.Groups.FirstOrDefault(g => g.Name == c) is { } g
                    && double.IsFinite(g.Value) ? g.Value.ToString("F2", CultureInfo.InvariantCulture) : "–")) + " |");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string ShowWithError(EvalScore e) => !double.IsFinite(e.Value) ? "–"
        : e.IsRating ? string.Create(CultureInfo.InvariantCulture, $"{e.Value:F2} ± {e.StdErr:F2}")
        : string.Create(CultureInfo.InvariantCulture, $"{100 * e.Value:F1}% ± {100 * e.StdErr:F1}");

    private static string R(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "–";

    /// <summary>The result named plainly: which file, why it is the one, and the command to try it. Round r samples from
    /// the adapter trained after round r − 1, so the best round's policy is the previous round's adapter.</summary>
    private static string ResultLines(LoadedRecipe recipe, int peak, string? result)
    {
        // Paths relative to the run folder (where the report is), so a report does not depend on where the run lives.
        string dir = recipe.Recipe.Output.Dir, policy = Path.GetRelativePath(dir, recipe.Recipe.Policy.Path);
        string chat = Path.GetFileName(new RunLayout(dir).ChatBinary(recipe.Recipe.Name));
        string packed = recipe.Recipe.Output.Pack
            ? $"\n\nOr run the chat binary it was packed into, one file you can copy to any x86-64 Linux with AVX2: " +
              $"`./{chat}` (`./{chat} -p \"...\"` answers once, `./{chat} serve` serves it, `./{chat} info` tells " +
              "what is inside)"
            : "";
        if (result is null)
            return $"Result: the base model `{policy}` itself: round {peak}, which sampled from it without an " +
                   $"adapter, had the highest batch reward, so no tuned adapter beat it.{packed}";
        string adapter = Path.GetRelativePath(dir, result);
        string merged = recipe.Recipe.Output.Merge ? " It is also merged into the model `result.gguf`." : "";
        return $"Result: the adapter `{adapter}` (trained after round {peak - 1}); round {peak}, which sampled from it, had the highest batch reward.{merged}\n\n" +
               $"Try it, in the run folder: `merlinite chat {policy} --lora {adapter}`{packed}";
    }

    private static string Markdown(LoadedRecipe recipe, IReadOnlyList<RoundStats> rounds, int peak, string? result, IReadOnlyList<RewardCorrelation> correlations)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"# {(recipe.Recipe.Name.Length > 0 ? recipe.Recipe.Name : "recipe")} run");
        sb.AppendLine();
        sb.AppendLine(inv, $"Recipe `{Path.GetRelativePath(recipe.Recipe.Output.Dir, recipe.File)}` (sha256 `{recipe.Sha256[..12]}`). Reward: {recipe.Recipe.Reward.Beta.ToString(inv)} × [log p_instruct − log p_reference]; batch reward = mean over prompts of the best-of-{recipe.Recipe.Sampling.N} reward.");
        sb.AppendLine();
        var (header, rows) = Table(rounds, peak);
        sb.AppendLine("| " + string.Join(" | ", header) + " |");
        sb.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var row in rows) sb.AppendLine("| " + string.Join(" | ", row) + " |");
        sb.AppendLine();
        sb.Append(ByCategory(rounds));
        sb.AppendLine(ResultLines(recipe, peak, result));
        sb.AppendLine();
        sb.AppendLine("Batch reward: the mean over prompts of each prompt's best reward; mean reward: over all samples; spread: the standard deviation of all samples' rewards (how much the N answers to a prompt differ, pooled); accepted: the share of prompts whose best answer passed the selection rule.");
        sb.AppendLine();
        sb.AppendLine("Samples right and held-out accuracy come from a checker (exact match with the prompts' \"answer\"), not from the reward; eval scores (± standard error) from `merlinite eval`'s tasks on each round's policy.");
        if (correlations.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Batch reward vs evaluation across rounds");
            sb.AppendLine();
            sb.AppendLine("| evaluation | rounds | Pearson r | Spearman ρ |");
            sb.AppendLine("|---|---|---|---|");
            foreach (var c in correlations) sb.AppendLine(inv, $"| {c.Eval} | {c.Rounds} | {R(c.Pearson)} | {R(c.Spearman)} |");
            sb.AppendLine();
            sb.AppendLine("With a handful of rounds a correlation is a description of this run, not a statistical finding; – means a side did not vary.");
        }
        sb.AppendLine();
        sb.AppendLine("![reward and evaluation per round](reward.svg)");
        sb.AppendLine();
        sb.AppendLine("![rewards of all samples and of the winners](rewards.svg)");
        sb.AppendLine();
        sb.AppendLine("![batch reward vs evaluation](reward-vs-eval.svg)");
        return sb.ToString();
    }

    /// <summary>One self-contained page: the table, the correlations and the charts inline.</summary>
    private static string Html(LoadedRecipe recipe, IReadOnlyList<RoundStats> rounds, int peak, string? result, IReadOnlyList<RewardCorrelation> correlations, IReadOnlyList<string> charts)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        string title = $"{(recipe.Recipe.Name.Length > 0 ? recipe.Recipe.Name : "recipe")} run";
        sb.AppendLine($"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(title)}</title>");
        sb.AppendLine("<style>body{font-family:DejaVu Sans,Arial,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}" +
                      "th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}" +
                      "tr.peak{background:#eef6ff}svg{display:block;margin:1em 0}</style></head><body>");
        sb.AppendLine($"<h1>{E(title)}</h1>");
        sb.AppendLine($"<p>Recipe <code>{E(Path.GetFileName(recipe.File))}</code> (sha256 <code>{E(recipe.Sha256[..12])}</code>). Result: the policy of round {peak}" +
                      $"{(result is null ? " (the base model, no adapter)" : $", <code>{E(Path.GetRelativePath(recipe.Recipe.Output.Dir, result))}</code>")}.</p>");
        var (header, rows) = Table(rounds, peak);
        sb.Append("<table><tr>").Append(string.Concat(header.Select(h => $"<th>{E(h)}</th>"))).AppendLine("</tr>");
        for (int i = 0; i < rows.Count; i++)
            sb.Append(rounds[i].Round == peak ? "<tr class=\"peak\">" : "<tr>").Append(string.Concat(rows[i].Select(c => $"<td>{E(c)}</td>"))).AppendLine("</tr>");
        sb.AppendLine("</table>");
        if (correlations.Count > 0)
        {
            sb.AppendLine("<h2>Batch reward vs evaluation across rounds</h2><table><tr><th>evaluation</th><th>rounds</th><th>Pearson r</th><th>Spearman ρ</th></tr>");
            foreach (var c in correlations) sb.AppendLine($"<tr><td>{E(c.Eval)}</td><td>{c.Rounds}</td><td>{R(c.Pearson)}</td><td>{R(c.Spearman)}</td></tr>");
            sb.AppendLine("</table>");
        }
        foreach (var chart in charts) sb.AppendLine(chart);
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }
}

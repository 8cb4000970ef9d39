using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Merlinite.Engine.DataGeneration;

namespace Merlinite.Recipes.Running;

/// <summary>One SFT phase of LAB in figures: its examples (own and replayed), final loss, and held-out accuracy after it.</summary>
public sealed record LabPhaseStats(string Name, int Examples, int Replayed, double? SftLoss, double? HeldOutAccuracy);

/// <summary>What the LAB stage did: the generated data per leaf and filter, and held-out accuracy before and after
/// each SFT phase (by the checker, as for the rounds).</summary>
public sealed record LabStats(GenerationReport Generation, double? BaseAccuracy, IReadOnlyList<LabPhaseStats> Phases)
{
    private static string P(double? v) => v is double d ? d.ToString("P1", CultureInfo.InvariantCulture) : "–";
    private static JsonNode? N(double? v) => v is double d && double.IsFinite(d) ? JsonValue.Create(Math.Round(d, 4)) : null;

    /// <summary>"held-out accuracy: base 54.5% → knowledge 70.1% → skills 75.0%"</summary>
    public string AccuracyLine() => "held-out accuracy: base " + P(BaseAccuracy) + string.Concat(Phases.Select(p => $" → {p.Name} {P(p.HeldOutAccuracy)}"));

    public JsonObject ToJson() => new()
    {
        ["examples"] = Generation.Examples,
        ["leaves"] = new JsonArray(Generation.Leaves.Select(l => (JsonNode)new JsonObject
        {
            ["path"] = l.Path, ["kind"] = l.Kind.ToString().ToLowerInvariant(), ["samples"] = l.Samples, ["examples"] = l.Examples,
            ["filters"] = new JsonObject(l.Filters.Select(f => KeyValuePair.Create(f.Name, (JsonNode?)new JsonObject
            {
                ["in"] = f.In, ["kept"] = f.Kept, ["accepted"] = N(f.Accepted),
            }))),
        }).ToArray()),
        ["held_out_accuracy_base"] = N(BaseAccuracy),
        ["phases"] = new JsonArray(Phases.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Name, ["examples"] = p.Examples, ["replayed"] = p.Replayed, ["sft_loss"] = N(p.SftLoss), ["held_out_accuracy"] = N(p.HeldOutAccuracy),
        }).ToArray()),
    };

    public string Markdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("## LAB: generated data and SFT phases");
        sb.AppendLine();
        var filters = Generation.Leaves.SelectMany(l => l.Filters.Select(f => f.Name)).Distinct().ToList();
        sb.AppendLine("| leaf | kind | samples | " + string.Join(" | ", filters.Select(f => $"{f} kept")) + " | examples |");
        sb.AppendLine("|---|---|---|" + string.Concat(filters.Select(_ => "---|")) + "---|");
        foreach (var l in Generation.Leaves)
        {
            string kept = string.Join(" | ", filters.Select(f => l.Filters.FirstOrDefault(x => x.Name == f) is { } c ? $"{c.Kept}/{c.In}" : "–"));
            sb.AppendLine(inv, $"| {l.Path} | {l.Kind.ToString().ToLowerInvariant()} | {l.Samples} | {kept} | {l.Examples}{(l.Examples == 0 ? " (empty)" : "")} |");
        }
        sb.AppendLine();
        sb.AppendLine("| SFT phase | examples | of them replayed | SFT loss (last epoch) | held-out accuracy after |");
        sb.AppendLine("|---|---|---|---|---|");
        sb.AppendLine(inv, $"| (start) | – | – | – | {P(BaseAccuracy)} |");
        foreach (var p in Phases)
            sb.AppendLine(inv, $"| {p.Name} | {p.Examples} | {p.Replayed} | {(p.SftLoss is double l ? l.ToString("F4", inv) : "–")} | {P(p.HeldOutAccuracy)} |");
        return sb.ToString();
    }
}

using Merlinite.Engine.DataGeneration;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Settings;

namespace Merlinite.Recipes.Schema;

/// <summary>
/// A recipe's LAB stage (the `lab:` section), run before the preference rounds: synthetic data from a taxonomy with a
/// teacher (`merlinite generate-data`'s settings, key for key), then supervised fine-tuning in phases, each starting
/// from the model the one before made. The last phase's model is the policy the rounds start from.
/// </summary>
public sealed record LabSettings
{
    /// <summary>The taxonomy folder (InstructLab qna.yaml files).</summary>
    public string Taxonomy { get; init; } = "";
    /// <summary>Where local clones of remote document repositories are, if any.</summary>
    public string? Documents { get; init; }
    public ModelSpec Teacher { get; init; } = new("");
    public GenerateSettings Generate { get; init; } = new();
    public IReadOnlyList<SftPhase> Phases { get; init; } = [];

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Directory.Exists(Taxonomy) ? null : new SettingProblem("taxonomy", $"folder not found: {Taxonomy}");
        yield return Documents is null || Directory.Exists(Documents) ? null : new SettingProblem("documents", $"folder not found: {Documents}");
        foreach (var p in Generate.Problems().OfType<SettingProblem>()) yield return p with { Key = "generate." + p.Key };
        for (int i = 0; i < Phases.Count; i++)
        {
            var phase = Phases[i];
            string at = $"phases[{i}].";
            if (!System.Text.RegularExpressions.Regex.IsMatch(phase.Name, "^[A-Za-z0-9._-]+$"))
                yield return new SettingProblem(at + "name", $"'{phase.Name}' must be letters, digits, '.', '_' or '-' (it names the phase's folder)");
            if (Phases.Take(i).Any(p => p.Name == phase.Name)) yield return new SettingProblem(at + "name", $"'{phase.Name}' names another phase too");
            yield return Require.InRange(at + "replay", phase.Replay, 0, 1, minInclusive: true, maxInclusive: true);
            if (i == 0 && phase.Replay > 0) yield return new SettingProblem(at + "replay", "the first phase has no earlier phase to replay");
            yield return phase.Epochs is int e ? Require.AtLeast(at + "epochs", e, 1) : null;
            yield return phase.Lr is double lr ? Require.Above(at + "lr", lr, 0) : null;
        }
    }
}

/// <summary>One SFT phase of LAB: the generated data of one kind of leaf, plus a share of the earlier phases' data
/// replayed (so skills training does not wash out the knowledge learned before).</summary>
public sealed record SftPhase
{
    public string Name { get; init; } = "";
    public LeafKind Data { get; init; } = LeafKind.Knowledge;
    /// <summary>Share (0–1) of the earlier phases' examples mixed into this phase's data, drawn with the recipe's seed.</summary>
    public double Replay { get; init; }
    /// <summary>Overrides of the sft section for this phase.</summary>
    public int? Epochs { get; init; }
    public double? Lr { get; init; }

    /// <summary>The recipe's name of <see cref="Data"/>.</summary>
    public string DataName => Data == LeafKind.Knowledge ? "knowledge" : "skills";

    public TrainSettings Train(TrainSettings sft) => sft with { Epochs = Epochs ?? sft.Epochs, Lr = Lr ?? sft.Lr };
}

using Merlinite.Engine.Data;
using Merlinite.Engine.DataGeneration;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Gguf.Lora;
using Merlinite.Recipes.Schema;
using Merlinite.Recipes.Taxonomy;

namespace Merlinite.Recipes.Running;

/// <summary>
/// The LAB stage's phases: data generation from the taxonomy (a phase per leaf, so each has its own progress line
/// and time left, and is kept, resumed or redone on its own), then per SFT phase its data (with the replayed share of
/// the earlier phases'), its adapter, its merged model and its held-out accuracy. Built from the same Engine jobs as
/// `merlinite generate-data` and `train`.
/// </summary>
public sealed partial class RunPhases
{
    private GenerateDataJob? _generate;

    /// <summary>The generation job over the taxonomy as it is now (read once per run; its problems stop the run).</summary>
    public GenerateDataJob Generation(LabSettings lab) => _generate ??= new GenerateDataJob(
        lab.Teacher, TaxonomyReader.Load(lab.Taxonomy, lab.Documents), layout.Generated,
        lab.Generate with { Teacher = lab.Generate.Teacher with { Runtime = lab.Generate.Teacher.Runtime with { Threads = threads } } });

    public IEnumerable<Phase> GenerateLeaves(LabSettings lab)
    {
        var job = Generation(lab);
        for (int i = 0; i < job.Leaves.Count; i++)
        {
            var leaf = job.Leaf(i);
            yield return new Phase($"lab/generate/{leaf.Leaf.Path}", job.LeafTitle(i).Replace("generate: ", "generate data: "),
                [leaf]);
        }
    }

    /// <summary>knowledge.jsonl, skills.jsonl and the counts of every leaf.</summary>
    public Phase GenerateCombine(LabSettings lab)
    {
        var job = Generation(lab);
        return new("lab/generate", "generate data: combine the leaves",
            [job.Combining]);
    }

    public GenerationReport GenerationReport(LabSettings lab) => Engine.DataGeneration.GenerationReport.Read(Generation(lab).Output.Path);

    /// <summary>Held-out accuracy of the model LAB starts from (key "base") or of a phase's model.</summary>
    public Phase LabEval(string key, ModelSpec model, string output)
    {
        var job = HeldOutJob(model, output);
        return new($"lab/{key}/eval", $"eval {key} ({recipe.Prompts.HeldOut} held-out prompts)",
        [
            Draw(layout.HeldOut, "held-out", round: null, () => Pool.HeldOut),
            job,
        ]);
    }

    public double? LabAccuracy(string output) => AnswerChecks.ShareRight(SampleFile.Read(output), PromptFile.Read(layout.HeldOut, null));

    /// <summary>The model SFT phase <paramref name="index"/> starts from: the recipe's policy base, then each phase's.</summary>
    private string LabStart(LabSettings lab, int index) => index == 0 ? recipe.Policy.Path : layout.LabModel(lab.Phases[index - 1].Name);

    /// <summary>SFT phase <paramref name="index"/>: its data, adapter and merged model.</summary>
    public Phase LabTrain(LabSettings lab, int index)
    {
        var phase = lab.Phases[index];
        var generated = Generation(lab);
        string own = LabOwnData(lab, index);
        // Replay draws from the earlier phases' own generated data (not their mixes, which would replay replays).
        var earlier = lab.Phases.Take(index).Select(p => generated.DataPath(p.Data)).Where(f => f != own).Distinct().ToList();
        var settings = phase.Train(recipe.Sft.Train) with { Seed = recipe.Sft.Train.Seed + 1000 + index, Threads = threads };
        var data = new MixJob(layout.LabPhaseData(phase.Name), own, earlier, phase.Replay, settings.Seed);
        string start = LabStart(lab, index);
        var train = new TrainJob(start, [data.Output.Path], layout.LabAdapter(phase.Name), null, settings);
        return new($"lab/{phase.Name}/train", $"sft phase {index + 1}/{lab.Phases.Count}: {phase.Name}" + (phase.Replay > 0 ? $" (+{phase.Replay:P0} replay)" : ""),
        [
            data,
            train,
            new MergeJob(start, train.Out, layout.LabModel(phase.Name)),
        ]);
    }

    /// <summary>SFT phase <paramref name="index"/>'s merged model, run as the policy runs.</summary>
    public ModelSpec LabPhaseModel(LabSettings lab, int index) => recipe.Policy with { Path = layout.LabModel(lab.Phases[index].Name), Loras = [] };

    /// <summary>SFT phase <paramref name="index"/>'s own generated data (before any replay).</summary>
    public string LabOwnData(LabSettings lab, int index) => Generation(lab).DataPath(lab.Phases[index].Data);

    public double? LabLoss(string phase) => TrainJob.ReadSummary(layout.LabAdapter(phase)).EpochLoss;
}

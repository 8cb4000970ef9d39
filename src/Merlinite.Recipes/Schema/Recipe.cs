using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Settings;

namespace Merlinite.Recipes.Schema;

/// <summary>
/// A recipe, read into the same typed settings the commands use: its sampling section is the Engine's
/// <see cref="SampleSettings"/>, its reward section <see cref="RewardSettings"/>, its sft section
/// <see cref="TrainSettings"/>, so a recipe and `merlinite sample`/`reward`/`train` share every default and every
/// check. The loader fills it key by key (see <see cref="RecipeSchema"/>); afterwards it is only read.
/// </summary>
public sealed class Recipe
{
    public string Name { get; set; } = "";
    /// <summary>Run every phase in the reproducible mode (Engine.Reproducibility.ReproducibleMode): the same bytes on
    /// every x86-64-v3 CPU, CPU only. The tiny recipes set it, so their figures are those README shows.</summary>
    public bool Reproducible { get; set; }
    /// <summary>The policy's base GGUF: every round's adapter applies to it.</summary>
    public ModelSpec Policy { get; set; } = new("");
    /// <summary>An adapter the policy starts from (round 0), if any.</summary>
    public string? StartAdapter { get; set; }
    public ModelSpec Instruct { get; set; } = new("");
    public ModelSpec Reference { get; set; } = new("");
    public PromptSettings Prompts { get; set; } = new();
    public RoundSettings Rounds { get; set; } = new();
    /// <summary>Sampling; its template (models.policy.template) and system prompt (prompts.system) are the policy's.</summary>
    public SampleSettings Sampling { get; set; } = new();
    public RewardSettings Reward { get; set; } = new();
    public SelectionRule Selection { get; set; } = new();
    public SftSettings Sft { get; set; } = new();
    public EvalSettings Eval { get; set; } = new();
    public OutputSettings Output { get; set; } = new();
    public ClusterSettings Cluster { get; set; } = new();
    /// <summary>The LAB stage before the rounds (null: the policy is trained already).</summary>
    public LabSettings? Lab { get; set; }

    /// <summary>The VRAM budget of every phase's models (<see cref="RuntimeSettings.Vram"/>, GiB; 0 = the GPUs' free
    /// memory minus 1 GiB). Set with <see cref="SetVram"/>, which gives it to every phase's runtime.</summary>
    public double Vram { get; private set; }

    /// <summary>One budget for the whole round: the phases run one at a time, each with the GPU to itself.</summary>
    public void SetVram(double gib)
    {
        Vram = gib;
        Sampling = Sampling with { Runtime = Sampling.Runtime with { Vram = gib } };
        Reward = Reward with { Scoring = Reward.Scoring with { Runtime = Reward.Scoring.Runtime with { Vram = gib } } };
        Eval = Eval with { Tasks = Eval.Tasks.Select(t => t with { Settings = t.Settings with { Runtime = t.Settings.Runtime with { Vram = gib } } }).ToList() };
        if (Lab is { } lab)
            Lab = lab with { Generate = lab.Generate with { Teacher = lab.Generate.Teacher with { Runtime = lab.Generate.Teacher.Runtime with { Vram = gib } } } };
    }
}

public sealed record PromptSettings
{
    /// <summary>Prompt JSONL files ({"id", "prompt" | "messages", "source"?, "answer"?}); none with a lab section: the
    /// data it generates (LAB's SFT data, the card's prompt source).</summary>
    public IReadOnlyList<string> Files { get; init; } = [];
    /// <summary>Prompts drawn per round, uniformly by source.</summary>
    public int PerRound { get; init; } = 64;
    /// <summary>Prompts set aside (before any drawing) for evaluation.</summary>
    public int HeldOut { get; init; }
    public int Seed { get; init; } = 1;
    /// <summary>System prompt for plain "prompt" lines; null: the Merlinite model card's, "": none.</summary>
    public string? System { get; init; }

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Require.AtLeast("per_round", PerRound, 1);
        yield return Require.AtLeast("held_out", HeldOut, 0);
    }
}

public sealed record RoundSettings
{
    /// <summary>Rounds after round 0 (each trains a new policy); the card's reward rose for two rounds and flattened at 3.</summary>
    public int Max { get; init; } = 3;
    /// <summary>Stop when the batch reward improves by less than this over the previous round; null: never.</summary>
    public double? MinImprovement { get; init; }

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Require.Between("max", Max, 0, 100); // 0: round 0 only (best-of-N data and its reward, no training)
        yield return MinImprovement is double m ? Require.AtLeast("min_improvement", m, 0) : null;
    }
}

public enum SftMode
{
    /// <summary>Each round trains a fresh adapter from the base on all winners so far (no compounding drift).</summary>
    FromBase,
    /// <summary>Each round continues the previous round's adapter on that round's winners.</summary>
    Continue,
}

public sealed record SftSettings
{
    public SftMode Mode { get; init; } = SftMode.FromBase;
    public TrainSettings Train { get; init; } = new();
}

public sealed record EvalSettings
{
    /// <summary>Held-out accuracy by an exact-match checker: a greedy reply against the prompt lines' "answer".</summary>
    public bool HeldOutAccuracy { get; init; } = true;
    public int MaxTokens { get; init; } = 64;
    /// <summary>Benchmarks run on every round's policy, round 0 included (`merlinite eval`'s jobs).</summary>
    public IReadOnlyList<EvalTask> Tasks { get; init; } = [];

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Require.AtLeast("max_tokens", MaxTokens, 1);
        for (int i = 0; i < Tasks.Count; i++)
        {
            var t = Tasks[i];
            string at = $"tasks[{i}].";
            foreach (var p in t.Settings.Problems().OfType<SettingProblem>()) yield return p with { Key = at + p.Key };
            if (Tasks.Take(i).Any(o => o.Name == t.Name)) yield return new SettingProblem(at + "name", $"'{t.Name}' names another task too; every task needs its own name");
            if (!System.Text.RegularExpressions.Regex.IsMatch(t.Name, "^[A-Za-z0-9._-]+$"))
                yield return new SettingProblem(at + "name", $"'{t.Name}' must be letters, digits, '.', '_' or '-' (it names the task's files)");
            if (t.Settings.Kind == Engine.Evaluation.EvalKind.MtBench && t.Judge is null) yield return new SettingProblem(at + "judge", "an mt_bench task needs a judge model");
        }
    }
}

/// <summary>One benchmark of a recipe's eval section: a name (its column in the report), a data file, and the same
/// settings `merlinite eval` takes.</summary>
public sealed record EvalTask
{
    public string Name { get; init; } = "";
    public string Data { get; init; } = "";
    public Engine.Jobs.EvalTaskSettings Settings { get; init; } = new();
    public ModelSpec? Judge { get; init; }
}

public sealed record OutputSettings
{
    public string Dir { get; init; } = "";
    /// <summary>Also write the peak round's policy merged into one GGUF (result.gguf).</summary>
    public bool Merge { get; init; }
    /// <summary>Also pack the peak round's policy into a chat binary (NAME-chat, merlinite pack).</summary>
    public bool Pack { get; init; }
}

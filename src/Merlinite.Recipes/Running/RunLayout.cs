namespace Merlinite.Recipes.Running;

/// <summary>Where every file of a run lives: the one place that knows the run directory's layout.</summary>
public sealed record RunLayout(string Dir)
{
    public string Manifest => Path.Combine(Dir, "manifest.json");
    public string ReportJson => Path.Combine(Dir, "report.json");
    public string ReportMarkdown => Path.Combine(Dir, "report.md");
    public string RewardChart => Path.Combine(Dir, "reward.svg");
    public string RewardDistributionChart => Path.Combine(Dir, "rewards.svg");
    public string RewardVsEvalChart => Path.Combine(Dir, "reward-vs-eval.svg");
    /// <summary>A rated task's scores by category and round (MT-Bench's domains).</summary>
    public string CategoryChart(string task) => Path.Combine(Dir, CategoryChartName(task));
    public static string CategoryChartName(string task) =>
        string.Concat(task.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')) + "-categories.svg";
    public string ReportHtml => Path.Combine(Dir, "report.html");
    /// <summary>The peak round's policy merged into one GGUF (output.merge).</summary>
    public string Result => Path.Combine(Dir, "result.gguf");
    /// <summary>The peak round's policy as a chat binary (output.pack), named after the recipe.</summary>
    public string ChatBinary(string recipe) => Path.Combine(Dir, $"{(recipe.Length > 0 ? recipe : "recipe")}-chat");
    /// <summary>The held-out prompts, drawn once for every round's evaluation.</summary>
    public string HeldOut => Path.Combine(Dir, "held-out.jsonl");

    /// <summary>The LAB stage: generated data (lab/data), then a folder per SFT phase.</summary>
    public string Lab => Path.Combine(Dir, "lab");
    public string Generated => Path.Combine(Lab, "data");
    /// <summary>Greedy replies of the model the LAB stage starts from to the held-out prompts.</summary>
    public string LabBaseEval => Path.Combine(Lab, "base-eval.jsonl");
    public string LabPhase(string phase) => Path.Combine(Lab, phase);
    /// <summary>The phase's training data: its kind of generated data plus the replayed share of earlier phases'.</summary>
    public string LabPhaseData(string phase) => Path.Combine(LabPhase(phase), "data.jsonl");
    public string LabAdapter(string phase) => Path.Combine(LabPhase(phase), "adapter.gguf");
    /// <summary>The phase's model: the model it started from with its adapter merged in (the next phase's start).</summary>
    public string LabModel(string phase) => Path.Combine(LabPhase(phase), "model.gguf");
    public string LabEval(string phase) => Path.Combine(LabPhase(phase), "eval.jsonl");

    public string Round(int round) => Path.Combine(Dir, $"round-{round}");
    /// <summary>The prompts drawn for the round.</summary>
    public string Prompts(int round) => Path.Combine(Round(round), "prompts.jsonl");
    public string Samples(int round) => Path.Combine(Round(round), "samples.jsonl");
    public string Rewards(int round) => Path.Combine(Round(round), "rewards.jsonl");
    public string Winners(int round) => Path.Combine(Round(round), "winners.jsonl");
    /// <summary>Greedy replies of the round's policy to the held-out prompts.</summary>
    public string Eval(int round) => Path.Combine(Round(round), "eval.jsonl");
    /// <summary>Per-item results of an eval task on the round's policy (its summary sits beside it).</summary>
    public string EvalTask(int round, string task) => Path.Combine(Round(round), "eval", task + ".jsonl");
    /// <summary>The adapter trained after the round: the policy of the next round.</summary>
    public string Adapter(int round) => Path.Combine(Round(round), "adapter.gguf");

    /// <summary>The adapter of round r's policy: the recipe's start adapter (or none) for round 0, else the one
    /// trained after round r-1.</summary>
    public string? PolicyAdapter(int round, string? startAdapter) => round == 0 ? startAdapter : Adapter(round - 1);

    /// <summary>A path as the run's files name it (relative to the run directory).</summary>
    public string Relative(string path) => Path.GetRelativePath(Dir, path);
}

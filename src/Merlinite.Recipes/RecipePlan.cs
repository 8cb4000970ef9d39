using System.Globalization;
using System.Text;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Evaluation;
using Merlinite.Engine.Jobs;
using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes;

/// <summary>
/// What a run will do, printed by <c>merlinite run RECIPE --dry-run</c>: rounds, the phases of a round, which model is
/// resident in each, and a memory estimate per phase (one model at a time: the phases never overlap).
/// </summary>
public static class RecipePlan
{
    /// <summary>The LAB stage in a few lines: the taxonomy as it reads now, the teacher, the generation, the phases.</summary>
    private static string LabLines(LabSettings lab, string start)
    {
        var inv = CultureInfo.InvariantCulture;
        var g = lab.Generate;
        string leaves;
        try
        {
            var read = Taxonomy.TaxonomyReader.Load(lab.Taxonomy, lab.Documents);
            leaves = $"{Engine.Plural.Of(read.Count, "leaf", "leaves")} ({read.Count(x => x.Kind == Engine.DataGeneration.LeafKind.Knowledge)} knowledge)";
        }
        catch (Exception e) when (e is RecipeException or IOException) { leaves = "not readable yet: run `merlinite taxonomy check` on it"; }
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"lab: taxonomy {lab.Taxonomy}, {leaves}; teacher {Name(lab.Teacher.Path)}");
        sb.AppendLine(inv, $"  generate: {g.QuestionsPerLeaf} candidate questions per leaf ({g.Teacher.N} per prompt, parallel {g.Teacher.Parallel}), " +
            $"question check >= {g.MinQuestionRating}, answers <= {g.AnswerTokens} tokens, pair check >= {g.MinPairRating}");
        static string Phase(SftPhase p)
        {
            string replay = p.Replay > 0 ? " + " + p.Replay.ToString("P0", CultureInfo.InvariantCulture) + " replay" : "";
            return $"{p.Name} ({p.DataName} data{replay})";
        }
        sb.AppendLine(lab.Phases.Count == 0 ? "  sft phases: none (the generated data are only the rounds' prompts)"
            : $"  sft phases: {string.Join(" -> ", lab.Phases.Select(Phase))}, the first from {Name(start)}; the rounds start from the last");
        return sb.ToString();
    }

    /// <param name="plan">the round's memory and time plan (<see cref="Planning.RoundPlan.For"/>), made once by the
    /// caller, which also decides by it whether the run may start.</param>
    public static string Describe(LoadedRecipe loaded, Planning.RoundPlan? plan = null)
    {
        var r = loaded.Recipe;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"recipe {loaded.File} ({(r.Name.Length > 0 ? r.Name : "unnamed")}), sha256 {loaded.Sha256[..12]}");
        sb.AppendLine(inv, $"output: {r.Output.Dir}");
        sb.AppendLine(inv, $"prompts: {string.Join(", ", r.Prompts.Files.Select(Path.GetFileName))}; {r.Prompts.PerRound} per round drawn uniformly by source, {r.Prompts.HeldOut} held out, seed {r.Prompts.Seed}");
        sb.AppendLine(inv, $"rounds: up to {r.Rounds.Max}{(r.Rounds.MinImprovement is double m ? $", stopping when the batch reward improves by less than {m}" : "")}; the peak round's policy is the result");
        sb.AppendLine(inv, $"reward: {r.Reward.Beta} x [log p_instruct - log p_reference] ({r.Reward.Norm.ToString().ToLowerInvariant()} over response tokens, template {r.Reward.Template.Name()})");
        sb.AppendLine(inv, $"sft: {(r.Sft.Mode == SftMode.FromBase ? "a fresh adapter from the base on all winners so far" : "continue the previous adapter on this round's winners")}, rank {r.Sft.Train.Rank}, alpha {r.Sft.Train.Alpha}, lr {r.Sft.Train.Lr}, {Engine.Plural.Of(r.Sft.Train.Epochs ?? 1, "epoch")}");
        if (r.Lab is { } lab) sb.Append(LabLines(lab, r.Policy.Path));
        if (r.Cluster.Shards > 1)
            sb.AppendLine(inv, $"cluster: sample, reward and held-out eval in {r.Cluster.Shards} shards each, executor {r.Cluster.Executor.ToString().ToLowerInvariant()} (flags may override)");
        sb.AppendLine();
        sb.Append(PlanLines(plan ?? Planning.RoundPlan.For(r)));
        if (loaded.MissingFiles.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("missing files (the run needs them):");
            foreach (var p in loaded.MissingFiles) sb.AppendLine("  " + p);
        }
        else
        {
            sb.AppendLine();
            foreach (var line in Running.RunStatus.Describe(loaded)) sb.AppendLine(line);
        }
        return sb.ToString();
    }

    private static string Name(string path) => Path.GetFileName(path);

    /// <summary>The round's phases with their placement, memory and time, the budget they were planned for, and what
    /// to change where a phase does not fit.</summary>
    public static string PlanLines(Planning.RoundPlan plan)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        string gpu = plan.Budget is long b
            ? $"VRAM budget {Planning.RoundPlan.Gib(b)}{(Engine.Placement.VramBudget.FreeGpuBytes() > 0 ? "" : " (planned: this machine has no GPU llama.cpp can use)")}"
            : "no GPU: everything in RAM (--vram GiB plans for a GPU)";
        sb.AppendLine(inv, $"each round, one model resident at a time; {gpu}; RAM {Planning.RoundPlan.Gib(plan.HostMemory)} on this machine:");
        var rows = new List<string[]> { new[] { "phase", "model", "work", "placement", "VRAM", "RAM", "time (est.)" } };
        foreach (var p in plan.Phases)
            rows.Add([p.Name, p.Model, p.Work, p.Placement, p.Gpu is long g ? Planning.RoundPlan.Gib(g) : "-",
                p.Host is long h ? Planning.RoundPlan.Gib(h) : "-",
                p.Seconds is double s ? "~" + Engine.Jobs.Pace.Format(TimeSpan.FromSeconds(s)) : "-"]);
        AppendTable(sb, rows);
        double total = plan.Phases.Sum(p => p.Seconds ?? 0);
        if (total > 0)
        {
            sb.AppendLine(inv, $"  a round: ~{Engine.Jobs.Pace.Format(TimeSpan.FromSeconds(total))}, estimated from these rates (scaled by the weight bytes each token reads; answers at their full length, prompts of {Planning.RoundPlan.PromptTokens} tokens):");
            foreach (var rate in plan.Phases.SelectMany(p => p.RatesFrom).Distinct())
                sb.AppendLine(inv, $"    {rate.Kind.ToString().ToLowerInvariant()} on {rate.Device}: {rate.TokensPerSecond:G4} tok/s at {rate.ActiveGib:F1} GiB per token, {rate.Source}");
            sb.AppendLine(inv, $"    (`merlinite bench sample|score --record` measures your machine's; they are kept in {Engine.Placement.Throughput.UserFile})");
        }
        foreach (var p in plan.Refused) sb.AppendLine(inv, $"does not fit: phase {p.Name}: {p.Problem}");
        return sb.ToString();
    }

    private static void AppendTable(StringBuilder sb, List<string[]> rows)
    {
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
        foreach (var row in rows) sb.AppendLine("  " + string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
    }
}

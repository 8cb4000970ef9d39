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

    public static string Describe(LoadedRecipe loaded)
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
        sb.AppendLine("each round, one model resident at a time:");
        // With a lab section the rounds' policy is the last SFT phase's model (same architecture and size as the base).
        string policy = r.Lab is { Phases.Count: > 0 } l0 ? $"lab/{l0.Phases[^1].Name}/model.gguf" : Name(r.Policy.Path);
        var rows = new List<string[]>
        {
            new[] { "phase", "model", "work", "memory (est.)" },
            new[] { "1 sample", policy + (r.StartAdapter is not null || r.Rounds.Max > 1 ? " + LoRA" : ""),
                $"{r.Prompts.PerRound} prompts x {r.Sampling.N} samples, <= {r.Sampling.Sampler.MaxTokens} tokens, parallel {r.Sampling.Parallel}",
                Memory(r.Policy.Path, r.Sampling.Runtime.Context) },
            new[] { "2 score (instruct)", Name(r.Instruct.Path), $"{r.Prompts.PerRound * r.Sampling.N} responses", Memory(r.Instruct.Path, r.Reward.Scoring.Runtime.Context) },
            new[] { "3 score (reference)", Name(r.Reference.Path), $"{r.Prompts.PerRound * r.Sampling.N} responses", Memory(r.Reference.Path, r.Reward.Scoring.Runtime.Context) },
            new[] { "4 select", "-", $"best of {r.Sampling.N} per prompt{(r.Selection.MinReward is double mr ? $", reward >= {mr}" : "")}{(r.Selection.MinMargin is double mm ? $", margin >= {mm}" : "")}", "-" },
            new[] { "5 train (sidecar)", policy, $"LoRA SFT on the winners", TrainMemory(r) },
        };
        if (r.Eval.HeldOutAccuracy && r.Prompts.HeldOut > 0)
            rows.Add(["6 eval", policy + " + LoRA", $"{r.Prompts.HeldOut} held-out prompts, greedy, exact-answer check", Memory(r.Policy.Path, r.Sampling.Runtime.Context)]);
        foreach (var t in r.Eval.Tasks)
            rows.Add([$"{rows.Count} eval {t.Name}", policy + " + LoRA" + (t.Judge is null ? "" : $", then judge {Name(t.Judge.Path)}"),
                $"{t.Settings.Kind.Name()}: {Path.GetFileName(t.Data)}{(t.Settings.Limit is int l ? $" (first {l})" : "")}, {t.Settings.Shots}-shot, {t.Settings.HeadlineMetric}",
                Memory(r.Policy.Path, t.Settings.Runtime.Context)]);
        int[] widths = Enumerable.Range(0, 4).Select(c => rows.Max(row => row[c].Length)).ToArray();
        foreach (var row in rows) sb.AppendLine("  " + string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
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

    /// <summary>Weights (file size) + an F32 KV cache of <paramref name="context"/> cells.</summary>
    private static string Memory(string model, int context)
    {
        if (!File.Exists(model)) return "? (file missing)";
        try
        {
            using var gguf = GgufFile.Open(model);
            var hp = LlamaHyperParameters.FromGguf(gguf);
            double kv = (double)context * hp.BlockCount * 2 * hp.KeyValueLength * sizeof(float);
            double weights = new FileInfo(model).Length;
            return $"{Gib(weights + kv)} ({Gib(weights)} weights + {Gib(kv)} KV)";
        }
        catch (GgufFormatException) { return "? (not a llama-architecture GGUF)"; }
    }

    /// <summary>The trainer holds the base in float32 (4 bytes per parameter) plus activations.</summary>
    /// <summary>The trainer's memory plan (the function the trainer itself checks before loading), for micro-batches of
    /// batch_size winners of up to max_tokens answer tokens after a prompt of up to 512 (the winners do not exist yet).</summary>
    private static string TrainMemory(Recipe r)
    {
        if (!File.Exists(r.Policy.Path)) return "? (file missing)";
        try
        {
            using var gguf = GgufFile.Open(r.Policy.Path);
            var hp = LlamaHyperParameters.FromGguf(gguf);
            var t = r.Sft.Train;
            int seq = Math.Min(hp.ContextLength, r.Sampling.Sampler.MaxTokens + 512);
            var (rows, length) = t.MaxBatchTokens is int budget ? (1, Math.Max(seq, budget)) : (t.BatchSize, seq);
            TrainingMemory Plan(bool checkpointing) => TrainingMemoryPlan.Estimate(hp, new TrainingShape(t.Dtype.Bytes(), t.Rank, t.Targets,
                rows, length, rows * r.Sampling.Sampler.MaxTokens, checkpointing, t.Device.StartsWith("cuda", StringComparison.Ordinal)));
            string dtype = t.Dtype.Name();
            return t.Checkpointing switch
            {
                "on" => $"{TrainingMemory.Gib(Plan(true).Total)} ({dtype}, checkpointing)",
                "off" => $"{TrainingMemory.Gib(Plan(false).Total)} ({dtype})",
                _ => $"{TrainingMemory.Gib(Plan(false).Total)} ({dtype}), {TrainingMemory.Gib(Plan(true).Total)} with checkpointing",
            };
        }
        catch (GgufFormatException) { return "?"; }
    }

    private static string Gib(double bytes) => bytes >= 1 << 30
        ? (bytes / (1 << 30)).ToString("F1", CultureInfo.InvariantCulture) + " GiB"
        : (bytes / (1 << 20)).ToString("F1", CultureInfo.InvariantCulture) + " MiB";
}

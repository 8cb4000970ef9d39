using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Sampling;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Training;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Running;

/// <summary>
/// Runs a recipe's rounds. Round r samples from policy r (the base plus the adapter trained after round r-1), scores
/// every sample with the instruct and then the reference model, keeps the best per prompt, evaluates policy r on the
/// held-out prompts, and trains policy r+1 (except after the last round). One model is resident at a time. Every phase
/// writes its own file under round-R/ and is marked done in manifest.json only when complete, so a rerun of the same
/// command continues where a killed run stopped and redoes nothing finished.
/// </summary>
public sealed class RecipeRunner(LoadedRecipe loaded, int threads, PhaseDisplay display, TextWriter log)
{
    private readonly Recipe _r = loaded.Recipe;

    public IReadOnlyList<RoundStats> Run(bool force, CancellationToken ct)
    {
        Directory.CreateDirectory(_r.Output.Dir);
        var manifest = RunManifest.OpenOrCreate(_r.Output.Dir, loaded, force);
        manifest.RecordModel("policy", _r.Models.Policy.Base);
        manifest.RecordModel("instruct", _r.Models.Instruct.Path);
        manifest.RecordModel("reference", _r.Models.Reference.Path);

        var pool = PromptPool.Load(_r.Prompts.Files, _r.Prompts.System ?? MerliniteTemplate.DefaultSystemPrompt, _r.Prompts.HeldOut, _r.Prompts.Seed);
        var rounds = new List<RoundStats>();
        string? adapter = _r.Models.Policy.Adapter;
        for (int round = 0; round <= _r.Rounds.Max; round++)
        {
            ct.ThrowIfCancellationRequested();
            string dir = Path.Combine(_r.Output.Dir, $"round-{round}");
            Directory.CreateDirectory(dir);
            var prompts = pool.Draw(_r.Prompts.PerRound, _r.Prompts.Seed, round);

            Phase(manifest, round, "sample", () => Sample(prompts, adapter, Path.Combine(dir, "samples.jsonl"), ct));
            var pairs = SamplePairs(Path.Combine(dir, "samples.jsonl"));
            Phase(manifest, round, "reward", () => Reward(pairs, Path.Combine(dir, "rewards.jsonl"), ct));
            var rewards = ReadRewards(Path.Combine(dir, "rewards.jsonl"));
            var (winners, stats) = Select(round, prompts, pairs, rewards);
            stats = stats with { SampleAccuracy = SampleAccuracy(pairs, pool) };
            Phase(manifest, round, "select", () => WriteLines(Path.Combine(dir, "winners.jsonl"), winners.Select(w => w.ToJson())));

            double? accuracy = null;
            if (_r.Eval.HeldOutAccuracy && pool.HeldOut.Count > 0)
            {
                string evalFile = Path.Combine(dir, "eval.jsonl");
                Phase(manifest, round, "eval", () => Evaluate(pool, adapter, evalFile, ct));
                accuracy = Accuracy(evalFile, pool);
            }

            double? loss = null;
            bool last = round == _r.Rounds.Max || StopsHere(rounds, stats);
            if (!last)
            {
                string next = Path.Combine(dir, "adapter.gguf");
                string key = $"round-{round}/train";
                if (!manifest.IsDone(key)) manifest.MarkDone(key, new JsonObject { ["loss"] = Train(round, adapter, next, ct) });
                loss = manifest.Details(key)?["loss"]?.GetValue<double>();
                adapter = next;
            }
            rounds.Add(stats with { SftLoss = loss, HeldOutAccuracy = accuracy });
            log.WriteLine(RoundLine(rounds[^1]));
            if (last) break;
        }
        RunReport.Write(_r.Output.Dir, loaded, rounds);
        if (_r.Output.Merge) MergeResult(rounds);
        return rounds;
    }

    /// <summary>output.merge: the peak round's policy as one GGUF (result.gguf), for chat or shipping.</summary>
    private void MergeResult(IReadOnlyList<RoundStats> rounds)
    {
        string? adapter = RunReport.PolicyAdapter(_r.Output.Dir, RunReport.PeakRound(rounds), _r.Models.Policy.Adapter);
        string result = Path.Combine(_r.Output.Dir, "result.gguf");
        if (adapter is null) File.Copy(_r.Models.Policy.Base, result, overwrite: true);
        else display("merge the peak round's adapter -> result.gguf", report =>
            Merlinite.Gguf.Lora.LoraMerger.Merge(_r.Models.Policy.Base, [(adapter, 1.0f)], result, f => report(f, null)));
    }

    private void Phase(RunManifest manifest, int round, string name, Action work)
    {
        string key = $"round-{round}/{name}";
        if (manifest.IsDone(key)) return;
        work();
        manifest.MarkDone(key);
    }

    private bool StopsHere(List<RoundStats> previous, RoundStats current) =>
        _r.Rounds.MinImprovement is double min && previous.Count > 0 && current.BatchReward - previous[^1].BatchReward < min;

    // ------------------------------------------------------------------ phases

    private ModelLoadOptions PolicyOptions(string? adapter) => new()
    {
        Path = _r.Models.Policy.Base, GpuLayers = _r.Models.Policy.GpuLayers, Threads = threads,
        ContextSize = _r.Sampling.Context, ExactAttention = true,
        Sequences = BestOfNSampler.SequencesFor(_r.Sampling.Parallel),
        BatchSize = Math.Max(512, _r.Sampling.Parallel),
        Loras = adapter is null ? [] : [new LoraSpec(adapter, 1.0f)],
    };

    private SamplingOptions SamplingOptions => new()
    {
        Temperature = _r.Sampling.Temperature, TopP = _r.Sampling.TopP, TopK = _r.Sampling.TopK, MinP = _r.Sampling.MinP,
        MaxTokens = _r.Sampling.MaxTokens, Seed = _r.Sampling.Seed, RepeatPenalty = 1.0f,
    };

    private void Sample(IReadOnlyList<PromptItem> prompts, string? adapter, string output, CancellationToken ct) =>
        SampleInto(prompts, adapter, new BestOfNOptions { Sampling = SamplingOptions, N = _r.Sampling.N, Stops = _r.Sampling.Stop },
            output, $"sample ({prompts.Count} prompts x {_r.Sampling.N})", ct);

    /// <summary>Greedy replies to the held-out prompts, for the exact-answer checker.</summary>
    private void Evaluate(PromptPool pool, string? adapter, string output, CancellationToken ct) =>
        SampleInto(pool.HeldOut, adapter, new BestOfNOptions
        {
            Sampling = SamplingOptions with { Temperature = 0, MaxTokens = _r.Eval.MaxTokens }, N = 1, Stops = _r.Sampling.Stop,
        }, output, $"eval ({pool.HeldOut.Count} held-out prompts)", ct);

    private void SampleInto(IReadOnlyList<PromptItem> prompts, string? adapter, BestOfNOptions options, string output, string title, CancellationToken ct)
    {
        using var model = LoadedModel.Load(PolicyOptions(adapter));
        display(title, report =>
            SampleFileRunner.Run(model, options, prompts, _r.Models.Policy.Template == "raw", output,
                p => report(p.PromptsTotal == 0 ? 1 : (double)p.PromptsDone / p.PromptsTotal, $"{p.PromptsDone}/{p.PromptsTotal} prompts, {p.TokensPerSecond:F0} tok/s"), ct));
    }

    /// <summary>One pair per sample, id "PROMPT#k", with the prompt's messages (from the sample file itself).</summary>
    private static List<SamplePair> SamplePairs(string samplesFile) =>
        JsonLines.Read(samplesFile, (root, where, _) =>
        {
            string id = root.GetProperty("id").GetString()!;
            var messages = JsonLines.Messages(root.GetProperty("messages"), where);
            return root.GetProperty("samples").EnumerateArray()
                .Select(s => new SamplePair(id, s.GetProperty("index").GetInt32(), messages, s.GetProperty("text").GetString()!))
                .ToList();
        }).SelectMany(x => x).ToList();

    private void Reward(List<SamplePair> pairs, string output, CancellationToken ct)
    {
        var kind = _r.Reward.Template switch { "model" => ScoreTemplateKind.Model, "raw" => ScoreTemplateKind.Raw, _ => ScoreTemplateKind.Merlinite };
        ModelLoadOptions Scorer(RewardModel m) => new()
        {
            Path = m.Path, GpuLayers = m.GpuLayers, Threads = threads, ContextSize = _r.Reward.Context,
            Sequences = _r.Reward.Parallel, BatchSize = 2048, ExactAttention = true,
        };
        IReadOnlyList<RewardResult> results = [];
        display($"reward ({pairs.Count} samples)", report =>
        {
            results = RewardPipeline.Run(Scorer(_r.Models.Instruct), Scorer(_r.Models.Reference),
                model => { var t = new ScoreTemplate(model, kind, appendEos: kind != ScoreTemplateKind.Raw); return pairs.Select(p => t.Build(p.Id, p.Messages, p.Text)).ToList(); },
                new ScorerOptions(), new RewardSettings(_r.Reward.Beta, _r.Reward.Norm == "mean" ? RewardNorm.Mean : RewardNorm.Sum, KeepBoth: false),
                output, (phase, p) => report((phase == "policy" ? 0 : 0.5) + 0.5 * (p.Total == 0 ? 1 : (double)p.Done / p.Total), $"{phase} {p.Done}/{p.Total}"), ct);
        });
        WriteLines(output, results.Select(r => r.ToJson()));
    }

    private static Dictionary<string, double> ReadRewards(string file) =>
        JsonLines.Read(file, (root, _, _) => (Id: root.GetProperty("id").GetString()!,
                Reward: root.TryGetProperty("reward", out var r) ? r.GetDouble() : double.NaN))
            .ToDictionary(x => x.Id, x => x.Reward);

    private (List<Winner>, RoundStats) Select(int round, IReadOnlyList<PromptItem> prompts, List<SamplePair> pairs, Dictionary<string, double> rewards)
    {
        var winners = new List<Winner>();
        var best = new List<double>();
        var all = pairs.Select(p => rewards[p.Id]).Where(double.IsFinite).ToList();
        foreach (var group in pairs.GroupBy(p => p.PromptId))
        {
            var scored = group.Select(p => (Pair: p, Reward: rewards[p.Id])).Where(x => double.IsFinite(x.Reward)).ToList();
            if (scored.Count == 0) continue;
            var top = scored.OrderByDescending(x => x.Reward).ThenBy(x => x.Pair.Index).First();
            best.Add(top.Reward);
            double mean = scored.Average(x => x.Reward);
            bool ok = (_r.Selection.MinReward is not double minR || top.Reward >= minR)
                      && (_r.Selection.MinMargin is not double minM || top.Reward - mean >= minM);
            if (ok) winners.Add(new Winner(group.Key, top.Pair.Index, top.Pair.Messages, top.Pair.Text, top.Reward));
        }
        double avg = all.Count == 0 ? double.NaN : all.Average();
        double spread = all.Count < 2 ? 0 : Math.Sqrt(all.Sum(x => (x - avg) * (x - avg)) / (all.Count - 1));
        var stats = new RoundStats(round, prompts.Count, pairs.Count, best.Count == 0 ? double.NaN : best.Average(), avg, spread,
            prompts.Count == 0 ? 0 : (double)winners.Count / prompts.Count, null, null);
        return (winners, stats);
    }

    private static double? SampleAccuracy(List<SamplePair> pairs, PromptPool pool)
    {
        var checkable = pairs.Where(p => pool.Answers.ContainsKey(p.PromptId)).ToList();
        return checkable.Count == 0 ? null : checkable.Count(p => p.Text.Trim() == pool.Answers[p.PromptId].Trim()) / (double)checkable.Count;
    }

    /// <summary>Share of held-out prompts with an "answer" whose greedy reply equals it (whitespace-trimmed).</summary>
    private static double? Accuracy(string evalFile, PromptPool pool)
    {
        var replies = JsonLines.Read(evalFile, (root, _, _) =>
            (Id: root.GetProperty("id").GetString()!, Text: root.GetProperty("samples")[0].GetProperty("text").GetString()!));
        var checkable = replies.Where(r => pool.Answers.ContainsKey(r.Id)).ToList();
        if (checkable.Count == 0) return null;
        return checkable.Count(r => r.Text.Trim() == pool.Answers[r.Id].Trim()) / (double)checkable.Count;
    }

    private double Train(int round, string? adapter, string output, CancellationToken ct)
    {
        // from_base: all winners of rounds 0..round, a fresh adapter on the base. continue: this round's winners on top
        // of the previous adapter.
        bool fromBase = _r.Sft.Mode == "from_base";
        var files = fromBase
            ? Enumerable.Range(0, round + 1).Select(k => Path.Combine(_r.Output.Dir, $"round-{k}", "winners.jsonl"))
            : [Path.Combine(_r.Output.Dir, $"round-{round}", "winners.jsonl")];
        var pairs = files.SelectMany(f => PairFile.ReadScorePairs(f, null)).ToList();
        var sft = _r.Sft;
        var h = new AdapterHyperParameters(sft.Rank, sft.Alpha, sft.Dropout, sft.Targets, sft.Lr, sft.Epochs, sft.BatchSize,
            sft.GradAccum, sft.WarmupSteps, sft.Seed + round);
        return AdapterTraining.Train(_r.Models.Policy.Base, pairs, _r.Models.Policy.Template == "raw", output, h,
            fromBase ? null : adapter, threads, display, $"train ({pairs.Count} winners)", ct);
    }

    private static void WriteLines(string path, IEnumerable<string> lines)
    {
        string temp = path + ".tmp";
        File.WriteAllLines(temp, lines);
        File.Move(temp, path, overwrite: true);
    }

    private static string RoundLine(RoundStats s) => string.Create(CultureInfo.InvariantCulture,
        $"round {s.Round}: batch reward {s.BatchReward:F4}, mean {s.MeanReward:F4}, spread {s.RewardSpread:F4}, accepted {s.AcceptanceRate:P0}" +
        $"{(s.SftLoss is double l ? $", sft loss {l:F4}" : "")}{(s.SampleAccuracy is double sa ? $", samples right {sa:P1}" : "")}{(s.HeldOutAccuracy is double a ? $", held-out accuracy {a:P1}" : "")}");

    private sealed record SamplePair(string PromptId, int Index, IReadOnlyList<ChatMessage> Messages, string Text)
    {
        public string Id => $"{PromptId}#{Index}";
    }

    private sealed record Winner(string PromptId, int Index, IReadOnlyList<ChatMessage> Messages, string Response, double Reward)
    {
        public string ToJson()
        {
            var messages = new JsonArray(Messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role.ToString().ToLowerInvariant(), ["content"] = m.Content })
                .Append(new JsonObject { ["role"] = "assistant", ["content"] = Response }).ToArray());
            return new JsonObject { ["id"] = PromptId, ["sample"] = Index, ["reward"] = Math.Round(Reward, 6), ["messages"] = messages }.ToJsonString();
        }
    }
}

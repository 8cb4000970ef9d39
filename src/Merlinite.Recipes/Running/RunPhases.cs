using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Gguf.Lora;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Running;

/// <summary>
/// One output of a run: what it is made from (<see cref="Inputs"/>: files other steps may produce), the fingerprint
/// that says whether the file on disk is still what the recipe asks for, and how to make it. Making resumes a
/// partial output made the same way and recomputes one made differently.
/// </summary>
public sealed record Step(OutputFile Output, IReadOnlyList<string> Inputs, Func<Fingerprint> Fingerprint, Action<Action<double, string?>, CancellationToken> Make);

/// <summary>A phase of a round as the manifest and the progress display name it (round-0/sample), and its steps.</summary>
public sealed record Phase(string Key, string Title, IReadOnlyList<Step> Steps);

/// <summary>
/// The phases of a recipe's rounds, built from the same typed Engine jobs the commands run (sample, reward, train),
/// with the recipe's settings and the run directory's files. Nothing here re-implements a phase.
/// </summary>
public sealed class RunPhases(Recipe recipe, RunLayout layout, int threads)
{
    private PromptPool? _pool;
    private PromptPool Pool => _pool ??= PromptPool.Load(recipe.Prompts, SystemPrompt);
    private string? SystemPrompt => recipe.Sampling.Template.SystemPrompt(recipe.Prompts.System);

    public bool EvaluatesHeldOut => recipe.Eval.HeldOutAccuracy && recipe.Prompts.HeldOut > 0;

    /// <summary>Round <paramref name="round"/>'s sampling: the policy of the round on the round's drawn prompts.</summary>
    public SampleJob SampleJob(int round) => new(PolicyAt(round), layout.Prompts(round), layout.Samples(round), Sampling());

    /// <param name="shards">when given, the samples are made by shard processes (<see cref="ShardRunner"/>) and joined;
    /// the output and its fingerprint are those of the one-process job.</param>
    public Phase Sample(int round, Sharding? shards = null)
    {
        var job = SampleJob(round);
        Action<Action<double, string?>, CancellationToken> make = shards is { Count: > 1 } sh
            ? (report, ct) => MakeFromShards(job, sh, "sample", round, report, ct)
            : (report, ct) => job.Run(ReusePolicy.ResumeOrRecompute,
                p => report(p.PromptsTotal == 0 ? 1 : (double)p.PromptsDone / p.PromptsTotal, $"{p.PromptsDone}/{p.PromptsTotal} prompts, {p.TokensPerSecond:F0} tokens/s"), ct);
        return new($"round-{round}/sample", $"sample ({recipe.Prompts.PerRound} prompts x {job.Settings.N})",
        [
            Draw(new OutputFile(layout.Prompts(round)), "draw", round, () => Pool.Draw(recipe.Prompts.PerRound, recipe.Prompts.Seed, round)),
            new(job.Output, [layout.Prompts(round), .. Adapters(round)], job.Fingerprint, make),
        ]);
    }

    /// <summary>Runs one shard of a phase in this process (what a shard process or cluster task does).</summary>
    public void RunShard(string phase, int round, Shard shard, CancellationToken ct)
    {
        if (phase != "sample") throw new Engine.Settings.SettingException("phase", $"'{phase}' cannot be sharded yet (sample can)");
        if (!new OutputFile(layout.Prompts(round)).IsComplete)
            throw new Engine.Settings.SettingException("round", $"round {round}'s prompts are not drawn yet ({layout.Prompts(round)}); the run that starts the shards draws them");
        var job = SampleJob(round);
        (job with { Out = ShardMerge.ShardPath(job.Out, shard), Shard = shard }).Run(ReusePolicy.ResumeOrRecompute, null, ct);
    }

    /// <summary>Every shard's output (made by the shard processes, each resumable on its own), then the join under the
    /// one-process job's record; the shard files go once joined, so the run folder is that of a one-process run.</summary>
    private static void MakeFromShards(SampleJob job, Sharding sharding, string phase, int round, Action<double, string?> report, CancellationToken ct)
    {
        report(0, $"{sharding.Count} shards");
        sharding.Runner(phase, round, sharding.Count, ct);
        var output = job.Output;
        if (output.Prepare(job.Fingerprint(), ReusePolicy.ResumeOrRecompute)) return;
        output.Guard(() => { ShardMerge.Concatenate(job.Out, sharding.Count); return 0; });
        output.RemoveWorkingFiles();
        for (int k = 0; k < sharding.Count; k++)
        {
            var part = new OutputFile(ShardMerge.ShardPath(job.Out, new Shard(k, sharding.Count)));
            part.Clear();
        }
        report(1, $"{sharding.Count} shards joined");
    }

    public Phase Reward(int round)
    {
        var job = new RewardJob(recipe.Instruct, recipe.Reference, layout.Samples(round), layout.Rewards(round),
            recipe.Reward with { Scoring = recipe.Reward.Scoring with { Runtime = recipe.Reward.Scoring.Runtime with { Threads = threads } } });
        return new($"round-{round}/reward", $"reward ({recipe.Prompts.PerRound * recipe.Sampling.N} samples)",
        [
            new(job.Output, [layout.Samples(round)], job.Fingerprint, (report, ct) => job.Run(ReusePolicy.ResumeOrRecompute,
                (model, p) => report((model == "instruct" ? 0 : 0.5) + 0.5 * (p.Total == 0 ? 1 : (double)p.Done / p.Total), $"{model} model: {p.Done}/{p.Total} answers scored"), ct)),
        ]);
    }

    public Phase Select(int round)
    {
        var output = new OutputFile(layout.Winners(round));
        Fingerprint Made() => new Fingerprint("select").AddFile("samples", layout.Samples(round)).AddFile("rewards", layout.Rewards(round))
            .Add("min_reward", recipe.Selection.MinReward).Add("min_margin", recipe.Selection.MinMargin);
        return new($"round-{round}/select", "select", [new(output, [layout.Samples(round), layout.Rewards(round)], Made, (_, _) =>
            WholeFile(output, Made(), Selection(round).Winners.Select(WinnerFile.Format)))]);
    }

    public Phase Eval(int round)
    {
        var settings = Sampling() with
        {
            N = 1, Sampler = recipe.Sampling.Sampler with { Temperature = 0, MaxTokens = recipe.Eval.MaxTokens },
        };
        var job = new SampleJob(PolicyAt(round), layout.HeldOut, layout.Eval(round), settings);
        return new($"round-{round}/eval", $"eval ({recipe.Prompts.HeldOut} held-out prompts)",
        [
            Draw(new OutputFile(layout.HeldOut), "held-out", round: null, () => Pool.HeldOut),
            new(job.Output, [layout.HeldOut, .. Adapters(round)], job.Fingerprint, (report, ct) => job.Run(ReusePolicy.ResumeOrRecompute,
                p => report(p.PromptsTotal == 0 ? 1 : (double)p.PromptsDone / p.PromptsTotal, $"{p.PromptsDone}/{p.PromptsTotal} prompts"), ct)),
        ]);
    }

    /// <summary>The recipe's benchmarks (eval.tasks) on the round's policy: `merlinite eval`'s job per task.</summary>
    public Phase EvalTasks(int round) => new($"round-{round}/eval-tasks", $"eval ({string.Join(", ", recipe.Eval.Tasks.Select(t => t.Name))})",
        EvalJobs(round).Select(job => new Step(job.Output, [job.Data, .. Adapters(round)], job.Fingerprint, (report, ct) =>
            job.Run(ReusePolicy.ResumeOrRecompute, (f, d) => report(f, $"{job.Task}: {d}"), ct))).ToList());

    private IEnumerable<EvalJob> EvalJobs(int round) => recipe.Eval.Tasks.Select(t => new EvalJob(t.Name, PolicyAt(round), t.Data,
        layout.EvalTask(round, t.Name), t.Settings with { Runtime = t.Settings.Runtime with { Threads = threads } }, t.Judge));

    /// <summary>Trains the policy of round+1: from_base, a fresh adapter on every winner so far; continue, the current
    /// adapter on this round's winners.</summary>
    public Phase Train(int round)
    {
        bool fromBase = recipe.Sft.Mode == SftMode.FromBase;
        var inputs = fromBase ? Enumerable.Range(0, round + 1).Select(layout.Winners).ToList() : [layout.Winners(round)];
        string? init = fromBase ? null : layout.PolicyAdapter(round, recipe.StartAdapter);
        var job = new TrainJob(recipe.Policy.Path, inputs, layout.Adapter(round), init,
            recipe.Sft.Train with { Seed = recipe.Sft.Train.Seed + round, Threads = threads });
        return new($"round-{round}/train", $"train (round {round}'s winners{(fromBase && round > 0 ? " and earlier" : "")})",
        [
            new(job.Output, [.. inputs, .. init is null ? Array.Empty<string>() : [init]], job.Fingerprint, (report, ct) =>
                job.Run(ReusePolicy.ResumeOrRecompute, p => report(p.TotalSteps == 0 ? 0 : (double)p.Step / p.TotalSteps,
                    $"step {p.Step}/{p.TotalSteps}{(p.Loss is double l ? $" loss {l:F4}" : "")}"), ct)),
        ]);
    }

    /// <summary>output.merge: the peak round's policy as one GGUF, for chat or shipping.</summary>
    public Phase Merge(int peak)
    {
        var output = new OutputFile(layout.Result);
        string? adapter = layout.PolicyAdapter(peak, recipe.StartAdapter);
        Fingerprint Made() => new Fingerprint("merge").AddFile("model", recipe.Policy.Path).AddFile("lora", adapter);
        return new("result", $"merge round {peak}'s policy -> result.gguf", [new(output, adapter is null ? [] : [adapter], Made, (report, _) =>
        {
            output.Prepare(Made(), ReusePolicy.Recompute);
            if (adapter is not null) LoraMerger.Merge(recipe.Policy.Path, [(adapter, 1.0f)], layout.Result, f => report(f, null));
            else { File.Copy(recipe.Policy.Path, output.PartialPath, overwrite: true); File.Move(output.PartialPath, layout.Result, overwrite: true); }
        })]);
    }

    // ------------------------------------------------------------------ the round's figures, from its files

    public (IReadOnlyList<Winner> Winners, SelectionStats Stats) Selection(int round) =>
        Engine.Jobs.Selection.BestOfN(SampleFile.Read(layout.Samples(round)), RewardFile.Read(layout.Rewards(round)), recipe.Selection);

    public double? SampleAccuracy(int round) =>
        AnswerChecks.ShareRight(SampleFile.Read(layout.Samples(round)), PromptFile.Read(layout.Prompts(round), null));

    public double? HeldOutAccuracy(int round) =>
        AnswerChecks.ShareRight(SampleFile.Read(layout.Eval(round)), PromptFile.Read(layout.HeldOut, null));

    /// <summary>Each eval task's summary for the round's policy (from its per-item file).</summary>
    public IReadOnlyList<Engine.Evaluation.EvalSummary> EvalScores(int round) => EvalJobs(round).Select(j => j.Summary()).ToList();

    /// <summary>Every sample's reward and the winners' rewards (the distribution chart).</summary>
    public RoundRewards Rewards(int round) => new(round,
        RewardFile.Read(layout.Rewards(round)).Where(r => r.Ok && double.IsFinite(r.Reward)).Select(r => r.Reward).ToList(),
        Selection(round).Winners.Select(w => w.Reward).ToList());

    public double? SftLoss(int round) => TrainJob.ReadSummary(layout.Adapter(round)).FinalLoss;

    // ------------------------------------------------------------------ helpers

    private SampleSettings Sampling() => recipe.Sampling with { Runtime = recipe.Sampling.Runtime with { Threads = threads } };

    private ModelSpec PolicyAt(int round) =>
        recipe.Policy with { Loras = layout.PolicyAdapter(round, recipe.StartAdapter) is { } a ? [new LoraSpec(a, 1.0f)] : [] };

    private string[] Adapters(int round) => layout.PolicyAdapter(round, recipe.StartAdapter) is { } a ? [a] : [];

    /// <summary>A prompt file drawn from the pool: the held-out split (round null) or a round's prompts.</summary>
    private Step Draw(OutputFile output, string kind, int? round, Func<IReadOnlyList<PromptItem>> items)
    {
        Fingerprint Made()
        {
            var p = recipe.Prompts;
            var f = new Fingerprint(kind).AddFiles("prompts.files", p.Files).Add("prompts.held_out", p.HeldOut)
                .Add("prompts.seed", p.Seed).Add("prompts.system", SystemPrompt);
            return round is int r ? f.Add("prompts.per_round", p.PerRound).Add("round", r) : f;
        }
        return new Step(output, [], Made, (_, _) => WholeFile(output, Made(), items().Select(PromptFile.Format)));
    }

    private static void WholeFile(OutputFile output, Fingerprint made, IEnumerable<string> lines)
    {
        output.Prepare(made, ReusePolicy.Recompute);
        AtomicFile.WriteAllLines(output.Path, lines);
    }
}

using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.DataGeneration;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Packing;
using Merlinite.Gguf.Lora;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Running;

/// <summary>A phase of a round as the manifest and the progress display name it (round-0/sample), and its jobs (each
/// one output, <see cref="IJob"/>), made in order.</summary>
public sealed record Phase(string Key, string Title, IReadOnlyList<IJob> Jobs);

/// <summary>
/// The phases of a recipe's rounds, built from the same typed Engine jobs the commands run (sample, reward, train),
/// with the recipe's settings and the run directory's files. Nothing here re-implements a phase.
/// </summary>
public sealed partial class RunPhases(Recipe recipe, RunLayout layout, int threads)
{
    private PromptPool? _pool;
    private PromptPool Pool => _pool ??= PromptPool.Load(recipe.Prompts with { Files = PromptFiles }, SystemPrompt);

    /// <summary>The prompt files: the recipe's, or without any, the data its lab section generated (LAB's SFT data).</summary>
    private IReadOnlyList<string> PromptFiles => recipe.Prompts.Files.Count > 0 || recipe.Lab is null ? recipe.Prompts.Files
        : [Path.Combine(layout.Generated, GenerateDataJob.KnowledgeFile), Path.Combine(layout.Generated, GenerateDataJob.SkillsFile)];
    private string? SystemPrompt => recipe.Sampling.Template.SystemPrompt(recipe.Prompts.System);

    public bool EvaluatesHeldOut => recipe.Eval.HeldOutAccuracy && recipe.Prompts.HeldOut > 0;

    /// <summary>Round <paramref name="round"/>'s sampling: the policy of the round on the round's drawn prompts.</summary>
    public SampleJob SampleJob(int round) => new(PolicyAt(round), layout.Prompts(round), layout.Samples(round), Sampling());

    /// <param name="shards">when given, shard processes make the samples (<see cref="ShardRunner"/>) and the join writes
    /// them; the output and its record are those of the one-process job.</param>
    public Phase Sample(int round, Sharding? shards = null)
    {
        var job = SampleJob(round);
        return new($"round-{round}/sample", $"sample ({recipe.Prompts.PerRound} prompts x {job.Settings.N})",
        [
            Draw(layout.Prompts(round), "draw", round, () => Pool.Draw(recipe.Prompts.PerRound, recipe.Prompts.Seed, round)),
            Sharded(job, shards, "sample", round, job.ShardedOutputs()),
        ]);
    }

    public RewardJob RewardJob(int round) => new(recipe.Instruct, recipe.Reference, layout.Samples(round), layout.Rewards(round),
        recipe.Reward with { Scoring = recipe.Reward.Scoring with { Runtime = recipe.Reward.Scoring.Runtime with { Threads = threads } } });

    public Phase Reward(int round, Sharding? shards = null)
    {
        var job = RewardJob(round);
        return new($"round-{round}/reward", $"reward ({recipe.Prompts.PerRound * recipe.Sampling.N} samples)",
            [Sharded(job, shards, "reward", round, job.ShardedOutputs())]);
    }

    /// <summary>Seconds each sharded phase made in this process spent joining its shards' outputs, by phase key.</summary>
    public Dictionary<string, double> JoinSeconds { get; } = [];

    /// <summary>The phases a shard process can run (`run … --phase P --round R --shard K/N`).</summary>
    public static readonly IReadOnlyList<string> ShardablePhases = ["sample", "reward", "eval"];

    /// <summary>Runs one shard of a phase in this process (what a shard process or cluster task does). The inputs are
    /// the ones the run that starts the shards has made; a shard never makes them itself.</summary>
    public void RunShard(string phase, int round, Shard shard, CancellationToken ct)
    {
        void Need(string path, string what)
        {
            if (!new OutputFile(path).IsComplete)
                throw new Engine.Settings.SettingException("round", $"{what} of round {round} is not there yet ({path}); the run that starts the shards makes it first");
        }
        switch (phase)
        {
            case "sample":
                Need(layout.Prompts(round), "the prompt draw");
                SampleJob(round).ForShard(shard).Run(ReuseRule.ResumeOrRecompute, null, ct);
                break;
            case "reward":
                Need(layout.Samples(round), "the sample file");
                RewardJob(round).ForShard(shard).Run(ReuseRule.ResumeOrRecompute, null, ct);
                break;
            case "eval":
                Need(layout.HeldOut, "the held-out prompt file");
                EvalJob(round).ForShard(shard).Run(ReuseRule.ResumeOrRecompute, null, ct);
                break;
            default:
                throw new Engine.Settings.SettingException("phase", $"'{phase}' cannot be sharded: the sharded phases are {string.Join(", ", ShardablePhases)}");
        }
    }

    /// <summary>The job in this process, or made by shard processes and joined (<see cref="ShardedJob"/>).</summary>
    private IJob Sharded(IJob job, Sharding? sharding, string phase, int round, IEnumerable<ShardedOutput> outputs) =>
        sharding is not { Count: > 1 } sh ? job
            : new ShardedJob(job, sh, phase, round, outputs, t => JoinSeconds[$"round-{round}/{phase}"] = t.TotalSeconds);

    public SelectJob SelectJob(int round) =>
        new(layout.Samples(round), layout.Rewards(round), layout.Winners(round), recipe.Selection);

    public Phase Select(int round) => new($"round-{round}/select", "select", [SelectJob(round)]);

    /// <summary>Round <paramref name="round"/>'s held-out evaluation: one greedy answer per held-out prompt.</summary>
    public SampleJob EvalJob(int round) => HeldOutJob(PolicyAt(round), layout.Eval(round));

    /// <summary>One greedy answer of <paramref name="model"/> per held-out prompt, into <paramref name="output"/>.</summary>
    private SampleJob HeldOutJob(ModelSpec model, string output) => new(model, layout.HeldOut, output, Sampling() with
    {
        N = 1, Sampling = recipe.Sampling.Sampling with { Temperature = 0, MaxTokens = recipe.Eval.MaxTokens },
    });

    /// <summary>The base every round's adapter applies to: the recipe's policy, or the last LAB phase's model.</summary>
    public ModelSpec Policy => recipe.Lab is { Phases.Count: > 0 } lab ? recipe.Policy with { Path = layout.LabModel(lab.Phases[^1].Name) } : recipe.Policy;

    public Phase Eval(int round, Sharding? shards = null)
    {
        var job = EvalJob(round);
        return new($"round-{round}/eval", $"eval ({recipe.Prompts.HeldOut} held-out prompts)",
        [
            Draw(layout.HeldOut, "held-out", round: null, () => Pool.HeldOut),
            Sharded(job, shards, "eval", round, job.ShardedOutputs()),
        ]);
    }

    /// <summary>The recipe's benchmarks (eval.tasks) on the round's policy: `merlinite eval`'s job per task.</summary>
    public Phase EvalTasks(int round) => new($"round-{round}/eval-tasks", $"eval ({string.Join(", ", recipe.Eval.Tasks.Select(t => t.Name))})",
        EvalJobs(round).ToList<IJob>());

    private IEnumerable<EvalJob> EvalJobs(int round) => recipe.Eval.Tasks.Select(t => new EvalJob(t.Name, PolicyAt(round), t.Data,
        layout.EvalTask(round, t.Name), t.Settings with { Runtime = t.Settings.Runtime with { Threads = threads } }, t.Judge));

    /// <summary>Trains the policy of round+1: from_base, a fresh adapter on every winner so far; continue, the current
    /// adapter on this round's winners.</summary>
    public Phase Train(int round)
    {
        bool fromBase = recipe.Sft.Mode == SftMode.FromBase;
        var inputs = fromBase ? Enumerable.Range(0, round + 1).Select(layout.Winners).ToList() : [layout.Winners(round)];
        string? init = fromBase ? null : layout.PolicyAdapter(round, recipe.StartAdapter);
        var job = new TrainJob(Policy.Path, inputs, layout.Adapter(round), init,
            recipe.Sft.Train with { Seed = recipe.Sft.Train.Seed + round, Threads = threads });
        return new($"round-{round}/train", $"train (round {round}'s winners{(fromBase && round > 0 ? " and earlier" : "")})",
            [job]);
    }

    /// <summary>output.merge: the peak round's policy as one GGUF, for chat or shipping.</summary>
    public Phase Merge(int peak) => new("result", $"merge round {peak}'s policy -> result.gguf",
        [new MergeJob(Policy.Path, layout.PolicyAdapter(peak, recipe.StartAdapter), layout.Result)]);

    /// <summary>output.pack: the peak round's policy, with the recipe's template and system prompt, as one executable
    /// that chats (merlinite pack); a new build of merlinite packs again.</summary>
    public Phase Pack(int peak)
    {
        string path = layout.ChatBinary(recipe.Name);
        string? adapter = layout.PolicyAdapter(peak, recipe.StartAdapter);
        var request = new PackRequest(Policy.Path, adapter is null ? [] : [new LoraSpec(adapter, 1)],
            recipe.Prompts.System, recipe.Sampling.Template, Path.GetFileName(path),
            new PackSource(recipe.Name, layout.Dir, peak, "the highest batch reward"));
        return new("chat", $"pack round {peak}'s policy -> {Path.GetFileName(path)}", [new PackJob(request, path)]);
    }

    // ------------------------------------------------------------------ the round's figures, from its files

    public (IReadOnlyList<Winner> Winners, SelectionStats Stats) Selection(int round) => SelectJob(round).Select();

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

    public double? SftLoss(int round) => TrainJob.ReadSummary(layout.Adapter(round)).EpochLoss;

    // ------------------------------------------------------------------ helpers

    private SampleSettings Sampling() => recipe.Sampling with { Runtime = recipe.Sampling.Runtime with { Threads = threads } };

    private ModelSpec PolicyAt(int round) =>
        Policy with { Loras = layout.PolicyAdapter(round, recipe.StartAdapter) is { } a ? [new LoraSpec(a, 1.0f)] : [] };

    private string[] Adapters(int round) => layout.PolicyAdapter(round, recipe.StartAdapter) is { } a ? [a] : [];

    /// <summary>A prompt file drawn from the pool: the held-out split (round null) or a round's prompts.</summary>
    private DrawJob Draw(string output, string kind, int? round, Func<IReadOnlyList<PromptItem>> items) =>
        new(output, kind, round, recipe.Prompts, PromptFiles, SystemPrompt, items);
}

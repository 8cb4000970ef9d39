using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Evaluation;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;
using static Merlinite.Recipes.Schema.Yaml;

namespace Merlinite.Recipes.Schema;

/// <summary>Every key a recipe may have, the kind of value it holds, and where in <see cref="Recipe"/> it goes.</summary>
public static class RecipeSchema
{
    private static readonly (string, ChatTemplate)[] Templates = [("merlinite", ChatTemplate.Merlinite), ("model", ChatTemplate.Model), ("raw", ChatTemplate.Raw)];

    /// <summary>A model file: a GGUF that is not an adapter (checked inside, so a wrong file is found before anything runs).</summary>
    private static ScalarNode<string> Model(Action<Recipe, string> apply) => File(apply, p => Inside(() => ModelFiles.CheckModel(p, "model")));

    private static string? Inside(Action check)
    {
        try { check(); return null; }
        catch (Exception e) when (e is InputFormatException or Engine.Settings.SettingException) { return e.Message; }
    }

    private static MapNode RewardModel(Func<Recipe, ModelSpec> get, Action<Recipe, ModelSpec> set) => new(
        new Field("path", Model((r, v) => set(r, get(r) with { Path = v })), Required: true),
        new Field("gpu_layers", GpuLayers((r, v) => set(r, get(r) with { GpuLayers = v }))));

    // Shorthands that write one field of a section's settings record.
    private static void Sampling(Recipe r, Func<SampleSettings, SampleSettings> f) => r.Sampling = f(r.Sampling);
    private static void Sampler(Recipe r, Func<Engine.Generation.SamplingOptions, Engine.Generation.SamplingOptions> f) => r.Sampling = r.Sampling with { Sampling = f(r.Sampling.Sampling) };
    private static void Reward(Recipe r, Func<RewardSettings, RewardSettings> f) => r.Reward = f(r.Reward);
    private static void Scoring(Recipe r, Func<ScoringSettings, ScoringSettings> f) => r.Reward = r.Reward with { Scoring = f(r.Reward.Scoring) };
    private static void Train(Recipe r, Func<TrainSettings, TrainSettings> f) => r.Sft = r.Sft with { Train = f(r.Sft.Train) };
    private static void Lab(Recipe r, Func<LabSettings, LabSettings> f) => r.Lab = f(r.Lab ?? new LabSettings());
    private static void Generate(Recipe r, Func<Engine.DataGeneration.GenerateSettings, Engine.DataGeneration.GenerateSettings> f) => Lab(r, l => l with { Generate = f(l.Generate) });
    private static void Teacher(Recipe r, Func<SampleSettings, SampleSettings> f) => Generate(r, g => g with { Teacher = f(g.Teacher) });
    private static void TeacherSampler(Recipe r, Func<Engine.Generation.SamplingOptions, Engine.Generation.SamplingOptions> f) => Teacher(r, t => t with { Sampling = f(t.Sampling) });
    private static void Phase(Recipe r, Func<SftPhase, SftPhase> f) => Lab(r, l => l with { Phases = [.. l.Phases.SkipLast(1), f(l.Phases[^1])] });
    private static void Cluster(Recipe r, Func<ClusterSettings, ClusterSettings> f) => r.Cluster = f(r.Cluster);
    private static void Task(Recipe r, Func<EvalTask, EvalTask> f) => r.Eval = r.Eval with { Tasks = [.. r.Eval.Tasks.SkipLast(1), f(r.Eval.Tasks[^1])] };
    private static void TaskSettings(Recipe r, Func<EvalTaskSettings, EvalTaskSettings> f) => Task(r, t => t with { Settings = f(t.Settings) });

    /// <summary>One entry of eval.tasks: `merlinite eval`'s settings, key for key.</summary>
    private static readonly MapNode EvalTaskNode = new(
        new Field("name", String((r, v) => Task(r, t => t with { Name = v })), Required: true),
        new Field("kind", OneOf(EvalKinds.All.Select(k => (k.Name, k.Kind)).ToList(), (r, v) => TaskSettings(r, s => s with { Kind = v })), Required: true),
        new Field("data", File((r, v) => Task(r, t => t with { Data = v })), Required: true),
        new Field("shots", Int((r, v) => TaskSettings(r, s => s with { Shots = v }))),
        new Field("shots_file", File((r, v) => TaskSettings(r, s => s with { ShotsFile = v }))),
        new Field("fewshot_sampler", OneOf(ShotSamplers.All,
            (r, v) => TaskSettings(r, s => s with { ShotSampler = v }))),
        new Field("limit", Int((r, v) => TaskSettings(r, s => s with { Limit = v }))),
        new Field("template", OneOf(Templates, (r, v) => TaskSettings(r, s => s with { Template = v }))),
        new Field("system", NullableString((r, v) => TaskSettings(r, s => s with { System = v }))),
        new Field("metric", String((r, v) => TaskSettings(r, s => s with { Metric = v }))),
        new Field("max_tokens", Int((r, v) => TaskSettings(r, s => s with { MaxTokens = v }))),
        new Field("temperature", Number((r, v) => TaskSettings(r, s => s with { Temperature = (float)v }))),
        new Field("seed", UInt((r, v) => TaskSettings(r, s => s with { Seed = v }))),
        new Field("parallel", Int((r, v) => TaskSettings(r, s => s with { Parallel = v }))),
        new Field("context", Int((r, v) => TaskSettings(r, s => s with { Runtime = s.Runtime with { Context = v } }))),
        new Field("judge", Model((r, v) => Task(r, t => t with { Judge = new ModelSpec(v) }))),
        new Field("judge_prompt", File((r, v) => TaskSettings(r, s => s with { JudgePrompt = v }))),
        new Field("judge_prompts", File((r, v) => TaskSettings(r, s => s with { JudgePrompts = v }))),
        new Field("references", File((r, v) => TaskSettings(r, s => s with { References = v }))),
        new Field("judge_template", OneOf(Templates, (r, v) => TaskSettings(r, s => s with { JudgeTemplate = v }))),
        new Field("judge_max_tokens", Int((r, v) => TaskSettings(r, s => s with { JudgeMaxTokens = v }))));

    /// <summary>The lab section: generate-data's settings key for key, and the SFT phases.</summary>
    private static readonly MapNode LabNode = new(
        new Field("taxonomy", Folder((r, v) => Lab(r, l => l with { Taxonomy = v })), Required: true),
        new Field("documents", Folder((r, v) => Lab(r, l => l with { Documents = v }))),
        new Field("teacher", new MapNode(
            new Field("path", Model((r, v) => Lab(r, l => l with { Teacher = l.Teacher with { Path = v } })), Required: true),
            new Field("gpu_layers", GpuLayers((r, v) => Lab(r, l => l with { Teacher = l.Teacher with { GpuLayers = v } }))),
            new Field("template", OneOf(Templates, (r, v) => Teacher(r, t => t with { Template = v }))),
            new Field("system", NullableString((r, v) => Teacher(r, t => t with { System = v })))), Required: true),
        new Field("generate", new MapNode(
            new Field("questions", Int((r, v) => Generate(r, g => g with { QuestionsPerLeaf = v }))),
            new Field("seeds_per_prompt", Int((r, v) => Generate(r, g => g with { SeedsPerPrompt = v }))),
            new Field("n", Int((r, v) => Teacher(r, t => t with { N = v }))),
            new Field("temperature", Number((r, v) => TeacherSampler(r, s => s with { Temperature = (float)v }))),
            new Field("top_p", Number((r, v) => TeacherSampler(r, s => s with { TopP = (float)v }))),
            new Field("top_k", Int((r, v) => TeacherSampler(r, s => s with { TopK = v }))),
            new Field("min_p", Number((r, v) => TeacherSampler(r, s => s with { MinP = (float)v }))),
            new Field("max_tokens", Int((r, v) => TeacherSampler(r, s => s with { MaxTokens = v }))),
            new Field("seed", UInt((r, v) => TeacherSampler(r, s => s with { Seed = v }))),
            new Field("parallel", Int((r, v) => Teacher(r, t => t with { Parallel = v }))),
            new Field("context", Int((r, v) => Teacher(r, t => t with { Runtime = t.Runtime with { Context = v } }))),
            new Field("answer_tokens", Int((r, v) => Generate(r, g => g with { AnswerTokens = v }))),
            new Field("check_tokens", Int((r, v) => Generate(r, g => g with { CheckTokens = v }))),
            new Field("min_question_rating", Number((r, v) => Generate(r, g => g with { MinQuestionRating = v }))),
            new Field("min_pair_rating", Number((r, v) => Generate(r, g => g with { MinPairRating = v }))),
            new Field("chunk_words", Int((r, v) => Generate(r, g => g with { ChunkWords = v }))),
            new Field("prompts", new MapNode(Engine.DataGeneration.GenerationPrompts.Names.Select(n => new Field(n.Name,
                File((r, v) => Generate(r, g => g with { Prompts = g.Prompts.WithFile(n.Name, v) })))).ToArray())))),
        new Field("phases", new MapListNode(new MapNode(
            new Field("name", String((r, v) => Phase(r, p => p with { Name = v })), Required: true),
            new Field("data", OneOf([("knowledge", Engine.DataGeneration.LeafKind.Knowledge), ("skills", Engine.DataGeneration.LeafKind.Skill)],
                (r, v) => Phase(r, p => p with { Data = v })), Required: true),
            new Field("replay", Number((r, v) => Phase(r, p => p with { Replay = v }))),
            new Field("epochs", Int((r, v) => Phase(r, p => p with { Epochs = v }))),
            new Field("lr", Number((r, v) => Phase(r, p => p with { Lr = v })))),
            r => Lab(r, l => l with { Phases = [.. l.Phases, new SftPhase()] }))));

    public static readonly MapNode Root = new(
        new Field("name", String((r, v) => r.Name = v)),
        new Field("reproducible", Bool((r, v) => r.Reproducible = v)),
        new Field("vram", Number((r, v) => r.SetVram(v))),
        new Field("models", new MapNode(
            new Field("policy", new MapNode(
                new Field("base", Model((r, v) => r.Policy = r.Policy with { Path = v }), Required: true),
                new Field("adapter", File((r, v) => r.StartAdapter = v, p => Inside(() => ModelFiles.CheckAdapter(p, "adapter")), nullable: true)),
                new Field("template", OneOf(Templates, (r, v) =>
                {
                    Sampling(r, s => s with { Template = v });
                    Train(r, t => t with { Template = v });
                })),
                new Field("gpu_layers", GpuLayers((r, v) => r.Policy = r.Policy with { GpuLayers = v }))), Required: true),
            new Field("instruct", RewardModel(r => r.Instruct, (r, m) => r.Instruct = m), Required: true),
            new Field("reference", RewardModel(r => r.Reference, (r, m) => r.Reference = m), Required: true)), Required: true),
        new Field("prompts", new MapNode(
            new Field("files", new ListNode<string>(File((_, _) => { }), 1, (r, v) => r.Prompts = r.Prompts with { Files = v })),
            new Field("per_round", Int((r, v) => r.Prompts = r.Prompts with { PerRound = v })),
            new Field("held_out", Int((r, v) => r.Prompts = r.Prompts with { HeldOut = v })),
            new Field("seed", Int((r, v) => r.Prompts = r.Prompts with { Seed = v })),
            new Field("system", NullableString((r, v) =>
            {
                r.Prompts = r.Prompts with { System = v };
                Sampling(r, s => s with { System = v });
                Train(r, t => t with { System = v });
            }))), Required: true),
        new Field("rounds", new MapNode(
            new Field("max", Int((r, v) => r.Rounds = r.Rounds with { Max = v })),
            new Field("min_improvement", NullableNumber((r, v) => r.Rounds = r.Rounds with { MinImprovement = v })))),
        new Field("sampling", new MapNode(
            new Field("n", Int((r, v) => Sampling(r, s => s with { N = v }))),
            new Field("temperature", Number((r, v) => Sampler(r, s => s with { Temperature = (float)v }))),
            new Field("top_p", Number((r, v) => Sampler(r, s => s with { TopP = (float)v }))),
            new Field("top_k", Int((r, v) => Sampler(r, s => s with { TopK = v }))),
            new Field("min_p", Number((r, v) => Sampler(r, s => s with { MinP = (float)v }))),
            new Field("repeat_penalty", Number((r, v) => Sampler(r, s => s with { RepeatPenalty = (float)v }))),
            new Field("max_tokens", Int((r, v) => Sampler(r, s => s with { MaxTokens = v }))),
            new Field("seed", UInt((r, v) => Sampler(r, s => s with { Seed = v }))),
            new Field("parallel", Int((r, v) => Sampling(r, s => s with { Parallel = v }))),
            new Field("stop", new ListNode<string>(String((_, _) => { }), 0, (r, v) => Sampling(r, s => s with { Stop = v }))),
            new Field("context", Int((r, v) => Sampling(r, s => s with { Runtime = s.Runtime with { Context = v } }))))),
        new Field("reward", new MapNode(
            new Field("beta", Number((r, v) => Reward(r, s => s with { Beta = v }))),
            new Field("norm", OneOf([("sum", RewardNorm.Sum), ("mean", RewardNorm.Mean)], (r, v) => Reward(r, s => s with { Norm = v }))),
            new Field("template", OneOf(Templates, (r, v) => Reward(r, s => s with { Template = v }))),
            new Field("truncate", OneOf([("none", TruncateMode.None), ("left", TruncateMode.Left)], (r, v) => Scoring(r, s => s with { Truncate = v }))),
            new Field("parallel", Int((r, v) => Scoring(r, s => s with { Parallel = v }))),
            new Field("batch", Int((r, v) => Scoring(r, s => s with { Batch = v }))),
            new Field("context", Int((r, v) => Scoring(r, s => s with { Runtime = s.Runtime with { Context = v } }))))),
        new Field("selection", new MapNode(
            new Field("strategy", OneOf(["best_of_n"], (_, _) => { })),
            new Field("min_reward", NullableNumber((r, v) => r.Selection = r.Selection with { MinReward = v })),
            new Field("min_margin", NullableNumber((r, v) => r.Selection = r.Selection with { MinMargin = v })))),
        new Field("sft", new MapNode(
            new Field("mode", OneOf([("from_base", SftMode.FromBase), ("continue", SftMode.Continue)], (r, v) => r.Sft = r.Sft with { Mode = v })),
            new Field("rank", Int((r, v) => Train(r, t => t with { Rank = v }))),
            new Field("alpha", Number((r, v) => Train(r, t => t with { Alpha = (float)v }))),
            new Field("dropout", Number((r, v) => Train(r, t => t with { Dropout = (float)v }))),
            new Field("targets", new ListNode<string>(OneOf(TrainSettings.AllTargets, (_, _) => { }), 0, (r, v) => Train(r, t => t with { Targets = v }))),
            new Field("lr", Number((r, v) => Train(r, t => t with { Lr = v }))),
            new Field("epochs", Int((r, v) => Train(r, t => t with { Epochs = v }))),
            new Field("max_steps", Int((r, v) => Train(r, t => t with { MaxSteps = v }))),
            new Field("batch_size", Int((r, v) => Train(r, t => t with { BatchSize = v }))),
            new Field("grad_accum", Int((r, v) => Train(r, t => t with { GradAccum = v }))),
            new Field("warmup_steps", Int((r, v) => Train(r, t => t with { WarmupSteps = v }))),
            new Field("max_grad_norm", Number((r, v) => Train(r, t => t with { MaxGradNorm = v }))),
            new Field("weight_decay", Number((r, v) => Train(r, t => t with { WeightDecay = v }))),
            new Field("max_seq_len", Int((r, v) => Train(r, t => t with { MaxSeqLen = v }))),
            new Field("checkpoint_every", Int((r, v) => Train(r, t => t with { CheckpointEvery = v }))),
            new Field("seed", Int((r, v) => Train(r, t => t with { Seed = v }))),
            new Field("dtype", OneOf([("bf16", TrainDtype.Bf16), ("f16", TrainDtype.F16), ("f32", TrainDtype.F32)], (r, v) => Train(r, t => t with { Dtype = v }))),
            new Field("device", String((r, v) => Train(r, t => t with { Device = v }))),
            new Field("checkpointing", OneOf(["on", "off", "auto"], (r, v) => Train(r, t => t with { Checkpointing = v }))),
            new Field("max_batch_tokens", Int((r, v) => Train(r, t => t with { MaxBatchTokens = v }))))),
        new Field("eval", new MapNode(
            new Field("held_out_accuracy", Bool((r, v) => r.Eval = r.Eval with { HeldOutAccuracy = v })),
            new Field("max_tokens", Int((r, v) => r.Eval = r.Eval with { MaxTokens = v })),
            new Field("tasks", new MapListNode(EvalTaskNode, r => r.Eval = r.Eval with { Tasks = [.. r.Eval.Tasks, new EvalTask()] })))),
        new Field("output", new MapNode(
            new Field("dir", Folder((r, v) => r.Output = r.Output with { Dir = v }), Required: true),
            new Field("merge", Bool((r, v) => r.Output = r.Output with { Merge = v })),
            new Field("pack", Bool((r, v) => r.Output = r.Output with { Pack = v }))), Required: true),
        new Field("cluster", new MapNode(
            new Field("executor", OneOf([("local", ShardExecutor.Local), ("slurm", ShardExecutor.Slurm), ("kubernetes", ShardExecutor.Kubernetes)],
                (r, v) => Cluster(r, c => c with { Executor = v }))),
            new Field("shards", Int((r, v) => Cluster(r, c => c with { Shards = v }))),
            new Field("gpus_per_task", Int((r, v) => Cluster(r, c => c with { GpusPerTask = v }))),
            new Field("cpus_per_task", Int((r, v) => Cluster(r, c => c with { CpusPerTask = v }))),
            new Field("slurm", new MapNode(
                new Field("partition", String((r, v) => Cluster(r, c => c with { Slurm = c.Slurm with { Partition = v } }))),
                new Field("account", String((r, v) => Cluster(r, c => c with { Slurm = c.Slurm with { Account = v } }))),
                new Field("time", String((r, v) => Cluster(r, c => c with { Slurm = c.Slurm with { Time = v } }))))),
            new Field("kubernetes", new MapNode(
                new Field("image", String((r, v) => Cluster(r, c => c with { Kubernetes = c.Kubernetes with { Image = v } }))),
                new Field("namespace", String((r, v) => Cluster(r, c => c with { Kubernetes = c.Kubernetes with { Namespace = v } }))),
                new Field("volume_claim", String((r, v) => Cluster(r, c => c with { Kubernetes = c.Kubernetes with { VolumeClaim = v } }))),
                new Field("mount_path", String((r, v) => Cluster(r, c => c with { Kubernetes = c.Kubernetes with { MountPath = v } }))),
                new Field("command", String((r, v) => Cluster(r, c => c with { Kubernetes = c.Kubernetes with { Command = v } }))))))),
        new Field("lab", LabNode));
}

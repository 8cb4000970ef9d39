using Merlinite.Engine.Evaluation;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Placement;
using Merlinite.Engine.Sampling;
using Merlinite.Engine.Scoring;
using Merlinite.Gguf.Architecture;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Planning;

/// <summary>
/// The memory and time plan of one round: what `run --dry-run` prints and what `run` checks before it loads anything.
/// Each phase's context is the one its job creates (<see cref="SampleSettings.LoadOptions"/>,
/// <see cref="ScoringSettings.LoadOptions"/>), its placement the one `gpu_layers: auto` makes at load
/// (<see cref="PlacementFit"/>), the trainer's memory the plan the trainer checks itself.
/// </summary>
public sealed class RoundPlan
{
    /// <summary>Prompt length the plan assumes (the prompts are not tokenized before a run).</summary>
    public const int PromptTokens = 256;

    private RoundPlan(long? budget, long hostMemory, IReadOnlyList<PhasePlan> phases)
    {
        Budget = budget;
        HostMemory = hostMemory;
        Phases = phases;
    }

    /// <summary>GPU bytes each phase may take; null: no GPU (everything in RAM).</summary>
    public long? Budget { get; }
    /// <summary>This machine's memory (MemTotal): a phase that needs more would page its weights from disk.</summary>
    public long HostMemory { get; }
    public IReadOnlyList<PhasePlan> Phases { get; }
    public IEnumerable<PhasePlan> Refused => Phases.Where(p => p.Problem is not null);

    public static RoundPlan For(Recipe r)
    {
        long? budget = VramBudget.Resolve(r.Vram);
        long host = Engine.Placement.HostMemory.Total;
        int prompts = r.Prompts.PerRound, n = r.Sampling.N, answer = r.Sampling.Sampling.MaxTokens;
        string policyFile = r.Lab is { Phases.Count: > 0 } l ? $"lab/{l.Phases[^1].Name}/model.gguf"
            : Path.GetFileName(r.Policy.Path);
        var sampleShape = r.Sampling.LoadOptions(r.Policy, [new SampleRequest("plan", new int[PromptTokens])]);
        var scoreOptions = (ModelSpec m) =>
            r.Reward.Scoring.LoadOptions(m, [new ScoreItem("plan", new int[PromptTokens], new int[answer + 1])]);
        var phases = new List<PhasePlan>
        {
            Llama("1 sample", policyFile + " + LoRA", $"{prompts} prompts x {n}, <= {answer} tokens", r.Policy,
                sampleShape, WorkKind.Sample, (double)prompts * n * answer, budget, host,
                "sampling.context or sampling.parallel"),
            Llama("2 score (instruct)", Path.GetFileName(r.Instruct.Path), $"{prompts * n} responses", r.Instruct,
                scoreOptions(r.Instruct), WorkKind.Score, (double)prompts * (PromptTokens + n * answer), budget, host,
                "reward.context or reward.parallel"),
            Llama("3 score (reference)", Path.GetFileName(r.Reference.Path), $"{prompts * n} responses", r.Reference,
                scoreOptions(r.Reference), WorkKind.Score, (double)prompts * (PromptTokens + n * answer), budget, host,
                "reward.context or reward.parallel"),
            new("4 select", "-", $"best of {n} per prompt", "-", null, null, null, [], null),
        };
        // Then the round's evaluations and its training, in the order a run makes them (RunPhases.Round). The
        // evaluations load the policy as phase 1 does and are not in the time estimate.
        if (r.Eval.HeldOutAccuracy && r.Prompts.HeldOut > 0)
            phases.Add(new($"{phases.Count + 1} eval", policyFile + " + LoRA",
                $"{r.Prompts.HeldOut} held-out prompts, greedy, exact-answer check", "like phase 1", null, null, null,
                [], null));
        foreach (var t in r.Eval.Tasks)
            phases.Add(new($"{phases.Count + 1} eval {t.Name}",
                policyFile + " + LoRA" + (t.Judge is null ? "" : $", then judge {Path.GetFileName(t.Judge.Path)}"),
                $"{t.Settings.Kind.Name()}: {Path.GetFileName(t.Data)}" +
                $"{(t.Settings.Limit is int lim ? $" (first {lim})" : "")}, {t.Settings.Shots}-shot, " +
                t.Settings.HeadlineMetric, "like phase 1", null, null, null, [], null));
        double trained = (double)prompts * (PromptTokens + answer) * (r.Sft.Train.Epochs ?? 1);
        phases.Add(Train(r, policyFile, budget, host, trained, $"{phases.Count + 1} train (sidecar)"));
        return new RoundPlan(budget, host, phases);
    }

    private static PhasePlan Llama(string name, string model, string work, ModelSpec spec, ModelLoadOptions options,
        WorkKind kind, double tokens, long? budget, long host, string contextKeys)
    {
        if (!File.Exists(spec.Path)) return new(name, model, work, "? (file missing)", null, null, null, [], null);
        ModelWeights weights;
        try { weights = ModelWeights.Read(spec.Path); }
        catch (Engine.Data.InputFormatException e)
        {
            return new(name, model, work, "? " + e.Message, null, null, null, [], null);
        }
        // Scoring takes the logits of every token of a batch; sampling one row per sequence.
        int outputs = kind == WorkKind.Score ? options.BatchSize : 1;
        var shape = ContextShape.Of(options, weights.Dims.TrainedContext, outputs);
        var fitted = spec.GpuLayers is int manual ? PlacementFit.Manual(weights, shape, manual, budget)
            : PlacementFit.Fit(weights, shape, budget);
        var (seconds, from) = Throughput.Estimate(kind, fitted, tokens);
        string? problem = null;
        if (!fitted.FitsGpu)
            problem = $"{Gib(fitted.Memory.Gpu)} on the GPU with gpu_layers {spec.GpuLayersText}, over the " +
                $"{Gib(budget!.Value)} budget: use gpu_layers: auto, or lower {contextKeys}";
        else if (fitted.Memory.Host > host)
            problem = $"{Gib(fitted.Memory.Host)} of RAM, more than this machine's {Gib(host)}: " +
                (budget is null ? "run it on a GPU (--vram)" : "raise --vram") + $", or lower {contextKeys}";
        return new(name, model, work, fitted.Describe(), fitted.Memory.UsesGpu ? fitted.Memory.Gpu : 0,
            fitted.Memory.Host, seconds, from, problem);
    }

    /// <summary>The trainer: the memory plan it checks itself (<see cref="TrainingMemoryPlan"/>), on the GPU when the
    /// round plans for one (sft.device auto or cuda), with checkpointing when auto and only that fits.</summary>
    private static PhasePlan Train(Recipe r, string policyFile, long? budget, long host, double tokens, string name)
    {
        var t = r.Sft.Train;
        string work = "LoRA SFT on the winners";
        if (!File.Exists(r.Policy.Path))
            return new(name, policyFile, work, "? (file missing)", null, null, null, [], null);
        LlamaHyperParameters hp;
        try
        {
            using var gguf = Gguf.GgufFile.Open(r.Policy.Path);
            hp = LlamaHyperParameters.FromGguf(gguf);
        }
        catch (Exception e) when (e is Gguf.GgufFormatException or ArgumentException or KeyNotFoundException)
        { return new(name, policyFile, work, "? not a llama-architecture GGUF", null, null, null, [], null); }
        bool cuda = t.Device.StartsWith("cuda", StringComparison.Ordinal) || (t.Device == "auto" && budget is not null);
        int seq = Math.Min(hp.ContextLength, r.Sampling.Sampling.MaxTokens + 512);
        var (rows, length) = t.MaxBatchTokens is int packed ? (1, Math.Max(seq, packed)) : (t.BatchSize, seq);
        long Plan(bool checkpointing) => TrainingMemoryPlan.Estimate(hp, new TrainingShape(t.Dtype.Bytes(), t.Rank,
            t.Targets, rows, length, rows * r.Sampling.Sampling.MaxTokens, checkpointing, cuda)).Total;
        long limit = cuda ? budget ?? 0 : host;
        bool checkpointing = t.Checkpointing == "on" || (t.Checkpointing == "auto" && Plan(false) > limit);
        long need = Plan(checkpointing);
        string placement = $"{(cuda ? "cuda" : "cpu")}, {t.Dtype.Name()}{(checkpointing ? ", checkpointing" : "")}";
        double active = hp.ParameterCount * (double)t.Dtype.Bytes();
        var rate = Throughput.For(Engine.Placement.WorkKind.Train, cuda ? "gpu" : "cpu");
        double seconds = tokens * active / rate.BytesPerSecond;
        string? problem = need <= limit ? null
            : $"the LoRA trainer needs {Gib(need)} on the {(cuda ? "GPU" : "CPU")}" +
              $"{(checkpointing ? " with checkpointing" : "")}, " +
              $"over the {Gib(limit)} {(cuda ? "budget" : "of this machine")}: " +
              (cuda ? "raise --vram, lower sft.max_batch_tokens, or set sft.device: cpu"
                    : "lower sft.max_batch_tokens, or train on a GPU");
        // On CUDA the host holds the runtime only: the base is read into the GPU chunk by chunk.
        return new(name, policyFile, work, placement, cuda ? need : 0, cuda ? TrainingMemoryPlan.CpuRuntimeBytes : need,
            seconds, [rate], problem);
    }

    public static string Gib(long bytes) =>
        (bytes / VramBudget.Gib).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " GiB";
}

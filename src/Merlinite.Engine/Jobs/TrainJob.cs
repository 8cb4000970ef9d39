using System.Globalization;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Reproducibility;
using Merlinite.Engine.Settings;
using Merlinite.Engine.Training;
using Merlinite.Gguf;

namespace Merlinite.Engine.Jobs;

/// <summary>LoRA SFT settings, for `merlinite train` and a recipe's sft section alike (the trainer sidecar has no
/// defaults of its own: it is always given every one of these).</summary>
public sealed record TrainSettings
{
    public static readonly IReadOnlyList<string> AllTargets = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"];

    // Rank 16 with alpha 32 (an update scale of 2) on all seven projections: LoRA on every linear layer tracks full
    // fine-tuning much better than the original paper's q,v only (QLoRA, Dettmers et al. 2023), at a small cost.
    public int Rank { get; init; } = 16;
    public float Alpha { get; init; } = 32;
    public float Dropout { get; init; }
    public IReadOnlyList<string> Targets { get; init; } = AllTargets;
    /// <summary>Peak AdamW learning rate, reached after the warmup, then cosine decay (2e-4: common for LoRA SFT).</summary>
    public double Lr { get; init; } = 2e-4;
    public int WarmupSteps { get; init; }
    /// <summary>Passes over the data; null: one, or as many as max_steps needs.</summary>
    public int? Epochs { get; init; }
    /// <summary>Optimizer steps; caps the epochs when both are given.</summary>
    public int? MaxSteps { get; init; }
    public int BatchSize { get; init; } = 4;
    public int GradAccum { get; init; } = 1;
    /// <summary>Global gradient-norm clip; 0 disables it.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public double WeightDecay { get; init; }
    public int Seed { get; init; }
    /// <summary>Save a resumable checkpoint every this many steps (0: never). Speed and safety only: not fingerprinted.</summary>
    public int CheckpointEvery { get; init; } = 50;
    /// <summary>Longest example in tokens; null: the model's training context.</summary>
    public int? MaxSeqLen { get; init; }
    public ChatTemplate Template { get; init; } = ChatTemplate.Merlinite;
    public string? System { get; init; }
    /// <summary>CPU threads of the trainer (0 = one per core).</summary>
    public int Threads { get; init; }
    /// <summary>The frozen base's dtype: bf16 halves a 7B base to 14.5 GB and is what GPUs multiply fastest; LoRA,
    /// its optimizer state and the loss stay float32 (the parity tests bound what bf16 changes).</summary>
    public TrainDtype Dtype { get; init; } = TrainDtype.Bf16;
    /// <summary>cpu, cuda, cuda:N, or auto (CUDA when the trainer finds a CUDA libtorch and a GPU). Where a run computes
    /// changes its rounding, so it is part of the fingerprint.</summary>
    public string Device { get; init; } = "auto";
    /// <summary>Recompute each block in the backward pass instead of keeping its activations: on, off, or auto (on
    /// when the memory plan fits only with it). Memory only: not fingerprinted.</summary>
    public string Checkpointing { get; init; } = "auto";
    /// <summary>Pack each micro-batch up to this many tokens, examples end to end and masked apart; null: batch_size
    /// rows of one example each.</summary>
    public int? MaxBatchTokens { get; init; }

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Require.Between("rank", Rank, 1, 1024);
        yield return Require.Above("alpha", Alpha, 0);
        yield return Require.InRange("dropout", Dropout, 0, 1, minInclusive: true, maxInclusive: false);
        yield return Targets.Count == 0 ? new SettingProblem("targets", "must name at least one weight") : null;
        foreach (var t in Targets.Where(t => !AllTargets.Contains(t)).Take(1))
            yield return new SettingProblem("targets", $"'{t}' is not a weight LoRA can adapt ({string.Join(", ", AllTargets)})");
        yield return Require.Above("lr", Lr, 0);
        yield return Require.AtLeast("warmup_steps", WarmupSteps, 0);
        yield return Epochs is int e ? Require.AtLeast("epochs", e, 1) : null;
        yield return MaxSteps is int m ? Require.AtLeast("max_steps", m, 1) : null;
        yield return Require.AtLeast("batch_size", BatchSize, 1);
        yield return Require.AtLeast("grad_accum", GradAccum, 1);
        yield return Require.AtLeast("max_grad_norm", MaxGradNorm, 0);
        yield return Require.AtLeast("weight_decay", WeightDecay, 0);
        yield return Require.AtLeast("checkpoint_every", CheckpointEvery, 0);
        yield return MaxSeqLen is int l ? Require.AtLeast("max_seq_len", l, 2) : null;
        yield return Require.AtLeast("threads", Threads, 0);
        yield return Device is "cpu" or "cuda" or "auto" || (Device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(Device.AsSpan(5), out int i) && i >= 0)
            ? null : new SettingProblem("device", $"'{Device}' is not cpu, cuda, cuda:N or auto");
        yield return Checkpointing is "on" or "off" or "auto" ? null : new SettingProblem("checkpointing", $"'{Checkpointing}' is not on, off or auto");
        yield return MaxBatchTokens is int budget ? Require.AtLeast("max_batch_tokens", budget, 2) : null;
    }
}

/// <summary>The dtype the trainer holds the frozen base in.</summary>
public enum TrainDtype { Bf16, F16, F32 }

public static class TrainDtypes
{
    public static string Name(this TrainDtype d) => d.ToString().ToLowerInvariant();

    public static TrainDtype Parse(string text) => text switch
    {
        "bf16" => TrainDtype.Bf16,
        "f16" => TrainDtype.F16,
        "f32" => TrainDtype.F32,
        _ => throw new FormatException($"'{text}' is not bf16, f16 or f32"),
    };

    public static int Bytes(this TrainDtype d) => d == TrainDtype.F32 ? 4 : 2;
}

/// <summary>What a finished training run reports (also stored in the adapter file itself).</summary>
public sealed record TrainSummary(int Steps, double? FinalLoss, bool UpToDate = false)
{
    /// <summary>The mean loss of the last epoch's steps: what reports show (null for an adapter of an older merlinite).
    /// </summary>
    public double? EpochLoss { get; init; }
    /// <summary>The trainer's memory plan and its measured peak resident memory (when this run trained).</summary>
    public string? Plan { get; init; }
    public long PeakResidentBytes { get; init; }
    public double LoadSeconds { get; init; }
    public double SecondsPerStep { get; init; }
    public long Tokens { get; init; }
}

/// <summary>
/// LoRA SFT of <see cref="Model"/> on the (prompt, response) pairs of the input files: tokenized here exactly as
/// scoring tokenizes, trained by the TorchSharp sidecar, written as a llama.cpp GGUF adapter. Resumable through the
/// trainer's checkpoints; the tokenized data and the checkpoints are removed once the adapter is written.
/// </summary>
public sealed record TrainJob(string Model, IReadOnlyList<string> Inputs, string Out, string? InitAdapter,
    TrainSettings Settings) : IJob
{
    public const string Kind = "train";
    public const string StepsKey = "merlinite.training.steps", LossKey = "merlinite.training.final_loss",
        EpochLossKey = "merlinite.training.last_epoch_loss";

    public OutputFile Output => new(Out, "out", TokensPath, CheckpointDir);
    IReadOnlyList<string> IJob.Inputs => [.. Inputs, Model, .. InitAdapter is null ? Array.Empty<string>() : [InitAdapter]];

    public void Make(Action<double, string?> report, CancellationToken ct) =>
        Run(ReuseRule.ResumeOrRecompute, p => report(p.TotalSteps == 0 ? 0 : (double)p.Step / p.TotalSteps,
            $"step {p.Step}/{p.TotalSteps}{(p.Loss is double l ? $" loss {l:F4}" : "")}"), ct);
    private string TokensPath => Out + ".tokens.jsonl";
    private string CheckpointDir => Out + ".checkpoints";

    public void Validate() => SettingException.ThrowIfAny(Settings.Problems()
        .Append(Inputs.Count == 0 ? new SettingProblem("input", "no training data given") : null)
        .Concat(Inputs.Select(i => JobSupport.InputProblem("input", i))).Append(JobSupport.InputProblem("model", Model))
        .Append(JobSupport.InputProblem("init_adapter", InitAdapter))
        .Append(ReproducibleMode.DeviceProblem(Settings.Device) is { } device ? new SettingProblem("device", device) : null));

    public Fingerprint Fingerprint()
    {
        var s = Settings;
        return new Fingerprint(Kind).AddFile("model", Model).AddFiles("input", Inputs).AddFile("init_adapter", InitAdapter)
            .Add("rank", s.Rank).Add("alpha", s.Alpha).Add("dropout", s.Dropout).Add("targets", AllTargetsIn(s.Targets))
            .Add("lr", s.Lr).Add("warmup_steps", s.WarmupSteps).Add("epochs", s.Epochs).Add("max_steps", s.MaxSteps)
            .Add("batch_size", s.BatchSize).Add("grad_accum", s.GradAccum).Add("max_grad_norm", s.MaxGradNorm)
            .Add("weight_decay", s.WeightDecay).Add("seed", s.Seed).Add("max_seq_len", s.MaxSeqLen)
            .Add("template", s.Template.Name()).Add("system", s.Template.SystemPrompt(s.System))
            .Add("dtype", s.Dtype.Name()).Add("device", s.Device).Add("max_batch_tokens", s.MaxBatchTokens);
    }

    public TrainSummary Run(ReuseRule reuse, Action<TrainerProgress>? progress, CancellationToken ct)
    {
        Validate();
        TrainerSidecar.Locate(); // fail before any work when the sidecar is missing
        var output = Output;
        output.EnsureWritable();
        ModelFiles.CheckModel(Model, "model");
        if (InitAdapter is not null) ModelFiles.CheckAdapter(InitAdapter, "init_adapter");
        var pairs = Inputs.SelectMany(f => PairFile.ReadScorePairs(f, Settings.Template.SystemPrompt(Settings.System))).ToList();
        if (output.Prepare(Fingerprint(), reuse)) return ReadSummary(Out) with { UpToDate = true };

        // Tokenizing first (a too-long example is refused here) and only then writing the trainer's input, so a refused
        // run leaves nothing.
        List<string> lines;
        try
        {
            using var vocabulary = LoadedModel.LoadVocabulary(Model);
            lines = SftTokenizer.Lines(vocabulary, pairs, Settings.Template, Settings.MaxSeqLen ?? TrainingContext(Model));
        }
        catch { output.ForgetIfUnstarted(); throw; }
        AtomicFile.WriteAllLines(TokensPath, lines);
        TrainerResult result;
        try { result = TrainerSidecar.Run(TrainerArguments(TokensPath), progress, ct); }
        catch (MemoryPlanException)
        {
            // Refused before any work: nothing of this run may look started.
            File.Delete(TokensPath);
            output.ForgetIfUnstarted();
            throw;
        }
        output.RemoveWorkingFiles();
        return new TrainSummary(result.Steps, result.FinalLoss)
        {
            EpochLoss = result.LastEpochLoss,
            PeakResidentBytes = result.PeakResidentBytes, Plan = result.Plan, LoadSeconds = result.LoadSeconds, SecondsPerStep = result.SecondsPerStep,
            Tokens = result.Tokens,
        };
    }

    /// <summary>The trainer's memory plan for this job (`train --dry-run`): the data are tokenized into a temporary
    /// file and the trainer plans without loading the model; the output is not touched.</summary>
    public string Plan(CancellationToken ct)
    {
        Validate();
        TrainerSidecar.Locate();
        ModelFiles.CheckModel(Model, "model");
        var pairs = Inputs.SelectMany(f => PairFile.ReadScorePairs(f, Settings.Template.SystemPrompt(Settings.System))).ToList();
        string tokens = Path.Combine(Path.GetTempPath(), $"merlinite-plan-{Environment.ProcessId}-{Guid.NewGuid():N}.jsonl");
        try
        {
            using (var vocabulary = LoadedModel.LoadVocabulary(Model))
                AtomicFile.WriteAllLines(tokens, SftTokenizer.Lines(vocabulary, pairs, Settings.Template, Settings.MaxSeqLen ?? TrainingContext(Model)));
            return TrainerSidecar.Run([.. TrainerArguments(tokens), "--dry-run"], null, ct).Plan ?? "(the trainer made no plan)";
        }
        finally { File.Delete(tokens); }
    }

    /// <summary>Steps and losses as the trainer recorded them in the adapter.</summary>
    public static TrainSummary ReadSummary(string adapter)
    {
        using var gguf = GgufFile.Open(adapter);
        var m = gguf.Metadata;
        return new TrainSummary(m.TryGetValue(StepsKey, out var steps) ? steps.AsInt32() : 0,
            m.TryGetValue(LossKey, out var loss) ? loss.AsFloat64() : null)
        {
            EpochLoss = m.TryGetValue(EpochLossKey, out var epoch) && double.IsFinite(epoch.AsFloat64())
                ? epoch.AsFloat64() : null,
        };
    }

    private List<string> TrainerArguments(string tokens)
    {
        var s = Settings;
        static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var args = new List<string>
        {
            "--base", Path.GetFullPath(Model), "--data", tokens, "--out", Path.GetFullPath(Out), "--checkpoint-dir", CheckpointDir,
            "--rank", I(s.Rank), "--alpha", F(s.Alpha), "--dropout", F(s.Dropout), "--targets", string.Join(',', s.Targets),
            "--lr", F(s.Lr), "--warmup-steps", I(s.WarmupSteps), "--batch-size", I(s.BatchSize), "--grad-accum", I(s.GradAccum),
            "--max-grad-norm", F(s.MaxGradNorm), "--weight-decay", F(s.WeightDecay), "--seed", I(s.Seed),
            "--checkpoint-every", I(s.CheckpointEvery), "--threads", I(s.Threads > 0 ? s.Threads : Environment.ProcessorCount),
            "--dtype", s.Dtype.Name(), "--device", s.Device, "--checkpointing", s.Checkpointing,
        };
        if (s.MaxBatchTokens is int budget) args.AddRange(["--max-batch-tokens", I(budget)]);
        if (s.Epochs is int e || s.MaxSteps is null) args.AddRange(["--epochs", I(s.Epochs ?? 1)]);
        if (s.MaxSteps is int m) args.AddRange(["--max-steps", I(m)]);
        if (s.MaxSeqLen is int l) args.AddRange(["--max-seq-len", I(l)]);
        if (InitAdapter is not null) args.AddRange(["--init-adapter", Path.GetFullPath(InitAdapter)]);
        if (ReproducibleMode.IsOn) args.Add("--reproducible");
        return args;
    }

    /// <summary>The targets in the trainer's fixed order, so "q,v" and "v,q" are the same run.</summary>
    private static IEnumerable<string> AllTargetsIn(IReadOnlyList<string> targets) => TrainSettings.AllTargets.Where(targets.Contains);

    /// <summary>The model's training context from its GGUF header.</summary>
    private static int TrainingContext(string path)
    {
        using var gguf = GgufFile.Open(path);
        string? arch = gguf.Metadata.GetStringOrDefault("general.architecture");
        return arch is not null && gguf.Metadata.TryGetValue($"{arch}.context_length", out var v) ? v.AsInt32() : int.MaxValue;
    }
}

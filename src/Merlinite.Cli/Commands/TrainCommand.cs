using System.CommandLine;
using System.Globalization;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Jobs;

namespace Merlinite.Cli.Commands;

/// <summary>
/// merlinite train: tokenizes SFT pairs with llama.cpp's tokenizer (exactly as scoring does), then runs the TorchSharp
/// trainer sidecar, which writes a GGUF LoRA adapter. A killed run, rerun with the same command, resumes from the
/// trainer's last checkpoint. Every default comes from the Engine's <see cref="TrainSettings"/>.
/// </summary>
public static class TrainCommand
{
    private static readonly TrainSettings D = new();

    public static Command Create()
    {
        var model = Flags.Required<FileInfo>("model", "the base GGUF model (llama architecture: Llama, Mistral, Mixtral)", "M.gguf");
        var input = Flags.Required<FileInfo[]>("input", "SFT JSONL: {\"id\", \"prompt\", \"response\"} or {\"id\", \"messages\"} (the last message, the assistant's, is trained; the rest is context); repeatable", "sft.jsonl");
        var output = Flags.Required<FileInfo>("out", "the LoRA adapter to write (GGUF, llama.cpp's format; use it with --lora)", "adapter.gguf");
        var rank = Flags.Create("rank", "LoRA rank r", D.Rank, "R");
        var alpha = Flags.Create("alpha", "LoRA alpha (the update is scaled by alpha / r)", D.Alpha, "A");
        var dropout = Flags.Create("dropout", "dropout on the adapter's input", D.Dropout, "P");
        var targets = Flags.Create("targets", $"weights that get adapters, comma-separated: {string.Join(",", TrainSettings.AllTargets)} (Mixtral: the FFN ones per expert)", string.Join(",", D.Targets), "LIST");
        var lr = Flags.Create("lr", "peak learning rate (AdamW), reached after the warmup, then cosine decay", D.Lr, "LR");
        var warmup = Flags.Create("warmup_steps", "linear warmup steps", D.WarmupSteps, "N");
        var epochs = Flags.Optional<int?>("epochs", "passes over the data (default 1 unless --max-steps)", "N");
        var maxSteps = Flags.Optional<int?>("max_steps", "optimizer steps (caps --epochs)", "N");
        var batch = Flags.Create("batch_size", "examples per micro-batch", D.BatchSize, "N");
        var accum = Flags.Create("grad_accum", "micro-batches per optimizer step", D.GradAccum, "N");
        var clip = Flags.Create("max_grad_norm", "gradient clipping (0 = off)", D.MaxGradNorm, "X");
        var decay = Flags.Create("weight_decay", "AdamW weight decay", D.WeightDecay, "X");
        var seed = Flags.Create("seed", "initialization, shuffling and dropout seed", D.Seed, "S");
        var checkpointEvery = Flags.Create("checkpoint_every", "save a resumable checkpoint every N steps (0 = never)", D.CheckpointEvery, "N");
        var initAdapter = Flags.Optional<FileInfo?>("init_adapter", "start from this adapter instead of a fresh one", "A.gguf");
        var threads = Flags.Threads();
        var maxSeqLen = Flags.Optional<int?>("max_seq_len", "longest example in tokens (default: the model's training context)", "N");
        var template = ScoringFlags.Template(D.Template, "merlinite (Merlinite's chat template), model (the GGUF's own) or raw (prompt + response as they are)");
        var system = Flags.Optional<string?>("system", "system prompt for plain \"prompt\" lines (default: the Merlinite model card's with --template merlinite; \"\" for none)");
        var dtype = Flags.Create("dtype", "the frozen base's dtype: bf16, f16 or f32 (LoRA, its AdamW state and the loss are float32 whatever it is)", D.Dtype.Name(), "D");
        dtype.AcceptOnlyFromAmong("bf16", "f16", "f32");
        var device = Flags.Create("device", "cpu, cuda, cuda:N, or auto (CUDA when a CUDA libtorch and a GPU are found: $MERLINITE_LIBTORCH or python3's torch)", D.Device, "D");
        var checkpointing = Flags.Create("checkpointing", "recompute each block in the backward pass to keep one block's activations: on, off, or auto (on when the memory plan fits only with it)", D.Checkpointing, "C");
        checkpointing.AcceptOnlyFromAmong("on", "off", "auto");
        var maxBatchTokens = Flags.Optional<int?>("max_batch_tokens", "pack each micro-batch up to N tokens, examples end to end and masked apart (default: --batch-size padded rows)", "N");
        var dryRun = new Option<bool>("--dry-run") { Description = "print the memory plan (weights, LoRA and AdamW, activations, logits) for this data and device, and exit; nothing is trained or written" };
        var restart = Restart.Create();
        var reproducible = Flags.Reproducible();

        var cmd = new Command("train", "LoRA supervised fine-tuning in the TorchSharp sidecar. Loss is on the response tokens and the closing " +
                                       "<|endoftext|>. Writes a GGUF LoRA adapter; a killed run resumes from its last checkpoint when rerun.")
        {
            model, input, output, rank, alpha, dropout, targets, lr, warmup, epochs, maxSteps, batch, accum, clip, decay,
            seed, checkpointEvery, initAdapter, threads, maxSeqLen, template, system, dtype, device, checkpointing, maxBatchTokens, dryRun, restart,
            reproducible,
        };
        cmd.SetAction((parse, ct) =>
        {
            var settings = new TrainSettings
            {
                Rank = parse.GetValue(rank), Alpha = parse.GetValue(alpha), Dropout = parse.GetValue(dropout),
                Targets = parse.GetValue(targets)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                Lr = parse.GetValue(lr), WarmupSteps = parse.GetValue(warmup), Epochs = parse.GetValue(epochs), MaxSteps = parse.GetValue(maxSteps),
                BatchSize = parse.GetValue(batch), GradAccum = parse.GetValue(accum), MaxGradNorm = parse.GetValue(clip),
                WeightDecay = parse.GetValue(decay), Seed = parse.GetValue(seed), CheckpointEvery = parse.GetValue(checkpointEvery),
                MaxSeqLen = parse.GetValue(maxSeqLen), Template = ChatTemplates.Parse(parse.GetValue(template)!), System = parse.GetValue(system),
                Threads = parse.GetValue(threads), Dtype = TrainDtypes.Parse(parse.GetValue(dtype)!), Device = parse.GetValue(device)!,
                Checkpointing = parse.GetValue(checkpointing)!, MaxBatchTokens = parse.GetValue(maxBatchTokens),
            };
            var job = new TrainJob(parse.GetValue(model)!.FullName, parse.GetValue(input)!.Select(f => f.FullName).ToList(),
                parse.GetValue(output)!.FullName, parse.GetValue(initAdapter)?.FullName, settings);
            job.Validate();
            if (parse.GetValue(dryRun))
            {
                Console.WriteLine($"memory plan: {job.Plan(ct)}");
                return Task.FromResult(ExitCodes.Ok);
            }
            double? firstLoss = null; // the closing line shows where the loss started, as a plain log has no per-step lines
            var result = ProgressDisplay.Run($"train {Path.GetFileName(job.Out)}", sink => job.Run(Restart.Rule(parse, restart), p =>
            {
                if (p.Loss is double first && firstLoss is null && !p.Resumed) firstLoss = first;
                sink.Report(p.TotalSteps == 0 ? 0 : (double)p.Step / p.TotalSteps,
                    $"step {p.Step}/{p.TotalSteps}{(p.Loss is double l ? $" loss {l:F4}" : "")}{(p.TokensPerSecond is double t ? $", {t:F0} tokens/s" : "")}{(p.Resumed ? " (resumed)" : "")}");
            }, ct));
            static string F4(double? v) => v?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a";
            Console.Error.WriteLine(result.UpToDate ? Restart.UpToDate(job.Out)
                : $"wrote {job.Out} ({result.Steps} steps, loss {(firstLoss is null ? "" : F4(firstLoss) + " → ")}" +
                  $"{F4(result.FinalLoss)}" +
                  $"{(result.EpochLoss is null ? "" : $", last epoch's mean {F4(result.EpochLoss)}")}; " +
                  $"memory plan {result.Plan}, measured peak {Merlinite.Gguf.Architecture.TrainingMemory.Gib(result.PeakResidentBytes)}; " +
                  string.Create(CultureInfo.InvariantCulture, $"model load {result.LoadSeconds:F1} s, {result.SecondsPerStep:F2} s per step, {result.Tokens} tokens trained)"));
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}

using System.CommandLine;
using System.Globalization;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Training;

namespace Merlinite.Cli.Commands;

/// <summary>
/// merlinite train: tokenizes SFT pairs with llama.cpp's tokenizer (exactly as scoring does), then runs the TorchSharp
/// trainer sidecar, which writes a GGUF LoRA adapter. A killed run, rerun with the same command, resumes from the
/// trainer's last checkpoint.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var baseModel = new Option<FileInfo>("--base", "-m") { Description = "the base GGUF model (llama architecture: Llama, Mistral, Mixtral)", Required = true, HelpName = "M.gguf" };
        var data = new Option<FileInfo>("--data") { Description = "SFT JSONL: {\"id\", \"prompt\", \"response\"} or {\"id\", \"messages\"} (the last message, the assistant's, is trained; the rest is context)", Required = true, HelpName = "sft.jsonl" };
        var output = new Option<FileInfo>("--out", "-o") { Description = "the LoRA adapter to write (GGUF, llama.cpp's format; use it with --lora)", Required = true, HelpName = "adapter.gguf" };
        var rank = new Option<int>("--lora-rank") { Description = "LoRA rank r", DefaultValueFactory = _ => 8 };
        var alpha = new Option<float>("--lora-alpha") { Description = "LoRA alpha (the update is scaled by alpha / r)", DefaultValueFactory = _ => 16 };
        var dropout = new Option<float>("--lora-dropout") { Description = "dropout on the adapter's input", DefaultValueFactory = _ => 0 };
        var targets = new Option<string>("--targets") { Description = "weights that get adapters: attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down (Mixtral: the FFN ones per expert)", DefaultValueFactory = _ => "attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down" };
        var lr = new Option<double>("--lr") { Description = "peak learning rate (AdamW), reached after the warmup, then cosine decay", DefaultValueFactory = _ => 2e-4 };
        var warmup = new Option<int>("--warmup-steps") { Description = "linear warmup steps", DefaultValueFactory = _ => 0 };
        var epochs = new Option<int?>("--epochs") { Description = "passes over the data (default 1 unless --max-steps)" };
        var maxSteps = new Option<int?>("--max-steps") { Description = "optimizer steps (caps --epochs)" };
        var batch = new Option<int>("--batch-size") { Description = "examples per micro-batch", DefaultValueFactory = _ => 4 };
        var accum = new Option<int>("--grad-accum") { Description = "micro-batches per optimizer step", DefaultValueFactory = _ => 1 };
        var clip = new Option<double>("--max-grad-norm") { Description = "gradient clipping (0 = off)", DefaultValueFactory = _ => 1.0 };
        var decay = new Option<double>("--weight-decay") { Description = "AdamW weight decay", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "initialization, shuffling and dropout seed", DefaultValueFactory = _ => 0 };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "save a resumable checkpoint every N steps (0 = never)", DefaultValueFactory = _ => 50 };
        var initAdapter = new Option<FileInfo?>("--init-adapter") { Description = "start from this adapter instead of a fresh one", HelpName = "A.gguf" };
        var threads = new Option<int>("--threads", "-t") { Description = "CPU threads (0 = one per core)", DefaultValueFactory = _ => 0 };
        var maxSeqLen = new Option<int?>("--max-seq-len") { Description = "longest example in tokens (default: the model's training context)" };
        var template = new Option<string>("--template") { Description = "merlinite (Merlinite's chat template) or raw (prompt + response as they are)", DefaultValueFactory = _ => "merlinite" };
        template.AcceptOnlyFromAmong("merlinite", "raw");
        var system = new Option<string?>("--system") { Description = "system prompt for plain \"prompt\" lines (default: the Merlinite model card's; \"\" for none)" };

        var cmd = new Command("train", "LoRA supervised fine-tuning in the TorchSharp sidecar. Loss is on the response tokens and the closing " +
                                       "<|endoftext|>. Writes a GGUF LoRA adapter; a killed run resumes from its last checkpoint when rerun.")
        {
            baseModel, data, output, rank, alpha, dropout, targets, lr, warmup, epochs, maxSteps, batch, accum, clip, decay,
            seed, checkpointEvery, initAdapter, threads, maxSeqLen, template, system,
        };
        cmd.SetAction((parse, ct) =>
        {
            var basePath = parse.GetValue(baseModel)!;
            if (!basePath.Exists) throw new UsageException($"model file not found: {basePath.FullName}");
            var dataFile = parse.GetValue(data)!;
            if (!dataFile.Exists) throw new UsageException($"data file not found: {dataFile.FullName}");
            var init = parse.GetValue(initAdapter);
            if (init is { Exists: false }) throw new UsageException($"--init-adapter not found: {init.FullName}");
            TrainerSidecar.Locate(); // fail before any work when the sidecar is missing
            string outPath = parse.GetValue(output)!.FullName;
            string tokensPath = outPath + ".tokens.jsonl";
            Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);

            var pairs = PairFile.ReadScorePairs(dataFile.FullName, parse.GetValue(system) ?? Engine.Chat.MerliniteTemplate.DefaultSystemPrompt);
            var kind = parse.GetValue(template) == "raw" ? ScoreTemplateKind.Raw : ScoreTemplateKind.Merlinite;
            using (var vocabulary = LoadedModel.Load(new ModelLoadOptions { Path = basePath.FullName, VocabularyOnly = true, GpuLayers = 0 }))
            {
                int maxTokens = parse.GetValue(maxSeqLen) ?? TrainingContext(basePath.FullName);
                long trained = SftTokenizer.Write(vocabulary, pairs, kind, maxTokens, tokensPath);
                Console.Error.WriteLine($"{pairs.Count} examples, {trained} trained tokens -> {tokensPath}");
            }

            var args = new List<string>
            {
                "--base", basePath.FullName, "--data", tokensPath, "--out", outPath,
                "--rank", I(parse.GetValue(rank)), "--alpha", F(parse.GetValue(alpha)), "--dropout", F(parse.GetValue(dropout)),
                "--targets", parse.GetValue(targets)!, "--lr", F(parse.GetValue(lr)), "--warmup-steps", I(parse.GetValue(warmup)),
                "--batch-size", I(parse.GetValue(batch)), "--grad-accum", I(parse.GetValue(accum)),
                "--max-grad-norm", F(parse.GetValue(clip)), "--weight-decay", F(parse.GetValue(decay)), "--seed", I(parse.GetValue(seed)),
                "--checkpoint-every", I(parse.GetValue(checkpointEvery)),
                "--threads", I(parse.GetValue(threads) > 0 ? parse.GetValue(threads) : Environment.ProcessorCount),
            };
            if (parse.GetValue(epochs) is int e) args.AddRange(["--epochs", I(e)]);
            if (parse.GetValue(maxSteps) is int s) args.AddRange(["--max-steps", I(s)]);
            if (parse.GetValue(maxSeqLen) is int m) args.AddRange(["--max-seq-len", I(m)]);
            if (init is not null) args.AddRange(["--init-adapter", init.FullName]);

            TrainerResult? result = null;
            ProgressDisplay.Run($"train {Path.GetFileName(outPath)}", sink =>
            {
                result = TrainerSidecar.Run(args, p => sink.Report(
                    p.TotalSteps == 0 ? 0 : (double)p.Step / p.TotalSteps,
                    $"step {p.Step}/{p.TotalSteps}{(p.Loss is double l ? $" loss {l:F4}" : "")}{(p.TokensPerSecond is double t ? $" {t:F0} tok/s" : "")}{(p.Resumed ? " (resumed)" : "")}"), ct);
                return 0;
            });
            Console.Error.WriteLine($"wrote {result!.Adapter} ({result.Steps} steps, final loss {result.FinalLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a"})");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    /// <summary>The model's training context from its GGUF header (a vocabulary-only load does not read it).</summary>
    private static int TrainingContext(string path)
    {
        using var gguf = Gguf.GgufFile.Open(path);
        string? arch = gguf.Metadata.GetStringOrDefault("general.architecture");
        return arch is not null && gguf.Metadata.TryGetValue($"{arch}.context_length", out var v) ? v.AsInt32() : int.MaxValue;
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

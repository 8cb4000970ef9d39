using System.Globalization;
using Merlinite.Trainer.Lora;

namespace Merlinite.Trainer.Cli;

/// <summary>
/// Parses <c>--flag value</c> / <c>--flag=value</c> arguments into <see cref="TrainerOptions"/>. Plain parsing keeps
/// every error message under our control: each names the flag and the value it could not use.
/// </summary>
public static class OptionsParser
{
    public const string Usage = """
        usage: merlinite-trainer --base MODEL.gguf --data DATA.jsonl --out ADAPTER.gguf HYPER-PARAMETERS [options]

        The sidecar of `merlinite train`, which passes every flag; its defaults live in merlinite (see merlinite train
        --help), not here. Required:
          --rank R              LoRA rank
          --alpha A             LoRA alpha; the update is scaled by alpha/rank
          --dropout P           dropout on the LoRA input
          --targets LIST        comma-separated: attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down
          --lr LR               peak learning rate
          --warmup-steps N      linear warmup steps, then cosine decay to 0
          --epochs E            passes over the data (this, --max-steps, or both)
          --max-steps S         optimizer steps (caps --epochs when both are given)
          --batch-size B        examples per micro-batch
          --grad-accum G        micro-batches per optimizer step
          --max-grad-norm N     clip the global gradient norm; 0 disables
          --weight-decay W      AdamW decoupled weight decay
          --seed S              seed of the LoRA init, shuffling and dropout
          --checkpoint-every K  save a checkpoint every K steps (0: never); a rerun with the same flags resumes from it
          --threads T           CPU threads
          --dtype D             frozen weights in bf16, f16 or f32 (LoRA, optimizer, loss: always f32)
          --device D            cpu, cuda, cuda:N, or auto (CUDA when a CUDA libtorch and a GPU are found)
          --checkpointing C     on, off, or auto (on when the memory plan fits only with it)
        Optional:
          --max-batch-tokens N  pack each micro-batch up to N tokens (examples end to end, masked apart)
          --dry-run             print the memory plan as JSON and exit
          --reproducible        the same bytes on every x86-64-v3 CPU: libtorch on one code path, one thread, CPU only
          --checkpoint-dir D    where checkpoints go (ADAPTER.gguf.checkpoints)
          --init-adapter A      start from an existing LoRA adapter GGUF
          --max-seq-len L       longest allowed example (the model's context length)

        Data: one JSON object per line, {"tokens":[...], "mask":[0/1 ...]}; the loss covers the tokens whose mask is 1.
        Progress: one JSON object per line on stdout (events plan, start, step, checkpoint, done, error).
        --info prints which libtorch and devices the trainer sees, as JSON, and exits.
        """;

    public static TrainerOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new TrainerException($"unexpected argument '{arg}' (flags start with --; see --help)");
            string name, value;
            int eq = arg.IndexOf('=');
            if (eq > 0)
            {
                name = arg[2..eq];
                value = arg[(eq + 1)..];
            }
            else if (arg is "--dry-run" or "--reproducible")
            {
                (name, value) = (arg[2..], "true"); // a switch: it takes no value
            }
            else
            {
                name = arg[2..];
                if (i + 1 >= args.Count) throw new TrainerException($"--{name} needs a value");
                value = args[++i];
            }
            if (!Known.Contains(name)) throw new TrainerException($"unknown flag --{name} (see --help)");
            if (!values.TryAdd(name, value)) throw new TrainerException($"--{name} is given twice");
        }

        string Required(string name) =>
            values.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new TrainerException($"--{name} is required (see --help)");

        string basePath = Required("base"), dataPath = Required("data"), outPath = Required("out");
        if (!values.ContainsKey("epochs") && !values.ContainsKey("max-steps"))
            throw new TrainerException("--epochs or --max-steps is required (see --help)");
        return new TrainerOptions
        {
            BasePath = basePath,
            Dtype = Required("dtype"),
            Device = Required("device"),
            Checkpointing = Required("checkpointing") is var c && c is "on" or "off" or "auto" ? c : throw new TrainerException($"--checkpointing: '{c}' is not on, off or auto"),
            MaxBatchTokens = values.ContainsKey("max-batch-tokens") ? Int(values, "max-batch-tokens", min: 2) : null,
            DryRun = values.TryGetValue("dry-run", out var dry) && dry == "true",
            Reproducible = values.TryGetValue("reproducible", out var reproducible) && reproducible == "true",
            DataPath = dataPath,
            OutPath = outPath,
            Rank = Int(values, "rank", min: 1),
            Alpha = (float)Double(values, "alpha", min: 1e-6), // llama.cpp reads alpha 0 as "scale 1", so 0 would not round-trip
            Dropout = (float)Double(values, "dropout", min: 0, max: 0.999),
            Targets = LoraTargets.Parse(Required("targets")),
            LearningRate = Double(values, "lr", min: 0),
            WarmupSteps = Int(values, "warmup-steps", min: 0),
            Epochs = values.ContainsKey("epochs") ? Int(values, "epochs", min: 1) : null,
            MaxSteps = values.ContainsKey("max-steps") ? Int(values, "max-steps", min: 1) : null,
            BatchSize = Int(values, "batch-size", min: 1),
            GradAccum = Int(values, "grad-accum", min: 1),
            MaxGradNorm = Double(values, "max-grad-norm", min: 0),
            WeightDecay = Double(values, "weight-decay", min: 0),
            Seed = Int(values, "seed", min: int.MinValue),
            CheckpointEvery = Int(values, "checkpoint-every", min: 0),
            CheckpointDir = values.GetValueOrDefault("checkpoint-dir"),
            InitAdapter = values.GetValueOrDefault("init-adapter"),
            Threads = Int(values, "threads", min: 1),
            MaxSeqLen = values.ContainsKey("max-seq-len") ? Int(values, "max-seq-len", min: 2) : null,
        };
    }

    private static readonly HashSet<string> Known =
    [
        "base", "data", "out", "rank", "alpha", "dropout", "targets", "lr", "warmup-steps", "epochs", "max-steps",
        "batch-size", "grad-accum", "max-grad-norm", "weight-decay", "seed", "checkpoint-every", "checkpoint-dir",
        "init-adapter", "threads", "max-seq-len", "dtype", "device", "checkpointing", "max-batch-tokens", "dry-run",
        "reproducible",
    ];

    private static int Int(Dictionary<string, string> values, string name, int min)
    {
        if (!values.TryGetValue(name, out var text)) throw new TrainerException($"--{name} is required (see --help)");
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw new TrainerException($"--{name} '{text}' is not an integer");
        if (v < min) throw new TrainerException($"--{name} must be at least {min} (got {v})");
        return v;
    }

    private static double Double(Dictionary<string, string> values, string name, double min, double max = double.MaxValue)
    {
        if (!values.TryGetValue(name, out var text)) throw new TrainerException($"--{name} is required (see --help)");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new TrainerException($"--{name} '{text}' is not a number");
        if (v < min || v > max) throw new TrainerException($"--{name} must be between {min} and {max} (got {text})");
        return v;
    }
}

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
        usage: merlinite-trainer --base MODEL.gguf --data DATA.jsonl --out ADAPTER.gguf [options]

          --rank R              LoRA rank (8)
          --alpha A             LoRA alpha; the update is scaled by alpha/rank (16)
          --dropout P           dropout on the LoRA input (0)
          --targets LIST        comma-separated: attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down (attn_q,attn_v)
          --lr LR               peak learning rate (2e-4)
          --warmup-steps N      linear warmup steps, then cosine decay to 0 (0)
          --epochs E            passes over the data (1 unless --max-steps is given)
          --max-steps S         optimizer steps (caps --epochs when both are given)
          --batch-size B        examples per micro-batch (1)
          --grad-accum G        micro-batches per optimizer step (1)
          --max-grad-norm N     clip the global gradient norm; 0 disables (1.0)
          --weight-decay W      AdamW decoupled weight decay (0)
          --seed S              seed of the LoRA init, shuffling and dropout (0)
          --checkpoint-every K  save a checkpoint every K steps (0: never); a rerun with the same flags resumes from it
          --checkpoint-dir D    where checkpoints go (ADAPTER.gguf.checkpoints)
          --init-adapter A      start from an existing LoRA adapter GGUF
          --threads T           CPU threads (all cores)
          --max-seq-len L       longest allowed example (the model's context length)

        Data: one JSON object per line, {"tokens":[...], "mask":[0/1 ...]}; the loss covers the tokens whose mask is 1.
        Progress: one JSON object per line on stdout (events start, step, checkpoint, done, error).
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

        var options = new TrainerOptions
        {
            BasePath = Required("base"),
            DataPath = Required("data"),
            OutPath = Required("out"),
        };
        options = options with
        {
            Rank = Int(values, "rank", options.Rank, min: 1),
            Alpha = (float)Double(values, "alpha", options.Alpha, min: 1e-6), // llama.cpp reads alpha 0 as "scale 1", so 0 would not round-trip
            Dropout = (float)Double(values, "dropout", options.Dropout, min: 0, max: 0.999),
            Targets = values.TryGetValue("targets", out var t) ? LoraTargets.Parse(t) : options.Targets,
            LearningRate = Double(values, "lr", options.LearningRate, min: 0),
            WarmupSteps = Int(values, "warmup-steps", options.WarmupSteps, min: 0),
            Epochs = values.ContainsKey("epochs") ? Int(values, "epochs", 1, min: 1) : null,
            MaxSteps = values.ContainsKey("max-steps") ? Int(values, "max-steps", 1, min: 1) : null,
            BatchSize = Int(values, "batch-size", options.BatchSize, min: 1),
            GradAccum = Int(values, "grad-accum", options.GradAccum, min: 1),
            MaxGradNorm = Double(values, "max-grad-norm", options.MaxGradNorm, min: 0),
            WeightDecay = Double(values, "weight-decay", options.WeightDecay, min: 0),
            Seed = Int(values, "seed", options.Seed, min: int.MinValue),
            CheckpointEvery = Int(values, "checkpoint-every", options.CheckpointEvery, min: 0),
            CheckpointDir = values.GetValueOrDefault("checkpoint-dir"),
            InitAdapter = values.GetValueOrDefault("init-adapter"),
            Threads = Int(values, "threads", options.Threads, min: 1),
            MaxSeqLen = values.ContainsKey("max-seq-len") ? Int(values, "max-seq-len", 0, min: 2) : null,
        };
        return options;
    }

    private static readonly HashSet<string> Known =
    [
        "base", "data", "out", "rank", "alpha", "dropout", "targets", "lr", "warmup-steps", "epochs", "max-steps",
        "batch-size", "grad-accum", "max-grad-norm", "weight-decay", "seed", "checkpoint-every", "checkpoint-dir",
        "init-adapter", "threads", "max-seq-len",
    ];

    private static int Int(Dictionary<string, string> values, string name, int fallback, int min)
    {
        if (!values.TryGetValue(name, out var text)) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw new TrainerException($"--{name} '{text}' is not an integer");
        if (v < min) throw new TrainerException($"--{name} must be at least {min} (got {v})");
        return v;
    }

    private static double Double(Dictionary<string, string> values, string name, double fallback, double min, double max = double.MaxValue)
    {
        if (!values.TryGetValue(name, out var text)) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new TrainerException($"--{name} '{text}' is not a number");
        if (v < min || v > max) throw new TrainerException($"--{name} must be between {min} and {max} (got {text})");
        return v;
    }
}

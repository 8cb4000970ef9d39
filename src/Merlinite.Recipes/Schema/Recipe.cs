namespace Merlinite.Recipes.Schema;

// The recipe file, section by section. Keys are snake_case in YAML (sampling.max_tokens). Properties have setters
// because YamlDotNet's static (AOT) deserializer needs them. Defaults here are the documented defaults.

public sealed class Recipe
{
    public string Name { get; set; } = "";
    public ModelsSection Models { get; set; } = new();
    public PromptsSection Prompts { get; set; } = new();
    public RoundsSection Rounds { get; set; } = new();
    public SamplingSection Sampling { get; set; } = new();
    public RewardSection Reward { get; set; } = new();
    public SelectionSection Selection { get; set; } = new();
    public SftSection Sft { get; set; } = new();
    public EvalSection Eval { get; set; } = new();
    public OutputSection Output { get; set; } = new();
}

public sealed class ModelsSection
{
    public PolicyModel Policy { get; set; } = new();
    public RewardModel Instruct { get; set; } = new();
    public RewardModel Reference { get; set; } = new();
}

public sealed class PolicyModel
{
    /// <summary>The policy's base GGUF; every round's adapter applies to it.</summary>
    public string Base { get; set; } = "";
    /// <summary>Optional adapter the policy starts from (round 0).</summary>
    public string? Adapter { get; set; }
    public string Template { get; set; } = "merlinite";
    public int GpuLayers { get; set; } = -1;
}

public sealed class RewardModel
{
    public string Path { get; set; } = "";
    public int GpuLayers { get; set; } = -1;
}

public sealed class PromptsSection
{
    /// <summary>Prompt JSONL files ({"id", "prompt" | "messages", "source"?}).</summary>
    public List<string> Files { get; set; } = [];
    /// <summary>Prompts drawn per round, uniformly by source.</summary>
    public int PerRound { get; set; } = 64;
    /// <summary>Prompts set aside (before any drawing) for evaluation.</summary>
    public int HeldOut { get; set; }
    public int Seed { get; set; } = 1;
    /// <summary>System prompt for plain "prompt" lines; null = the Merlinite model card's, "" = none.</summary>
    public string? System { get; set; }
}

public sealed class RoundsSection
{
    public int Max { get; set; } = 3;
    /// <summary>Stop when the batch reward improves by less than this over the previous round.</summary>
    public double? MinImprovement { get; set; }
}

public sealed class SamplingSection
{
    public int N { get; set; } = 8;
    public float Temperature { get; set; } = 1.0f;
    public float TopP { get; set; } = 1.0f;
    public int TopK { get; set; }
    public float MinP { get; set; }
    public int MaxTokens { get; set; } = 256;
    public int Parallel { get; set; } = 16;
    public List<string> Stop { get; set; } = [];
    public uint Seed { get; set; } = 42;
    public int Context { get; set; } = 4096;
}

public sealed class RewardSection
{
    public double Beta { get; set; } = 0.1;
    /// <summary>sum or mean of the per-token log-ratio.</summary>
    public string Norm { get; set; } = "sum";
    /// <summary>How both reward models see the text: merlinite, model (each GGUF's own), raw.</summary>
    public string Template { get; set; } = "merlinite";
    public int Parallel { get; set; } = 16;
    public int Context { get; set; } = 4096;
}

public sealed class SelectionSection
{
    public string Strategy { get; set; } = "best_of_n";
    /// <summary>A winner needs at least this reward.</summary>
    public double? MinReward { get; set; }
    /// <summary>A winner needs this much more than the mean reward of its prompt's samples.</summary>
    public double? MinMargin { get; set; }
}

public sealed class SftSection
{
    /// <summary>from_base (default): each round trains a fresh adapter from the base on all winners so far;
    /// continue: each round continues the previous round's adapter on that round's winners.</summary>
    public string Mode { get; set; } = "from_base";
    public int Rank { get; set; } = 16;
    public float Alpha { get; set; } = 32;
    public float Dropout { get; set; }
    public List<string> Targets { get; set; } = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"];
    public double Lr { get; set; } = 2e-4;
    public int Epochs { get; set; } = 1;
    public int BatchSize { get; set; } = 4;
    public int GradAccum { get; set; } = 1;
    public int WarmupSteps { get; set; }
    public int Seed { get; set; }
}

public sealed class EvalSection
{
    /// <summary>Held-out accuracy by an exact-match checker: the prompt lines' "answer" field against a greedy reply.</summary>
    public bool HeldOutAccuracy { get; set; } = true;
    public int MaxTokens { get; set; } = 64;
}

public sealed class OutputSection
{
    public string Dir { get; set; } = "runs/recipe";
    /// <summary>Also write the peak round's policy merged into one GGUF.</summary>
    public bool Merge { get; set; }
}

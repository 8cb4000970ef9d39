namespace Merlinite.Trainer.Lora;

/// <summary>The projections a LoRA adapter can train; the GGUF name of each is its llama.cpp tensor name.</summary>
public enum LoraTarget
{
    AttnQ,
    AttnK,
    AttnV,
    AttnOutput,
    /// <summary>ffn_gate (dense) or every expert of ffn_gate_exps (mixture of experts).</summary>
    FfnGate,
    FfnUp,
    FfnDown,
}

public static class LoraTargets
{
    /// <summary>The flag spelling, which is also the tensor name in the GGUF (e.g. blk.0.attn_q.weight).</summary>
    public static string FlagName(LoraTarget target) => target switch
    {
        LoraTarget.AttnQ => "attn_q",
        LoraTarget.AttnK => "attn_k",
        LoraTarget.AttnV => "attn_v",
        LoraTarget.AttnOutput => "attn_output",
        LoraTarget.FfnGate => "ffn_gate",
        LoraTarget.FfnUp => "ffn_up",
        LoraTarget.FfnDown => "ffn_down",
        _ => throw new ArgumentOutOfRangeException(nameof(target)),
    };

    public static IReadOnlyList<LoraTarget> All { get; } = Enum.GetValues<LoraTarget>();

    /// <summary>Parses a comma-separated list such as "attn_q,attn_v,ffn_up" (duplicates ignored, order kept).</summary>
    public static IReadOnlyList<LoraTarget> Parse(string text)
    {
        var result = new List<LoraTarget>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var match = All.Where(t => FlagName(t) == part).ToList();
            if (match.Count == 0)
                throw new TrainerException($"--targets: unknown module '{part}' (use {string.Join(", ", All.Select(FlagName))})");
            if (!result.Contains(match[0])) result.Add(match[0]);
        }
        if (result.Count == 0) throw new TrainerException("--targets: give at least one module");
        return result;
    }
}

using System.Globalization;

namespace Merlinite.Engine.Models;

/// <summary>A LoRA adapter file and the scale it is applied with.</summary>
public sealed record LoraSpec(string Path, float Scale)
{
    /// <summary>Parses <c>ADAPTER.gguf[:scale]</c>.</summary>
    public static LoraSpec Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon > 0 && float.TryParse(text[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out float scale))
            return new LoraSpec(text[..colon], scale);
        if (colon > 0 && colon == text.Length - 1) throw new FormatException($"--lora '{text}': missing scale after ':'");
        return new LoraSpec(text, 1.0f);
    }
}

public sealed record ModelLoadOptions
{
    public required string Path { get; init; }
    /// <summary>Context size in tokens; 0 takes the model's training context.</summary>
    public int ContextSize { get; init; } = 4096;
    /// <summary>Layers offloaded to a GPU; -1 = all.</summary>
    public int GpuLayers { get; init; } = -1;
    /// <summary>CPU threads; 0 = one per core.</summary>
    public int Threads { get; init; }
    /// <summary>Logical batch: the most tokens one llama_decode call takes.</summary>
    public int BatchSize { get; init; } = 512;
    /// <summary>Parallel sequences the context holds (1 for chat).</summary>
    public int Sequences { get; init; } = 1;
    public IReadOnlyList<LoraSpec> Loras { get; init; } = [];
    /// <summary>F32 KV cache and no flash attention, instead of llama.cpp's defaults (F16 cache, flash attention on
    /// where supported). Scoring wants it: with the defaults, log-probs of the tiny test models were off by up to 5e-3
    /// per token against an exact forward pass (both settings contribute); with it, by under 3e-6.</summary>
    public bool ExactAttention { get; init; }
    /// <summary>Load only the tokenizer (llama.cpp's vocab_only): no weights, no context. For commands that only tokenize.</summary>
    public bool VocabularyOnly { get; init; }
    /// <summary>Pass llama.cpp's own log through to stderr.</summary>
    public bool Verbose { get; init; }
}

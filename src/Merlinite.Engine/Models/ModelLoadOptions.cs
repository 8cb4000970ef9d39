using System.Globalization;
using Merlinite.Engine.Settings;
using Merlinite.Llama;

namespace Merlinite.Engine.Models;

/// <summary>A LoRA adapter file and the scale it is applied with.</summary>
public sealed record LoraSpec(string Path, float Scale)
{
    /// <summary>Parses <c>ADAPTER.gguf[:scale]</c>. A suffix that is not a number is part of the path, unless the part
    /// before the colon is an existing file: then the suffix was meant as the scale and is refused as one.</summary>
    public static LoraSpec Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0) return new LoraSpec(text, 1.0f);
        string suffix = text[(colon + 1)..];
        if (float.TryParse(suffix, NumberStyles.Float, CultureInfo.InvariantCulture, out float scale) && float.IsFinite(scale))
            return new LoraSpec(text[..colon], scale);
        if (!File.Exists(text) && (File.Exists(text[..colon]) || suffix.Length == 0))
            throw new SettingException("lora", $"'{text}': '{suffix}' is not a scale (write ADAPTER.gguf:SCALE with a number, e.g. {text[..colon]}:0.5)");
        return new LoraSpec(text, 1.0f);
    }

    public override string ToString() => Scale == 1.0f ? Path : string.Create(CultureInfo.InvariantCulture, $"{Path}:{Scale}");
}

/// <summary>A model file as a job uses it: the GGUF, how many of its layers go to the GPU, and LoRA adapters on top.</summary>
public sealed record ModelSpec(string Path)
{
    /// <summary>Layers offloaded to a GPU (llama.cpp's n_gpu_layers; -1 = all); null = auto: the placement that fits
    /// the VRAM budget (<see cref="Placement.PlacementFit"/>). Ignored without a GPU backend.</summary>
    public int? GpuLayers { get; init; }

    /// <summary>The setting's text: "auto" or the number.</summary>
    public string GpuLayersText => GpuLayers?.ToString(CultureInfo.InvariantCulture) ?? "auto";

    /// <summary>Parses gpu_layers: "auto", or a number of layers (-1 = all).</summary>
    public static int? ParseGpuLayers(string text, string key = "gpu_layers")
    {
        if (text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n))
            throw new SettingException(key, $"'{text}' is not auto or a number of layers");
        return n >= -1 ? n : throw new SettingException(key, $"must be auto, -1 (all) or a number of layers (got {n})");
    }
    public IReadOnlyList<LoraSpec> Loras { get; init; } = [];
}

/// <summary>What <see cref="LoadedModel.Load"/> needs: the model, how it runs, and the context's shape.</summary>
public sealed record ModelLoadOptions
{
    public required ModelSpec Model { get; init; }
    public RuntimeSettings Runtime { get; init; } = new();
    /// <summary>Logical batch: the most tokens one llama_decode call takes.</summary>
    public int BatchSize { get; init; } = 512;
    /// <summary>Parallel sequences the context holds (1 for chat).</summary>
    public int Sequences { get; init; } = 1;
    /// <summary>One KV buffer per sequence (llama.cpp's kv_unified = false) instead of one shared by all. Each
    /// sequence then attends only over its own cells, where a shared buffer makes every token attend over every cell in
    /// use (masked): scoring 4 x 8 responses ran 1.3x faster (docs/benchmarks.md). Sharing a prompt then copies its
    /// cells into each sequence's buffer. Sampling keeps the shared buffer: there it was faster.</summary>
    public bool KvPerSequence { get; init; }
    /// <summary>The context's size (all sequences together) when <see cref="RuntimeSettings.Context"/> is 0, chosen
    /// once the weights are loaded (a server sizes it by the model and the memory left); null: the model's training
    /// context.</summary>
    public Func<LlamaModel, int>? ChooseContext { get; init; }
    /// <summary>Load only the tokenizer (llama.cpp's vocab_only): no weights, no context. For commands that only tokenize.</summary>
    public bool VocabularyOnly { get; init; }

    public string Path => Model.Path;
}

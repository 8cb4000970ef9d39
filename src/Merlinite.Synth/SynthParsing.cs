using System.Globalization;
using Merlinite.Gguf;

namespace Merlinite.Synth;

/// <summary>Parsing of the CLI's synthesis arguments. Every error is a <see cref="FormatException"/> with a message fit for the user.</summary>
public static class SynthParsing
{
    /// <summary>The keys <see cref="ParseDimensions"/> accepts, in help order.</summary>
    public static IReadOnlyList<string> DimensionKeys { get; } =
    [
        "n_vocab", "n_embd", "n_layer", "n_head", "n_head_kv", "head_dim", "n_ff", "n_ctx", "n_expert", "n_expert_used",
        "rope_theta", "rms_eps",
    ];

    public static IReadOnlyList<string> PresetNames { get; } = ["tiny", "small", "mistral-7b", "mixtral-8x7b"];
    public static IReadOnlyList<string> ArchNames { get; } = ["mistral", "mixtral"];
    public static IReadOnlyList<string> TypeNames { get; } = ["f32", "f16", "bf16", "q8_0"];

    /// <summary>"tiny", "small", "mistral-7b", "mixtral-8x7b" (case, '-' and '_' ignored: "Mistral7B" works too).</summary>
    public static SynthPreset ParsePreset(string text) => Normalize(text) switch
    {
        "tiny" => SynthPreset.Tiny,
        "small" => SynthPreset.Small,
        "mistral7b" => SynthPreset.Mistral7B,
        "mixtral8x7b" => SynthPreset.Mixtral8x7B,
        _ => throw new FormatException($"unknown preset '{text}': expected one of {string.Join(", ", PresetNames)}"),
    };

    /// <summary>"mistral" or "mixtral" (case-insensitive).</summary>
    public static SynthArch ParseArch(string text) => Normalize(text) switch
    {
        "mistral" => SynthArch.Mistral,
        "mixtral" => SynthArch.Mixtral,
        _ => throw new FormatException($"unknown arch '{text}': expected one of {string.Join(", ", ArchNames)}"),
    };

    /// <summary>"f32", "f16", "bf16" or "q8_0" (case-insensitive; "q8" accepted).</summary>
    public static GgmlType ParseStoredType(string text) => Normalize(text) switch
    {
        "f32" => GgmlType.F32,
        "f16" => GgmlType.F16,
        "bf16" => GgmlType.BF16,
        "q80" or "q8" => GgmlType.Q8_0,
        _ => throw new FormatException($"unknown tensor type '{text}': expected one of {string.Join(", ", TypeNames)}"),
    };

    public static string FormatPreset(SynthPreset preset) => preset switch
    {
        SynthPreset.Tiny => "tiny",
        SynthPreset.Small => "small",
        SynthPreset.Mistral7B => "mistral-7b",
        SynthPreset.Mixtral8x7B => "mixtral-8x7b",
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, null),
    };

    public static string FormatArch(SynthArch arch) => arch switch
    {
        SynthArch.Mistral => "mistral",
        SynthArch.Mixtral => "mixtral",
        _ => throw new ArgumentOutOfRangeException(nameof(arch), arch, null),
    };

    public static string FormatStoredType(GgmlType type) => type switch
    {
        GgmlType.F32 => "f32",
        GgmlType.F16 => "f16",
        GgmlType.BF16 => "bf16",
        GgmlType.Q8_0 => "q8_0",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Parses a <c>--dims</c> value: comma-separated <c>key=value</c> pairs, e.g. <c>n_embd=128,n_layer=4</c>.
    /// Keys: <see cref="DimensionKeys"/>. Integers must be positive (n_expert and n_expert_used may be 0);
    /// rope_theta and rms_eps are positive numbers. An empty string gives no overrides.
    /// </summary>
    public static SynthDimensions ParseDimensions(string? text)
    {
        var dims = new SynthDimensions();
        if (string.IsNullOrWhiteSpace(text)) return dims;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string rawItem in text.Split(','))
        {
            string item = rawItem.Trim();
            if (item.Length == 0) throw new FormatException($"--dims '{text}': empty entry (expected key=value[,key=value...])");
            int eq = item.IndexOf('=');
            if (eq < 0) throw new FormatException($"--dims entry '{item}' has no '=' (expected key=value, e.g. n_embd=128)");
            string key = item[..eq].Trim().ToLowerInvariant();
            string value = item[(eq + 1)..].Trim();
            if (key.Length == 0) throw new FormatException($"--dims entry '{item}' has no key");
            if (!DimensionKeys.Contains(key))
                throw new FormatException($"unknown --dims key '{key}': expected one of {string.Join(", ", DimensionKeys)}");
            if (!seen.Add(key)) throw new FormatException($"--dims key '{key}' is given twice");
            if (value.Length == 0) throw new FormatException($"--dims key '{key}' has no value");

            dims = key switch
            {
                "n_vocab" => dims with { VocabSize = PositiveInt(key, value) },
                "n_embd" => dims with { EmbeddingLength = PositiveInt(key, value) },
                "n_layer" => dims with { BlockCount = PositiveInt(key, value) },
                "n_head" => dims with { HeadCount = PositiveInt(key, value) },
                "n_head_kv" => dims with { HeadCountKv = PositiveInt(key, value) },
                "head_dim" => dims with { HeadDim = PositiveInt(key, value) },
                "n_ff" => dims with { FeedForwardLength = PositiveInt(key, value) },
                "n_ctx" => dims with { ContextLength = PositiveInt(key, value) },
                "n_expert" => dims with { ExpertCount = NonNegativeInt(key, value) },
                "n_expert_used" => dims with { ExpertUsedCount = NonNegativeInt(key, value) },
                "rope_theta" => dims with { RopeFreqBase = PositiveFloat(key, value) },
                "rms_eps" => dims with { RmsNormEpsilon = PositiveFloat(key, value) },
                _ => throw new FormatException($"unknown --dims key '{key}'"),
            };
        }
        return dims;
    }

    private static int PositiveInt(string key, string value)
    {
        int v = NonNegativeInt(key, value);
        if (v == 0) throw new FormatException($"--dims {key} must be positive, got '{value}'");
        return v;
    }

    private static int NonNegativeInt(string key, string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int v))
            throw new FormatException($"--dims {key} must be a non-negative integer, got '{value}'");
        return v;
    }

    private static float PositiveFloat(string key, string value)
    {
        if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v) || v <= 0)
            throw new FormatException($"--dims {key} must be a positive number, got '{value}'");
        return v;
    }

    private static string Normalize(string text) =>
        new(text.Trim().ToLowerInvariant().Where(c => c != '-' && c != '_').ToArray());
}

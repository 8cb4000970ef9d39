using System.Text;

namespace Merlinite.Gguf;

public static partial class GgufInfo
{
    /// <summary>
    /// What a person wants first from a GGUF: what it is (model or adapter, architecture, name), how big (parameters,
    /// layers, width, experts), which weight types, the context it was trained for and the vocabulary size; for a LoRA
    /// adapter its rank and alpha. <paramref name="fileTypeName"/> names llama.cpp's general.file_type values.
    /// </summary>
    public static string Summary(GgufFile file, Func<uint, string?>? fileTypeName = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var m = file.Metadata;
        string arch = m.GetStringOrDefault("general.architecture") ?? "unknown";
        bool adapter = m.GetStringOrDefault("general.type") == "adapter";
        var sb = new StringBuilder();
        long parameters = file.Tensors.Sum(t => t.ElementCount);
        string name = m.GetStringOrDefault("general.name") is { Length: > 0 } n ? $" \"{n}\"" : "";

        if (adapter)
        {
            var loraA = file.Tensors.FirstOrDefault(t => t.Name.EndsWith(".lora_a", StringComparison.Ordinal));
            string rank = loraA is null ? "?" : Math.Min(loraA.Dimension(0), loraA.Dimension(1)).ToString(Inv);
            string alpha = m.GetFloat32OrNull("adapter.lora.alpha") is float a ? a.ToString(Inv) : "?";
            Line(sb, $"summary:       LoRA adapter{name} for a {arch} model: rank {rank}, alpha {alpha}, {Plural(file.Tensors.Count / 2, "adapted weight")}, {Count(parameters)} parameters");
        }
        else
        {
            var facts = new List<string> { $"{Count(parameters)} parameters" };
            if (m.GetUInt32OrNull($"{arch}.block_count") is uint layers) facts.Add($"{layers} layers");
            if (m.GetUInt32OrNull($"{arch}.embedding_length") is uint width) facts.Add($"width {width}");
            if (m.GetUInt32OrNull($"{arch}.expert_count") is uint experts and > 0)
                facts.Add($"{experts} experts ({m.GetUInt32OrNull($"{arch}.expert_used_count")?.ToString(Inv) ?? "?"} used)");
            if (m.GetUInt32OrNull($"{arch}.context_length") is uint ctx) facts.Add($"trained context {ctx}");
            if (m.TryGetValue("tokenizer.ggml.tokens", out var tokens) && tokens.IsArray) facts.Add($"vocabulary {tokens.ArrayLength}");
            Line(sb, $"summary:       {arch} model{name}: {string.Join(", ", facts)}");
        }
        string types = string.Join(", ", file.Tensors.GroupBy(t => t.TypeInfo.Name).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} ×{g.Count()}"));
        string fileType = m.GetUInt32OrNull("general.file_type") is uint ft ? $"{fileTypeName?.Invoke(ft) ?? "type " + ft.ToString(Inv)} (general.file_type {ft}); " : "";
        Line(sb, $"weights:       {fileType}tensors {types}");
        return sb.ToString();
    }

    private static string Plural(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    /// <summary>"7.24 B", "46.7 M", "240 K".</summary>
    private static string Count(long n) => n switch
    {
        >= 1_000_000_000 => string.Create(Inv, $"{n / 1e9:F2} B"),
        >= 1_000_000 => string.Create(Inv, $"{n / 1e6:F1} M"),
        >= 1_000 => string.Create(Inv, $"{n / 1e3:F1} K"),
        _ => n.ToString(Inv),
    };
}

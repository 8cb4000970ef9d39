using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;

namespace Merlinite.Synth;

/// <summary>
/// The tensor types of a shape-only file (<see cref="ModelSynthesizer.SynthesizeShape"/>): one type for every weight,
/// or <c>q4_k_m</c>, the per-tensor mix llama.cpp's quantizer writes for LLAMA_FTYPE_MOSTLY_Q4_K_M on
/// llama-architecture models (src/llama-quant.cpp of the pinned release), so a planned Q4_K_M model has the size of a
/// real one.
/// </summary>
public static class ShapeOnlyTypes
{
    /// <summary>The types a shape-only file may be written in (its bytes are never encoded).</summary>
    public static readonly IReadOnlyList<string> Names =
        ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "q6_k", "q4_k_m"];

    /// <summary>The type of <paramref name="spec"/> in a file of <paramref name="name"/> (one of
    /// <see cref="Names"/>).</summary>
    public static GgmlType TypeOf(string name, LlamaTensorSpec spec, LlamaHyperParameters hp)
    {
        if (spec.IsNorm || spec.Role == LlamaTensorRole.ExpertRouter) return GgmlType.F32;
        return name switch
        {
            "f32" => GgmlType.F32,
            "f16" => GgmlType.F16,
            "bf16" => GgmlType.BF16,
            "q8_0" => GgmlType.Q8_0,
            "q4_0" => GgmlType.Q4_0,
            "q4_k" => GgmlType.Q4_K,
            "q6_k" => GgmlType.Q6_K,
            "q4_k_m" => Q4KM(spec, hp),
            _ => throw new ArgumentException(
                $"'{name}' is not a shape-only type: use one of {string.Join(", ", Names)}"),
        };
    }

    /// <summary>Q4_K, with more bits where llama.cpp's Q4_K_M puts them: the LM head in Q6_K; attn_v and ffn_down in
    /// Q6_K on the layers <c>use_more_bits</c> picks; for 8-expert models attn_k and attn_v in Q8_0 and attn_output in
    /// Q5_K.</summary>
    private static GgmlType Q4KM(LlamaTensorSpec spec, LlamaHyperParameters hp)
    {
        bool eightExperts = hp.ExpertCount == 8;
        bool moreBits = MoreBits(spec.Layer, hp.BlockCount);
        return spec.Role switch
        {
            LlamaTensorRole.Output => GgmlType.Q6_K,
            LlamaTensorRole.AttentionKey when eightExperts => GgmlType.Q8_0,
            LlamaTensorRole.AttentionValue => eightExperts ? GgmlType.Q8_0 : moreBits ? GgmlType.Q6_K : GgmlType.Q4_K,
            LlamaTensorRole.AttentionOutput when eightExperts => GgmlType.Q5_K,
            LlamaTensorRole.FeedForwardDown or LlamaTensorRole.ExpertDown => moreBits ? GgmlType.Q6_K : GgmlType.Q4_K,
            _ => GgmlType.Q4_K,
        };
    }

    /// <summary>The first and last eighth of the layers, and every third one between.</summary>
    private static bool MoreBits(int layer, int layers) =>
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

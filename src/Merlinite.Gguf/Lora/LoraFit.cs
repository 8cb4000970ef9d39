using Merlinite.Gguf.Architecture;

namespace Merlinite.Gguf.Lora;

/// <summary>One half of an adapted weight as an adapter holds it: the GGUF name (<c>blk.L.W.weight.lora_a</c>), its
/// ggml shape, and the name to show in messages (the PEFT name when it came from a PEFT folder).</summary>
public sealed record LoraTensor(string Name, long[] Shape, string Shown);

/// <summary>
/// Whether an adapter fits a base model, checked before anything is written: every adapted weight has both halves,
/// names a weight the base has (its layer among the base's blocks), and has the shapes llama.cpp needs, lora_a
/// [n_in, r] and lora_b [r, n_out] (a third dimension, n_expert, for expert stacks) with one rank r. llama.cpp refuses
/// an adapter that does not fit only when it loads it; conversions would scramble its rows first.
/// </summary>
public static class LoraFit
{
    /// <summary>Throws a <see cref="GgufFormatException"/> at <paramref name="where"/>, naming the first tensor that
    /// does not fit <paramref name="hp"/>.</summary>
    /// <param name="torchOrder">Show shapes as PyTorch writes them (the tensors came from a PEFT folder).</param>
    public static void Check(LlamaHyperParameters hp, IReadOnlyList<LoraTensor> tensors, string where,
        bool torchOrder = false)
    {
        string Shape(long[] shape) => "[" + string.Join(", ", torchOrder ? shape.Reverse() : shape) + "]";
        var weights = LlamaTensorNames.Expected(hp).ToDictionary(s => s.Name, StringComparer.Ordinal);
        var halves = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        string model = $"the base model ({hp.BlockCount} layers, {hp.EmbeddingLength} wide" +
                       (hp.IsMixtureOfExperts ? $", {hp.ExpertCount} experts)" : ")");
        foreach (var t in tensors)
        {
            string Fail(string problem) => throw new GgufFormatException($"{where}: tensor {t.Shown} {problem}");
            bool isA = t.Name.EndsWith(".lora_a", StringComparison.Ordinal);
            string target = t.Name[..t.Name.LastIndexOf('.')];
            if (!weights.TryGetValue(target, out var weight))
                Fail(LayerOf(target) is int layer && layer >= hp.BlockCount
                    ? $"adapts layer {layer}, but {model} has layers 0..{hp.BlockCount - 1}"
                    : $"adapts {target}, which {model} does not have");
            if (weight!.Shape.Length < 2) Fail($"adapts {target}, a vector: only matrices are adapted");
            string otherName = target + (isA ? ".lora_b" : ".lora_a");
            if (!halves.TryGetValue(otherName, out var other))
                Fail($"has no {(isA ? "lora_B" : "lora_A")} to go with it (an adapted weight needs both)");
            var (a, b) = isA ? (t, other!) : (other!, t);
            long[] w = weight.Shape;
            bool experts = w.Length == 3;
            if (a.Shape.Length != w.Length || b.Shape.Length != w.Length)
                Fail($"has {t.Shape.Length} dimensions; {target} of {model} needs {w.Length}");
            long rank = a.Shape[1];
            if (b.Shape[0] != rank)
            {
                var (own, its) = isA ? (rank, b.Shape[0]) : (b.Shape[0], rank);
                Fail($"has rank {own}, but its {(isA ? "lora_B" : "lora_A")} {other!.Shown} has rank {its}");
            }
            long[] want = (isA, experts) switch
            {
                (true, true) => [w[0], rank, w[2]], (true, false) => [w[0], rank],
                (false, true) => [rank, w[1], w[2]], (false, false) => [rank, w[1]],
            };
            if (!t.Shape.AsSpan().SequenceEqual(want))
                Fail($"is {Shape(t.Shape)}, but {target} {Shape(w)} of {model} needs {Shape(want)}");
        }
    }

    private static int? LayerOf(string target)
    {
        var parts = target.Split('.');
        return parts.Length > 1 && parts[0] == "blk" && int.TryParse(parts[1], out int layer) ? layer : null;
    }
}

using Merlinite.Engine.Models;
using Merlinite.Llama;

namespace Merlinite.Trainer.Tests;

/// <summary>The reference side of the parity tests: llama.cpp's logits for every position of one sequence.</summary>
public static class LlamaCppLogits
{
    /// <summary>Row p: logits after tokens[0..p], with <paramref name="adapter"/> applied at scale 1 when given.</summary>
    public static float[][] Of(string model, int[] tokens, string? adapter = null)
    {
        using var m = LoadedModel.Load(new ModelLoadOptions
        {
            Model = new ModelSpec(model) { Loras = adapter is null ? [] : [new LoraSpec(adapter, 1.0f)] },
            // F32 KV cache, no flash attention (the default): the exact computation, which the trainer's float32 math should match.
            Runtime = new() { Context = 256, Threads = 2 },
        });
        using var batch = new LlamaBatch(tokens.Length);
        for (int i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, logits: true);
        int rc = m.Context.Decode(batch);
        if (rc != 0) throw new InvalidOperationException($"llama_decode returned {rc}");
        return Enumerable.Range(0, tokens.Length).Select(i => m.Context.GetLogitsIth(i).ToArray()).ToArray();
    }

    /// <summary>Σ log p(tokens[t] | tokens[..t]) over the positions t whose mask is 1 (t ≥ 1).</summary>
    public static double SummedLogProb(float[][] logits, int[] tokens, bool[] mask)
    {
        double total = 0;
        for (int t = 1; t < tokens.Length; t++)
        {
            if (!mask[t]) continue;
            var row = logits[t - 1];
            double max = row.Max();
            double logSumExp = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            total += row[tokens[t]] - logSumExp;
        }
        return total;
    }
}

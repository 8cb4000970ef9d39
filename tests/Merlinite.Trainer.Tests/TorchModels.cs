using Merlinite.Trainer.Model;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Tests;

/// <summary>The trainer's side of the parity tests.</summary>
public static class TorchModels
{
    /// <summary>Row p: the TorchSharp model's logits after tokens[0..p] (evaluation mode: no dropout).</summary>
    public static float[][] Logits(LlamaModel model, int[] tokens)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.SetTraining(false);
        var logits = model.Logits(tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]))[0];
        var flat = logits.contiguous().data<float>().ToArray();
        int vocab = (int)logits.shape[1];
        return Enumerable.Range(0, tokens.Length).Select(p => flat.AsSpan(p * vocab, vocab).ToArray()).ToArray();
    }

    public static double MaxAbsDiff(float[][] a, float[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Length, b[i].Length);
            for (int j = 0; j < a[i].Length; j++) max = Math.Max(max, Math.Abs(a[i][j] - b[i][j]));
        }
        return max;
    }

    /// <summary>Deterministic pseudo-random token ids in [3, vocab) (past the special tokens).</summary>
    public static int[] RandomTokens(int count, int vocab, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => rng.Next(3, vocab)).ToArray();
    }
}

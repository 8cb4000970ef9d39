using System.Numerics.Tensors;

namespace Merlinite.Engine.Scoring;

/// <summary>Numerically stable log-softmax over a full vocabulary row of logits.</summary>
public static class LogSoftmax
{
    /// <summary>log Σ exp(logits), with the maximum subtracted first and the sum accumulated in double.</summary>
    public static double LogSumExp(ReadOnlySpan<float> logits, Span<float> scratch)
    {
        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, scratch);
        TensorPrimitives.Exp(scratch, scratch);
        double sum = 0;
        foreach (float e in scratch) sum += e;
        return max + Math.Log(sum);
    }

    /// <summary><paramref name="token"/>'s log-probability in a row of logits, and the row's <paramref name="topK"/>
    /// best tokens: the one per-position scoring of every path (scoring, echo, generated tokens' log-probs).</summary>
    public static ScoredToken Score(ReadOnlySpan<float> logits, int token, int topK, Span<float> scratch)
    {
        double lse = LogSumExp(logits, scratch);
        return new ScoredToken(token, logits[token] - lse, Top(logits, lse, topK));
    }

    /// <summary>The <paramref name="k"/> highest-probability tokens of the row, best first.</summary>
    public static TokenLogProb[] Top(ReadOnlySpan<float> logits, double logSumExp, int k)
    {
        if (k <= 0) return [];
        k = Math.Min(k, logits.Length);
        var best = new List<(float Logit, int Token)>(k + 1);
        for (int t = 0; t < logits.Length; t++)
        {
            float v = logits[t];
            if (best.Count == k && v <= best[^1].Logit) continue;
            int at = best.FindIndex(b => v > b.Logit);
            best.Insert(at < 0 ? best.Count : at, (v, t));
            if (best.Count > k) best.RemoveAt(k);
        }
        return best.Select(b => new TokenLogProb(b.Token, b.Logit - logSumExp)).ToArray();
    }
}

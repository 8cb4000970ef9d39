using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>
/// Rotary position embedding, llama.cpp's "normal" style (LLAMA_ROPE_TYPE_NORM, what the llama architecture uses):
/// within each head the adjacent pairs (2i, 2i+1) rotate by pos·base^(-2i/head_dim). The GGUF converter already
/// permuted attn_q/attn_k for this layout, so no "rotate halves" (neox) trick is needed.
/// </summary>
public sealed class Rope(int headDim, float freqBase)
{
    private readonly Dictionary<long, (Tensor Cos, Tensor Sin)> _tables = [];

    /// <summary>cos and sin of every angle for positions 0..seqLen-1: each [seqLen, head_dim/2], cached per length.</summary>
    public (Tensor Cos, Tensor Sin) Tables(long seqLen)
    {
        if (_tables.TryGetValue(seqLen, out var cached)) return cached;
        int half = headDim / 2;
        var cos = new float[seqLen * half];
        var sin = new float[seqLen * half];
        for (long p = 0; p < seqLen; p++)
            for (int i = 0; i < half; i++)
            {
                double angle = p * Math.Pow(freqBase, -2.0 * i / headDim);
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        // Cached across steps, so they must outlive the caller's dispose scope.
        var table = (tensor(cos, [seqLen, half]).DetachFromDisposeScope(), tensor(sin, [seqLen, half]).DetachFromDisposeScope());
        _tables[seqLen] = table;
        return table;
    }

    /// <summary>Rotates x, shaped [batch, seq, heads, head_dim], by the angles of positions 0..seq-1.</summary>
    public Tensor Apply(Tensor x)
    {
        long b = x.shape[0], t = x.shape[1], h = x.shape[2];
        var (cos, sin) = Tables(t);
        cos = cos.view(1, t, 1, headDim / 2);
        sin = sin.view(1, t, 1, headDim / 2);
        var pairs = x.view(b, t, h, headDim / 2, 2);
        var x0 = pairs.select(-1, 0);
        var x1 = pairs.select(-1, 1);
        return stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim: -1).view(b, t, h, headDim);
    }
}

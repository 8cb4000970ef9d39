using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>
/// Rotary position embedding, llama.cpp's "normal" style (LLAMA_ROPE_TYPE_NORM, what the llama architecture uses):
/// within each head the adjacent pairs (2i, 2i+1) rotate by pos·base^(-2i/head_dim). The GGUF converter already
/// permuted attn_q/attn_k for this layout, so no "rotate halves" (neox) trick is needed. Positions are given per token,
/// so examples packed into one sequence each start again at position 0. The rotation is computed in float32.
/// </summary>
public sealed class Rope(int headDim, float freqBase)
{
    private (Tensor Cos, Tensor Sin, Device Device)? _table;

    /// <summary>cos and sin of every angle for positions 0..length-1, each [length, head_dim/2], grown on demand.</summary>
    private (Tensor Cos, Tensor Sin) Tables(long length, Device device)
    {
        if (_table is { } t && t.Cos.shape[0] >= length && t.Device == device) return (t.Cos, t.Sin);
        length = Math.Max(length, 256);
        int half = headDim / 2;
        var cos = new float[length * half];
        var sin = new float[length * half];
        for (long p = 0; p < length; p++)
            for (int i = 0; i < half; i++)
            {
                double angle = p * Math.Pow(freqBase, -2.0 * i / headDim);
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        // Cached across steps, so they must outlive the caller's dispose scope.
        var table = (tensor(cos, [length, half]).to(device).DetachFromDisposeScope(), tensor(sin, [length, half]).to(device).DetachFromDisposeScope());
        _table = (table.Item1, table.Item2, device);
        return table;
    }

    /// <summary>Rotates x, shaped [batch, seq, heads, head_dim], by the angles of <paramref name="positions"/> [batch, seq].</summary>
    public Tensor Apply(Tensor x, Tensor positions)
    {
        long b = x.shape[0], t = x.shape[1], h = x.shape[2];
        var (cosTable, sinTable) = Tables(positions.max().item<long>() + 1, x.device);
        var flat = positions.reshape(-1);
        var cos = cosTable.index_select(0, flat).view(b, t, 1, headDim / 2);
        var sin = sinTable.index_select(0, flat).view(b, t, 1, headDim / 2);
        var pairs = x.to(ScalarType.Float32).view(b, t, h, headDim / 2, 2);
        var x0 = pairs.select(-1, 0);
        var x1 = pairs.select(-1, 1);
        return stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim: -1).view(b, t, h, headDim).to(x.dtype);
    }
}

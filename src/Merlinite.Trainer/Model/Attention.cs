using Merlinite.Gguf.Architecture;
using Merlinite.Trainer.Lora;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>Causal grouped-query self-attention with RoPE: query head h reads key/value head h / (n_head / n_head_kv).</summary>
public sealed class Attention(LlamaHyperParameters hp, Rope rope, LoraLinear wq, LoraLinear wk, LoraLinear wv, LoraLinear wo)
{
    public LoraLinear Query { get; } = wq;
    public LoraLinear Key { get; } = wk;
    public LoraLinear Value { get; } = wv;
    public LoraLinear Output { get; } = wo;

    /// <summary>x is [batch, seq, n_embd]; <paramref name="context"/> gives each token's position and what it may attend to
    /// (causal, within its own packed example). Scores and their softmax are float32.</summary>
    public Tensor forward(Tensor x, SequenceContext context)
    {
        long b = x.shape[0], t = x.shape[1];
        int d = hp.HeadDim;
        var x32 = Query.Adapter is null && Key.Adapter is null && Value.Adapter is null ? null : x.to(ScalarType.Float32);
        var q = rope.Apply(Query.forward(x, x32).view(b, t, hp.HeadCount, d), context.Positions);
        var k = rope.Apply(Key.forward(x, x32).view(b, t, hp.HeadCountKv, d), context.Positions);
        var v = Value.forward(x, x32).view(b, t, hp.HeadCountKv, d);

        // [batch, heads, seq, head_dim]; each KV head serves GroupSize consecutive query heads.
        q = q.transpose(1, 2);
        k = k.transpose(1, 2).repeat_interleave(hp.GroupSize, dim: 1);
        v = v.transpose(1, 2).repeat_interleave(hp.GroupSize, dim: 1);

        var scores = matmul(q, k.transpose(-2, -1)).to(ScalarType.Float32) * (1.0 / Math.Sqrt(d));
        var weights = nn.functional.softmax(scores.masked_fill(context.Blocked, double.NegativeInfinity), dim: -1).to(x.dtype);
        var heads = matmul(weights, v).transpose(1, 2).reshape(b, t, hp.QueryLength);
        return Output.forward(heads);
    }
}

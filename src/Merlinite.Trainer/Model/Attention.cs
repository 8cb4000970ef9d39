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
    /// (causal, within its own packed example). In bf16/f16, attention is PyTorch's scaled_dot_product_attention (fused
    /// kernels on CUDA: flash for plain causal rows, memory-efficient with a packing mask; they accumulate the softmax in
    /// float32). In f32 it is spelled out, scores and softmax in float32: that is the reference path, held to llama.cpp's
    /// logits within 1e-5 and pinned by the tiny recipe's snapshot, so its arithmetic does not change with PyTorch's
    /// kernel choice.</summary>
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

        var heads = Attend(q, k, v, context.Allowed).transpose(1, 2).reshape(b, t, hp.QueryLength);
        return Output.forward(heads);
    }

    /// <summary>softmax(q·kᵀ/√d, where allowed)·v over [batch, heads, seq, head_dim]; allowed null means causal.</summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? allowed) =>
        q.dtype == ScalarType.Float32
            ? Explicit(q, k, v, allowed)
            : nn.functional.scaled_dot_product_attention(q, k, v, allowed, is_casual: allowed is null);

    /// <summary>The reference arithmetic: scores and softmax in float32, whatever the inputs' dtype.</summary>
    public static Tensor Explicit(Tensor q, Tensor k, Tensor v, Tensor? allowed)
    {
        long t = q.shape[2];
        allowed ??= ones(t, t, dtype: ScalarType.Bool, device: q.device).tril();
        var scores = matmul(q, k.transpose(-2, -1)).to(ScalarType.Float32) * (1.0 / Math.Sqrt(q.shape[3]));
        var weights = nn.functional.softmax(scores.masked_fill(allowed.logical_not(), double.NegativeInfinity), dim: -1).to(q.dtype);
        return matmul(weights, v);
    }
}

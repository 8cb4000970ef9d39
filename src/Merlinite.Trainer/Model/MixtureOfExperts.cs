using Merlinite.Trainer.Lora;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>
/// Sparse mixture of SwiGLU experts (Mixtral), as llama.cpp's build_moe_ffn with softmax gating and normalized weights:
/// p = softmax(router·x) over all experts, keep the top k, divide their p by the sum of the kept p (the same as a
/// softmax over the k chosen logits), output = Σ p_e · down_e(SiLU(gate_e·x) ⊙ up_e·x). The router is frozen, but the
/// loss still differentiates through the routing weights into x.
/// </summary>
public sealed class MixtureOfExperts(Tensor router, int expertsUsed, LoraExperts gate, LoraExperts up, LoraExperts down) : IFeedForward
{
    public LoraExperts Gate { get; } = gate;
    public LoraExperts Up { get; } = up;
    public LoraExperts Down { get; } = down;

    public Tensor forward(Tensor x)
    {
        var shape = x.shape;
        var tokens = x.reshape(-1, shape[^1]);                        // [n, n_embd]
        var probs = nn.functional.softmax(nn.functional.linear(tokens, router).to(ScalarType.Float32), dim: -1);
        var (topWeights, topExperts) = probs.topk(expertsUsed, dim: -1); // [n, k] each
        topWeights = (topWeights / topWeights.sum(-1, keepdim: true)).to(x.dtype);

        var result = zeros_like(tokens);
        long expertCount = router.shape[0];
        for (long e = 0; e < expertCount; e++)
        {
            var hits = (topExperts == e).nonzero();                    // [m, 2]: (token, slot) pairs routed to e
            if (hits.shape[0] == 0) continue;
            var rows = hits.select(1, 0);
            var slots = hits.select(1, 1);
            var xe = tokens.index_select(0, rows);
            var ye = Down.forward(nn.functional.silu(Gate.forward(xe, e)) * Up.forward(xe, e), e);
            var weight = topWeights.index_select(0, rows).gather(1, slots.unsqueeze(1)); // [m, 1]
            result = result.index_add(0, rows, ye * weight, 1.0);
        }
        return result.reshape(shape);
    }
}

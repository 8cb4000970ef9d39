using static TorchSharp.torch;

namespace Merlinite.Trainer.Lora;

/// <summary>
/// A frozen stack of expert projections, W is [n_expert, n_out, n_in] (GGUF <c>ffn_*_exps</c>, ne = [n_in, n_out, n_expert]),
/// plus an optional LoRA update per expert (llama.cpp applies it in build_lora_mm_id with the same 3-D layout).
/// </summary>
public sealed class LoraExperts(string name, Tensor weight) : IAdaptable
{
    public string Name { get; } = name;
    public Tensor Weight { get; } = weight;
    public LoraAdapter? Adapter { get; set; }

    /// <summary>Expert <paramref name="expert"/> applied to x ([n_tokens, n_in]: only the tokens routed to it).</summary>
    public Tensor forward(Tensor x, long expert)
    {
        var y = nn.functional.linear(x, Weight[expert]);
        return Adapter is null ? y : y + Adapter.Delta(x.to(ScalarType.Float32), expert).to(x.dtype);
    }
}

using static TorchSharp.torch;

namespace Merlinite.Trainer.Lora;

/// <summary>A frozen projection y = W·x (W is [n_out, n_in], as a GGUF matrix ne = [n_in, n_out] reads row-major), plus an optional LoRA update.</summary>
public sealed class LoraLinear(string name, Tensor weight) : IAdaptable
{
    /// <summary>GGUF name of the weight, e.g. <c>blk.0.attn_q.weight</c>.</summary>
    public string Name { get; } = name;
    public Tensor Weight { get; } = weight;
    public LoraAdapter? Adapter { get; set; }

    /// <param name="x32">x as float32, when the caller has it (projections that read the same input share one copy).</param>
    public Tensor forward(Tensor x, Tensor? x32 = null)
    {
        var y = nn.functional.linear(x, Weight);
        return Adapter is null ? y : y + Adapter.Delta(x32 ?? x.to(ScalarType.Float32)).to(x.dtype);
    }
}

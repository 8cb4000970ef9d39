using Merlinite.Trainer.Lora;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>Dense SwiGLU MLP: down(SiLU(gate(x)) ⊙ up(x)).</summary>
public sealed class FeedForward(LoraLinear gate, LoraLinear up, LoraLinear down) : IFeedForward
{
    public LoraLinear Gate { get; } = gate;
    public LoraLinear Up { get; } = up;
    public LoraLinear Down { get; } = down;

    public Tensor forward(Tensor x)
    {
        var x32 = Gate.Adapter is null && Up.Adapter is null ? null : x.to(ScalarType.Float32);
        return Down.forward(nn.functional.silu(Gate.forward(x, x32)) * Up.forward(x, x32));
    }
}

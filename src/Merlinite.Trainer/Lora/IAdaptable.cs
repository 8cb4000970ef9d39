using static TorchSharp.torch;

namespace Merlinite.Trainer.Lora;

/// <summary>A frozen weight that can carry a LoRA adapter: <see cref="LoraLinear"/> or <see cref="LoraExperts"/>.</summary>
public interface IAdaptable
{
    /// <summary>GGUF name of the weight (the adapter's tensors are named after it).</summary>
    string Name { get; }
    /// <summary>Torch layout: [n_out, n_in], or [n_expert, n_out, n_in] for an expert stack.</summary>
    Tensor Weight { get; }
    LoraAdapter? Adapter { get; set; }
}

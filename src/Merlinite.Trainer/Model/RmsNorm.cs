using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>RMSNorm as llama.cpp computes it: x / sqrt(mean(x²) + eps) · gain, over the last dimension.</summary>
public sealed class RmsNorm(Tensor gain, float eps)
{
    public Tensor forward(Tensor x) => x * rsqrt(x.pow(2).mean([-1], keepdim: true) + eps) * gain;
}

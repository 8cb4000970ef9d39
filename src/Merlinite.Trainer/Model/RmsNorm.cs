using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>RMSNorm as llama.cpp computes it: x / sqrt(mean(x²) + eps) · gain, over the last dimension. The mean of
/// squares is taken in float32 whatever the weights' dtype (a bf16 sum of 4096 squares loses most of its digits).</summary>
public sealed class RmsNorm(Tensor gain, float eps)
{
    public Tensor forward(Tensor x)
    {
        var x32 = x.to(ScalarType.Float32);
        return (x32 * rsqrt(x32.pow(2).mean([-1], keepdim: true) + eps)).to(x.dtype) * gain;
    }
}

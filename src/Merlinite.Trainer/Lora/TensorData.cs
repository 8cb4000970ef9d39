using static TorchSharp.torch;

namespace Merlinite.Trainer.Lora;

/// <summary>Moves float32 tensors to and from GGUF, whose dimensions (ne0 first) are torch's reversed.</summary>
public static class TensorData
{
    public static float[] ToArray(Tensor t) => t.detach().cpu().to(ScalarType.Float32).contiguous().data<float>().ToArray();

    public static long[] GgmlShape(Tensor t) => t.shape.Reverse().ToArray();

    public static long[] TorchShape(long[] ggmlShape) => ggmlShape.Reverse().ToArray();

    /// <summary>Overwrites <paramref name="target"/> with <paramref name="values"/> (same element count), outside autograd.</summary>
    public static void CopyInto(Tensor target, float[] values)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        target.copy_(tensor(values, target.shape).to(target.device));
    }
}

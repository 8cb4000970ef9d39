using static TorchSharp.torch;

namespace Merlinite.Trainer.Runtime;

/// <summary>The dtype the frozen base weights are held and multiplied in (--dtype). LoRA A/B, their gradients and the
/// optimizer state stay float32 whatever it is, and so do the loss and its log-softmax.</summary>
public static class Precision
{
    public static ScalarType Parse(string name) => name switch
    {
        "bf16" => ScalarType.BFloat16,
        "f16" => ScalarType.Float16,
        "f32" => ScalarType.Float32,
        _ => throw new TrainerException($"--dtype: '{name}' is not bf16, f16 or f32"),
    };

    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => "bf16",
        ScalarType.Float16 => "f16",
        _ => "f32",
    };

    public static int Bytes(ScalarType dtype) => dtype == ScalarType.Float32 ? 4 : 2;
}

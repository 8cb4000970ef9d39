namespace Merlinite.Trainer.Lora;

/// <summary>Shape of the adapters to attach: rank, alpha (update scale = alpha / rank), input dropout, and where.</summary>
public sealed record LoraConfig(int Rank, float Alpha, float Dropout, IReadOnlyList<LoraTarget> Targets)
{
    /// <summary>PEFT's and llama.cpp's scaling of the low-rank update.</summary>
    public float Scale => Alpha / Rank;
}

namespace Merlinite.Engine.Generation;

/// <summary>Sampler settings. Temperature 0 means greedy decoding.</summary>
public sealed record SamplingOptions
{
    public float Temperature { get; init; } = 0.8f;
    public int TopK { get; init; } = 40;
    public float TopP { get; init; } = 0.95f;
    public float MinP { get; init; } = 0.05f;
    public float RepeatPenalty { get; init; } = 1.0f;
    public int RepeatLastN { get; init; } = 64;
    public uint Seed { get; init; } = 42;
    public int MaxTokens { get; init; } = 256;

    public void Validate()
    {
        if (Temperature < 0) throw new ArgumentException($"--temp must be >= 0 (got {Temperature})");
        if (TopK < 0) throw new ArgumentException($"--top-k must be >= 0 (got {TopK})");
        if (TopP is <= 0 or > 1) throw new ArgumentException($"--top-p must be in (0, 1] (got {TopP})");
        if (MinP is < 0 or >= 1) throw new ArgumentException($"--min-p must be in [0, 1) (got {MinP})");
        if (RepeatPenalty <= 0) throw new ArgumentException($"--repeat-penalty must be > 0 (got {RepeatPenalty})");
        if (MaxTokens < 1) throw new ArgumentException($"--max-tokens must be >= 1 (got {MaxTokens})");
    }
}

namespace Merlinite.Engine.Core;

public sealed record DecodeLoopOptions
{
    /// <summary>Choices that generate at once; null: one per sequence. One fewer than the sequences keeps a sequence
    /// free, so the next prompt is decoded beside the running choices (chunked prefill) instead of after one ends.
    /// </summary>
    public int? MaxLive { get; init; }
    /// <summary>Reuse a free sequence's cached tokens for a request that starts the same way
    /// (<see cref="SequenceTable"/>).</summary>
    public bool PromptCache { get; init; } = true;
    /// <summary>Applies a request's named adapter (null: the model's own only). Called with nothing running.</summary>
    public Action<string?>? SetAdapter { get; init; }
}

/// <summary>Where a <see cref="DecodeLoop"/> spent its time: decoding prompts alone, decoding the choices' next
/// tokens (with any prompt tokens that ride along in the same batch), and choosing tokens (the sampler
/// chains).</summary>
public sealed class DecodeTimings
{
    public TimeSpan Prompt { get; internal set; }
    public TimeSpan Decode { get; internal set; }
    public TimeSpan Choose { get; internal set; }
    public int Steps { get; internal set; }
}

/// <summary>What a <see cref="DecodeLoop"/> has done so far and holds now (read from any thread).</summary>
/// <param name="CachedPromptTokens">Prompt tokens not decoded because a sequence still held them (the prompt-prefix
/// cache).</param>
public sealed record DecodeCounts(long PromptTokens, long GeneratedTokens, long CachedPromptTokens, int LiveChoices,
    int CellsReserved);

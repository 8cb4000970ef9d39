using Merlinite.Engine.Generation;

namespace Merlinite.Engine.Sampling;

/// <summary>One prompt to draw samples for, already rendered and tokenized.</summary>
public sealed record SampleRequest(string Id, int[] PromptTokens);

/// <summary>Sample <see cref="Index"/> of a prompt: its text (a stop string and what follows it removed) and why it ended.</summary>
public sealed record SampleOutput(int Index, uint Seed, string Text, FinishReason FinishReason, int Tokens);

/// <summary>All samples of one prompt, in sample order.</summary>
public sealed record PromptSamples(SampleRequest Request, IReadOnlyList<SampleOutput> Samples);

public sealed record BestOfNOptions
{
    /// <summary>Sampler settings; <see cref="SamplingOptions.Seed"/> is the run seed every sample's seed derives from.</summary>
    public required SamplingOptions Sampling { get; init; }
    /// <summary>Samples per prompt.</summary>
    public int N { get; init; } = 8;
    /// <summary>Strings that end a sample; they are not part of its text.</summary>
    public IReadOnlyList<string> Stops { get; init; } = [];
    /// <summary>Never draw end-of-generation tokens, so every sample runs to the token limit (benchmarks).</summary>
    public bool IgnoreEndOfGeneration { get; init; }
}

public readonly record struct SampleProgress(int PromptsDone, int PromptsTotal, long Tokens, int Live, TimeSpan Elapsed)
{
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? Tokens / Elapsed.TotalSeconds : 0;
}

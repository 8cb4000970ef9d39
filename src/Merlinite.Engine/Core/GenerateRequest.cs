using Merlinite.Engine.Generation;

namespace Merlinite.Engine.Core;

/// <summary>
/// One prompt for the <see cref="DecodeLoop"/>: its tokens are decoded once, then <see cref="Choices"/> answers are
/// sampled from them side by side (and/or the prompt's own tokens scored). What happens is reported to
/// <see cref="Sink"/>, from the loop's thread.
/// </summary>
public sealed class GenerateRequest
{
    public required string Id { get; init; }
    public required int[] PromptTokens { get; init; }
    /// <summary>Answers drawn from the prompt.</summary>
    public int Choices { get; init; } = 1;
    /// <summary>Temperature, top-p and the rest, and <see cref="SamplingOptions.MaxTokens"/>.</summary>
    public required SamplingOptions Sampling { get; init; }
    /// <summary>The seed of choice k's sampler chain.</summary>
    public required Func<int, uint> SeedOf { get; init; }
    /// <summary>Strings that end a choice; they are not part of its text.</summary>
    public IReadOnlyList<string> Stops { get; init; } = [];
    /// <summary>Log-probs of every generated token with this many alternatives; null: none.</summary>
    public int? TopLogprobs { get; init; }
    /// <summary>Also score the prompt's own tokens (<see cref="PromptScored"/>); with max_tokens 0, only
    /// that.</summary>
    public bool ScorePrompt { get; init; }
    /// <summary>Never draw an end-of-generation token: every choice runs to max_tokens (or a stop string).</summary>
    public bool BanEndOfGeneration { get; init; }
    /// <summary>Start every choice in the same step (a server streams them side by side); otherwise each starts when a
    /// sequence is free, so N may exceed the sequences.</summary>
    public bool StartTogether { get; init; }
    /// <summary>Report each token as a <see cref="ChoiceDelta"/> (streamed text, log-probs); otherwise only the
    /// finished choices.</summary>
    public bool Deltas { get; init; }
    /// <summary>A named adapter the request runs with, on top of the model's own; null: none.</summary>
    public string? Adapter { get; init; }
    public CancellationToken Cancellation { get; init; }
    public required GenerateSink Sink { get; init; }

    /// <summary>Choices that actually run: none when only the prompt is scored.</summary>
    internal int ChoicesToRun => ScorePrompt && Sampling.MaxTokens == 0 ? 0 : Choices;
    /// <summary>KV cells of the prompt body (every token but the last), shared by all choices.</summary>
    internal int BodyCells => PromptTokens.Length - 1;
}

/// <summary>Where a <see cref="GenerateRequest"/>'s results go. Called on the loop's thread, in order.</summary>
public abstract class GenerateSink
{
    /// <summary>The request left the queue: its prompt is being decoded.</summary>
    public virtual void Admitted() { }
    public abstract void On(GenerateEvent e);
    /// <summary>Nothing more comes for this request (after a <see cref="RequestFailed"/> if it failed).</summary>
    public virtual void Done() { }
}

namespace Merlinite.Engine.Scoring;

/// <summary>One (prompt, response) pair, already tokenized: the log-probs of <see cref="ResponseTokens"/> are scored
/// given <see cref="PromptTokens"/> (teacher forcing).</summary>
public sealed record ScoreItem(string Id, int[] PromptTokens, int[] ResponseTokens);

public readonly record struct TokenLogProb(int Token, double LogProb);

/// <summary>A scored response token: its log-prob and, when asked, the most likely alternatives at that position.</summary>
public sealed record ScoredToken(int Token, double LogProb, IReadOnlyList<TokenLogProb> Top);

public sealed record ScoreResult(string Id, IReadOnlyList<ScoredToken> Tokens, string? Error = null, int TruncatedPromptTokens = 0)
{
    public bool Ok => Error is null;
    public int Count => Tokens.Count;
    public double Sum => Tokens.Sum(t => t.LogProb);
    public double Mean => Tokens.Count == 0 ? 0 : Sum / Tokens.Count;
}

public enum TruncateMode
{
    /// <summary>An item longer than the context is an error (reported per item; the rest is still scored).</summary>
    None,
    /// <summary>Drop the oldest prompt tokens (after BOS) until the item fits; the response is never cut.</summary>
    Left,
}

public sealed record ScorerOptions
{
    /// <summary>How many alternatives to report per response token (0 = none).</summary>
    public int TopK { get; init; }
    public TruncateMode Truncate { get; init; } = TruncateMode.None;
    /// <summary>Decode a prompt once for all items that share it (off only to measure what sharing saves).</summary>
    public bool SharePrompts { get; init; } = true;
    /// <summary>Within a wave, a prompt that begins with another's first <see cref="Scorer.MinSharedPrefix"/>+ tokens
    /// (the same k-shot examples before different questions) takes those positions from it instead of decoding them.
    /// Off by default: it changes how a prompt is batched, so log-probs move in the last bits (~1e-7).</summary>
    public bool SharePrefixes { get; init; }
}

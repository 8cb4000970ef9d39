namespace Merlinite.Engine.Generation;

public enum FinishReason
{
    /// <summary>The model produced an end-of-generation token (<c>&lt;|endoftext|&gt;</c>).</summary>
    Stop,
    /// <summary>--max-tokens was reached.</summary>
    Length,
    /// <summary>The context filled up before the reply ended.</summary>
    ContextFull,
    /// <summary>Ctrl+C.</summary>
    Cancelled,
}

public static class FinishReasonNames
{
    public static string ToWireName(this FinishReason r) => r switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.ContextFull => "context_full",
        FinishReason.Cancelled => "cancelled",
        _ => r.ToString().ToLowerInvariant(),
    };

    public static FinishReason Parse(string name) => name switch
    {
        "stop" => FinishReason.Stop,
        "length" => FinishReason.Length,
        "context_full" => FinishReason.ContextFull,
        "cancelled" => FinishReason.Cancelled,
        _ => throw new Data.InputFormatException($"unknown finish_reason '{name}'"),
    };
}

public sealed record GenerationResult(
    string Text,
    FinishReason FinishReason,
    int PromptTokens,
    int CompletionTokens,
    uint Seed,
    TimeSpan Elapsed)
{
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? CompletionTokens / Elapsed.TotalSeconds : 0;
}

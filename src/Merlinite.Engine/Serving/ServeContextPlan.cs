namespace Merlinite.Engine.Serving;

/// <summary>
/// How many tokens each sequence of `merlinite serve` holds when --ctx is not given: the model's trained context
/// (positions beyond it are untrained), unless the KV cache of every sequence at that length would take more than half
/// of the memory it lives in (free memory after the weights are loaded; the other half is left to llama.cpp's compute
/// buffers and the rest of the machine). A request may then use <see cref="PerSequence"/> tokens: prompt + max_tokens.
/// </summary>
public sealed record ServeContextPlan(
    int PerSequence, int Sequences, int TrainedContext, long KvBytesPerToken, long AvailableBytes)
{
    /// <summary>llama.cpp rounds a context up to a multiple of 256 cells; a plan cut by memory rounds down to
    /// one.</summary>
    public const int Granularity = 256;

    public bool LimitedByMemory => PerSequence < TrainedContext;

    public long KvBytes => (long)PerSequence * Sequences * KvBytesPerToken;

    public static ServeContextPlan Choose(int trainedContext, long kvBytesPerToken, int sequences, long availableBytes)
    {
        long fits = availableBytes / 2 / Math.Max(1, kvBytesPerToken * sequences);
        long perSequence = Math.Min(trainedContext, fits / Granularity * Granularity);
        // With too little memory for even one granule the load fails with llama.cpp's own message, which says why.
        perSequence = Math.Max(perSequence, Math.Min(trainedContext, Granularity));
        return new ServeContextPlan((int)perSequence, sequences, trainedContext, kvBytesPerToken, availableBytes);
    }

    /// <summary>Why each sequence holds what it holds, for the start-up line.</summary>
    public string Reason() => LimitedByMemory
        ? $"half of the {Mib(AvailableBytes)} free for the KV cache holds that much of the model's trained " +
          $"{TrainedContext}; --ctx sets it"
        : $"the model's trained context; its KV cache takes {Mib(KvBytes)} of {Mib(AvailableBytes)} free";

    private static string Mib(long bytes) => bytes >= 10L << 30 ? $"{bytes >> 30} GiB" : $"{bytes >> 20} MiB";
}

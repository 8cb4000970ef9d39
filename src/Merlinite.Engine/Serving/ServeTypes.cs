using System.Threading.Channels;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Core;

namespace Merlinite.Engine.Serving;

/// <summary>One client request as the scheduler runs it: a tokenized prompt, N choices drawn from it, and where the
/// results go. Events arrive in order per choice on <see cref="Events"/>; the channel completes when the request is done.</summary>
public sealed class ServeRequest
{
    public required string Id { get; init; }
    public required int[] PromptTokens { get; init; }
    public int N { get; init; } = 1;
    /// <summary>Temperature, top_p and friends; <see cref="SamplingOptions.Seed"/> seeds choice k through
    /// (seed, request id "seed", k), so the same request with the same seed gives the same choices.</summary>
    public required SamplingOptions Sampling { get; init; }
    public IReadOnlyList<string> Stops { get; init; } = [];
    /// <summary>Log-probs of every generated token with this many alternatives; null: none.</summary>
    public int? TopLogprobs { get; init; }
    /// <summary>Also score the prompt's own tokens (the legacy completions API's echo).</summary>
    public bool PromptLogprobs { get; init; }
    /// <summary>Events as tokens come (a streamed response); otherwise a choice's events are sent together when it ends,
    /// so a request that waits for the whole answer does not wake its reader for every token.</summary>
    public bool Stream { get; init; } = true;
    /// <summary>A named adapter the request runs with (the model field), on top of the server's own; null: none.</summary>
    public string? Adapter { get; init; }
    /// <summary>Never draw an end-of-generation token: every choice runs to max_tokens (or a stop string).</summary>
    public bool IgnoreEos { get; init; }
    public CancellationToken Cancellation { get; init; }
    public Channel<GenerateEvent> Events { get; } = Channel.CreateUnbounded<GenerateEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
}

/// <summary>What <see cref="ServeScheduler.Metrics"/> reports.</summary>
/// <param name="CachedPromptTokens">Prompt tokens not decoded because a sequence still held them from an earlier
/// request (the prompt-prefix cache).</param>
public sealed record ServeMetrics(long Requests, long PromptTokens, long GeneratedTokens, int Queued, int LiveSequences,
    int CellsReserved, int Cells, long CachedPromptTokens = 0);

/// <summary>Why a request can never run on this server: <see cref="Key"/> is the setting it exceeds ("n", or
/// "context" for prompt + max_tokens), so the API can name the field.</summary>
public sealed record ServeRefusal(string Key, string Message);

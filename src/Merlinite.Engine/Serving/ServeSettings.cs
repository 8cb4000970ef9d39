using Merlinite.Engine.Chat;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Serving;

/// <summary>Settings of `merlinite serve`: one type, one default and one check each.</summary>
public sealed record ServeSettings
{
    /// <summary>Loopback by default: a model server is not exposed to the network unless asked.</summary>
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8080;
    /// <summary>Sequences decoded together (choices of all running requests).</summary>
    public int Parallel { get; init; } = 8;
    /// <summary>Requests that may wait beyond the running ones; more get 429.</summary>
    public int MaxQueued { get; init; } = 64;
    /// <summary>Bearer key every /v1 request must carry; null: none.</summary>
    public string? ApiKey { get; init; }
    /// <summary>How chat messages become the prompt (Merlinite's template by default).</summary>
    public ChatTemplate Template { get; init; } = ChatTemplate.Merlinite;
    /// <summary>System prompt when a chat request has none; null: the template's default, "": none.</summary>
    public string? System { get; init; }
    /// <summary>max_tokens when a request gives none.</summary>
    public int DefaultMaxTokens { get; init; } = 512;
    /// <summary>Never end a choice at an end-of-generation token unless a request says otherwise (llama-server's
    /// --ignore-eos: fixed-length answers for benchmarks and tests).</summary>
    public bool IgnoreEos { get; init; }
    /// <summary>Keep each sequence's last prompt and reuse its longest shared start for the next request there
    /// (llama-server's cache_prompt). Off: every prompt is decoded whole (a benchmark's baseline).</summary>
    public bool PromptCache { get; init; } = true;
    /// <summary>Largest request body accepted (413 beyond).</summary>
    public long MaxBodyBytes { get; init; } = 4 << 20;
    /// <summary>How long a shutdown waits for requests in flight.</summary>
    public int ShutdownSeconds { get; init; } = 10;
    /// <summary>Context 0: each sequence gets the model's trained context, as far as memory allows
    /// (<see cref="ServeContextPlan"/>); a number is the KV cells of all sequences together.</summary>
    public RuntimeSettings Runtime { get; init; } = new() { Context = 0 };

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Require.Between("port", Port, 1, 65535);
        yield return Require.Between("parallel", Parallel, 1, 255);
        yield return Require.AtLeast("max_queued", MaxQueued, 0);
        yield return Require.AtLeast("max_tokens", DefaultMaxTokens, 1);
        yield return string.IsNullOrWhiteSpace(Host) ? new SettingProblem("host", "must not be empty") : null;
        yield return ApiKey is { Length: 0 } ? new SettingProblem("api_key", "must not be empty (leave it out for no key)") : null;
        foreach (var p in Runtime.Problems()) yield return p;
        if (Runtime.Context >= 16 && Parallel is >= 1 and <= 255 && Runtime.Context < Parallel)
            yield return new SettingProblem("context", $"the context ({Runtime.Context} tokens) must hold at least {{parallel}} = {Parallel} tokens, one per sequence");
    }
}

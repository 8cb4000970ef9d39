using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Core;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Sampling;
using Merlinite.Engine.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Merlinite.Serve;

/// <summary>
/// `merlinite serve`: OpenAI's chat and completions API over one model on Kestrel (ASP.NET Core's slim builder). The
/// host starts at once and answers /health with 503 until the model is loaded; every request then goes through the
/// <see cref="ServeScheduler"/>, which batches all running requests' choices together.
/// </summary>
public sealed class ServeHost(ModelSpec modelSpec, ServeSettings settings, IReadOnlyDictionary<string, LoraSpec>? namedAdapters = null)
{
    private readonly IReadOnlyDictionary<string, LoraSpec> _namedSpecs = namedAdapters ?? new Dictionary<string, LoraSpec>();
    private LoadedModel? _model;
    private ServeScheduler? _scheduler;
    private PromptRenderer? _renderer;
    private TokenText? _text;
    private string? _loadError;
    private long _requestCounter;

    public string ModelId { get; } = Path.GetFileNameWithoutExtension(modelSpec.Path);

    /// <summary>Serves until <paramref name="ct"/> fires or the process gets SIGTERM / Ctrl+C; returns the exit code.</summary>
    public async Task<int> RunAsync(Action<string> announce, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // A host that fails to start (a busy port) throws to the command, which says why in one line; the host's own
        // log of it is a 2 KB stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = settings.MaxBodyBytes;
            k.Listen(System.Net.IPAddress.Parse(settings.Host == "localhost" ? "127.0.0.1" : settings.Host), settings.Port);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(settings.ShutdownSeconds));
        // Disposed at the end: the console logger writes from its own thread, and disposing it flushes what is queued.
        await using var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("merlinite.serve");

        app.Use(async (ctx, next) =>
        {
            var clock = Stopwatch.StartNew();
            Exception? failed = null;
            try { await next(); }
            catch (Exception e) { failed = e; throw; }
            finally { LogRequest(log, ctx, failed, clock.ElapsedMilliseconds); }
        });
        app.UseStatusCodePages(ErrorPages.Write);
        app.MapGet("/", ctx => ChatPage.Write(ctx));
        app.MapGet("/favicon.ico", ctx => { ctx.Response.StatusCode = 204; return Task.CompletedTask; });
        app.MapGet("/health", ctx => Health(ctx));
        app.MapGet("/metrics", ctx => Metrics(ctx));
        app.MapGet("/v1/models", ctx => Guard(ctx, () => Models(ctx)));
        app.MapPost("/v1/chat/completions", ctx => Guard(ctx, () => Complete(ctx, chat: true)));
        app.MapPost("/v1/completions", ctx => Guard(ctx, () => Complete(ctx, chat: false)));

        await app.StartAsync(ct);
        announce($"serving {ModelId} on http://{settings.Host}:{settings.Port} (OpenAI API under /v1, chat page at /); loading the model");
        _ = Task.Run(() => Load(announce, app.Lifetime), ct);
        try { await app.WaitForShutdownAsync(ct); }
        catch (OperationCanceledException) { }
        await app.StopAsync(CancellationToken.None);
        _scheduler?.Dispose();
        _model?.Dispose();
        return _loadError is null ? 0 : 1;
    }

    /// <summary>One line per API request: id, method, path, status, tokens generated, milliseconds, and why it
    /// failed.</summary>
    private static void LogRequest(ILogger log, HttpContext ctx, Exception? failed, long ms)
    {
        if (!ctx.Request.Path.StartsWithSegments("/v1")) return;
        // 499 (nginx's "client closed request") for a client that left before its answer was complete; an exception
        // that escaped becomes Kestrel's 500.
        int status = ctx.RequestAborted.IsCancellationRequested ? 499
            : failed is not null && !ctx.Response.HasStarted ? 500 : ctx.Response.StatusCode;
        string? reason = failed?.Message ?? ctx.Items["error"] as string;
        string why = reason is null ? "" : ": " + reason.ReplaceLineEndings(" ");
        log.LogInformation("{Id} {Method} {Path} {Status} {Tokens} tokens {Ms} ms{Why}", ctx.Items["id"] ?? "-",
            ctx.Request.Method, ctx.Request.Path.Value, status, ctx.Items["tokens"] ?? 0, ms, why);
    }

    private void Load(Action<string> announce, IHostApplicationLifetime lifetime)
    {
        try
        {
            ServeContextPlan? plan = null;
            var model = LoadedModel.Load(new ModelLoadOptions
            {
                // A KV buffer per sequence: each choice attends over its own cells only (2.7x the tokens/s of one shared
                // buffer under load, docs/benchmarks.md).
                Model = modelSpec, Runtime = settings.Runtime, Sequences = settings.Parallel, BatchSize = Math.Max(512, settings.Parallel),
                KvPerSequence = settings.Parallel > 1,
                ChooseContext = m =>
                {
                    long perToken = KvMemory.BytesPerToken(m, settings.Runtime.FastAttention);
                    plan = ServeContextPlan.Choose(m.ContextLengthTrain, perToken, settings.Parallel,
                        KvMemory.Available(modelSpec.GpuLayers));
                    return plan.PerSequence * plan.Sequences;
                },
            });
            _renderer = new PromptRenderer(model, settings.Template);
            _text = new TokenText(model);
            _scheduler = new ServeScheduler(model, settings.MaxQueued, _namedSpecs, settings.PromptCache);
            _model = model;
            int perRequest = _scheduler.TokensPerSequence;
            announce($"model loaded: a request may use {perRequest} tokens (prompt + max_tokens), " +
                $"{settings.Parallel} sequences, {model.ContextSize} KV cells ({plan?.Reason() ?? "--ctx"})");
        }
        catch (Exception e)
        {
            // A server without a model serves nobody: exit non-zero, so a service manager or script sees the failure.
            _loadError = e.Message;
            announce($"error: the model failed to load: {e.Message}");
            lifetime.StopApplication();
        }
    }

    // ------------------------------------------------------------------ plain endpoints

    private Task Health(HttpContext ctx)
    {
        ctx.Response.StatusCode = _scheduler is null ? 503 : 200;
        return WriteJson(ctx, w => w.WriteString("status", _scheduler is not null ? "ok" : _loadError is null ? "loading" : "error: " + _loadError));
    }

    private Task Metrics(HttpContext ctx)
    {
        var m = _scheduler?.Metrics ?? new ServeMetrics(0, 0, 0, 0, 0, 0, 0);
        var sb = new StringBuilder();
        void Metric(string name, string type, string help, long value)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            sb.Append(name).Append(' ').Append(value).Append('\n');
        }
        Metric("merlinite_requests_total", "counter", "Requests accepted by the scheduler.", m.Requests);
        Metric("merlinite_prompt_tokens_total", "counter", "Prompt tokens of admitted requests, cached ones included.",
            m.PromptTokens);
        Metric("merlinite_prompt_tokens_cached_total", "counter",
            "Prompt tokens reused from a sequence's cached prefix instead of decoded.", m.CachedPromptTokens);
        Metric("merlinite_generated_tokens_total", "counter", "Tokens generated.", m.GeneratedTokens);
        Metric("merlinite_queue_depth", "gauge", "Requests waiting for sequences or KV cells.", m.Queued);
        Metric("merlinite_live_sequences", "gauge", "Choices being generated.", m.LiveSequences);
        Metric("merlinite_kv_cells_reserved", "gauge", "KV cells reserved by running requests.", m.CellsReserved);
        Metric("merlinite_kv_cells", "gauge", "KV cells of the context.", m.Cells);
        ctx.Response.ContentType = "text/plain; version=0.0.4";
        return ctx.Response.WriteAsync(sb.ToString());
    }

    private Task Models(HttpContext ctx) => WriteJson(ctx, w =>
    {
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        foreach (var (id, file) in _namedSpecs.Select(kv => (kv.Key, kv.Value.Path)).Prepend((ModelId, modelSpec.Path)))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "model");
            w.WriteNumber("created", new DateTimeOffset(File.GetLastWriteTimeUtc(file)).ToUnixTimeSeconds());
            w.WriteString("owned_by", "merlinite");
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    /// <summary>Key, readiness and errors for every /v1 endpoint: an <see cref="ApiError"/> becomes its status and body.</summary>
    private async Task Guard(HttpContext ctx, Func<Task> handle)
    {
        try
        {
            if (settings.ApiKey is { } key && ctx.Request.Headers.Authorization.ToString() != "Bearer " + key)
                throw new ApiError(401, "missing or wrong API key (send Authorization: Bearer KEY)", "invalid_request_error", code: "invalid_api_key");
            if (_scheduler is null)
                throw _loadError is null ? new ApiError(503, "the model is still loading", "server_error", code: "model_loading")
                    : new ApiError(503, "the model failed to load: " + _loadError, "server_error", code: "model_unavailable");
            await handle();
        }
        catch (ApiError e) when (!ctx.Response.HasStarted)
        {
            ctx.Items["error"] = e.Message;
            ctx.Response.StatusCode = e.Status;
            if (e.Status == 429) ctx.Response.Headers.RetryAfter = "1";
            await WriteJson(ctx, e.Write, wrap: false);
        }
        catch (BadHttpRequestException e) when (!ctx.Response.HasStarted)
        {
            ctx.Items["error"] = e.Message;
            ctx.Response.StatusCode = e.StatusCode;
            await WriteJson(ctx, new ApiError(e.StatusCode, e.StatusCode == 413 ? $"the body is larger than {settings.MaxBodyBytes} bytes" : e.Message, "invalid_request_error").Write, wrap: false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { }
    }

    // ------------------------------------------------------------------ completions

    private async Task Complete(HttpContext ctx, bool chat)
    {
        string id = (chat ? "chatcmpl-" : "cmpl-") + Interlocked.Increment(ref _requestCounter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        ctx.Items["id"] = id;
        var body = await ReadBody(ctx);
        var r = ApiRequest.Parse(body, chat);
        if (r.Model is { } m && m != ModelId && !_namedSpecs.ContainsKey(m))
            throw new ApiError(404, $"the model '{m}' does not exist here (this server serves {string.Join(", ", _namedSpecs.Keys.Prepend(ModelId).Select(x => $"'{x}'"))})", "invalid_request_error", "model", "model_not_found");
        string? adapterName = r.Model is { } named && _namedSpecs.ContainsKey(named) && named != ModelId ? named : null;
        var model = _model!;

        int limit = _scheduler!.TokensPerSequence;
        // Prompts as token ids, and the text an echo repeats.
        var prompts = new List<(int[] Tokens, string Text)>();
        if (chat)
        {
            var messages = r.Messages!.ToList();
            if (messages.All(x => x.Role != ChatRole.System) && settings.Template.SystemPrompt(settings.System) is { Length: > 0 } sys) messages.Insert(0, ChatMessage.System(sys));
            if (r.DropOldest)
            {
                (messages, int dropped) = ChatFit.DropOldest(messages, limit, r.MaxTokens ?? settings.DefaultMaxTokens,
                    m => model.TokenizePrompt(_renderer!.Render(m)).Length);
                // A header, so the JSON keeps OpenAI's shape: the chat page drops as many of its oldest messages.
                ctx.Response.Headers["X-Merlinite-Dropped-Messages"] =
                    dropped.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            string text = _renderer!.Render(messages);
            prompts.Add((model.TokenizePrompt(text), text));
        }
        else if (r.PromptTokens is { } ids)
        {
            foreach (var t in ids)
            {
                if (t.Any(x => x < 0 || x >= model.Vocab.Count)) throw ApiError.Invalid($"prompt token ids must be between 0 and {model.Vocab.Count - 1}", "prompt");
                prompts.Add((t, model.Vocab.Detokenize(t)));
            }
        }
        else foreach (var p in r.Prompts!) prompts.Add((model.TokenizePrompt(p), p));

        // Without max_tokens an answer may run to the end of its sequence (as OpenAI's API), up to --max-tokens.
        int maxTokens = r.MaxTokens
            ?? Math.Clamp(limit - prompts.Max(p => p.Tokens.Length), 1, settings.DefaultMaxTokens);
        if (prompts.Count > _scheduler.MostQueuedAtOnce)
            throw ApiError.Invalid($"{prompts.Count} prompts are more than this server ever takes at once " +
                $"({_scheduler.Sequences} running and {_scheduler.MaxQueued} waiting: --parallel, --max-queued)",
                "prompt");
        foreach (var (tokens, _) in prompts)
        {
            if (tokens.Length == 0) throw ApiError.Invalid("the prompt is empty", "prompt");
            if (_scheduler.CheckFits(tokens.Length, r.N, maxTokens) is { } refusal)
                throw refusal.Key == "n" ? ApiError.Invalid(refusal.Message, "n")
                    : ApiError.Invalid(refusal.Message, chat ? "messages" : "prompt", "context_length_exceeded");
        }

        uint seed = r.Seed ?? (uint)Random.Shared.Next();
        // Cancelled when the client goes away or the response cannot be written: the scheduler then drops the
        // request's sequences before its next step.
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        var sampling = new SamplingOptions
        {
            Temperature = r.Temperature, TopP = r.TopP, TopK = 0, MinP = 0, MaxTokens = maxTokens, Seed = seed,
        };
        var requests = prompts.Select((p, i) => new ServeRequest(r.Stream, sink => new GenerateRequest
        {
            Id = $"{id}/{i}", PromptTokens = p.Tokens, Choices = r.N, Stops = r.Stop, Cancellation = abandon.Token,
            Sampling = sampling,
            // Choice k's seed is (seed, "seed", k), so the same request with the same seed gives the same choices.
            SeedOf = k => SampleSeeds.Derive(seed, "seed", k),
            TopLogprobs = r.Logprobs ? r.TopLogprobs : null, ScorePrompt = r.Echo && r.Logprobs,
            BanEndOfGeneration = r.IgnoreEos ?? settings.IgnoreEos, Adapter = adapterName,
            StartTogether = true, Deltas = true, Sink = sink,
        })).ToList();
        foreach (var q in requests)
            if (!_scheduler!.TryEnqueue(q))
            {
                abandon.Cancel();
                throw new ApiError(429, $"the server is busy ({_scheduler.MaxQueued} requests waiting); retry shortly", "rate_limit_error", code: "rate_limit_exceeded");
            }

        var writer = new ResponseWriter(ctx, id, adapterName ?? ModelId, chat, r, _text!, prompts.Select(p => p.Text).ToList());
        try { await writer.RunAsync(requests); }
        catch (Exception e) when (e is IOException || (e is OperationCanceledException && ctx.RequestAborted.IsCancellationRequested))
        {
            abandon.Cancel();
            return; // the client is gone: nobody to answer
        }
        finally
        {
            abandon.Cancel();
            ctx.Items["tokens"] = writer.TokensSoFar;
        }
    }

    private async Task<ReadOnlyMemory<byte>> ReadBody(HttpContext ctx)
    {
        if (ctx.Request.ContentLength > settings.MaxBodyBytes)
            throw new ApiError(413, $"the body ({ctx.Request.ContentLength} bytes) is larger than {settings.MaxBodyBytes} bytes", "invalid_request_error");
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted);
        return ms.ToArray();
    }

    internal static async Task WriteJson(HttpContext ctx, Action<Utf8JsonWriter> write, bool wrap = true)
    {
        ctx.Response.ContentType = "application/json";
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Merlinite.Engine.Data.JsonStyle.Line))
        {
            if (wrap) w.WriteStartObject();
            write(w);
            if (wrap) w.WriteEndObject();
        }
        await ctx.Response.Body.WriteAsync(ms.ToArray());
    }
}

using System.Diagnostics;
using System.Threading.Channels;
using Merlinite.Engine.Core;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Llama;

namespace Merlinite.Engine.Serving;

/// <summary>
/// A server's requests on the <see cref="DecodeLoop"/>, on one model and one context: a queue in front of it, a thread
/// that runs it, the named adapters, and what the server may accept. A request's choices start together and stream
/// side by side; a cancelled request (the client went away) has its sequences freed before the next step.
/// <para>With one KV buffer per sequence (how `merlinite serve` loads the model) each choice attends only over its own
/// cells and a request needs only free sequences; the shared prompt is copied into each choice's buffer. With one
/// shared buffer the prompt's cells are shared, a request also needs prompt + N × max_tokens free cells, and every
/// token attends over the whole buffer's used range, which fragments as requests come and go: measured 2.7× slower
/// under load (docs/benchmarks.md).</para>
/// </summary>
public sealed class ServeScheduler : IDisposable
{
    private readonly LoadedModel _model;
    private readonly Channel<ServeRequest> _queue;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly DecodeLoop _loop;
    private readonly int _cells;
    /// <summary>Cells of each sequence's own buffer; 0 with one buffer shared by all.</summary>
    private readonly int _perSequence;
    private long _requests;
    private int _queued;
    private readonly IReadOnlyDictionary<string, (LlamaLoraAdapter Adapter, float Scale)> _named;

    /// <param name="maxQueued">Requests waiting beyond the running ones; more are refused (<see
    /// cref="TryEnqueue"/>).</param>
    /// <param name="named">Adapters a request may name, loaded here and freed with the scheduler. llama.cpp applies
    /// adapters per context, so requests are queued by adapter: one with another adapter waits until the running
    /// requests end, then the context switches.</param>
    /// <param name="promptCache">Reuse a free sequence's cached prompt prefix
    /// (<see cref="ServeSettings.PromptCache"/>).</param>
    public ServeScheduler(LoadedModel model, int maxQueued, IReadOnlyDictionary<string, LoraSpec>? named = null,
        bool promptCache = true)
    {
        var adapters = new Dictionary<string, (LlamaLoraAdapter, float)>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, spec) in named ?? new Dictionary<string, LoraSpec>())
                adapters[name] = (model.Model.LoadLoraAdapter(spec.Path), spec.Scale);
        }
        catch
        {
            foreach (var (adapter, _) in adapters.Values) adapter.Dispose();
            throw;
        }
        _named = adapters;
        _model = model;
        _perSequence = model.Options.KvPerSequence ? model.Context.ContextSizePerSequence : 0;
        _cells = model.ContextSize;
        _loop = new DecodeLoop(model, new DecodeLoopOptions { PromptCache = promptCache, SetAdapter = SetAdapter });
        MaxQueued = maxQueued;
        _queue = Channel.CreateUnbounded<ServeRequest>(new UnboundedChannelOptions { SingleReader = true });
        _thread = new Thread(Loop) { IsBackground = true, Name = "merlinite-serve-decode" };
        _thread.Start();
    }

    public int MaxQueued { get; }
    public int Sequences => _model.Context.MaxSequences;
    public int ContextSize => _cells;

    public ServeMetrics Metrics => _loop.Counts is var c
        ? new(Interlocked.Read(ref _requests), c.PromptTokens, c.GeneratedTokens, Volatile.Read(ref _queued),
            c.LiveChoices, c.CellsReserved, _cells, c.CachedPromptTokens)
        : throw new UnreachableException();

    /// <summary>Tokens one choice may use, prompt and answer together: its sequence's own buffer, or the shared
    /// one.</summary>
    public int TokensPerSequence => _perSequence > 0 ? _perSequence : _cells;

    /// <summary>Requests (prompts of one HTTP request) the server takes at once when idle: more are never
    /// admitted.</summary>
    public int MostQueuedAtOnce => MaxQueued + Sequences;

    /// <summary>Why a request can never run here (too many choices, too long), or null.</summary>
    public ServeRefusal? CheckFits(int promptTokens, int n, int maxTokens)
    {
        if (n > Sequences)
            return new("n", $"n = {n} is more than the {Sequences} sequences this server runs (--parallel)");
        if (promptTokens >= TokensPerSequence)
            return new("context", $"the prompt ({promptTokens} tokens) leaves no room for an answer: a request may " +
                $"use {TokensPerSequence} tokens, prompt and answer together (--ctx / --parallel)");
        if (_perSequence > 0)
            return promptTokens + (long)Math.Max(1, maxTokens) > _perSequence
                ? new("context", $"the prompt ({promptTokens} tokens) and max_tokens ({maxTokens}) need " +
                    $"{promptTokens + (long)maxTokens} positions but each sequence holds {_perSequence} " +
                    "(--ctx / --parallel)")
                : null;
        long need = promptTokens + (long)n * Math.Max(1, maxTokens);
        return need > _cells
            ? new("context", $"the prompt ({promptTokens} tokens) and {n} × max_tokens ({maxTokens}) need {need} " +
                $"KV cells but the context holds {_cells}")
            : null;
    }

    /// <summary>Queues a request; false when the queue is full (<see cref="MaxQueued"/> waiting beyond what the free
    /// sequences will take at once).</summary>
    public bool TryEnqueue(ServeRequest request)
    {
        int admitsNow = Math.Max(0, Sequences - _loop.Counts.LiveChoices);
        if (Interlocked.Increment(ref _queued) > MaxQueued + admitsNow)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }
        Interlocked.Increment(ref _requests);
        request.LeftQueue = () => Interlocked.Decrement(ref _queued);
        _queue.Writer.TryWrite(request);
        return true;
    }

    private void Loop()
    {
        try
        {
            _loop.Run(Next, _stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            // The model cannot go on (the requests in flight were told): every queued request learns why.
            while (_queue.Reader.TryRead(out var r)) Complete(r, e.Message);
        }
    }

    // The next queued request for the loop; with nothing running, waits for one (null: the server stops).
    private GenerateRequest? Next(bool idle)
    {
        if (!_queue.Reader.TryRead(out var r))
        {
            if (!idle) return null;
            try { r = _queue.Reader.ReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult(); }
            catch (OperationCanceledException) { return null; }
        }
        return r.Work;
    }

    // llama.cpp applies adapters per context: the server's own, and the request's named one on top.
    private void SetAdapter(string? name)
    {
        var adapters = _model.Adapters.ToList();
        if (name is not null) adapters.Add(_named[name]);
        _model.Context.SetLoraAdapters(adapters);
    }

    private static void Complete(ServeRequest r, string? error)
    {
        if (error is not null) r.Events.Writer.TryWrite(new RequestFailed(error));
        r.Events.Writer.TryComplete();
    }

    private void Decode(LlamaBatch batch)
    {
        int rc = _model.Context.Decode(batch);
        if (rc != 0) throw new LlamaException($"llama_decode failed with code {rc} while serving");
    }

    public void Dispose()
    {
        _stop.Cancel();
        _queue.Writer.TryComplete();
        _thread.Join(TimeSpan.FromSeconds(10));
        foreach (var (adapter, _) in _named.Values) adapter.Dispose();
    }
}

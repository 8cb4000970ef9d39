using System.Threading.Channels;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Sampling;
using Merlinite.Engine.Scoring;
using Merlinite.Llama;

namespace Merlinite.Engine.Serving;

/// <summary>
/// Continuous batching across the requests of a server, on one model and one context. A request's prompt is decoded
/// once onto its first sequence and shared with its other N-1 sequences; then every decode step advances one token of
/// every live choice of every request. A cancelled request (the client went away) has its sequences removed before
/// the next step.
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
    private readonly int _cells;
    /// <summary>Cells of each sequence's own buffer; 0 with one buffer shared by all.</summary>
    private readonly int _perSequence;
    private readonly float[] _scratch;
    private readonly int[] _endOfGeneration;
    private long _requests, _promptTokens, _generatedTokens, _cachedTokens;
    private int _queued, _live, _reserved;

    private readonly IReadOnlyDictionary<string, (LlamaLoraAdapter Adapter, float Scale)> _named;
    private string? _activeAdapter;
    private readonly bool _promptCache;

    /// <param name="maxQueued">Requests waiting beyond the running ones; more are refused (<see cref="TryEnqueue"/>).</param>
    /// <param name="named">Adapters a request may name, loaded here and freed with the scheduler. llama.cpp applies
    /// adapters per context, so requests are queued by adapter: one with another adapter waits until the running
    /// requests end, then the context switches.</param>
    /// <param name="promptCache">Reuse a free sequence's cached prompt prefix
    /// (<see cref="ServeSettings.PromptCache"/>).</param>
    public ServeScheduler(LoadedModel model, int maxQueued, IReadOnlyDictionary<string, LoraSpec>? named = null,
        bool promptCache = true)
    {
        _promptCache = promptCache;
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
        _scratch = new float[model.Vocab.Count];
        _endOfGeneration = Enumerable.Range(0, model.Vocab.Count).Where(model.Vocab.IsEog).ToArray();
        MaxQueued = maxQueued;
        _queue = Channel.CreateUnbounded<ServeRequest>(new UnboundedChannelOptions { SingleReader = true });
        _thread = new Thread(Loop) { IsBackground = true, Name = "merlinite-serve-decode" };
        _thread.Start();
    }

    public int MaxQueued { get; }
    public int Sequences => _model.Context.MaxSequences;
    public int ContextSize => _cells;

    public ServeMetrics Metrics => new(Interlocked.Read(ref _requests), Interlocked.Read(ref _promptTokens), Interlocked.Read(ref _generatedTokens),
        Volatile.Read(ref _queued), Volatile.Read(ref _live), Volatile.Read(ref _reserved), _cells,
        Interlocked.Read(ref _cachedTokens));

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
        int admitsNow = Math.Max(0, Sequences - Volatile.Read(ref _live));
        if (Interlocked.Increment(ref _queued) > MaxQueued + admitsNow)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }
        Interlocked.Increment(ref _requests);
        _queue.Writer.TryWrite(request);
        return true;
    }

    private sealed class Choice(ServeRequest request, int index, int seq, LlamaSampler sampler, int position) : IDisposable
    {
        public ServeRequest Request { get; } = request;
        public int Index { get; } = index;
        public int Seq { get; } = seq;
        public LlamaSampler Sampler { get; } = sampler;
        public int NextToken { get; set; } = request.PromptTokens[^1];
        public int NextPosition { get; set; } = position;
        public int Row { get; set; }
        public int Generated { get; set; }
        public Utf8PieceDecoder Utf8 { get; } = new();
        public System.Text.StringBuilder Text { get; } = new();
        public StopStrings Stops { get; } = new(request.Stops);
        /// <summary>Events held until the choice ends (a request that is not streamed).</summary>
        public List<ServeEvent> Held { get; } = new();

        public void Emit(ServeEvent e)
        {
            if (Request.Stream) Request.Events.Writer.TryWrite(e);
            else Held.Add(e);
        }

        /// <summary>Characters of <see cref="Text"/> already sent to the client.</summary>
        public int Sent { get; private set; }

        /// <summary>The text up to <paramref name="upTo"/> not yet sent, now marked as sent.</summary>
        public string Release(int upTo)
        {
            if (upTo <= Sent) return "";
            string text = Text.ToString(Sent, upTo - Sent);
            Sent = upTo;
            return text;
        }

        public void Dispose() => Sampler.Dispose();
    }

    private void Loop()
    {
        var context = _model.Context;
        var live = new List<Choice>();
        var free = new SortedSet<int>(Enumerable.Range(0, Sequences));
        var reservedBy = new Dictionary<ServeRequest, (int Cells, int Running)>();
        // The prompt-prefix cache: a free sequence keeps the prompt body (all but the last token) of the request it
        // served, and a new request starts on the free sequence whose body shares the longest start with its own, so
        // the system prompt and the history of a chat are decoded once (llama-server's slot reuse). Its cells are the
        // sequence's own buffer (serve gives each sequence one when it runs several; one sequence alone has the whole
        // context), so a kept prefix never takes a cell another request reserved.
        var cached = new int[Sequences][];
        for (int q = 0; q < cached.Length; q++) cached[q] = [];
        ServeRequest? waiting = null;
        // The request whose prompt is being decoded, a chunk per step beside the running choices (chunked prefill),
        // on the first of the sequences it was given.
        (ServeRequest Request, int[] Seqs, int Decoded)? opening = null;
        using var batch = new LlamaBatch(Math.Max(Sequences, context.BatchSize));
        context.Memory.Clear();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                // Admit what fits; with nothing running, wait for work.
                while (true)
                {
                    if (opening is not null) break;
                    if (waiting is null && !_queue.Reader.TryRead(out waiting))
                    {
                        if (live.Count > 0) break;
                        try { waiting = _queue.Reader.ReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult(); }
                        catch (OperationCanceledException) { return; }
                    }
                    if (waiting.Cancellation.IsCancellationRequested) { Dequeued(); Complete(waiting, null); waiting = null; continue; }
                    if (waiting.Adapter != _activeAdapter)
                    {
                        if (live.Count > 0) break; // runs when the requests of the current adapter are done
                        var adapters = _model.Adapters.ToList();
                        if (waiting.Adapter is { } name) adapters.Add(_named[name]);
                        context.SetLoraAdapters(adapters);
                        _activeAdapter = waiting.Adapter;
                        // Keys and values computed under the other adapters are not this one's.
                        for (int q = 0; q < cached.Length; q++) Forget(q);
                    }
                    int cells = waiting.PromptTokens.Length + waiting.N * Math.Max(1, waiting.Sampling.MaxTokens);
                    if (free.Count < waiting.N || (_perSequence == 0 && _reserved + cells > _cells)) break;
                    var request = waiting;
                    waiting = null;
                    Dequeued();
                    Admit(request, cells);
                }
                foreach (var c in live.Where(c => c.Request.Cancellation.IsCancellationRequested).ToList()) End(c, FinishReason.Cancelled);
                if (opening is { } o && o.Request.Cancellation.IsCancellationRequested)
                {
                    Release(o.Request, o.Seqs);
                    opening = null;
                }
                if (live.Count == 0 && opening is null) continue;

                batch.Clear();
                foreach (var c in live)
                {
                    c.Row = batch.Count;
                    batch.Add(c.NextToken, c.NextPosition, c.Seq, logits: true);
                }
                int chunk = 0;
                if (opening is { } open)
                {
                    // The opening prompt's body (all but its last token) rides in the same decode as the running choices.
                    chunk = Math.Min(open.Request.PromptTokens.Length - 1 - open.Decoded, batch.Capacity - batch.Count);
                    for (int p = open.Decoded; p < open.Decoded + chunk; p++) batch.Add(open.Request.PromptTokens[p], p, open.Seqs[0], logits: false);
                }
                if (batch.Count > 0) Decode(batch);
                foreach (var c in live.ToList()) Step(c);
                if (opening is { } started)
                {
                    opening = started with { Decoded = started.Decoded + chunk };
                    if (opening.Value.Decoded == started.Request.PromptTokens.Length - 1)
                    {
                        StartChoices(started.Request, started.Seqs);
                        opening = null;
                    }
                }
                Volatile.Write(ref _live, live.Count);
            }
        }
        catch (Exception e)
        {
            // The model cannot go on: every request in flight and queued learns why.
            foreach (var c in live) c.Request.Events.Writer.TryWrite(new RequestFailed(e.Message));
            foreach (var r in reservedBy.Keys) r.Events.Writer.TryComplete();
            if (waiting is not null) Complete(waiting, e.Message);
            while (_queue.Reader.TryRead(out var r)) Complete(r, e.Message);
        }
        finally
        {
            foreach (var c in live) c.Dispose();
        }

        void Dequeued() => Interlocked.Decrement(ref _queued);

        void Forget(int q)
        {
            context.Memory.SeqRemove(q);
            cached[q] = [];
        }

        // Gives a request its sequences (and, with a shared buffer, its cells); its prompt is decoded by the steps that
        // follow, or at once when the prompt itself is scored (echo).
        void Admit(ServeRequest r, int cells)
        {
            Interlocked.Add(ref _promptTokens, r.PromptTokens.Length);
            var body = r.PromptTokens.AsSpan(0, r.PromptTokens.Length - 1);
            // Echo scores every position of the prompt, so it decodes it whole.
            int first = -1, reused = 0;
            if (!r.PromptLogprobs && _promptCache)
                foreach (int q in free)
                    if (body.CommonPrefixLength(cached[q]) is var m && m > reused) (first, reused) = (q, m);
            var seqs = (first >= 0 ? [first] : Array.Empty<int>()).Concat(free.Where(q => q != first))
                .Take(r.N).ToArray();
            foreach (int q in seqs) free.Remove(q);
            foreach (int q in seqs.Skip(reused > 0 ? 1 : 0)) Forget(q);
            if (reused > 0)
            {
                context.Memory.SeqRemove(seqs[0], reused, -1);
                cached[seqs[0]] = [];
                Interlocked.Add(ref _cachedTokens, reused);
            }
            Interlocked.Add(ref _reserved, cells);
            reservedBy[r] = (cells, r.N);
            if (!r.PromptLogprobs)
            {
                opening = (r, seqs, reused);
                return;
            }
            r.Events.Writer.TryWrite(ScorePrompt(r, seqs[0]));
            if (r.Sampling.MaxTokens == 0) { Release(r, seqs); return; }
            context.Memory.SeqRemove(seqs[0], r.PromptTokens.Length - 1, -1);
            StartChoices(r, seqs);
        }

        // The prompt's body is on the first sequence: share it with the others and start every choice.
        void StartChoices(ServeRequest r, int[] seqs)
        {
            for (int k = 0; k < r.N; k++)
            {
                if (k > 0)
                    if (_perSequence > 0) context.Memory.SeqCopy(seqs[0], seqs[k], -1, -1);
                    else context.Memory.SeqCopy(seqs[0], seqs[k], 0, r.PromptTokens.Length - 1);
                uint seed = SampleSeeds.Derive(r.Sampling.Seed, "seed", k);
                var sampler = SamplerChain.Create(r.Sampling with { Seed = seed }, _model.Vocab.Count, r.IgnoreEos ? _endOfGeneration : null);
                live.Add(new Choice(r, k, seqs[k], sampler, r.PromptTokens.Length - 1));
            }
            Volatile.Write(ref _live, live.Count);
        }

        // Frees a request that produced no choices (cancelled while its prompt was decoded, or echo with max_tokens 0).
        void Release(ServeRequest r, int[] seqs)
        {
            foreach (int q in seqs) { Forget(q); free.Add(q); }
            if (reservedBy.Remove(r, out var held)) Interlocked.Add(ref _reserved, -held.Cells);
            Complete(r, null);
        }

        void Step(Choice c)
        {
            int token = c.Sampler.Sample(context, c.Row);
            double? logProb = null;
            IReadOnlyList<TokenLogProb> top = [];
            if (c.Request.TopLogprobs is int k)
            {
                var logits = context.GetLogitsIth(c.Row);
                double lse = LogSoftmax.LogSumExp(logits, _scratch);
                logProb = logits[token] - lse;
                top = LogSoftmax.Top(logits, lse, k);
            }
            if (_model.Vocab.IsEog(token)) { End(c, FinishReason.Stop); return; }
            c.Generated++;
            Interlocked.Increment(ref _generatedTokens);
            string piece = c.Utf8.Push(_model.Vocab.TokenToPieceBytes(token));
            c.Text.Append(piece);
            int stop = c.Stops.Any && piece.Length > 0 ? c.Stops.Find(c.Text.ToString(), piece.Length) : -1;
            // Text that could still turn out to be the start of a stop string is held back until it cannot.
            int release = stop >= 0 ? stop : c.Text.Length - c.Stops.PartialSuffix(c.Text.ToString());
            c.Emit(new ChoiceDelta(c.Index, token, piece, c.Release(release), logProb, top));
            if (stop >= 0) { End(c, FinishReason.Stop); return; }
            if (c.Generated >= c.Request.Sampling.MaxTokens) { End(c, FinishReason.Length); return; }
            if (c.NextPosition + 1 >= (_perSequence > 0 ? _perSequence : _cells)) { End(c, FinishReason.ContextFull); return; }
            c.NextToken = token;
            c.NextPosition++;
        }

        void End(Choice c, FinishReason reason)
        {
            live.Remove(c);
            Volatile.Write(ref _live, live.Count);
            c.Dispose();
            // The prompt body stays for the next request that starts the same way; the answer goes.
            int body = c.Request.PromptTokens.Length - 1;
            if (_promptCache)
            {
                context.Memory.SeqRemove(c.Seq, body, -1);
                cached[c.Seq] = c.Request.PromptTokens[..body];
            }
            else Forget(c.Seq);
            free.Add(c.Seq);
            var r = c.Request;
            if (reason != FinishReason.Stop || c.Stops.Find(c.Text.ToString(), c.Text.Length) < 0)
            {
                // What was held back for a stop string that never came, and any incomplete UTF-8 at the end.
                c.Text.Append(c.Utf8.Flush());
                string rest = c.Release(c.Text.Length);
                if (rest.Length > 0) c.Emit(new ChoiceDelta(c.Index, -1, "", rest, null, []));
            }
            foreach (var held in c.Held) r.Events.Writer.TryWrite(held);
            r.Events.Writer.TryWrite(new ChoiceFinished(c.Index, reason, c.Generated));
            var (cells, running) = reservedBy[r];
            if (running > 1) { reservedBy[r] = (cells, running - 1); return; }
            reservedBy.Remove(r);
            Interlocked.Add(ref _reserved, -cells);
            Complete(r, null);
        }

        PromptScored ScorePrompt(ServeRequest r, int seq)
        {
            var tokens = r.PromptTokens;
            var logProbs = new double?[tokens.Length];
            var top = new IReadOnlyList<TokenLogProb>[tokens.Length];
            top[0] = [];
            for (int start = 0; start < tokens.Length; start += batch.Capacity)
            {
                batch.Clear();
                int end = Math.Min(tokens.Length, start + batch.Capacity);
                for (int p = start; p < end; p++) batch.Add(tokens[p], p, seq, logits: p + 1 < tokens.Length || r.Sampling.MaxTokens > 0);
                Decode(batch);
                for (int p = start; p < end && p + 1 < tokens.Length; p++)
                {
                    var logits = context.GetLogitsIth(p - start);
                    double lse = LogSoftmax.LogSumExp(logits, _scratch);
                    logProbs[p + 1] = logits[tokens[p + 1]] - lse;
                    top[p + 1] = LogSoftmax.Top(logits, lse, r.TopLogprobs ?? 0);
                }
            }
            return new PromptScored(tokens, logProbs, top);
        }
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

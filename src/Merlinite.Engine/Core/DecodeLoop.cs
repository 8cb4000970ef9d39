using System.Diagnostics;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;
using Merlinite.Llama;

namespace Merlinite.Engine.Core;

/// <summary>
/// The one decode loop: continuous batching of every kind of request over llama.cpp sequences. A request's prompt is
/// decoded once, a chunk per step in the same llama_decode as the running choices (chunked prefill), onto a holder
/// sequence (the free one whose cache already starts like it: the prompt-prefix cache); its choices then start on free
/// sequences with the prompt copied to them, and every step advances every live choice by one token. When a choice
/// ends its sequence goes to the next choice, so the batch stays full. sample, eval, generate-data, chat and serve
/// all submit <see cref="GenerateRequest"/>s here.
/// <para>With one KV buffer per sequence each choice attends only over its own cells and a request needs only free
/// sequences. With one shared buffer the prompt's cells are shared and a request also reserves its cells: its prompt
/// at admission, each choice's when it starts (all at once for <see cref="GenerateRequest.StartTogether"/>).</para>
/// </summary>
public sealed class DecodeLoop
{
    private readonly LoadedModel _model;
    private readonly DecodeLoopOptions _options;
    private readonly SequenceTable _seqs;
    private readonly int _sharedCells; // cells all sequences draw from (unbounded with a buffer per sequence)
    private readonly float[] _scratch;
    private string? _adapter;
    private long _promptTokens, _generated, _cached;
    private int _live, _reserved;

    public DecodeLoop(LoadedModel model, DecodeLoopOptions? options = null)
    {
        _model = model;
        _options = options ?? new DecodeLoopOptions();
        var context = model.Context;
        bool perSequence = model.Options.KvPerSequence && context.MaxSequences > 1;
        TokensPerSequence = perSequence ? context.ContextSizePerSequence : model.ContextSize;
        _sharedCells = perSequence ? int.MaxValue : model.ContextSize;
        MaxLive = Math.Min(_options.MaxLive ?? context.MaxSequences, context.MaxSequences);
        if (MaxLive < 1) throw new ArgumentOutOfRangeException(nameof(options), "at least one choice must run");
        _seqs = new SequenceTable(context.Memory, context.MaxSequences, perSequence,
            keepAcrossRequests: _options.PromptCache && (perSequence || context.MaxSequences == 1));
        _scratch = new float[model.Vocab.Count];
        context.Memory.Clear();
    }

    /// <summary>Choices that generate at once.</summary>
    public int MaxLive { get; }
    /// <summary>Tokens one choice may use, prompt and answer together: its sequence's own buffer, or the shared
    /// one.</summary>
    public int TokensPerSequence { get; }
    public bool SharedBuffer => _sharedCells != int.MaxValue;
    public DecodeTimings Timings { get; private set; } = new();

    public DecodeCounts Counts => new(Interlocked.Read(ref _promptTokens), Interlocked.Read(ref _generated),
        Interlocked.Read(ref _cached), Volatile.Read(ref _live), Volatile.Read(ref _reserved));

    /// <summary>The most tokens a free sequence still holds in its KV cache (a chat's context in use).</summary>
    public int MostCachedTokens => Enumerable.Range(0, _seqs.Count).Max(_seqs.CachedTokens);

    /// <summary>Forgets every cached token. Only between runs.</summary>
    public void Reset()
    {
        _model.Context.Memory.Clear();
        _seqs.Reset();
        Volatile.Write(ref _reserved, 0);
        Volatile.Write(ref _live, 0);
    }

    /// <summary>Why <paramref name="r"/> can never run here, or null.</summary>
    public string? CheckFits(GenerateRequest r)
    {
        int n = r.PromptTokens.Length;
        if (n == 0) return "the prompt tokenized to nothing";
        if (n >= TokensPerSequence)
            return $"the prompt is {n} tokens but {(SharedBuffer ? "the context" : "each sequence")} holds " +
                $"{TokensPerSequence}";
        if (r.StartTogether && r.ChoicesToRun > MaxLive)
            return $"{r.Choices} choices must start together but {MaxLive} run at once";
        long need = CellsAtAdmission(r) + (r.StartTogether ? 0 : ChoiceCells(r));
        return need > _sharedCells
            ? $"the prompt and its answers need {need} KV cells but the context holds {_sharedCells}" : null;
    }

    /// <summary>Runs requests until <paramref name="next"/> has none left: it is asked for the next one whenever a
    /// prompt could start, with idle = true when nothing runs (it may then wait; null there ends the run).
    /// <paramref name="afterStep"/> is called after every decode step (progress).</summary>
    public void Run(Func<bool, GenerateRequest?> next, CancellationToken ct, Action? afterStep = null)
    {
        var context = _model.Context;
        var live = new List<Choice>();
        var starting = new List<OpenRequest>(); // prompt decoded, choices still to start
        var opening = new List<OpenRequest>();  // prompts being decoded, a chunk per step beside the choices
        GenerateRequest? waiting = null;
        var timings = Timings = new DecodeTimings();
        using var batch = new LlamaBatch(Math.Max(_seqs.Count, context.BatchSize));
        bool clean = false;
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                DropCancelled();
                Admit(batch.Capacity);
                PromptReady();
                StartChoices();
                if (live.Count == 0 && opening.Count == 0)
                {
                    if (waiting is null && starting.Count == 0) break;
                    continue;
                }

                var chunks = Fill(batch, live, opening);
                bool choosing = live.Count > 0;
                long t0 = Stopwatch.GetTimestamp();
                context.DecodeOrThrow(batch);
                long t1 = Stopwatch.GetTimestamp();
                foreach (var c in live) c.Decoded();
                foreach (var (open, row, count) in chunks) PromptDecoded(open, row, count);
                foreach (var c in live.ToList()) Step(c);
                if (!choosing) timings.Prompt += Stopwatch.GetElapsedTime(t0, t1);
                else timings.Decode += Stopwatch.GetElapsedTime(t0, t1);
                timings.Choose += Stopwatch.GetElapsedTime(t1);
                timings.Steps++;
                PromptReady();
                afterStep?.Invoke();
            }
            clean = true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The model cannot go on: every request in flight learns why.
            var inFlight = live.Select(c => c.Open).Concat(starting).Concat(opening).Distinct();
            foreach (var r in inFlight.Select(o => o.Request).Append(waiting).OfType<GenerateRequest>())
            {
                r.Sink.On(new RequestFailed(e.Message));
                r.Sink.Done();
            }
            throw;
        }
        finally
        {
            foreach (var c in live) c.Dispose();
            if (!clean) Reset();
        }

        // Admits requests while sequences, cells and the batch have room: several prompts are decoded side by side
        // (a burst of new chat requests is prefilled together, as llama-server does).
        void Admit(int capacity)
        {
            while (opening.Sum(o => o.Request.BodyCells - o.Decoded) < capacity - live.Count)
            {
                bool idle = live.Count == 0 && starting.Count == 0 && opening.Count == 0;
                if (waiting is null && (waiting = next(idle)) is null) return;
                var r = waiting;
                string? refusal = r.Cancellation.IsCancellationRequested ? null : CheckFits(r);
                if (r.Cancellation.IsCancellationRequested || refusal is not null)
                {
                    waiting = null;
                    if (refusal is not null) r.Sink.On(new RequestFailed(refusal));
                    r.Sink.Done();
                    continue;
                }
                if (r.Adapter != _adapter)
                {
                    if (!idle) return; // when the current adapter's requests end
                    _options.SetAdapter?.Invoke(r.Adapter);
                    _adapter = r.Adapter;
                    _seqs.ForgetFree();
                }
                // Sequences the prompts being decoded will take for their other choices when they start together.
                int promised = opening.Where(o => o.Request.StartTogether)
                    .Sum(o => Math.Max(0, o.Request.ChoicesToRun - 1));
                int cells = CellsAtAdmission(r), free = _seqs.FreeFor(null).Count() - promised;
                if (_reserved + cells > _sharedCells || free < 1) return;
                // Choices that start one by one take sequences as they free up: one such prompt at a time, so the
                // holders do not take the sequences its choices need.
                if (!r.StartTogether && opening.Count > 0) return;
                int willRun = live.Count + promised + opening.Count + r.ChoicesToRun;
                if (r.StartTogether && (free < r.ChoicesToRun || willRun > MaxLive)) return;
                waiting = null;
                var (seq, shared) = _seqs.Best(r.PromptTokens.AsSpan(0, r.BodyCells), useCache: !r.ScorePrompt);
                int kept = _seqs.Take(seq, shared);
                var open = new OpenRequest(r, seq, kept, cells);
                if (r.ScorePrompt) open.PromptScores = new ScoredToken?[r.PromptTokens.Length];
                _seqs.Pin(seq, open);
                Interlocked.Add(ref _reserved, cells);
                Interlocked.Add(ref _promptTokens, r.PromptTokens.Length);
                Interlocked.Add(ref _cached, kept);
                r.Sink.Admitted();
                opening.Add(open);
            }
        }

        // Prompts all in their holders' caches: their choices may start (or, scoring only, they are done).
        void PromptReady()
        {
            foreach (var open in opening.Where(o => o.PromptReady).ToList())
            {
                opening.Remove(open);
                var r = open.Request;
                _seqs.Free(open.Seq, r.PromptTokens[..r.BodyCells]);
                if (open.PromptScores is { } scores)
                    r.Sink.On(new PromptScored(r.PromptTokens, scores.Select(s => s?.LogProb).ToArray(),
                        scores.Select(s => s?.Top ?? []).ToArray()));
                if (open.Done) Finish(open);
                else starting.Add(open);
            }
        }

        void StartChoices()
        {
            foreach (var open in starting.ToList())
            {
                var r = open.Request;
                while (!open.AllStarted && live.Count < MaxLive && ChoiceSeq(open) is int seq and >= 0)
                {
                    if (!r.StartTogether)
                    {
                        if (_reserved + ChoiceCells(r) > _sharedCells) break;
                        Interlocked.Add(ref _reserved, ChoiceCells(r));
                        open.Cells += ChoiceCells(r);
                    }
                    _seqs.TakeWithBody(seq, open);
                    int k = open.Started++;
                    open.Running++;
                    uint seed = r.SeedOf(k);
                    live.Add(new Choice(open, k, seq, CreateSampler(r, seed), seed));
                }
                if (!open.AllStarted) continue;
                starting.Remove(open);
                _seqs.Unpin(open.Seq, open);
            }
            Volatile.Write(ref _live, live.Count);
        }

        void Step(Choice c)
        {
            int token = c.Sampler.Sample(context, c.Row);
            ScoredToken? scored = c.Request.TopLogprobs is int k
                ? LogSoftmax.Score(context.GetLogitsIth(c.Row), token, k, _scratch) : null;
            int before = c.Generated;
            var delta = c.Take(token, _model.Vocab, TokensPerSequence, scored);
            Interlocked.Add(ref _generated, c.Generated - before);
            if (delta is not null) c.Request.Sink.On(delta);
            if (c.Finish is { } reason) End(c, reason);
        }

        void End(Choice c, FinishReason reason)
        {
            live.Remove(c);
            Volatile.Write(ref _live, live.Count);
            c.Dispose();
            var open = c.Open;
            var r = open.Request;
            // The KV cache stays for the next request that starts the same way; in a shared buffer only the holder
            // keeps the prompt, while choices still start from it.
            _seqs.Free(c.Seq, _seqs.KeepAcrossRequests ? c.CachedTokens()
                : c.Seq == open.Seq && !open.AllStarted ? r.PromptTokens[..r.BodyCells] : []);
            if (!r.StartTogether)
            {
                Interlocked.Add(ref _reserved, -ChoiceCells(r));
                open.Cells -= ChoiceCells(r);
            }
            foreach (var e in c.End(reason)) r.Sink.On(e);
            open.Running--;
            if (open.Done) Finish(open);
        }

        void DropCancelled()
        {
            foreach (var c in live.Where(c => c.Request.Cancellation.IsCancellationRequested).ToList())
                End(c, FinishReason.Cancelled);
            foreach (var open in starting.Where(o => o.Request.Cancellation.IsCancellationRequested).ToList())
            {
                open.Started = open.Request.ChoicesToRun; // no more choices start
                starting.Remove(open);
                if (open.Done) Finish(open);
            }
            foreach (var o in opening.Where(o => o.Request.Cancellation.IsCancellationRequested).ToList())
            {
                opening.Remove(o);
                _seqs.Free(o.Seq, _seqs.KeepAcrossRequests ? o.Request.PromptTokens[..o.Decoded] : []);
                Finish(o);
            }
        }
    }

    private void Finish(OpenRequest open)
    {
        _seqs.Unpin(open.Seq, open);
        Interlocked.Add(ref _reserved, -open.Cells);
        open.Cells = 0;
        open.Request.Sink.Done();
    }

    // The sequence a choice of open starts on: the holder for the last one (it has the prompt already), else one that
    // still has the prompt, else the one with the least cached (nothing worth keeping is lost), else the holder.
    private int ChoiceSeq(OpenRequest open)
    {
        var free = _seqs.FreeFor(open).ToList();
        if (free.Count == 0) return -1;
        bool last = open.Started == open.Request.ChoicesToRun - 1;
        if (last && free.Contains(open.Seq)) return open.Seq;
        var others = free.Where(q => q != open.Seq).ToList();
        if (others.Count == 0) return open.Seq;
        var body = open.Request.PromptTokens.AsSpan(0, open.Request.BodyCells);
        foreach (int q in others)
            if (_seqs.StartsWith(q, body)) return q;
        return others.MinBy(_seqs.CachedTokens);
    }

    // One step's batch: every live choice's next token, and as much of the prompts being decoded as the batch has room
    // for (in admission order), with logits where a prompt itself is scored. Rows go in sequence order: with a KV
    // buffer per sequence llama.cpp splits a batch into micro-batches of consecutive sequence ids (split_equal), so any
    // other order would run the step as several small graphs.
    private static List<(OpenRequest Open, int Row, int Count)> Fill(LlamaBatch batch, List<Choice> live,
        List<OpenRequest> opening)
    {
        int room = batch.Capacity - live.Count;
        var counts = new Dictionary<OpenRequest, int>();
        foreach (var o in opening)
        {
            counts[o] = Math.Min(o.Request.BodyCells - o.Decoded, room);
            room -= counts[o];
        }
        batch.Clear();
        var chunks = new List<(OpenRequest, int, int)>();
        var bySeq = live.Select(c => (c.Seq, Choice: (Choice?)c, Open: (OpenRequest?)null))
            .Concat(opening.Select(o => (o.Seq, Choice: (Choice?)null, Open: (OpenRequest?)o)))
            .OrderBy(x => x.Seq);
        foreach (var (seq, choice, open) in bySeq)
        {
            if (choice is not null)
            {
                choice.Row = batch.Count;
                batch.Add(choice.NextToken, choice.NextPosition, seq, logits: true);
                continue;
            }
            var prompt = open!.Request.PromptTokens;
            chunks.Add((open, batch.Count, counts[open]));
            for (int p = open.Decoded; p < open.Decoded + counts[open]; p++)
                batch.Add(prompt[p], p, seq, logits: open.PromptScores is not null);
        }
        return chunks;
    }

    private void PromptDecoded(OpenRequest open, int firstRow, int count)
    {
        var prompt = open.Request.PromptTokens;
        if (open.PromptScores is { } scores)
            for (int i = 0; i < count; i++)
            {
                int p = open.Decoded + i;
                scores[p + 1] = LogSoftmax.Score(_model.Context.GetLogitsIth(firstRow + i), prompt[p + 1],
                    open.Request.TopLogprobs ?? 0, _scratch);
            }
        open.Decoded += count;
    }

    /// <summary>KV cells a request takes when admitted: its prompt body, and with every choice starting together,
    /// theirs too.</summary>
    private int CellsAtAdmission(GenerateRequest r) =>
        r.BodyCells + (r.StartTogether ? r.ChoicesToRun * ChoiceCells(r) : 0);

    /// <summary>KV cells one choice may add: the prompt's last token, then every generated token but the final
    /// one.</summary>
    private int ChoiceCells(GenerateRequest r) =>
        Math.Max(1, Math.Min(r.Sampling.MaxTokens, TokensPerSequence - r.PromptTokens.Length + 1));

    private LlamaSampler CreateSampler(GenerateRequest r, uint seed)
    {
        var sampler = SamplerChain.Create(r.Sampling with { Seed = seed }, _model.Vocab, r.BanEndOfGeneration);
        if (r.Sampling.RepeatPenalty != 1.0f)
            foreach (int t in r.PromptTokens) sampler.Accept(t); // the repeat penalty looks back into the prompt
        return sampler;
    }
}

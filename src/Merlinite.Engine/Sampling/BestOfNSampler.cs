using System.Diagnostics;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Llama;

namespace Merlinite.Engine.Sampling;

/// <summary>
/// Draws N samples per prompt with continuous batching. Each prompt body is decoded once on a holder sequence and
/// shared with its samples through llama_memory_seq_cp; every live sample advances by one token per llama_decode;
/// when a sample ends, its sequence goes to the next sample (of this prompt or the next one), so the batch stays full.
/// The next prompt's body rides in the same llama_decode calls as the live samples' tokens, a chunk at a time (chunked
/// prefill), so the running samples never wait for it.
/// Each sample has its own sampler chain seeded from (run seed, prompt id, sample index).
/// </summary>
public sealed class BestOfNSampler
{
    private readonly LoadedModel _model;
    private readonly BestOfNOptions _options;
    private readonly StopStrings _stops;
    private readonly int _slots;        // sequences that generate
    private readonly int _holderSeq;    // the extra sequence that keeps the body of the prompt being started
    private readonly int _contextSize;  // cells a sequence can use: the whole buffer, or its own with one per sequence
    private readonly int _sharedCells;  // cells all sequences draw from together (unbounded with one buffer per sequence)
    private readonly int[] _banned;

    public BestOfNSampler(LoadedModel model, BestOfNOptions options)
    {
        if (options.N < 1) throw new Settings.SettingException("n", $"must be at least 1 (got {options.N})");
        _model = model;
        _options = options;
        _stops = new StopStrings(options.Stops);
        _slots = model.Context.MaxSequences - 1;
        if (_slots < 1) throw new InvalidOperationException($"the sampler needs a context with at least {SequencesFor(1)} sequences");
        _holderSeq = _slots;
        bool perSequence = model.Options.KvPerSequence && model.Context.MaxSequences > 1;
        _contextSize = perSequence ? model.Context.ContextSizePerSequence : model.ContextSize;
        _sharedCells = perSequence ? int.MaxValue : model.ContextSize;
        _banned = options.IgnoreEndOfGeneration ? Enumerable.Range(0, model.Vocab.Count).Where(model.Vocab.IsEog).ToArray() : [];
    }

    /// <summary>Time spent by the last <see cref="Run"/>, by phase.</summary>
    public SamplerTimings Timings { get; private set; } = new();

    /// <summary>Samples that run at once.</summary>
    public int Parallel => _slots;

    /// <summary>Sequences a context needs so that <paramref name="parallel"/> samples run at once.</summary>
    public static int SequencesFor(int parallel) => parallel + 1;

    /// <summary>Why a prompt cannot be sampled in this context, or null.</summary>
    public string? CheckFits(SampleRequest request) =>
        request.PromptTokens.Length == 0 ? "the prompt tokenized to nothing"
        : request.PromptTokens.Length >= _contextSize
            ? $"the prompt is {request.PromptTokens.Length} tokens but {(_sharedCells == int.MaxValue ? "each sequence" : "the context")} holds {_contextSize}"
            : null;

    /// <summary>Samples every request. <paramref name="onPrompt"/> gets the prompts in input order, each as soon as
    /// it and all before it are done.</summary>
    public void Run(IReadOnlyList<SampleRequest> requests, Action<PromptSamples> onPrompt, Action<SampleProgress>? progress, CancellationToken ct)
    {
        foreach (var r in requests)
            if (CheckFits(r) is { } error) throw new Settings.SettingException("context", $"prompt '{r.Id}': {error}");

        var context = _model.Context;
        var live = new List<LiveSample>();
        var freeSeqs = new SortedSet<int>(Enumerable.Range(0, _slots));
        var finished = new PromptSamples?[requests.Count];
        int nextRequest = 0, emitted = 0, cellsReserved = 0;
        long tokens = 0;
        OpenPrompt? opening = null;  // the prompt whose samples are still being started
        var clock = Stopwatch.StartNew();
        var timings = Timings = new SamplerTimings();
        using var batch = new LlamaBatch(Math.Max(_slots, context.BatchSize));
        context.Memory.Clear();
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                while (freeSeqs.Count > 0 && TryStartSample()) { }

                batch.Clear();
                foreach (var s in live)
                {
                    s.LogitRow = batch.Count;
                    batch.Add(s.NextToken, s.NextPosition, s.SeqId, logits: true);
                }
                int bodyTokens = AddBodyChunk(batch);
                if (batch.Count == 0) break;

                long t0 = Stopwatch.GetTimestamp();
                Decode(batch);
                long t1 = Stopwatch.GetTimestamp();
                if (bodyTokens > 0) opening!.BodyDecoded += bodyTokens;
                foreach (var s in live)
                {
                    int before = s.Generated;
                    s.Take(s.Sampler.Sample(context, s.LogitRow), _model.Vocab, _stops, _options.Sampling.MaxTokens, _contextSize);
                    tokens += s.Generated - before;
                }
                if (live.Count == 0) timings.Prompt += Stopwatch.GetElapsedTime(t0, t1);
                else timings.Decode += Stopwatch.GetElapsedTime(t0, t1);
                timings.Choose += Stopwatch.GetElapsedTime(t1);
                timings.Steps++;
                foreach (var s in live.Where(s => s.Finish is not null).ToList()) EndSample(s);
                progress?.Invoke(new SampleProgress(emitted, requests.Count, tokens, live.Count, clock.Elapsed));
            }
        }
        finally
        {
            foreach (var s in live) s.Dispose();
        }

        bool TryStartSample()
        {
            if (opening is null)
            {
                if (nextRequest == requests.Count) return false;
                var request = requests[nextRequest];
                int bodyCells = request.PromptTokens.Length - 1;
                if (cellsReserved + bodyCells + SampleCells(request) > _sharedCells) return false;
                opening = new OpenPrompt(nextRequest++, request, _options.N);
                cellsReserved += bodyCells;
                context.Memory.SeqRemove(_holderSeq);
            }
            if (!opening.BodyReady || cellsReserved + SampleCells(opening.Request) > _sharedCells) return false;

            int seq = freeSeqs.Min;
            freeSeqs.Remove(seq);
            cellsReserved += SampleCells(opening.Request);
            // One buffer: the sample's sequence joins the body's cells. One per sequence: the holder's whole buffer is copied.
            if (opening.BodyCells > 0)
                if (_sharedCells == int.MaxValue) context.Memory.SeqCopy(_holderSeq, seq, -1, -1);
                else context.Memory.SeqCopy(_holderSeq, seq, 0, opening.BodyCells);
            int index = opening.Started++;
            opening.Running++;
            uint seed = SampleSeeds.Derive(_options.Sampling.Seed, opening.Request.Id, index);
            live.Add(new LiveSample(opening, index, seq, seed, CreateSampler(seed, opening.Request.PromptTokens)));
            if (opening.AllStarted)
            {
                context.Memory.SeqRemove(_holderSeq);
                opening = null;
            }
            return true;
        }

        // The opening prompt's next body tokens, onto the holder sequence without logits, as many as the batch has room for.
        int AddBodyChunk(LlamaBatch b)
        {
            if (opening is null || opening.BodyReady) return 0;
            var prompt = opening.Request.PromptTokens;
            int from = opening.BodyDecoded, count = Math.Min(opening.BodyCells - from, b.Capacity - b.Count);
            for (int i = from; i < from + count; i++) b.Add(prompt[i], i, _holderSeq, logits: false);
            return count;
        }

        void EndSample(LiveSample s)
        {
            live.Remove(s);
            s.Dispose();
            context.Memory.SeqRemove(s.SeqId);
            freeSeqs.Add(s.SeqId);
            cellsReserved -= SampleCells(s.Prompt.Request);
            var prompt = s.Prompt;
            prompt.Results[s.Index] = s.ToOutput();
            prompt.Running--;
            if (!prompt.Done) return;
            cellsReserved -= prompt.BodyCells;
            finished[prompt.Order] = new PromptSamples(prompt.Request, prompt.Results!);
            while (emitted < finished.Length && finished[emitted] is { } ready)
            {
                onPrompt(ready);
                finished[emitted++] = null;
            }
        }
    }

    /// <summary>KV cells one sample may add: the prompt's last token, then every generated token but the final one.</summary>
    private int SampleCells(SampleRequest r) => Math.Min(_options.Sampling.MaxTokens, _contextSize - r.PromptTokens.Length + 1);

    private LlamaSampler CreateSampler(uint seed, int[] prompt)
    {
        var sampler = SamplerChain.Create(_options.Sampling with { Seed = seed }, _model.Vocab.Count, _banned);
        if (_options.Sampling.RepeatPenalty != 1.0f)
            foreach (int t in prompt) sampler.Accept(t); // the repeat penalty looks back into the prompt, as in chat
        return sampler;
    }

    private void Decode(LlamaBatch batch)
    {
        int rc = _model.Context.Decode(batch);
        if (rc != 0)
            throw new LlamaException(rc == 1
                ? "llama_decode found no room in the KV cache while sampling (a larger context or fewer parallel samples would help)"
                : $"llama_decode failed with code {rc} while sampling");
    }
}

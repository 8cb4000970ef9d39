using Merlinite.Engine.Models;
using Merlinite.Llama;

namespace Merlinite.Engine.Scoring;

/// <summary>
/// Teacher-forced per-token log-probs of responses given prompts. Items that share a prompt share its KV cache: the
/// prompt is decoded once and copied to the other sequences with llama_memory_seq_cp (whole buffers when each sequence
/// has its own). Several sequences go through each
/// llama_decode, and logits are requested only where a response token is predicted.
/// </summary>
public sealed class Scorer(LoadedModel model, ScorerOptions options)
{

    /// <summary>Scores every item; results come back in input order, and <paramref name="onResult"/> sees them in that
    /// order as soon as each is final. An item that cannot be scored gets an <see cref="ScoreResult.Error"/>.</summary>
    public IReadOnlyList<ScoreResult> Score(IReadOnlyList<ScoreItem> items, Action<ScoreResult>? onResult = null, CancellationToken ct = default)
    {
        var results = new ScoreResult?[items.Count];
        int emitted = 0;
        var jobs = new List<Job>();
        for (int i = 0; i < items.Count; i++)
        {
            var (job, error) = Prepare(i, items[i]);
            if (job is null) results[i] = error; else jobs.Add(job);
        }
        Emit();

        foreach (var wave in PlanWaves(jobs))
        {
            ct.ThrowIfCancellationRequested();
            RunWave(wave);
            foreach (var job in wave.SelectMany(g => g))
                results[job.Index] = new ScoreResult(job.Item.Id, job.Tokens, null, job.TruncatedPromptTokens);
            Emit();
        }
        return results!;

        void Emit()
        {
            while (emitted < results.Length && results[emitted] is { } r) { onResult?.Invoke(r); emitted++; }
        }
    }

    private sealed class Job(int index, ScoreItem item, int[] prompt, int truncated)
    {
        public int Index { get; } = index;
        public ScoreItem Item { get; } = item;
        public int[] Prompt { get; } = prompt;
        public int[] Response => Item.ResponseTokens;
        public int TruncatedPromptTokens { get; } = truncated;
        public ScoredToken[] Tokens { get; } = new ScoredToken[item.ResponseTokens.Length];
        /// <summary>KV cells this job adds beyond its (shared) prompt.</summary>
        public int ExtraCells => Response.Length - 1;
    }

    private (Job?, ScoreResult?) Prepare(int index, ScoreItem item)
    {
        if (item.ResponseTokens.Length == 0) return (null, new ScoreResult(item.Id, [], "the response has no tokens"));
        if (item.PromptTokens.Length == 0) return (null, new ScoreResult(item.Id, [], "the prompt has no tokens (a BOS token is expected at least)"));
        // Positions needed: the whole prompt plus every response token but the last (whose logits nobody needs).
        int need = item.PromptTokens.Length + item.ResponseTokens.Length - 1;
        int room = model.Context.ContextSizePerSequence;
        if (need <= room) return (new Job(index, item, item.PromptTokens, 0), null);
        int cut = need - room;
        if (options.Truncate == TruncateMode.None || cut > item.PromptTokens.Length - 2)
            return (null, new ScoreResult(item.Id, [],
                $"prompt ({item.PromptTokens.Length} tokens) + response ({item.ResponseTokens.Length}) need {need} positions but the context holds {room}" +
                (options.Truncate == TruncateMode.None ? " (a larger context, or truncating the prompt on the left, would help)" : "; the response alone does not fit")));
        // Keep BOS, drop the oldest prompt tokens after it.
        var prompt = new int[item.PromptTokens.Length - cut];
        prompt[0] = item.PromptTokens[0];
        item.PromptTokens.AsSpan(1 + cut).CopyTo(prompt.AsSpan(1));
        return (new Job(index, item, prompt, cut), null);
    }

    /// <summary>Groups jobs by identical prompt, then packs groups into waves that fit the sequences and KV cells (with
    /// a buffer per sequence, each job already fits its own: <see cref="Prepare"/>).</summary>
    private IEnumerable<List<List<Job>>> PlanWaves(List<Job> jobs)
    {
        int maxSeqs = model.Context.MaxSequences;
        int cells = model.Options.KvPerSequence ? int.MaxValue : model.Context.ContextSize;
        var shared = options.SharePrompts ? jobs.GroupBy(j => j.Prompt, PromptComparer.Instance).Select(g => g.ToList()) : jobs.Select(j => new List<Job> { j });
        var groups = shared.SelectMany(g => g.Chunk(maxSeqs).Select(c => c.ToList())).ToList();
        var wave = new List<List<Job>>();
        int waveSeqs = 0, waveCells = 0;
        foreach (var group in groups)
        {
            int groupCells = group[0].Prompt.Length + group.Sum(j => j.ExtraCells);
            if (wave.Count > 0 && (waveSeqs + group.Count > maxSeqs || waveCells + groupCells > cells))
            {
                yield return wave;
                wave = new(); waveSeqs = 0; waveCells = 0;
            }
            wave.Add(group); waveSeqs += group.Count; waveCells += groupCells;
        }
        if (wave.Count > 0) yield return wave;
    }

    private void RunWave(List<List<Job>> wave)
    {
        var memory = model.Context.Memory;
        memory.Clear();
        using var feeder = new BatchFeeder(model.Context, model.Vocab.Count, Math.Max(1, model.Options.Runtime.Threads),
            Predict);

        // Phase 1: each group's prompt once, on the group's first sequence. Its last position predicts response[0] of
        // every member of the group, so that one row of logits serves them all. With shared prefixes, a group whose
        // prompt starts like an earlier group's (its donor) waits for phase 1b and decodes only the rest.
        int seq = 0;
        var firstSeq = new int[wave.Count];
        var donors = options.SharePrefixes ? Donors(wave) : new (int Donor, int Shared)[wave.Count];
        for (int g = 0; g < wave.Count; g++)
        {
            firstSeq[g] = seq;
            seq += wave[g].Count;
            if (donors[g].Shared == 0) FeedPrompt(feeder, wave[g], firstSeq[g], 0);
        }
        feeder.Flush();

        // Phase 1b: the donor's cells up to the shared length, then the rest of the prompt.
        for (int g = 0; g < wave.Count; g++)
        {
            var (donor, shared) = donors[g];
            if (shared == 0) continue;
            if (model.Options.KvPerSequence)
            {
                // Separate buffers copy whole: take the donor's, then drop what is not shared.
                memory.SeqCopy(firstSeq[donor], firstSeq[g], -1, -1);
                if (!memory.SeqRemove(firstSeq[g], shared, -1)) throw new LlamaException("llama_memory_seq_rm could not cut a copied prompt while sharing a prefix");
            }
            else memory.SeqCopy(firstSeq[donor], firstSeq[g], 0, shared);
            FeedPrompt(feeder, wave[g], firstSeq[g], shared);
        }
        feeder.Flush();

        // Phase 2: share the prompt with the group's other sequences, then feed every response (teacher forcing).
        for (int g = 0; g < wave.Count; g++)
        {
            var group = wave[g];
            int prompt = group[0].Prompt.Length;
            for (int k = 1; k < group.Count; k++) memory.SeqCopy(firstSeq[g], firstSeq[g] + k, -1, -1);
            for (int k = 0; k < group.Count; k++)
            {
                var job = group[k];
                for (int j = 0; j < job.Response.Length - 1; j++)
                    feeder.Add(job.Response[j], prompt + j, firstSeq[g] + k, new Target([job], j + 1));
            }
        }
        feeder.Flush();
    }

    /// <summary>Shorter shared beginnings are decoded again: copying them would save less than it costs.</summary>
    public const int MinSharedPrefix = 32;

    /// <summary>Feeds a group's prompt from position <paramref name="from"/> on its first sequence; the last position
    /// predicts the first response token of every member.</summary>
    private static void FeedPrompt(BatchFeeder feeder, List<Job> group, int seq, int from)
    {
        var prompt = group[0].Prompt;
        for (int p = from; p < prompt.Length; p++)
            feeder.Add(prompt[p], p, seq, p == prompt.Length - 1 ? new Target(group, 0) : null);
    }

    /// <summary>For each group, the earlier group (decoded whole in phase 1) whose prompt shares the longest beginning
    /// with it, and how many tokens they share (0: none worth sharing). At least the last prompt token is always
    /// decoded, since its logits are needed.</summary>
    private static (int Donor, int Shared)[] Donors(List<List<Job>> wave)
    {
        var donors = new (int Donor, int Shared)[wave.Count];
        for (int g = 1; g < wave.Count; g++)
        {
            var prompt = wave[g][0].Prompt;
            for (int d = 0; d < g; d++)
            {
                if (donors[d].Shared > 0) continue;
                int shared = Math.Min(prompt.AsSpan().CommonPrefixLength(wave[d][0].Prompt), prompt.Length - 1);
                if (shared >= MinSharedPrefix && shared > donors[g].Shared) donors[g] = (d, shared);
            }
        }
        return donors;
    }

    /// <summary>The jobs whose response token <see cref="ResponseIndex"/> a row of logits predicts.</summary>
    private sealed record Target(IReadOnlyList<Job> Jobs, int ResponseIndex);

    // Writes only its own jobs' slot for its response index: rows may be scored on several threads at once.
    private void Predict(Target target, ReadOnlySpan<float> logits, Span<float> scratch)
    {
        foreach (var job in target.Jobs)
            job.Tokens[target.ResponseIndex] = LogSoftmax.Score(logits, job.Response[target.ResponseIndex], options.TopK, scratch);
    }

    private delegate void RowScorer(Target target, ReadOnlySpan<float> logits, Span<float> scratch);

    /// <summary>Fills a llama_batch and decodes it whenever it is full, handing each requested output row to a callback.
    /// The rows' log-softmax runs on <paramref name="threads"/> threads: the decode's threads are idle by then, and
    /// llama-perplexity does the same.</summary>
    private sealed unsafe class BatchFeeder(LlamaContext context, int vocab, int threads, RowScorer onLogits) : IDisposable
    {
        private readonly LlamaBatch _batch = new(context.BatchSize);
        private readonly List<Target> _targets = new(); // in batch order: output row j is _targets[j]

        public void Add(int token, int pos, int seq, Target? target)
        {
            if (_batch.Count == _batch.Capacity) Flush();
            if (target is not null) _targets.Add(target);
            _batch.Add(token, pos, seq, target is not null);
        }

        public void Flush()
        {
            if (_batch.Count == 0) return;
            context.DecodeOrThrow(_batch);
            var targets = _targets.ToArray();
            _targets.Clear();
            _batch.Clear();
            if (targets.Length == 0) return;
            nint rows = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref context.GetLogits(targets.Length)[0]);
            Parallel.For(0, targets.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new float[vocab],
                (j, _, scratch) =>
                {
                    onLogits(targets[j], new ReadOnlySpan<float>((float*)rows + (long)j * vocab, vocab), scratch);
                    return scratch;
                }, _ => { });
        }

        public void Dispose() => _batch.Dispose();
    }

    private sealed class PromptComparer : IEqualityComparer<int[]>
    {
        public static readonly PromptComparer Instance = new();
        public bool Equals(int[]? a, int[]? b) => a.AsSpan().SequenceEqual(b);
        public int GetHashCode(int[] a)
        {
            var h = new HashCode();
            foreach (int t in a) h.Add(t);
            return h.ToHashCode();
        }
    }
}

using Merlinite.Llama;

namespace Merlinite.Engine.Core;

/// <summary>
/// The context's sequences: which are free, which request's prompt each holder keeps (pinned until that request's
/// choices have all started), and the tokens each free sequence's KV cache still holds: the prompt-prefix cache. A new
/// request starts on the free sequence whose cached tokens share the longest beginning with its prompt, so a system
/// prompt, a chat's history or a k-shot context is decoded once (llama-server's slot reuse).
/// </summary>
internal sealed class SequenceTable
{
    private readonly LlamaMemory _memory;
    private readonly bool _perSequence;
    private readonly int[][] _cached;
    private readonly SortedSet<int> _free;
    private readonly Dictionary<int, OpenRequest> _pinned = new();

    /// <param name="perSequence">Each sequence has its own KV buffer: copies are whole buffers.</param>
    /// <param name="keepAcrossRequests">A free sequence keeps its tokens after its request ends. Only where its cells
    /// are its own (a buffer per sequence, or one sequence): in a shared buffer they would take cells that other
    /// requests reserved.</param>
    public SequenceTable(LlamaMemory memory, int count, bool perSequence, bool keepAcrossRequests)
    {
        _memory = memory;
        _perSequence = perSequence;
        KeepAcrossRequests = keepAcrossRequests;
        _cached = Enumerable.Range(0, count).Select(_ => Array.Empty<int>()).ToArray();
        _free = new SortedSet<int>(Enumerable.Range(0, count));
    }

    public bool KeepAcrossRequests { get; }
    public int Count => _cached.Length;
    public int FreeCount => _free.Count;

    /// <summary>Tokens sequence <paramref name="seq"/>'s KV cache holds while it is free.</summary>
    public int CachedTokens(int seq) => _cached[seq].Length;

    /// <summary>Free sequences that <paramref name="open"/> may use (none pinned by another request).</summary>
    public IEnumerable<int> FreeFor(OpenRequest? open) =>
        _free.Where(q => !_pinned.TryGetValue(q, out var holder) || holder == open);

    /// <summary>The free sequence (none pinned) whose cached tokens share the longest beginning with
    /// <paramref name="body"/>, and how many tokens they share; (-1, 0) when no sequence is free.</summary>
    public (int Seq, int Shared) Best(ReadOnlySpan<int> body, bool useCache)
    {
        (int seq, int shared) = (-1, -1);
        foreach (int q in FreeFor(null))
        {
            int m = useCache ? body.CommonPrefixLength(_cached[q]) : 0;
            if (m > shared) (seq, shared) = (q, m);
        }
        return (seq, Math.Max(shared, 0));
    }

    /// <summary>Takes a free sequence, keeping its first <paramref name="keep"/> cached tokens; returns how many it
    /// kept (none where the memory cannot cut a sequence short).</summary>
    public int Take(int seq, int keep)
    {
        _free.Remove(seq);
        _cached[seq] = [];
        if (keep > 0 && _memory.SeqRemove(seq, keep, -1)) return keep;
        _memory.SeqRemove(seq, -1, -1);
        return 0;
    }

    /// <summary>Takes a free sequence for a choice of <paramref name="open"/>, whose prompt body is on
    /// <paramref name="open"/>'s holder: reused where this sequence still has it, copied otherwise.</summary>
    public void TakeWithBody(int seq, OpenRequest open)
    {
        var body = open.Request.PromptTokens.AsSpan(0, open.Request.BodyCells);
        bool hasBody = StartsWith(seq, body);
        _free.Remove(seq);
        _cached[seq] = [];
        if (hasBody && _memory.SeqRemove(seq, body.Length, -1)) return;
        _memory.SeqRemove(seq, -1, -1);
        if (body.Length == 0) return;
        if (!_perSequence) _memory.SeqCopy(open.Seq, seq, 0, body.Length);
        else
        {
            // Separate buffers copy whole: take the holder's, then drop what is not the prompt body.
            _memory.SeqCopy(open.Seq, seq, -1, -1);
            _memory.SeqRemove(seq, body.Length, -1);
        }
    }

    /// <summary>A sequence is free again, its KV cache cut to <paramref name="keep"/> (the tokens it holds from
    /// the start; none: all forgotten).</summary>
    public void Free(int seq, int[] keep)
    {
        if (keep.Length == 0 || !_memory.SeqRemove(seq, keep.Length, -1)) Forget(seq);
        else _cached[seq] = keep;
        _free.Add(seq);
    }

    /// <summary>Sequence <paramref name="seq"/>'s cache begins with all of <paramref name="tokens"/>.</summary>
    public bool StartsWith(int seq, ReadOnlySpan<int> tokens) =>
        tokens.CommonPrefixLength(_cached[seq]) == tokens.Length;

    /// <summary>Everything forgotten, every sequence free (the memory itself cleared by the caller).</summary>
    public void Reset()
    {
        for (int q = 0; q < _cached.Length; q++) _cached[q] = [];
        _pinned.Clear();
        _free.Clear();
        _free.UnionWith(Enumerable.Range(0, _cached.Length));
    }

    public void Pin(int seq, OpenRequest open) => _pinned[seq] = open;

    /// <summary>The holder's request has started every choice. In a shared buffer a free holder lets its cells
    /// go.</summary>
    public void Unpin(int seq, OpenRequest open)
    {
        if (!_pinned.TryGetValue(seq, out var holder) || holder != open) return; // another request's by now
        _pinned.Remove(seq);
        if (!KeepAcrossRequests && _free.Contains(seq)) Forget(seq);
    }

    /// <summary>Forgets every cached token (the adapters changed: keys and values computed under others are not
    /// this one's).</summary>
    public void ForgetFree()
    {
        foreach (int q in _free) Forget(q);
    }

    private void Forget(int seq)
    {
        _memory.SeqRemove(seq, -1, -1);
        _cached[seq] = [];
    }
}

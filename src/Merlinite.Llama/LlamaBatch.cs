using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>A <c>llama_batch</c> allocated by <c>llama_batch_init</c> and freed by <c>llama_batch_free</c>.
/// Fill it with <see cref="Add(int, int, int, bool)"/>, pass it to <see cref="LlamaContext.Decode(LlamaBatch)"/>,
/// <see cref="Clear"/> it and reuse it.</summary>
public sealed unsafe class LlamaBatch : IDisposable
{
    private llama_batch _batch;
    private bool _disposed;

    /// <summary>Most entries the batch holds.</summary>
    public int Capacity { get; }
    /// <summary>Most sequence ids one entry can belong to.</summary>
    public int MaxSequencesPerToken { get; }
    /// <summary>Embedding width for embedding input (0 = token input).</summary>
    public int EmbeddingSize { get; }

    /// <param name="capacity">entries (tokens) the batch holds</param>
    /// <param name="maxSequencesPerToken">sequence ids per entry</param>
    /// <param name="embeddingSize">0 for token ids; otherwise the batch carries float embeddings of that width</param>
    public LlamaBatch(int capacity, int maxSequencesPerToken = 1, int embeddingSize = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequencesPerToken, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(embeddingSize);
        LlamaRuntime.EnsureInitialized();
        _batch = LlamaNative.llama_batch_init(capacity, embeddingSize, maxSequencesPerToken);
        Capacity = capacity;
        MaxSequencesPerToken = maxSequencesPerToken;
        EmbeddingSize = embeddingSize;
        _batch.n_tokens = 0;
    }

    /// <summary>Entries in the batch.</summary>
    public int Count => _batch.n_tokens;

    /// <summary>The native struct (pointers into memory owned by this object).</summary>
    public llama_batch Native
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _batch;
        }
    }

    /// <summary>Empties the batch (keeps the memory).</summary>
    public void Clear()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _batch.n_tokens = 0;
    }

    /// <summary>Appends a token at position <paramref name="pos"/> of sequence <paramref name="seqId"/>;
    /// <paramref name="logits"/> asks for its logits (output).</summary>
    public void Add(int token, int pos, int seqId, bool logits) => Add(token, pos, new ReadOnlySpan<int>(in seqId), logits);

    /// <summary>Appends a token that belongs to several sequences.</summary>
    public void Add(int token, int pos, ReadOnlySpan<int> seqIds, bool logits)
    {
        if (EmbeddingSize != 0) throw new InvalidOperationException("this batch carries embeddings; use AddEmbedding");
        int i = Reserve(seqIds, logits, pos);
        _batch.token[i] = token;
        _batch.n_tokens = i + 1;
    }

    /// <summary>Appends an embedding vector (batches created with embeddingSize &gt; 0).</summary>
    public void AddEmbedding(ReadOnlySpan<float> embedding, int pos, ReadOnlySpan<int> seqIds, bool logits)
    {
        if (EmbeddingSize == 0) throw new InvalidOperationException("this batch carries token ids; use Add");
        if (embedding.Length != EmbeddingSize) throw new ArgumentException($"embedding has {embedding.Length} floats, the batch expects {EmbeddingSize}", nameof(embedding));
        int i = Reserve(seqIds, logits, pos);
        embedding.CopyTo(new Span<float>(_batch.embd + (long)i * EmbeddingSize, EmbeddingSize));
        _batch.n_tokens = i + 1;
    }

    private int Reserve(ReadOnlySpan<int> seqIds, bool logits, int pos)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int i = _batch.n_tokens;
        if (i >= Capacity) throw new InvalidOperationException($"the batch is full ({Capacity} entries)");
        if (seqIds.Length < 1 || seqIds.Length > MaxSequencesPerToken)
            throw new ArgumentException($"an entry needs 1..{MaxSequencesPerToken} sequence ids (got {seqIds.Length})", nameof(seqIds));
        _batch.pos[i] = pos;
        _batch.n_seq_id[i] = seqIds.Length;
        seqIds.CopyTo(new Span<int>(_batch.seq_id[i], seqIds.Length));
        _batch.logits[i] = logits ? (sbyte)1 : (sbyte)0;
        return i;
    }

    /// <summary>Turns the output flag of entry <paramref name="index"/> on or off (e.g. the last prompt token).</summary>
    public void SetLogits(int index, bool logits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_batch.n_tokens, nameof(index));
        _batch.logits[index] = logits ? (sbyte)1 : (sbyte)0;
    }

    public int GetToken(int index) { CheckIndex(index); return _batch.token[index]; }
    public int GetPosition(int index) { CheckIndex(index); return _batch.pos[index]; }
    public bool GetLogits(int index) { CheckIndex(index); return _batch.logits[index] != 0; }

    private void CheckIndex(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_batch.n_tokens, nameof(index));
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~LlamaBatch() => Free();

    private void Free()
    {
        if (_disposed) return;
        _disposed = true;
        if (_batch.pos != null) LlamaNative.llama_batch_free(_batch);
        _batch = default;
    }
}

using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>An inference context (<c>llama_context</c>) over a <see cref="LlamaModel"/>.</summary>
public sealed unsafe class LlamaContext : IDisposable
{
    /// <summary>The owning handle (holds a reference on the model).</summary>
    public SafeLlamaContextHandle Handle { get; }
    public LlamaModel Model { get; }

    private readonly int _nVocab, _nEmbdOut;

    private LlamaContext(SafeLlamaContextHandle handle, LlamaModel model)
    {
        Handle = handle;
        Model = model;
        _nVocab = model.Vocab.Count;
        _nEmbdOut = model.EmbeddingLengthOutput;
    }

    internal llama_context* Ptr => Handle.Pointer;

    /// <summary><c>llama_context_default_params()</c> (initializes llama.cpp first).</summary>
    internal static llama_context_params DefaultParams()
    {
        LlamaRuntime.EnsureInitialized();
        return LlamaNative.llama_context_default_params();
    }

    /// <summary><c>llama_init_from_model</c>; throws <see cref="LlamaException"/> with llama.cpp's reason on failure.</summary>
    internal static LlamaContext Create(LlamaModel model, llama_context_params parameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        LlamaRuntime.DrainRecentLogErrors();
        var h = SafeLlamaContextHandle.Create(model.Handle, parameters)
            ?? throw new LlamaException(
                $"llama.cpp could not create a context for {model.Path} (n_ctx={parameters.n_ctx}, n_batch={parameters.n_batch}, " +
                $"n_ubatch={parameters.n_ubatch}, n_seq_max={parameters.n_seq_max}){LlamaRuntime.RecentErrorsSuffix()}");
        return new LlamaContext(h, model);
    }

    // ------------------------------------------------------------------ sizes

    /// <summary><c>llama_n_ctx</c>: the actual context size (may differ from the requested one).</summary>
    public int ContextSize => (int)LlamaNative.llama_n_ctx(Ptr);
    /// <summary><c>llama_n_ctx_seq</c>: context available to one sequence.</summary>
    public int ContextSizePerSequence => (int)LlamaNative.llama_n_ctx_seq(Ptr);
    public int BatchSize => (int)LlamaNative.llama_n_batch(Ptr);
    public int MicroBatchSize => (int)LlamaNative.llama_n_ubatch(Ptr);
    public int MaxSequences => (int)LlamaNative.llama_n_seq_max(Ptr);
    public LlamaPoolingType PoolingType => LlamaNative.llama_pooling_type(Ptr);
    public int Threads => LlamaNative.llama_n_threads(Ptr);
    public int ThreadsBatch => LlamaNative.llama_n_threads_batch(Ptr);

    public void SetThreads(int threads, int threadsBatch) => LlamaNative.llama_set_n_threads(Ptr, threads, threadsBatch);
    public void SetEmbeddings(bool embeddings) => LlamaNative.llama_set_embeddings(Ptr, embeddings);
    public void SetCausalAttention(bool causal) => LlamaNative.llama_set_causal_attn(Ptr, causal);
    public void Synchronize() => LlamaNative.llama_synchronize(Ptr);

    /// <summary>The context's memory (KV cache / recurrent state).</summary>
    public LlamaMemory Memory => new(this);

    // ------------------------------------------------------------------ decode

    /// <summary><c>llama_decode</c>: 0 = success; 1 = no KV slot for the batch (smaller batch or bigger context);
    /// 2 = aborted; -1 = invalid batch; &lt; -1 = fatal error.</summary>
    public int Decode(LlamaBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return LlamaNative.llama_decode(Ptr, batch.Native);
    }

    /// <summary><c>llama_decode</c>, any failure thrown with what it means.</summary>
    public void DecodeOrThrow(LlamaBatch batch)
    {
        int rc = Decode(batch);
        if (rc != 0)
            throw new LlamaException(rc == 1
                ? "llama_decode found no room in the KV cache for a batch of " + batch.Count +
                  " tokens (a larger context, or fewer parallel sequences, would help)"
                : $"llama_decode failed with code {rc}" + LastLogError());
    }

    // What llama.cpp logged about the failure (an invalid batch says which positions), if anything.
    private static string LastLogError()
    {
        var lines = LlamaRuntime.DrainRecentLogErrors();
        // The reason comes first; "failed to initialize batch" and "failed to decode" follow it.
        var said = lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.Contains("failed to decode")
            && !l.Contains("failed to initialize batch")).ToList();
        return said.Count > 0 ? ": " + said[^1] : "";
    }

    /// <summary><c>llama_decode</c> of <c>llama_batch_get_one</c>: tokens of sequence 0 at automatic positions, logits
    /// for the last one only.</summary>
    public int Decode(ReadOnlySpan<int> tokens)
    {
        fixed (int* t = tokens) return LlamaNative.llama_decode(Ptr, LlamaNative.llama_batch_get_one(t, tokens.Length));
    }

    /// <summary><c>llama_encode</c>: 0 = success, &lt; 0 = error.</summary>
    public int Encode(LlamaBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return LlamaNative.llama_encode(Ptr, batch.Native);
    }

    /// <summary>Logits (n_vocab floats) of the i-th output of the last decode (negative = from the end).
    /// The span is valid until the next decode.</summary>
    public Span<float> GetLogitsIth(int i)
    {
        float* p = LlamaNative.llama_get_logits_ith(Ptr, i);
        if (p == null) throw new ArgumentOutOfRangeException(nameof(i), i, "no logits for this output (was logits requested for that batch entry?)");
        return new Span<float>(p, _nVocab);
    }

    /// <summary>All output logits of the last decode: <paramref name="outputs"/> rows of n_vocab floats, in batch order.</summary>
    public Span<float> GetLogits(int outputs)
    {
        float* p = LlamaNative.llama_get_logits(Ptr);
        if (p == null) throw new InvalidOperationException("no logits (no decode yet, or an embeddings-only context)");
        return new Span<float>(p, checked(outputs * _nVocab));
    }

    /// <summary>Embeddings (n_embd floats) of the i-th output; requires embeddings on.</summary>
    public Span<float> GetEmbeddingsIth(int i)
    {
        float* p = LlamaNative.llama_get_embeddings_ith(Ptr, i);
        if (p == null) throw new ArgumentOutOfRangeException(nameof(i), i, "no embeddings for this output");
        return new Span<float>(p, _nEmbdOut);
    }

    /// <summary>Pooled embeddings of a sequence (null when pooling is NONE).</summary>
    public float[]? GetEmbeddingsSeq(int seqId)
    {
        float* p = LlamaNative.llama_get_embeddings_seq(Ptr, seqId);
        if (p == null) return null;
        int n = PoolingType == LlamaPoolingType.Rank ? (int)LlamaNative.llama_model_n_cls_out(Model.Handle.Pointer) : _nEmbdOut;
        return new ReadOnlySpan<float>(p, n).ToArray();
    }

    // ------------------------------------------------------------------ LoRA

    /// <summary>Sets the LoRA adapters of this context (replacing the previous set; empty clears) with
    /// <c>llama_set_adapters_lora</c>. The adapters stay alive while set.</summary>
    public void SetLoraAdapters(IReadOnlyList<(LlamaLoraAdapter Adapter, float Scale)> adapters)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        int n = adapters.Count;
        var handles = new SafeLlamaAdapterHandle[n];
        var ptrs = new nint[n];
        var scales = new float[n];
        for (int i = 0; i < n; i++)
        {
            var (a, s) = adapters[i];
            ArgumentNullException.ThrowIfNull(a);
            handles[i] = a.Handle;
            ptrs[i] = (nint)a.Handle.Pointer;
            scales[i] = s;
        }
        Handle.RetainAdapters(handles);
        int rc;
        fixed (nint* pa = ptrs)
        fixed (float* ps = scales)
        {
            rc = LlamaNative.llama_set_adapters_lora(Ptr, n == 0 ? null : (llama_adapter_lora**)pa, (nuint)n, n == 0 ? null : ps);
        }
        if (rc != 0)
        {
            Handle.RetainAdapters([]);
            throw new LlamaException($"llama_set_adapters_lora failed ({rc}){LlamaRuntime.RecentErrorsSuffix()}");
        }
    }

    /// <summary>Removes all LoRA adapters from this context.</summary>
    public void ClearLoraAdapters() => SetLoraAdapters([]);

    // ------------------------------------------------------------------ state

    /// <summary><c>llama_state_seq_get_size</c></summary>
    public long GetSequenceStateSize(int seqId) => (long)LlamaNative.llama_state_seq_get_size(Ptr, seqId);

    /// <summary>Copies the state (KV cache) of one sequence.</summary>
    public byte[] GetSequenceState(int seqId)
    {
        var buf = new byte[checked((int)LlamaNative.llama_state_seq_get_size(Ptr, seqId))];
        fixed (byte* b = buf)
        {
            nuint n = LlamaNative.llama_state_seq_get_data(Ptr, b, (nuint)buf.Length, seqId);
            return (int)n == buf.Length ? buf : buf.AsSpan(0, (int)n).ToArray();
        }
    }

    /// <summary>Restores a sequence state into <paramref name="destSeqId"/>; false if llama.cpp refused it.</summary>
    public bool SetSequenceState(ReadOnlySpan<byte> state, int destSeqId)
    {
        fixed (byte* b = state) return LlamaNative.llama_state_seq_set_data(Ptr, b, (nuint)state.Length, destSeqId) != 0;
    }

    /// <summary>Whole-context state (logits, embeddings, memory).</summary>
    public byte[] GetState()
    {
        var buf = new byte[checked((int)LlamaNative.llama_state_get_size(Ptr))];
        fixed (byte* b = buf)
        {
            nuint n = LlamaNative.llama_state_get_data(Ptr, b, (nuint)buf.Length);
            return (int)n == buf.Length ? buf : buf.AsSpan(0, (int)n).ToArray();
        }
    }

    /// <summary>Restores a whole-context state; returns the bytes read.</summary>
    public long SetState(ReadOnlySpan<byte> state)
    {
        fixed (byte* b = state) return (long)LlamaNative.llama_state_set_data(Ptr, b, (nuint)state.Length);
    }

    // ------------------------------------------------------------------ perf

    public llama_perf_context_data GetPerformance() => LlamaNative.llama_perf_context(Ptr);
    public void ResetPerformance() => LlamaNative.llama_perf_context_reset(Ptr);

    public void Dispose() => Handle.Dispose();
}

/// <summary>The memory (KV cache / recurrent state) of a <see cref="LlamaContext"/> (<c>llama_memory_t</c>).
/// Positions: p0 &lt; 0 means from 0, p1 &lt; 0 means to the end; seqId &lt; 0 matches any sequence where allowed.</summary>
public readonly unsafe struct LlamaMemory
{
    private readonly LlamaContext _ctx;
    internal LlamaMemory(LlamaContext ctx) => _ctx = ctx;

    /// <summary>The native <c>llama_memory_t</c> (null for contexts without memory).</summary>
    public llama_memory_i* Pointer => LlamaNative.llama_get_memory(_ctx.Ptr);

    private llama_memory_i* Mem => Pointer is var m && m != null ? m : throw new InvalidOperationException("this context has no memory");

    /// <summary>Clears the memory; <paramref name="data"/> also clears the data buffers.</summary>
    public void Clear(bool data = true) => LlamaNative.llama_memory_clear(Mem, data);
    /// <summary>Removes tokens of <paramref name="seqId"/> in [p0, p1); false if a partial sequence cannot be removed.</summary>
    public bool SeqRemove(int seqId, int p0 = -1, int p1 = -1) => LlamaNative.llama_memory_seq_rm(Mem, seqId, p0, p1);
    public void SeqCopy(int srcSeqId, int dstSeqId, int p0 = -1, int p1 = -1) => LlamaNative.llama_memory_seq_cp(Mem, srcSeqId, dstSeqId, p0, p1);
    public void SeqKeep(int seqId) => LlamaNative.llama_memory_seq_keep(Mem, seqId);
    public void SeqAdd(int seqId, int p0, int p1, int delta) => LlamaNative.llama_memory_seq_add(Mem, seqId, p0, p1, delta);
    public void SeqDiv(int seqId, int p0, int p1, int d) => LlamaNative.llama_memory_seq_div(Mem, seqId, p0, p1, d);
    /// <summary>Smallest position of the sequence, -1 if empty.</summary>
    public int SeqPosMin(int seqId) => LlamaNative.llama_memory_seq_pos_min(Mem, seqId);
    /// <summary>Largest position of the sequence, -1 if empty.</summary>
    public int SeqPosMax(int seqId) => LlamaNative.llama_memory_seq_pos_max(Mem, seqId);
    public bool CanShift => LlamaNative.llama_memory_can_shift(Mem);
}

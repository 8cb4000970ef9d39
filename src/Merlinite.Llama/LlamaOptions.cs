using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>How a model loads, in the binding's words: the engine decides these, and only the binding turns them into
/// llama.cpp's <c>llama_model_params</c> (native types stay in this assembly).</summary>
public sealed record LlamaModelOptions
{
    /// <summary>Only the vocabulary and metadata: no weights, no context.</summary>
    public bool VocabularyOnly { get; init; }

    /// <summary>Layers offloaded to a GPU (llama.cpp's n_gpu_layers; -1: all, 0: none).</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>Read the file instead of memory-mapping it.</summary>
    public bool Read { get; init; }

    /// <summary>Tensors kept in CPU memory by name pattern (<see cref="LlamaTensorPatterns"/>).</summary>
    public IReadOnlyList<string>? CpuTensorPatterns { get; init; }

    internal llama_model_params ToNative()
    {
        var p = LlamaModel.DefaultParams();
        p.vocab_only = VocabularyOnly;
        p.n_gpu_layers = GpuLayers;
        if (Read) p.load_mode = LlamaLoadMode.None;
        return p;
    }
}

/// <summary>A context's shape and arithmetic, in the binding's words (llama.cpp's <c>llama_context_params</c>).</summary>
public sealed record LlamaContextOptions
{
    /// <summary>KV cells of all sequences together.</summary>
    public required int ContextSize { get; init; }
    /// <summary>Tokens one llama_decode call may take (n_batch), and how many are computed at once (n_ubatch).</summary>
    public required int BatchSize { get; init; }
    public required int MicroBatchSize { get; init; }
    /// <summary>Sequences the context holds (n_seq_max).</summary>
    public int Sequences { get; init; } = 1;
    /// <summary>One KV buffer for all sequences (a shared prompt's cells belong to several at once).</summary>
    public bool UnifiedKv { get; init; }
    /// <summary>F32 keys and values without flash attention: the exact arithmetic scores are compared in; false keeps
    /// llama.cpp's defaults (F16 cache, flash attention where it helps).</summary>
    public bool ExactAttention { get; init; } = true;
    /// <summary>Threads for one token and for a batch.</summary>
    public required int Threads { get; init; }

    internal llama_context_params ToNative()
    {
        var p = LlamaContext.DefaultParams();
        p.n_ctx = (uint)ContextSize;
        p.n_batch = (uint)BatchSize;
        p.n_ubatch = (uint)MicroBatchSize;
        p.n_seq_max = (uint)Sequences;
        p.kv_unified = UnifiedKv;
        if (ExactAttention)
        {
            p.type_k = p.type_v = GgmlType.F32;
            p.flash_attn_type = LlamaFlashAttnType.Disabled;
        }
        p.n_threads = Threads;
        p.n_threads_batch = Threads;
        return p;
    }
}

using System.Runtime.InteropServices;

namespace Merlinite.Llama.Native;

// Structs of llama.h / ggml-backend.h (llama.cpp release v0.5.0), mirrored field by field with the header's names.
// A wrong layout corrupts memory silently: tests/Merlinite.Llama.Tests compiles a C probe against the real header
// and compares sizeof/offsetof of every field with these declarations. Keep the field order and names identical.
// C `bool` is 1 byte; fields declared `bool` here rely on [assembly: DisableRuntimeMarshalling].

#pragma warning disable IDE1006 // naming: the header's names on purpose

// ---- opaque types (only ever used through pointers) ----

/// <summary><c>struct llama_model</c> (opaque).</summary>
public struct llama_model { }
/// <summary><c>struct llama_context</c> (opaque).</summary>
public struct llama_context { }
/// <summary><c>struct llama_vocab</c> (opaque).</summary>
public struct llama_vocab { }
/// <summary><c>struct llama_sampler</c> (treated as opaque; custom samplers are not bound).</summary>
public struct llama_sampler { }
/// <summary><c>struct llama_adapter_lora</c> (opaque).</summary>
public struct llama_adapter_lora { }
/// <summary><c>struct llama_memory_i</c> (opaque); <c>llama_memory_t</c> is a pointer to it.</summary>
public struct llama_memory_i { }
/// <summary><c>struct ggml_backend_device</c> (opaque); <c>ggml_backend_dev_t</c> is a pointer to it.</summary>
public struct ggml_backend_device { }
/// <summary><c>struct ggml_backend_reg</c> (opaque); <c>ggml_backend_reg_t</c> is a pointer to it.</summary>
public struct ggml_backend_reg { }
/// <summary><c>struct ggml_backend_buffer_type</c> (opaque); <c>ggml_backend_buffer_type_t</c> is a pointer to it.</summary>
public struct ggml_backend_buffer_type { }
/// <summary><c>struct ggml_tensor</c> (opaque here).</summary>
public struct ggml_tensor { }

// ---- token data ----

/// <summary><c>llama_token_data</c></summary>
[StructLayout(LayoutKind.Sequential)]
public struct llama_token_data
{
    public int id;      // token id
    public float logit; // log-odds of the token
    public float p;     // probability of the token
}

/// <summary><c>llama_token_data_array</c></summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct llama_token_data_array
{
    public llama_token_data* data; // may be modified by the samplers
    public nuint size;
    public long selected;          // index in the data array (not the token id)
    public bool sorted;
}

/// <summary><c>llama_batch</c>: input of llama_encode/llama_decode; every array has n_tokens entries.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct llama_batch
{
    public int n_tokens;
    public int* token;
    public float* embd;
    public int* pos;
    public int* n_seq_id;
    public int** seq_id;
    public sbyte* logits; // "output": non-zero = produce logits/embeddings for this token
}

// ---- model parameters ----

/// <summary><c>struct llama_model_kv_override</c>; the anonymous union is flattened with explicit offsets.</summary>
[StructLayout(LayoutKind.Explicit)]
public unsafe struct llama_model_kv_override
{
    [FieldOffset(0)] public LlamaModelKvOverrideType tag;
    [FieldOffset(4)] public fixed byte key[128];
    [FieldOffset(136)] public long val_i64;
    [FieldOffset(136)] public double val_f64;
    [FieldOffset(136)] public bool val_bool;
    [FieldOffset(136)] public fixed byte val_str[128];
}

/// <summary><c>struct llama_model_tensor_buft_override</c></summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct llama_model_tensor_buft_override
{
    public byte* pattern;
    public ggml_backend_buffer_type* buft;
}

/// <summary><c>struct llama_model_params</c> (80 bytes on x86-64). Get the defaults from
/// <see cref="LlamaNative.llama_model_default_params"/>, never from <c>default</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct llama_model_params
{
    /// <summary>NULL-terminated list of devices to use for offloading (NULL = all available).</summary>
    public ggml_backend_device** devices;
    /// <summary>NULL-terminated list of buffer types for tensors that match a pattern.</summary>
    public llama_model_tensor_buft_override* tensor_buft_overrides;
    /// <summary>Layers to store in VRAM; negative = all.</summary>
    public int n_gpu_layers;
    public LlamaSplitMode split_mode;
    public LlamaLoadMode load_mode;
    public LlamaLazyMode lazy_mode;
    public int main_gpu;
    /// <summary>Proportion of the model to offload to each GPU, size llama_max_devices().</summary>
    public float* tensor_split;
    /// <summary><c>llama_progress_callback</c>: <c>bool (*)(float progress, void * user_data)</c>; return false to abort.</summary>
    public delegate* unmanaged<float, void*, byte> progress_callback;
    public void* progress_callback_user_data;
    public llama_model_kv_override* kv_overrides;
    public bool vocab_only;
    public bool check_tensors;
    public bool use_extra_bufts;
    public bool no_host;
    public bool no_alloc;
    public bool load_mtp;
}

// ---- context parameters ----

/// <summary><c>struct llama_sampler_seq_config</c> (backend sampling, experimental).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct llama_sampler_seq_config
{
    public int seq_id;
    public llama_sampler* sampler;
}

/// <summary><c>struct llama_context_params</c> (160 bytes on x86-64). Get the defaults from
/// <see cref="LlamaNative.llama_context_default_params"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct llama_context_params
{
    public uint n_ctx;                 // text context, 0 = from model
    public uint n_batch;               // logical maximum batch size that can be submitted to llama_decode
    public uint n_ubatch;              // physical maximum batch size
    public uint n_seq_max;             // max number of sequences
    public uint n_rs_seq;              // recurrent-state snapshots per seq for rollback [EXPERIMENTAL]
    public uint n_outputs_max;         // max outputs in a ubatch (0 = n_batch)
    public uint n_outputs_max_per_seq; // max outputs per sequence (0 = n_outputs_max)
    public int n_threads;              // threads for generation
    public int n_threads_batch;        // threads for batch processing

    public LlamaContextType ctx_type;
    public LlamaRopeScalingType rope_scaling_type;
    public LlamaPoolingType pooling_type;
    public LlamaAttentionType attention_type;
    public LlamaFlashAttnType flash_attn_type;

    public float rope_freq_base;
    public float rope_freq_scale;
    public float yarn_ext_factor;
    public float yarn_attn_factor;
    public float yarn_beta_fast;
    public float yarn_beta_slow;
    public uint yarn_orig_ctx;
    public float defrag_thold; // [DEPRECATED]

    /// <summary><c>ggml_backend_sched_eval_callback</c>: <c>bool (*)(struct ggml_tensor * t, bool ask, void * user_data)</c>.</summary>
    public delegate* unmanaged<ggml_tensor*, byte, void*, byte> cb_eval;
    public void* cb_eval_user_data;

    public GgmlType type_k; // K cache type [EXPERIMENTAL]
    public GgmlType type_v; // V cache type [EXPERIMENTAL]

    /// <summary><c>ggml_abort_callback</c>: <c>bool (*)(void * data)</c>; return true to abort llama_decode.</summary>
    public delegate* unmanaged<void*, byte> abort_callback;
    public void* abort_callback_data;

    public bool embeddings;
    public bool offload_kqv;
    public bool no_perf;
    public bool op_offload;
    public bool swa_full;
    public bool kv_unified;

    public llama_sampler_seq_config* samplers; // [EXPERIMENTAL] backend sampler chains
    public nuint n_samplers;

    public llama_context* ctx_other;
}

// ---- quantization ----

/// <summary><c>struct llama_model_tensor_override</c></summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct llama_model_tensor_override
{
    public byte* pattern;
    public GgmlType type;
}

/// <summary><c>struct llama_model_imatrix_data</c></summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct llama_model_imatrix_data
{
    public byte* name;
    public float* data;
    public nuint size;
}

/// <summary><c>llama_model_quantize_params</c> (64 bytes on x86-64). Get the defaults from
/// <see cref="LlamaNative.llama_model_quantize_default_params"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct llama_model_quantize_params
{
    public int nthread;                 // <= 0: std::thread::hardware_concurrency()
    public LlamaFtype ftype;
    public GgmlType output_tensor_type;
    public GgmlType token_embedding_type;
    public bool allow_requantize;
    public bool quantize_output_tensor;
    public bool only_copy;
    public bool pure;
    public bool keep_split;
    public bool dry_run;
    public llama_model_imatrix_data* imatrix;
    public llama_model_kv_override* kv_overrides;
    public llama_model_tensor_override* tt_overrides;
    public int* prune_layers;
    public nuint max_buf_size;          // 0 = default (8 GiB)
}

// ---- sampling, chat ----

/// <summary><c>llama_logit_bias</c></summary>
[StructLayout(LayoutKind.Sequential)]
public struct llama_logit_bias
{
    public int token;
    public float bias;
}

/// <summary><c>llama_sampler_chain_params</c></summary>
[StructLayout(LayoutKind.Sequential)]
public struct llama_sampler_chain_params
{
    public bool no_perf;
}

/// <summary><c>llama_chat_message</c> (UTF-8, NUL-terminated strings).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct llama_chat_message
{
    public byte* role;
    public byte* content;
}

// ---- performance ----

/// <summary><c>struct llama_perf_context_data</c></summary>
[StructLayout(LayoutKind.Sequential)]
public struct llama_perf_context_data
{
    public double t_start_ms;
    public double t_load_ms;
    public double t_p_eval_ms;
    public double t_eval_ms;
    public int n_p_eval;
    public int n_eval;
    public int n_reused;
}

/// <summary><c>struct llama_perf_sampler_data</c></summary>
[StructLayout(LayoutKind.Sequential)]
public struct llama_perf_sampler_data
{
    public double t_sample_ms;
    public int n_sample;
}

// ---- ggml-backend ----

/// <summary><c>struct ggml_backend_dev_caps</c></summary>
[StructLayout(LayoutKind.Sequential)]
public struct ggml_backend_dev_caps
{
    public bool async;
    public bool host_buffer;
    public bool buffer_from_host_ptr;
    public bool events;
    public bool mmap_support;
}

/// <summary><c>struct ggml_backend_dev_props</c></summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct ggml_backend_dev_props
{
    public byte* name;
    public byte* description;
    public nuint memory_free;
    public nuint memory_total;
    public GgmlBackendDevType type;
    public byte* device_id; // PCI bus id or NULL
    public ggml_backend_dev_caps caps;
}

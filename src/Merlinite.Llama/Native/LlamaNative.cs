using System.Runtime.InteropServices;

namespace Merlinite.Llama.Native;

#pragma warning disable IDE1006 // naming: the header's names on purpose

/// <summary>
/// Raw bindings of llama.h (llama.cpp release v0.5.0), one declaration per C function, same names, same parameter order.
/// Mapping: <c>llama_token</c>/<c>llama_pos</c>/<c>llama_seq_id</c> = int, <c>size_t</c> = nuint, <c>bool</c> = bool (U1),
/// <c>const char *</c> parameters = UTF-8 <see cref="string"/> (copied for the call) or <c>byte*</c>;
/// <c>const char *</c> returns = <c>byte*</c> (owned by llama.cpp: read with <see cref="Marshal.PtrToStringUTF8(nint)"/>, never free).
/// The library names are short names resolved by <see cref="LlamaRuntime"/>; call <see cref="LlamaRuntime.EnsureInitialized"/>
/// before any of these so that the backends are loaded and the ABI was checked.
/// </summary>
public static unsafe partial class LlamaNative
{
    /// <summary>Short name resolved to libllama.v0.5.0.so (or libllama.cuda.v0.5.0.so / libllama.so).</summary>
    public const string LibLlama = "llama";

    static LlamaNative() => LlamaRuntime.RegisterResolver();

    /// <summary><c>LLAMA_DEFAULT_SEED</c></summary>
    public const uint LLAMA_DEFAULT_SEED = 0xFFFFFFFF;
    /// <summary><c>LLAMA_TOKEN_NULL</c></summary>
    public const int LLAMA_TOKEN_NULL = -1;
    /// <summary><c>LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY</c></summary>
    public const uint LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY = 1;
    /// <summary><c>LLAMA_STATE_SEQ_FLAGS_ON_DEVICE</c></summary>
    public const uint LLAMA_STATE_SEQ_FLAGS_ON_DEVICE = 2;

    // ---------------------------------------------------------------- names, version, defaults

    [LibraryImport(LibLlama)] public static partial byte* llama_ftype_name(LlamaFtype ftype);
    [LibraryImport(LibLlama)] public static partial byte* llama_flash_attn_type_name(LlamaFlashAttnType flash_attn_type);
    [LibraryImport(LibLlama)] public static partial byte* llama_load_mode_name(LlamaLoadMode load_mode);
    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)] public static partial LlamaLoadMode llama_load_mode_from_str(string str);

    [LibraryImport(LibLlama)] public static partial byte* llama_version();

    [LibraryImport(LibLlama)] public static partial llama_model_params llama_model_default_params();
    [LibraryImport(LibLlama)] public static partial llama_context_params llama_context_default_params();
    [LibraryImport(LibLlama)] public static partial llama_sampler_chain_params llama_sampler_chain_default_params();
    [LibraryImport(LibLlama)] public static partial llama_model_quantize_params llama_model_quantize_default_params();

    // ---------------------------------------------------------------- backend

    [LibraryImport(LibLlama)] public static partial void llama_backend_init();
    [LibraryImport(LibLlama)] public static partial void llama_backend_free();
    [LibraryImport(LibLlama)] public static partial void llama_numa_init(GgmlNumaStrategy numa);

    // ---------------------------------------------------------------- model load/save/free

    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial llama_model* llama_model_load_from_file(string path_model, llama_model_params @params);

    [LibraryImport(LibLlama)]
    public static partial llama_model* llama_model_load_from_splits(byte** paths, nuint n_paths, llama_model_params @params);

    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void llama_model_save_to_file(llama_model* model, string path_model);

    [LibraryImport(LibLlama)] public static partial void llama_model_free(llama_model* model);

    [LibraryImport(LibLlama)] public static partial llama_context* llama_init_from_model(llama_model* model, llama_context_params @params);
    [LibraryImport(LibLlama)] public static partial void llama_free(llama_context* ctx);

    // ---------------------------------------------------------------- system

    [LibraryImport(LibLlama)] public static partial long llama_time_us();
    [LibraryImport(LibLlama)] public static partial nuint llama_max_devices();
    [LibraryImport(LibLlama)] public static partial nuint llama_max_parallel_sequences();
    [LibraryImport(LibLlama)] public static partial nuint llama_max_tensor_buft_overrides();
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_supports_mmap();
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_supports_mlock();
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_supports_gpu_offload();
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_supports_rpc();

    // ---------------------------------------------------------------- context getters

    [LibraryImport(LibLlama)] public static partial uint llama_n_ctx(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial uint llama_n_ctx_seq(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial uint llama_n_batch(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial uint llama_n_ubatch(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial uint llama_n_seq_max(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial uint llama_n_rs_seq(llama_context* ctx);

    [LibraryImport(LibLlama)] public static partial llama_model* llama_get_model(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial llama_memory_i* llama_get_memory(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial LlamaPoolingType llama_pooling_type(llama_context* ctx);

    // ---------------------------------------------------------------- model getters

    [LibraryImport(LibLlama)] public static partial llama_vocab* llama_model_get_vocab(llama_model* model);
    [LibraryImport(LibLlama)] public static partial LlamaRopeType llama_model_rope_type(llama_model* model);

    [LibraryImport(LibLlama)] public static partial int llama_model_n_ctx_train(llama_model* model);
    [LibraryImport(LibLlama)] public static partial int llama_model_n_embd(llama_model* model);
    [LibraryImport(LibLlama)] public static partial int llama_model_n_embd_inp(llama_model* model);
    [LibraryImport(LibLlama)] public static partial int llama_model_n_embd_out(llama_model* model);
    [LibraryImport(LibLlama)] public static partial int llama_model_n_layer(llama_model* model);
    [LibraryImport(LibLlama)] public static partial int llama_model_n_layer_nextn(llama_model* model);
    [LibraryImport(LibLlama)] public static partial int llama_model_n_head(llama_model* model);
    [LibraryImport(LibLlama)] public static partial int llama_model_n_head_kv(llama_model* model);
    [LibraryImport(LibLlama)] public static partial int llama_model_n_swa(llama_model* model);
    [LibraryImport(LibLlama)] public static partial float llama_model_rope_freq_scale_train(llama_model* model);
    [LibraryImport(LibLlama)] public static partial uint llama_model_n_cls_out(llama_model* model);
    [LibraryImport(LibLlama)] public static partial byte* llama_model_cls_label(llama_model* model, uint i);

    [LibraryImport(LibLlama)] public static partial LlamaVocabType llama_vocab_type(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_n_tokens(llama_vocab* vocab);

    /// <summary>Returns the string length, or -1 on failure; the buffer is always NUL-terminated.</summary>
    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)] public static partial int llama_model_meta_val_str(llama_model* model, string key, byte* buf, nuint buf_size);
    [LibraryImport(LibLlama)] public static partial int llama_model_meta_count(llama_model* model);
    [LibraryImport(LibLlama)] public static partial byte* llama_model_meta_key_str(LlamaModelMetaKey key);
    [LibraryImport(LibLlama)] public static partial int llama_model_meta_key_by_index(llama_model* model, int i, byte* buf, nuint buf_size);
    [LibraryImport(LibLlama)] public static partial int llama_model_meta_val_str_by_index(llama_model* model, int i, byte* buf, nuint buf_size);
    [LibraryImport(LibLlama)] public static partial int llama_model_desc(llama_model* model, byte* buf, nuint buf_size);
    [LibraryImport(LibLlama)] public static partial LlamaFtype llama_model_ftype(llama_model* model);
    [LibraryImport(LibLlama)] public static partial ulong llama_model_size(llama_model* model);
    /// <summary>Returns NULL if not available; <paramref name="name"/> NULL = the default template.</summary>
    [LibraryImport(LibLlama)] public static partial byte* llama_model_chat_template(llama_model* model, byte* name);
    [LibraryImport(LibLlama)] public static partial ulong llama_model_n_params(llama_model* model);
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_model_has_encoder(llama_model* model);
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_model_has_decoder(llama_model* model);
    [LibraryImport(LibLlama)] public static partial int llama_model_decoder_start_token(llama_model* model);
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_model_is_recurrent(llama_model* model);
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_model_is_hybrid(llama_model* model);
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_model_is_diffusion(llama_model* model);

    /// <summary>Returns 0 on success.</summary>
    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint llama_model_quantize(string fname_inp, string fname_out, llama_model_quantize_params* @params);

    // ---------------------------------------------------------------- adapters

    /// <summary>The adapter is valid as long as the model is; free it (llama_adapter_lora_free) BEFORE the model.</summary>
    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial llama_adapter_lora* llama_adapter_lora_init(llama_model* model, string path_lora);

    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)] public static partial int llama_adapter_meta_val_str(llama_adapter_lora* adapter, string key, byte* buf, nuint buf_size);
    [LibraryImport(LibLlama)] public static partial int llama_adapter_meta_count(llama_adapter_lora* adapter);
    [LibraryImport(LibLlama)] public static partial int llama_adapter_meta_key_by_index(llama_adapter_lora* adapter, int i, byte* buf, nuint buf_size);
    [LibraryImport(LibLlama)] public static partial int llama_adapter_meta_val_str_by_index(llama_adapter_lora* adapter, int i, byte* buf, nuint buf_size);
    [LibraryImport(LibLlama)] public static partial void llama_adapter_lora_free(llama_adapter_lora* adapter);
    [LibraryImport(LibLlama)] public static partial ulong llama_adapter_get_alora_n_invocation_tokens(llama_adapter_lora* adapter);
    [LibraryImport(LibLlama)] public static partial int* llama_adapter_get_alora_invocation_tokens(llama_adapter_lora* adapter);

    /// <summary>Sets the whole list of LoRA adapters of a context at once (v0.5.0 API; replaces the older
    /// per-adapter llama_set_adapter_lora/llama_rm_adapter_lora/llama_clear_adapter_lora). Pass n_adapters = 0 to clear.</summary>
    [LibraryImport(LibLlama)]
    public static partial int llama_set_adapters_lora(llama_context* ctx, llama_adapter_lora** adapters, nuint n_adapters, float* scales);

    [LibraryImport(LibLlama)]
    public static partial int llama_set_adapter_cvec(llama_context* ctx, float* data, nuint len, int n_embd, int il_start, int il_end);

    // ---------------------------------------------------------------- memory (KV cache / recurrent state)

    [LibraryImport(LibLlama)] public static partial void llama_memory_clear(llama_memory_i* mem, [MarshalAs(UnmanagedType.U1)] bool data);
    /// <summary>Removes tokens of <paramref name="seq_id"/> (&lt;0: any) with positions in [p0, p1) (p &lt; 0: open).
    /// Returns false if a partial sequence cannot be removed.</summary>
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_memory_seq_rm(llama_memory_i* mem, int seq_id, int p0, int p1);
    [LibraryImport(LibLlama)] public static partial void llama_memory_seq_cp(llama_memory_i* mem, int seq_id_src, int seq_id_dst, int p0, int p1);
    [LibraryImport(LibLlama)] public static partial void llama_memory_seq_keep(llama_memory_i* mem, int seq_id);
    [LibraryImport(LibLlama)] public static partial void llama_memory_seq_add(llama_memory_i* mem, int seq_id, int p0, int p1, int delta);
    [LibraryImport(LibLlama)] public static partial void llama_memory_seq_div(llama_memory_i* mem, int seq_id, int p0, int p1, int d);
    [LibraryImport(LibLlama)] public static partial int llama_memory_seq_pos_min(llama_memory_i* mem, int seq_id);
    [LibraryImport(LibLlama)] public static partial int llama_memory_seq_pos_max(llama_memory_i* mem, int seq_id);
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_memory_can_shift(llama_memory_i* mem);

    // ---------------------------------------------------------------- state / sessions

    [LibraryImport(LibLlama)] public static partial nuint llama_state_get_size(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial nuint llama_state_get_data(llama_context* ctx, byte* dst, nuint size);
    [LibraryImport(LibLlama)] public static partial nuint llama_state_set_data(llama_context* ctx, byte* src, nuint size);

    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_state_load_file(llama_context* ctx, string path_session, int* tokens_out, nuint n_token_capacity, nuint* n_token_count_out);

    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_state_save_file(llama_context* ctx, string path_session, int* tokens, nuint n_token_count);

    [LibraryImport(LibLlama)] public static partial nuint llama_state_seq_get_size(llama_context* ctx, int seq_id);
    [LibraryImport(LibLlama)] public static partial nuint llama_state_seq_get_data(llama_context* ctx, byte* dst, nuint size, int seq_id);
    /// <summary>Returns 0 on failure.</summary>
    [LibraryImport(LibLlama)] public static partial nuint llama_state_seq_set_data(llama_context* ctx, byte* src, nuint size, int dest_seq_id);

    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nuint llama_state_seq_save_file(llama_context* ctx, string filepath, int seq_id, int* tokens, nuint n_token_count);

    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nuint llama_state_seq_load_file(llama_context* ctx, string filepath, int dest_seq_id, int* tokens_out, nuint n_token_capacity, nuint* n_token_count_out);

    [LibraryImport(LibLlama)] public static partial nuint llama_state_seq_get_size_ext(llama_context* ctx, int seq_id, uint flags);
    [LibraryImport(LibLlama)] public static partial nuint llama_state_seq_get_data_ext(llama_context* ctx, byte* dst, nuint size, int seq_id, uint flags);
    [LibraryImport(LibLlama)] public static partial nuint llama_state_seq_set_data_ext(llama_context* ctx, byte* src, nuint size, int dest_seq_id, uint flags);

    // ---------------------------------------------------------------- decoding

    /// <summary>A batch over caller memory for one sequence (seq 0, positions tracked by llama_decode). Not to be freed.</summary>
    [LibraryImport(LibLlama)] public static partial llama_batch llama_batch_get_one(int* tokens, int n_tokens);
    /// <summary>Allocates a batch of up to n_tokens (token array, or embd of n_tokens*embd floats if embd != 0); free with llama_batch_free.</summary>
    [LibraryImport(LibLlama)] public static partial llama_batch llama_batch_init(int n_tokens, int embd, int n_seq_max);
    [LibraryImport(LibLlama)] public static partial void llama_batch_free(llama_batch batch);

    /// <summary>0 = success, &lt; 0 = error (memory state restored).</summary>
    [LibraryImport(LibLlama)] public static partial int llama_encode(llama_context* ctx, llama_batch batch);
    /// <summary>0 = success; 1 = no KV slot for the batch; 2 = aborted; -1 = invalid batch; &lt; -1 = fatal error.</summary>
    [LibraryImport(LibLlama)] public static partial int llama_decode(llama_context* ctx, llama_batch batch);

    [LibraryImport(LibLlama)] public static partial void llama_set_n_threads(llama_context* ctx, int n_threads, int n_threads_batch);
    [LibraryImport(LibLlama)] public static partial int llama_n_threads(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial int llama_n_threads_batch(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial void llama_set_embeddings(llama_context* ctx, [MarshalAs(UnmanagedType.U1)] bool embeddings);
    [LibraryImport(LibLlama)] public static partial void llama_set_causal_attn(llama_context* ctx, [MarshalAs(UnmanagedType.U1)] bool causal_attn);
    [LibraryImport(LibLlama)] public static partial void llama_set_abort_callback(llama_context* ctx, delegate* unmanaged<void*, byte> abort_callback, void* abort_callback_data);
    [LibraryImport(LibLlama)] public static partial void llama_synchronize(llama_context* ctx);

    [LibraryImport(LibLlama)] public static partial float* llama_get_logits(llama_context* ctx);
    /// <summary>Logits of the i-th output (negative = from the end, -1 = last); NULL for invalid ids.</summary>
    [LibraryImport(LibLlama)] public static partial float* llama_get_logits_ith(llama_context* ctx, int i);
    [LibraryImport(LibLlama)] public static partial float* llama_get_embeddings(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial float* llama_get_embeddings_ith(llama_context* ctx, int i);
    [LibraryImport(LibLlama)] public static partial float* llama_get_embeddings_seq(llama_context* ctx, int seq_id);

    // ---------------------------------------------------------------- vocab

    [LibraryImport(LibLlama)] public static partial byte* llama_vocab_get_text(llama_vocab* vocab, int token);
    [LibraryImport(LibLlama)] public static partial float llama_vocab_get_score(llama_vocab* vocab, int token);
    [LibraryImport(LibLlama)] public static partial LlamaTokenAttr llama_vocab_get_attr(llama_vocab* vocab, int token);
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_vocab_is_eog(llama_vocab* vocab, int token);
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_vocab_is_control(llama_vocab* vocab, int token);

    [LibraryImport(LibLlama)] public static partial int llama_vocab_bos(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_eos(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_eot(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_sep(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_nl(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_pad(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_mask(llama_vocab* vocab);

    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_vocab_get_add_bos(llama_vocab* vocab);
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_vocab_get_add_eos(llama_vocab* vocab);
    [LibraryImport(LibLlama)][return: MarshalAs(UnmanagedType.U1)] public static partial bool llama_vocab_get_add_sep(llama_vocab* vocab);

    [LibraryImport(LibLlama)] public static partial int* llama_vocab_get_suppress_tokens(llama_vocab* vocab, int* n_suppress_tokens);

    [LibraryImport(LibLlama)] public static partial int llama_vocab_fim_pre(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_fim_suf(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_fim_mid(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_fim_pad(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_fim_rep(llama_vocab* vocab);
    [LibraryImport(LibLlama)] public static partial int llama_vocab_fim_sep(llama_vocab* vocab);

    // ---------------------------------------------------------------- tokenization

    /// <summary>Returns the number of tokens, or minus the number needed when <paramref name="n_tokens_max"/> is too
    /// small, or int.MinValue on overflow.</summary>
    [LibraryImport(LibLlama)]
    public static partial int llama_tokenize(llama_vocab* vocab, byte* text, int text_len, int* tokens, int n_tokens_max,
        [MarshalAs(UnmanagedType.U1)] bool add_special, [MarshalAs(UnmanagedType.U1)] bool parse_special);

    /// <summary>Writes no NUL terminator. Returns the number of bytes written, or minus the number needed.</summary>
    [LibraryImport(LibLlama)]
    public static partial int llama_token_to_piece(llama_vocab* vocab, int token, byte* buf, int length, int lstrip,
        [MarshalAs(UnmanagedType.U1)] bool special);

    /// <summary>Returns the number of bytes, or minus the number needed.</summary>
    [LibraryImport(LibLlama)]
    public static partial int llama_detokenize(llama_vocab* vocab, int* tokens, int n_tokens, byte* text, int text_len_max,
        [MarshalAs(UnmanagedType.U1)] bool remove_special, [MarshalAs(UnmanagedType.U1)] bool unparse_special);

    // ---------------------------------------------------------------- chat templates

    /// <summary>Returns the total length of the formatted prompt (may exceed <paramref name="length"/>: grow and call
    /// again), or -1 if the template is not one of llama.cpp's built-in ones. <paramref name="tmpl"/> NULL = "chatml".</summary>
    [LibraryImport(LibLlama)]
    public static partial int llama_chat_apply_template(byte* tmpl, llama_chat_message* chat, nuint n_msg,
        [MarshalAs(UnmanagedType.U1)] bool add_ass, byte* buf, int length);

    [LibraryImport(LibLlama)] public static partial int llama_chat_builtin_templates(byte** output, nuint len);

    // ---------------------------------------------------------------- samplers

    [LibraryImport(LibLlama)] public static partial byte* llama_sampler_name(llama_sampler* smpl);
    [LibraryImport(LibLlama)] public static partial void llama_sampler_accept(llama_sampler* smpl, int token);
    [LibraryImport(LibLlama)] public static partial void llama_sampler_apply(llama_sampler* smpl, llama_token_data_array* cur_p);
    [LibraryImport(LibLlama)] public static partial void llama_sampler_reset(llama_sampler* smpl);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_clone(llama_sampler* smpl);
    [LibraryImport(LibLlama)] public static partial void llama_sampler_copy(llama_sampler* src, llama_sampler* dst);
    /// <summary>Do not free a sampler that was added to a chain: the chain owns it.</summary>
    [LibraryImport(LibLlama)] public static partial void llama_sampler_free(llama_sampler* smpl);

    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_chain_init(llama_sampler_chain_params @params);
    /// <summary>Takes ownership of <paramref name="smpl"/>.</summary>
    [LibraryImport(LibLlama)] public static partial void llama_sampler_chain_add(llama_sampler* chain, llama_sampler* smpl);
    /// <summary>NULL if out of range or not a chain; i == -1 returns the chain itself.</summary>
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_chain_get(llama_sampler* chain, int i);
    [LibraryImport(LibLlama)] public static partial int llama_sampler_chain_n(llama_sampler* chain);
    /// <summary>The removed sampler is no longer owned by the chain.</summary>
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_chain_remove(llama_sampler* chain, int i);

    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_greedy();
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_dist(uint seed);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_top_k(int k);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_top_p(float p, nuint min_keep);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_min_p(float p, nuint min_keep);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_typical(float p, nuint min_keep);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_temp(float t);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_temp_ext(float t, float delta, float exponent);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_xtc(float p, float t, nuint min_keep, uint seed);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_top_n_sigma(float n);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_mirostat(int n_vocab, uint seed, float tau, float eta, int m);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_mirostat_v2(uint seed, float tau, float eta);

    /// <summary>Returns NULL if parsing of <paramref name="grammar_str"/> fails.</summary>
    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial llama_sampler* llama_sampler_init_grammar(llama_vocab* vocab, string grammar_str, string grammar_root);

    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial llama_sampler* llama_sampler_init_grammar_lazy_patterns(llama_vocab* vocab, string grammar_str, string grammar_root,
        byte** trigger_patterns, nuint num_trigger_patterns, int* trigger_tokens, nuint num_trigger_tokens);

    /// <summary>Note the leading n_vocab parameter of this release.</summary>
    [LibraryImport(LibLlama)]
    public static partial llama_sampler* llama_sampler_init_penalties(int n_vocab, int penalty_last_n, float penalty_repeat, float penalty_freq, float penalty_present);

    [LibraryImport(LibLlama)]
    public static partial llama_sampler* llama_sampler_init_dry(llama_vocab* vocab, float dry_multiplier, float dry_base, int dry_allowed_length,
        int dry_penalty_last_n, byte** seq_breakers, nuint num_breakers);

    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_adaptive_p(float target, float decay, uint seed);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_logit_bias(int n_vocab, int n_logit_bias, llama_logit_bias* logit_bias);
    [LibraryImport(LibLlama)] public static partial llama_sampler* llama_sampler_init_infill(llama_vocab* vocab);

    /// <summary>The seed used by the sampler if applicable, LLAMA_DEFAULT_SEED otherwise.</summary>
    [LibraryImport(LibLlama)] public static partial uint llama_sampler_get_seed(llama_sampler* smpl);
    /// <summary>Samples and accepts a token from the idx-th output of the last evaluation (-1 = last).</summary>
    [LibraryImport(LibLlama)] public static partial int llama_sampler_sample(llama_sampler* smpl, llama_context* ctx, int idx);

    // ---------------------------------------------------------------- split files

    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int llama_split_path(byte* split_path, nuint maxlen, string path_prefix, int split_no, int split_count);
    [LibraryImport(LibLlama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int llama_split_prefix(byte* split_prefix, nuint maxlen, string split_path, int split_no, int split_count);

    // ---------------------------------------------------------------- system info, logging, perf

    [LibraryImport(LibLlama)] public static partial byte* llama_print_system_info();

    /// <summary><c>ggml_log_callback</c> = <c>void (*)(enum ggml_log_level level, const char * text, void * user_data)</c>.
    /// Also sets ggml's logger. NULL restores the default (stderr). Not thread safe.</summary>
    [LibraryImport(LibLlama)] public static partial void llama_log_set(delegate* unmanaged<GgmlLogLevel, byte*, void*, void> log_callback, void* user_data);
    [LibraryImport(LibLlama)] public static partial void llama_log_get(delegate* unmanaged<GgmlLogLevel, byte*, void*, void>* log_callback, void** user_data);

    [LibraryImport(LibLlama)] public static partial llama_perf_context_data llama_perf_context(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial void llama_perf_context_print(llama_context* ctx);
    [LibraryImport(LibLlama)] public static partial void llama_perf_context_reset(llama_context* ctx);
    /// <summary>Only for chains (llama_sampler_chain_init).</summary>
    [LibraryImport(LibLlama)] public static partial llama_perf_sampler_data llama_perf_sampler(llama_sampler* chain);
    [LibraryImport(LibLlama)] public static partial void llama_perf_sampler_print(llama_sampler* chain);
    [LibraryImport(LibLlama)] public static partial void llama_perf_sampler_reset(llama_sampler* chain);
}

using System.Runtime.InteropServices;
using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>
/// Start-up check that the loaded llama.cpp is the v0.5.0 ABI this binding mirrors: every bound symbol is exported,
/// the structs returned by value are the size we declare (checked without trusting our declarations: on x86-64 the
/// call is made with a large guarded return buffer), the version string and the documented defaults read back right.
/// </summary>
internal static unsafe class LlamaAbi
{
    /// <summary>Every function of <see cref="LlamaNative"/> (libllama). A test keeps this list equal to the declarations.</summary>
    internal static readonly string[] LlamaExports =
    [
        "llama_ftype_name", "llama_flash_attn_type_name", "llama_load_mode_name", "llama_load_mode_from_str",
        "llama_version", "llama_model_default_params", "llama_context_default_params",
        "llama_sampler_chain_default_params", "llama_model_quantize_default_params", "llama_backend_init",
        "llama_backend_free", "llama_numa_init", "llama_model_load_from_file", "llama_model_load_from_splits",
        "llama_model_save_to_file", "llama_model_free", "llama_init_from_model", "llama_free", "llama_time_us",
        "llama_max_devices", "llama_max_parallel_sequences", "llama_max_tensor_buft_overrides", "llama_supports_mmap",
        "llama_supports_mlock", "llama_supports_gpu_offload", "llama_supports_rpc", "llama_n_ctx", "llama_n_ctx_seq",
        "llama_n_batch", "llama_n_ubatch", "llama_n_seq_max", "llama_n_rs_seq", "llama_get_model", "llama_get_memory",
        "llama_pooling_type", "llama_model_get_vocab", "llama_model_rope_type", "llama_model_n_ctx_train",
        "llama_model_n_embd", "llama_model_n_embd_inp", "llama_model_n_embd_out", "llama_model_n_layer",
        "llama_model_n_layer_nextn", "llama_model_n_head", "llama_model_n_head_kv", "llama_model_n_swa",
        "llama_model_rope_freq_scale_train", "llama_model_n_cls_out", "llama_model_cls_label", "llama_vocab_type",
        "llama_vocab_n_tokens", "llama_model_meta_val_str", "llama_model_meta_count", "llama_model_meta_key_str",
        "llama_model_meta_key_by_index", "llama_model_meta_val_str_by_index", "llama_model_desc", "llama_model_ftype",
        "llama_model_size", "llama_model_chat_template", "llama_model_n_params", "llama_model_has_encoder",
        "llama_model_has_decoder", "llama_model_decoder_start_token", "llama_model_is_recurrent",
        "llama_model_is_hybrid", "llama_model_is_diffusion", "llama_model_quantize", "llama_adapter_lora_init",
        "llama_adapter_meta_val_str", "llama_adapter_meta_count", "llama_adapter_meta_key_by_index",
        "llama_adapter_meta_val_str_by_index", "llama_adapter_lora_free",
        "llama_adapter_get_alora_n_invocation_tokens", "llama_adapter_get_alora_invocation_tokens",
        "llama_set_adapters_lora", "llama_set_adapter_cvec", "llama_memory_clear", "llama_memory_seq_rm",
        "llama_memory_seq_cp", "llama_memory_seq_keep", "llama_memory_seq_add", "llama_memory_seq_div",
        "llama_memory_seq_pos_min", "llama_memory_seq_pos_max", "llama_memory_can_shift", "llama_state_get_size",
        "llama_state_get_data", "llama_state_set_data", "llama_state_load_file", "llama_state_save_file",
        "llama_state_seq_get_size", "llama_state_seq_get_data", "llama_state_seq_set_data",
        "llama_state_seq_save_file", "llama_state_seq_load_file", "llama_state_seq_get_size_ext",
        "llama_state_seq_get_data_ext", "llama_state_seq_set_data_ext", "llama_batch_get_one", "llama_batch_init",
        "llama_batch_free", "llama_encode", "llama_decode", "llama_set_n_threads", "llama_n_threads",
        "llama_n_threads_batch", "llama_set_embeddings", "llama_set_causal_attn", "llama_set_abort_callback",
        "llama_synchronize", "llama_get_logits", "llama_get_logits_ith", "llama_get_embeddings",
        "llama_get_embeddings_ith", "llama_get_embeddings_seq", "llama_vocab_get_text", "llama_vocab_get_score",
        "llama_vocab_get_attr", "llama_vocab_is_eog", "llama_vocab_is_control", "llama_vocab_bos", "llama_vocab_eos",
        "llama_vocab_eot", "llama_vocab_sep", "llama_vocab_nl", "llama_vocab_pad", "llama_vocab_mask",
        "llama_vocab_get_add_bos", "llama_vocab_get_add_eos", "llama_vocab_get_add_sep",
        "llama_vocab_get_suppress_tokens", "llama_vocab_fim_pre", "llama_vocab_fim_suf", "llama_vocab_fim_mid",
        "llama_vocab_fim_pad", "llama_vocab_fim_rep", "llama_vocab_fim_sep", "llama_tokenize", "llama_token_to_piece",
        "llama_detokenize", "llama_chat_apply_template", "llama_chat_builtin_templates", "llama_sampler_name",
        "llama_sampler_accept", "llama_sampler_apply", "llama_sampler_reset", "llama_sampler_clone",
        "llama_sampler_copy", "llama_sampler_free", "llama_sampler_chain_init", "llama_sampler_chain_add",
        "llama_sampler_chain_get", "llama_sampler_chain_n", "llama_sampler_chain_remove", "llama_sampler_init_greedy",
        "llama_sampler_init_dist", "llama_sampler_init_top_k", "llama_sampler_init_top_p", "llama_sampler_init_min_p",
        "llama_sampler_init_typical", "llama_sampler_init_temp", "llama_sampler_init_temp_ext",
        "llama_sampler_init_xtc", "llama_sampler_init_top_n_sigma", "llama_sampler_init_mirostat",
        "llama_sampler_init_mirostat_v2", "llama_sampler_init_grammar", "llama_sampler_init_grammar_lazy_patterns",
        "llama_sampler_init_penalties", "llama_sampler_init_dry", "llama_sampler_init_adaptive_p",
        "llama_sampler_init_logit_bias", "llama_sampler_init_infill", "llama_sampler_get_seed", "llama_sampler_sample",
        "llama_split_path", "llama_split_prefix", "llama_print_system_info", "llama_log_set", "llama_log_get",
        "llama_perf_context", "llama_perf_context_print", "llama_perf_context_reset", "llama_perf_sampler",
        "llama_perf_sampler_print", "llama_perf_sampler_reset",
    ];

    /// <summary>Functions of <see cref="GgmlNative"/> that live in libggml.</summary>
    internal static readonly string[] GgmlExports =
    [
        "ggml_backend_load_all_from_path", "ggml_backend_load_all", "ggml_backend_load", "ggml_backend_reg_count",
        "ggml_backend_reg_get", "ggml_backend_reg_by_name", "ggml_backend_dev_count", "ggml_backend_dev_get",
        "ggml_backend_dev_by_name", "ggml_backend_dev_by_type",
    ];

    /// <summary>Functions of <see cref="GgmlNative"/> that live in libggml-base.</summary>
    internal static readonly string[] GgmlBaseExports =
    [
        "ggml_backend_dev_name", "ggml_backend_dev_description", "ggml_backend_dev_memory", "ggml_backend_dev_type",
        "ggml_backend_dev_get_props", "ggml_backend_dev_backend_reg", "ggml_backend_dev_buffer_type",
        "ggml_backend_buft_name", "ggml_backend_reg_name",
        "ggml_backend_reg_dev_count", "ggml_backend_reg_dev_get", "ggml_log_set", "ggml_type_name", "ggml_version",
        "ggml_commit",
    ];

    internal static void Check(nint hLlama, nint hGgml, nint hGgmlBase, string llamaPath)
    {
        var missing = new List<string>();
        foreach (var (h, names) in new[] { (hLlama, LlamaExports), (hGgml, GgmlExports), (hGgmlBase, GgmlBaseExports) })
            foreach (string n in names)
                if (!NativeLibrary.TryGetExport(h, n, out _)) missing.Add(n);
        if (missing.Count > 0)
            Fail(llamaPath, $"missing exports: {string.Join(", ", missing.Take(12))}{(missing.Count > 12 ? $" (+{missing.Count - 12} more)" : "")}");

        // Sizes of the structs returned by value, measured before we call through our own declarations
        // (a larger native struct would otherwise overwrite memory).
        CheckReturnedSize(hLlama, "llama_model_default_params", sizeof(llama_model_params), llamaPath);
        CheckReturnedSize(hLlama, "llama_context_default_params", sizeof(llama_context_params), llamaPath);
        CheckReturnedSize(hLlama, "llama_model_quantize_default_params", sizeof(llama_model_quantize_params), llamaPath);
        CheckDefaults(llamaPath);
    }

    /// <summary>The version and the documented defaults, read through our declarations. The single-file build runs
    /// only this part: its link already proved every symbol there, and the sizes are the ones the tests check
    /// against the same source's headers.</summary>
    internal static void CheckDefaults(string llamaPath)
    {
        string version = LlamaRuntime.Utf8(LlamaNative.llama_version()) ?? "";
        if (!(version == "0.5.0" || version.StartsWith("0.5.0-", StringComparison.Ordinal)))
            Fail(llamaPath, $"llama_version() is \"{version}\", expected 0.5.0");

        var mp = LlamaNative.llama_model_default_params();
        Expect(llamaPath, "llama_model_default_params",
            ("devices", (nint)mp.devices, nint.Zero), ("tensor_buft_overrides", (nint)mp.tensor_buft_overrides, nint.Zero),
            ("n_gpu_layers", mp.n_gpu_layers, -1), ("split_mode", mp.split_mode, LlamaSplitMode.Layer),
            ("load_mode", mp.load_mode, LlamaLoadMode.Auto), ("lazy_mode", mp.lazy_mode, LlamaLazyMode.Auto),
            ("main_gpu", mp.main_gpu, 0), ("tensor_split", (nint)mp.tensor_split, nint.Zero), ("progress_callback", (nint)mp.progress_callback, nint.Zero),
            ("progress_callback_user_data", (nint)mp.progress_callback_user_data, nint.Zero), ("kv_overrides", (nint)mp.kv_overrides, nint.Zero),
            ("vocab_only", mp.vocab_only, false), ("check_tensors", mp.check_tensors, false), ("use_extra_bufts", mp.use_extra_bufts, true),
            ("no_host", mp.no_host, false), ("no_alloc", mp.no_alloc, false), ("load_mtp", mp.load_mtp, false));

        var cp = LlamaNative.llama_context_default_params();
        Expect(llamaPath, "llama_context_default_params",
            ("n_ctx", cp.n_ctx, 512u), ("n_batch", cp.n_batch, 2048u), ("n_ubatch", cp.n_ubatch, 512u), ("n_seq_max", cp.n_seq_max, 1u),
            ("n_rs_seq", cp.n_rs_seq, 0u), ("n_outputs_max", cp.n_outputs_max, 0u), ("n_outputs_max_per_seq", cp.n_outputs_max_per_seq, 1u),
            ("ctx_type", cp.ctx_type, LlamaContextType.Default), ("rope_scaling_type", cp.rope_scaling_type, LlamaRopeScalingType.Unspecified),
            ("pooling_type", cp.pooling_type, LlamaPoolingType.Unspecified), ("attention_type", cp.attention_type, LlamaAttentionType.Unspecified),
            ("flash_attn_type", cp.flash_attn_type, LlamaFlashAttnType.Auto), ("rope_freq_base", cp.rope_freq_base, 0f),
            ("yarn_ext_factor", cp.yarn_ext_factor, -1f), ("yarn_orig_ctx", cp.yarn_orig_ctx, 0u), ("cb_eval", (nint)cp.cb_eval, nint.Zero),
            ("type_k", cp.type_k, GgmlType.F16), ("type_v", cp.type_v, GgmlType.F16), ("abort_callback", (nint)cp.abort_callback, nint.Zero),
            ("embeddings", cp.embeddings, false), ("offload_kqv", cp.offload_kqv, true), ("no_perf", cp.no_perf, true),
            ("op_offload", cp.op_offload, true), ("swa_full", cp.swa_full, true), ("kv_unified", cp.kv_unified, false),
            ("samplers", (nint)cp.samplers, nint.Zero), ("n_samplers", cp.n_samplers, (nuint)0), ("ctx_other", (nint)cp.ctx_other, nint.Zero));

        var qp = LlamaNative.llama_model_quantize_default_params();
        Expect(llamaPath, "llama_model_quantize_default_params",
            ("nthread", qp.nthread, 0), ("ftype", qp.ftype, LlamaFtype.MostlyQ8_0), ("output_tensor_type", qp.output_tensor_type, GgmlType.Count),
            ("token_embedding_type", qp.token_embedding_type, GgmlType.Count), ("allow_requantize", qp.allow_requantize, false),
            ("quantize_output_tensor", qp.quantize_output_tensor, true), ("only_copy", qp.only_copy, false), ("pure", qp.pure, false),
            ("keep_split", qp.keep_split, false), ("dry_run", qp.dry_run, false), ("imatrix", (nint)qp.imatrix, nint.Zero),
            ("kv_overrides", (nint)qp.kv_overrides, nint.Zero), ("tt_overrides", (nint)qp.tt_overrides, nint.Zero), ("prune_layers", (nint)qp.prune_layers, nint.Zero));

        var sp = LlamaNative.llama_sampler_chain_default_params();
        Expect(llamaPath, "llama_sampler_chain_default_params", ("no_perf", sp.no_perf, true));
    }

    private static void CheckReturnedSize(nint hLlama, string function, int declared, string llamaPath)
    {
        // SysV x86-64 and Windows x64 both pass the hidden return-buffer pointer as the first argument and return it,
        // so `T f(void)` can be called as `void* f(void* ret)` with a buffer far larger than any plausible T.
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        const int Guard = 1024;
        byte* buf = stackalloc byte[Guard];
        var fn = (delegate* unmanaged<byte*, byte*>)NativeLibrary.GetExport(hLlama, function);
        int written = 0;
        foreach (byte fill in new byte[] { 0xA5, 0x5A })
        {
            new Span<byte>(buf, Guard).Fill(fill);
            fn(buf);
            for (int i = Guard - 1; i >= 0; i--)
                if (buf[i] != fill) { written = Math.Max(written, i + 1); break; }
        }
        if (written > declared || written <= declared - 8)
            Fail(llamaPath, $"{function}() returns a struct of about {written} bytes, the binding declares {declared}");
    }

    private static void Expect(string llamaPath, string function, params (string Field, object Actual, object Expected)[] checks)
    {
        var wrong = checks.Where(c => !Equals(c.Actual, c.Expected)).Select(c => $"{c.Field}={c.Actual} (expected {c.Expected})").ToList();
        if (wrong.Count > 0) Fail(llamaPath, $"{function}() returned unexpected defaults: {string.Join(", ", wrong)}");
    }

    private static void Fail(string llamaPath, string what) =>
        throw new LlamaLibraryException($"loaded llama.cpp does not match the {LlamaRuntime.LlamaCppRelease} ABI: {what} ({llamaPath})");
}

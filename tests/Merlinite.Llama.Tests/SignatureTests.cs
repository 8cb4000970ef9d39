using System.Reflection;
using System.Runtime.InteropServices;
using Merlinite.Llama.Native;

namespace Merlinite.Llama.Tests;

/// <summary>Every [LibraryImport] declaration against its prototype in the headers: return type, parameter count,
/// order and types (canonical spelling), not deprecated; and the start-up export check covers every declaration.</summary>
public sealed class SignatureTests
{
    private static IEnumerable<(MethodInfo Method, LibraryImportAttribute Import)> Imports() =>
        new[] { typeof(LlamaNative), typeof(GgmlNative) }
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (m, m.GetCustomAttribute<LibraryImportAttribute>()))
            .Where(x => x.Item2 is not null)
            .Select(x => (x.m, x.Item2!));

    public static TheoryData<string> FunctionNames()
    {
        var d = new TheoryData<string>();
        foreach (var (m, i) in Imports()) d.Add(i.EntryPoint ?? m.Name);
        return d;
    }

    [Fact]
    public void Binding_declares_the_functions_the_engine_needs()
    {
        Assert.True(Imports().Count() >= 200, $"only {Imports().Count()} functions bound");
        var names = Imports().Select(x => x.Method.Name).ToHashSet();
        string[] required =
        [
            "llama_print_system_info", "llama_version", "llama_backend_init", "llama_backend_free", "ggml_backend_load_all_from_path",
            "ggml_backend_dev_count", "ggml_backend_dev_get", "ggml_backend_dev_name", "ggml_backend_dev_description",
            "ggml_backend_dev_type", "ggml_backend_dev_memory", "llama_log_set", "llama_model_default_params",
            "llama_model_load_from_file", "llama_model_free", "llama_model_get_vocab", "llama_model_n_ctx_train", "llama_model_n_embd",
            "llama_model_n_layer", "llama_model_n_head", "llama_model_n_head_kv", "llama_model_n_params", "llama_model_size",
            "llama_model_desc", "llama_model_meta_val_str", "llama_model_meta_count", "llama_model_meta_key_by_index",
            "llama_model_meta_val_str_by_index", "llama_model_chat_template", "llama_model_has_encoder", "llama_model_is_recurrent",
            "llama_model_rope_type", "llama_context_default_params", "llama_init_from_model", "llama_free", "llama_n_ctx",
            "llama_n_batch", "llama_n_ubatch", "llama_n_seq_max", "llama_get_memory", "llama_set_n_threads", "llama_synchronize",
            "llama_perf_context", "llama_memory_clear", "llama_memory_seq_rm", "llama_memory_seq_cp", "llama_memory_seq_keep",
            "llama_memory_seq_add", "llama_memory_seq_pos_min", "llama_memory_seq_pos_max", "llama_batch_init", "llama_batch_get_one",
            "llama_batch_free", "llama_decode", "llama_encode", "llama_get_logits", "llama_get_logits_ith", "llama_vocab_n_tokens",
            "llama_vocab_get_text", "llama_vocab_get_score", "llama_vocab_get_attr", "llama_vocab_bos", "llama_vocab_eos",
            "llama_vocab_eot", "llama_vocab_nl", "llama_vocab_pad", "llama_vocab_is_eog", "llama_vocab_is_control",
            "llama_vocab_get_add_bos", "llama_vocab_get_add_eos", "llama_tokenize", "llama_token_to_piece", "llama_detokenize",
            "llama_chat_apply_template", "llama_sampler_chain_init", "llama_sampler_chain_add", "llama_sampler_chain_get",
            "llama_sampler_chain_n", "llama_sampler_chain_remove", "llama_sampler_init_greedy", "llama_sampler_init_dist",
            "llama_sampler_init_top_k", "llama_sampler_init_top_p", "llama_sampler_init_min_p", "llama_sampler_init_typical",
            "llama_sampler_init_temp", "llama_sampler_init_temp_ext", "llama_sampler_init_penalties", "llama_sampler_init_logit_bias",
            "llama_sampler_sample", "llama_sampler_accept", "llama_sampler_apply", "llama_sampler_reset", "llama_sampler_free",
            "llama_sampler_get_seed", "llama_adapter_lora_init", "llama_adapter_lora_free", "llama_set_adapters_lora",
            "llama_adapter_meta_val_str", "llama_model_quantize", "llama_model_quantize_default_params", "llama_model_save_to_file",
            "llama_state_seq_get_size", "llama_state_seq_get_data", "llama_state_seq_set_data",
        ];
        var missing = required.Where(r => !names.Contains(r)).ToList();
        Assert.True(missing.Count == 0, "not bound: " + string.Join(", ", missing));
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void Declaration_matches_the_header_prototype(string name)
    {
        var (m, import) = Imports().Single(x => (x.Import.EntryPoint ?? x.Method.Name) == name);
        var proto = HeaderModel.Function(name);
        Assert.True(proto is not null, $"{name} is not declared in the llama.cpp headers");
        Assert.False(proto!.Deprecated, $"{name} is DEPRECATED in the header");

        string ours = Signature(HeaderModel.CanonicalCs(m.ReturnType), m.GetParameters().Select(p => (HeaderModel.CanonicalCs(p.ParameterType), p.Name ?? "")));
        string theirs = Signature(proto.Return, proto.Params);
        Assert.True(ours == theirs, $"{name}:\n  header:  {theirs}\n  binding: {ours}");

        // bool crosses as one byte: the source generator needs MarshalAs(U1) on every bool.
        foreach (var p in m.GetParameters().Where(p => p.ParameterType == typeof(bool)))
            Assert.Equal(UnmanagedType.U1, p.GetCustomAttribute<MarshalAsAttribute>()?.Value);
        if (m.ReturnType == typeof(bool))
            Assert.Equal(UnmanagedType.U1, m.ReturnParameter.GetCustomAttribute<MarshalAsAttribute>()?.Value);
        // const char * returns must never be marshalled as string (the generated code would free llama.cpp's memory)
        Assert.NotEqual(typeof(string), m.ReturnType);
    }

    private static string Signature(string ret, IEnumerable<(string Type, string Name)> ps) =>
        $"{ret} ({string.Join(", ", ps.Select(p => $"{p.Type} {p.Name.TrimStart('@')}"))})";

    [Fact]
    public void Startup_export_check_covers_every_declaration()
    {
        var expected = Imports().GroupBy(x => x.Import.LibraryName)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Import.EntryPoint ?? x.Method.Name).Order().ToArray());
        Assert.Equal(expected[LlamaNative.LibLlama], LlamaAbi.LlamaExports.Order().ToArray());
        Assert.Equal(expected[GgmlNative.LibGgml], LlamaAbi.GgmlExports.Order().ToArray());
        Assert.Equal(expected[GgmlNative.LibGgmlBase], LlamaAbi.GgmlBaseExports.Order().ToArray());
    }
}

using System.Runtime.InteropServices;
using System.Text;
using Merlinite.Llama.Native;

namespace Merlinite.Llama.Tests;

/// <summary>The default parameter structs read through our declarations equal, field by field and byte by byte, what
/// a C program linked against native/lib/libllama.v0.5.0.so gets from the same functions.</summary>
[Collection(NativeCollection.Name)]
public sealed class DefaultParamsTests
{
    private static readonly (string Function, string Struct)[] Functions =
    [
        ("llama_model_default_params", "llama_model_params"),
        ("llama_context_default_params", "llama_context_params"),
        ("llama_model_quantize_default_params", "llama_model_quantize_params"),
        ("llama_sampler_chain_default_params", "llama_sampler_chain_params"),
    ];

    private static readonly Lazy<Dictionary<(string Struct, string Field), string>> CDefaults = new(() =>
    {
        var src = new StringBuilder("#include <stdio.h>\n#include \"llama.h\"\n");
        src.AppendLine("static void dump(const char *s, const char *f, const void *p, size_t n) {");
        src.AppendLine("  printf(\"%s %s \", s, f); for (size_t i = 0; i < n; i++) printf(\"%02x\", ((const unsigned char *)p)[i]); printf(\"\\n\"); }");
        src.AppendLine("int main(void) {");
        foreach (var (fn, st) in Functions)
        {
            string v = "v_" + st;
            src.AppendLine($"  struct {st} {v} = {fn}();");
            foreach (var (_, field) in HeaderModel.StructFields(st)!)
                src.AppendLine($"  dump(\"{st}\", \"{field}\", &{v}.{field}, sizeof({v}.{field}));");
        }
        src.AppendLine("  return 0;\n}");
        return TestEnvironment.CompileAndRun(src.ToString(), link: true, "defaults_probe")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .ToDictionary(p => (p[0], p[1]), p => p[2]);
    });

    private static byte[] Bytes<T>(T value) where T : unmanaged =>
        MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref value, 1)).ToArray();

    public static TheoryData<string> StructNames()
    {
        var d = new TheoryData<string>();
        foreach (var (_, s) in Functions) d.Add(s);
        return d;
    }

    [Theory]
    [MemberData(nameof(StructNames))]
    public void Defaults_read_through_the_binding_equal_the_C_values(string structName)
    {
        LlamaRuntime.EnsureInitialized();
        byte[] ours = structName switch
        {
            "llama_model_params" => Bytes(LlamaNative.llama_model_default_params()),
            "llama_context_params" => Bytes(LlamaNative.llama_context_default_params()),
            "llama_model_quantize_params" => Bytes(LlamaNative.llama_model_quantize_default_params()),
            "llama_sampler_chain_params" => Bytes(LlamaNative.llama_sampler_chain_default_params()),
            _ => throw new ArgumentOutOfRangeException(nameof(structName)),
        };
        Type t = HeaderModel.MirroredStructs.Single(x => x.Name == structName);
        var errors = new List<string>();
        foreach (var f in HeaderModel.Fields(t))
        {
            Assert.True(CDefaults.Value.TryGetValue((structName, f.Name), out string? c), $"{structName}.{f.Name} not printed by the C probe");
            long off = StructLayoutTests.ManagedOffset(t, f), size = StructLayoutTests.FieldSize(f);
            string mine = Convert.ToHexString(ours, (int)off, (int)size).ToLowerInvariant();
            if (mine != c) errors.Add($"{f.Name}: C {c}, binding {mine}");
        }
        Assert.True(errors.Count == 0, $"{structName} defaults differ:\n  " + string.Join("\n  ", errors));
    }

    [Fact]
    public unsafe void Known_defaults_read_back()
    {
        LlamaRuntime.EnsureInitialized();
        var mp = LlamaModel.DefaultParams();
        Assert.Equal(-1, mp.n_gpu_layers);
        Assert.Equal(LlamaSplitMode.Layer, mp.split_mode);
        Assert.Equal(LlamaLoadMode.Auto, mp.load_mode);
        Assert.Equal(LlamaLazyMode.Auto, mp.lazy_mode);
        Assert.True(mp.use_extra_bufts);
        Assert.False(mp.vocab_only);
        Assert.True(mp.devices == null);

        var cp = LlamaContext.DefaultParams();
        Assert.Equal(512u, cp.n_ctx);
        Assert.Equal(2048u, cp.n_batch);
        Assert.Equal(512u, cp.n_ubatch);
        Assert.Equal(1u, cp.n_seq_max);
        Assert.Equal(GgmlType.F16, cp.type_k);
        Assert.Equal(LlamaFlashAttnType.Auto, cp.flash_attn_type);
        Assert.True(cp.offload_kqv);
        Assert.True(cp.no_perf);
        Assert.True(cp.ctx_other == null);

        var qp = LlamaQuantizer.DefaultParams();
        Assert.Equal(LlamaFtype.MostlyQ8_0, qp.ftype);
        Assert.Equal(GgmlType.Count, qp.output_tensor_type);
        Assert.True(qp.quantize_output_tensor);
    }
}

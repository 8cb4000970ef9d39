using Merlinite.Gguf.Lora;

namespace Merlinite.Gguf.Tests;

/// <summary>GGUF LoRA adapters ↔ Hugging Face PEFT folders: names, shapes and llama.cpp's q/k row order, bit for bit.</summary>
public class PeftAdapterTests
{
    private const int Embd = 64, Heads = 4, KvHeads = 2, HeadDim = 16, Ff = 96, Layers = 2, Rank = 4, Experts = 3;

    /// <summary>A header-only llama model: the hyper-parameters are all the conversion reads.</summary>
    private static string Base(TempDirectory dir, bool moe)
    {
        var w = new GgufWriter();
        w.AddString("general.architecture", "llama");
        w.AddUInt32("llama.vocab_size", 100);
        w.AddUInt32("llama.context_length", 128);
        w.AddUInt32("llama.embedding_length", Embd);
        w.AddUInt32("llama.block_count", Layers);
        w.AddUInt32("llama.feed_forward_length", Ff);
        w.AddUInt32("llama.attention.head_count", Heads);
        w.AddUInt32("llama.attention.head_count_kv", KvHeads);
        w.AddFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        if (moe) { w.AddUInt32("llama.expert_count", Experts); w.AddUInt32("llama.expert_used_count", 2); }
        string path = dir.File(moe ? "moe.gguf" : "dense.gguf");
        w.Write(path);
        return path;
    }

    /// <summary>A random adapter on every target, in llama.cpp's layout (ne = [n_in, r] and [r, n_out], experts stacked).</summary>
    private static string Adapter(TempDirectory dir, bool moe)
    {
        var rng = new Random(7);
        float[] Random(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var w = new GgufWriter();
        w.AddString("general.architecture", "llama");
        w.AddString("general.type", "adapter");
        w.AddString("adapter.type", "lora");
        w.AddFloat32("adapter.lora.alpha", 8);
        var shapes = new List<(string Name, long In, long Out)>
        {
            ("attn_q", Embd, Heads * HeadDim), ("attn_k", Embd, KvHeads * HeadDim), ("attn_v", Embd, KvHeads * HeadDim), ("attn_output", Heads * HeadDim, Embd),
        };
        shapes.AddRange(moe ? [("ffn_gate_exps", Embd, Ff), ("ffn_up_exps", Embd, Ff), ("ffn_down_exps", Ff, Embd)] : [("ffn_gate", Embd, Ff), ("ffn_up", Embd, Ff), ("ffn_down", Ff, Embd)]);
        for (int l = 0; l < Layers; l++)
            foreach (var (name, nIn, nOut) in shapes)
            {
                long[] a = name.EndsWith("_exps") ? [nIn, Rank, Experts] : [nIn, Rank], b = name.EndsWith("_exps") ? [Rank, nOut, Experts] : [Rank, nOut];
                w.AddTensor($"blk.{l}.{name}.weight.lora_a", a, GgmlType.F32, Random(a.Aggregate(1L, (x, y) => x * y)));
                w.AddTensor($"blk.{l}.{name}.weight.lora_b", b, GgmlType.F32, Random(b.Aggregate(1L, (x, y) => x * y)));
            }
        string path = dir.File("adapter.gguf");
        w.Write(path);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Export_then_import_gives_back_every_tensor_bit_for_bit_and_export_is_deterministic(bool moe)
    {
        using var dir = new TempDirectory();
        string model = Base(dir, moe), adapter = Adapter(dir, moe);
        PeftAdapter.Export(model, adapter, dir.File("peft"));
        PeftAdapter.Import(model, dir.File("peft"), dir.File("back.gguf"));
        using (var a = GgufFile.Open(adapter))
        using (var b = GgufFile.Open(dir.File("back.gguf")))
        {
            Assert.Equal(a.Tensors.Select(t => t.Name).Order(), b.Tensors.Select(t => t.Name).Order());
            foreach (var t in a.Tensors)
            {
                Assert.Equal(t.Shape, b.GetTensor(t.Name).Shape);
                Assert.Equal(a.ReadTensorBytes(t), b.ReadTensorBytes(t.Name));
            }
            Assert.Equal(8f, b.Metadata.GetFloat32("adapter.lora.alpha"));
        }
        PeftAdapter.Export(model, dir.File("back.gguf"), dir.File("peft2"));
        Assert.Equal(File.ReadAllBytes(dir.File("peft/adapter_model.safetensors")), File.ReadAllBytes(dir.File("peft2/adapter_model.safetensors")));
    }

    [Fact]
    public void Export_names_tensors_as_peft_does_and_writes_its_config()
    {
        using var dir = new TempDirectory();
        PeftAdapter.Export(Base(dir, false), Adapter(dir, false), dir.File("peft"));
        var tensors = Safetensors.Read(dir.File("peft/adapter_model.safetensors")).ToDictionary(t => t.Name);
        Assert.Equal(Layers * 7 * 2, tensors.Count);
        Assert.Equal([Rank, Embd], tensors["base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"].Shape);
        Assert.Equal([Ff, Rank], tensors["base_model.model.model.layers.0.mlp.up_proj.lora_B.weight"].Shape);
        Assert.Equal([Embd, Rank], tensors["base_model.model.model.layers.0.mlp.down_proj.lora_B.weight"].Shape);
        string config = File.ReadAllText(dir.File("peft/adapter_config.json"));
        foreach (var s in new[] { "\"peft_type\": \"LORA\"", "\"r\": 4", "\"lora_alpha\": 8", "\"q_proj\"", "\"down_proj\"" }) Assert.Contains(s, config);
    }

    [Fact]
    public void The_q_and_k_row_order_is_llama_cpps_permutation()
    {
        // llama.cpp's convert_hf_to_gguf: w.reshape(heads, 2, rows/heads/2, cols).swapaxes(1, 2).reshape(rows, cols).
        const int heads = 2, rows = 8, cols = 3;
        var hf = Enumerable.Range(0, rows * cols).Select(i => (float)i).ToArray();
        var expected = new float[rows * cols];
        int half = rows / heads / 2;
        for (int h = 0; h < heads; h++)
            for (int two = 0; two < 2; two++)
                for (int i = 0; i < half; i++)
                    for (int c = 0; c < cols; c++)
                        expected[((h * half + i) * 2 + two) * cols + c] = hf[((h * 2 + two) * half + i) * cols + c];
        Assert.Equal(expected, PeftAdapter.Permute(hf, [rows, cols], heads));
        Assert.Equal(hf, PeftAdapter.Unpermute(expected, [rows, cols], heads));
    }

    [Fact]
    public void A_folder_without_the_peft_files_or_with_foreign_tensors_is_refused_by_name()
    {
        using var dir = new TempDirectory();
        string model = Base(dir, false);
        Directory.CreateDirectory(dir.File("empty"));
        Assert.Contains("adapter_config.json", Assert.Throws<GgufFormatException>(() => PeftAdapter.Import(model, dir.File("empty"), dir.File("x.gguf"))).Message);
        Directory.CreateDirectory(dir.File("odd"));
        File.WriteAllText(dir.File("odd/adapter_config.json"), "{\"peft_type\":\"LORA\",\"r\":4,\"lora_alpha\":8}");
        Safetensors.Write(dir.File("odd/adapter_model.safetensors"), [new SafetensorsTensor("base_model.model.lm_head.lora_A.weight", [4, 64], new float[256])]);
        Assert.Contains("lm_head", Assert.Throws<GgufFormatException>(() => PeftAdapter.Import(model, dir.File("odd"), dir.File("x.gguf"))).Message);
    }

    private const string QA = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", QB = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";

    /// <summary>Imports a PEFT folder of zero tensors with the given torch shapes; returns the error message.</summary>
    private static string ImportFails(TempDirectory dir, bool moe, string config, params (string Name, long[] Shape)[] tensors)
    {
        string model = Base(dir, moe), folder = dir.File("peft-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), config);
        Safetensors.Write(Path.Combine(folder, "adapter_model.safetensors"),
            tensors.Select(t => new SafetensorsTensor(t.Name, t.Shape, new float[t.Shape.Aggregate(1L, (a, b) => a * b)])).ToList());
        var e = Assert.Throws<GgufFormatException>(() => PeftAdapter.Import(model, folder, dir.File("x.gguf")));
        Assert.False(File.Exists(dir.File("x.gguf")));
        return e.Message;
    }

    private const string Config = "{\"peft_type\":\"LORA\",\"r\":4,\"lora_alpha\":8}";

    [Fact]
    public void Import_refuses_each_tensor_that_does_not_fit_the_base_by_name()
    {
        using var dir = new TempDirectory();
        Assert.Contains($"tensor {QA} has no lora_B", ImportFails(dir, false, Config, (QA, [Rank, Embd])));
        Assert.Contains($"tensor {QA} has rank 4, but its lora_B {QB} has rank 8", ImportFails(dir, false, Config, (QA, [Rank, Embd]), (QB, [Heads * HeadDim, 8])));
        Assert.Contains("adapts layer 99, but the base model (2 layers, 64 wide) has layers 0..1",
            ImportFails(dir, false, Config, (QA.Replace("layers.0", "layers.99"), [Rank, Embd]), (QB.Replace("layers.0", "layers.99"), [Heads * HeadDim, Rank])));
        Assert.Contains($"tensor {QA} is [4, 96], but blk.0.attn_q.weight [64, 64] of the base model (2 layers, 64 wide) needs [4, 64]",
            ImportFails(dir, false, Config, (QA, [Rank, 96]), (QB, [96, Rank])));
        // Experts: the stack must have the base's expert count, and every expert one shape.
        string E(int e, string ab) => $"base_model.model.model.layers.0.block_sparse_moe.experts.{e}.w1.lora_{ab}.weight";
        Assert.Contains("experts.0..1.w1.lora_A.weight is [2, 4, 64], but blk.0.ffn_gate_exps.weight [3, 96, 64]",
            ImportFails(dir, true, Config, (E(0, "A"), [Rank, Embd]), (E(0, "B"), [Ff, Rank]), (E(1, "A"), [Rank, Embd]), (E(1, "B"), [Ff, Rank])));
        Assert.Contains($"tensor {E(1, "A")} is [8, 64], but expert 0's is [4, 64]",
            ImportFails(dir, true, Config, (E(0, "A"), [Rank, Embd]), (E(1, "A"), [8, Embd])));
    }

    [Theory]
    [InlineData("{\"peft_type\":\"LORA\",\"lora_alpha\":\"8\"}", "lora_alpha must be a number, got \"8\"")]
    [InlineData("{\"peft_type\":\"LORA\",\"lora_alpha\":[8]}", "lora_alpha must be a number, got [8]")]
    [InlineData("{\"peft_type\":\"LORA\"}", "lora_alpha is missing")]
    [InlineData("{\"peft_type\":7,\"lora_alpha\":8}", "peft_type must be a string, got 7")]
    [InlineData("{\"peft_type\":\"IA3\",\"lora_alpha\":8}", "peft_type is \"IA3\", not \"LORA\"")]
    public void Import_names_the_config_file_and_the_field_of_a_wrong_value(string config, string message)
    {
        using var dir = new TempDirectory();
        string error = ImportFails(dir, false, config, (QA, [Rank, Embd]), (QB, [Heads * HeadDim, Rank]));
        Assert.Matches(@"/adapter_config\.json: ", error);
        Assert.EndsWith(message, error);
    }

    [Fact]
    public void Export_refuses_an_adapter_of_another_width_before_reordering_its_rows()
    {
        using var dir = new TempDirectory();
        string adapter = Adapter(dir, false);
        var w = new GgufWriter();
        w.AddString("general.architecture", "llama");
        foreach (var (key, value) in new[] { ("vocab_size", 100u), ("context_length", 128u), ("embedding_length", 96u), ("block_count", 2u),
                     ("feed_forward_length", 96u), ("attention.head_count", 4u), ("attention.head_count_kv", 2u) })
            w.AddUInt32("llama." + key, value);
        w.AddFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        w.Write(dir.File("wide.gguf"));
        var e = Assert.Throws<GgufFormatException>(() => PeftAdapter.Export(dir.File("wide.gguf"), adapter, dir.File("out")));
        Assert.Equal($"{adapter}: tensor blk.0.attn_q.weight.lora_a is [64, 4], but blk.0.attn_q.weight [96, 96] of the base model (2 layers, 96 wide) needs [96, 4]", e.Message);
        Assert.False(Directory.Exists(dir.File("out")));
    }
}

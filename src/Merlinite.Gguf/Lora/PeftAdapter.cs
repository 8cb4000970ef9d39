using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Merlinite.Gguf.Architecture;

namespace Merlinite.Gguf.Lora;

/// <summary>
/// Moves LoRA adapters between llama.cpp's GGUF layout and Hugging Face PEFT's (a folder with adapter_model.safetensors
/// and adapter_config.json), for Mistral and Mixtral (llama architecture).
/// <para>Names: blk.L.attn_q.weight.lora_a ↔ base_model.model.model.layers.L.self_attn.q_proj.lora_A.weight (k_proj,
/// v_proj, o_proj; mlp.gate_proj/up_proj/down_proj; Mixtral's experts block_sparse_moe.experts.E.w1/w3/w2 for
/// gate/up/down). Shapes need no change: PEFT's lora_A [r, in] and lora_B [out, r] are the GGUF tensors read
/// row-major. Values need one: llama.cpp's converter permutes the rows of q_proj and k_proj (and so of their lora_B) to
/// its rotary layout, pairs (2i, 2i+1) instead of halves, per head; export undoes it, import redoes it, exactly.</para>
/// </summary>
public static class PeftAdapter
{
    public const string ModelFile = "adapter_model.safetensors", ConfigFile = "adapter_config.json";

    private static readonly (string Gguf, string Peft)[] Dense =
    [
        ("attn_q", "self_attn.q_proj"), ("attn_k", "self_attn.k_proj"), ("attn_v", "self_attn.v_proj"), ("attn_output", "self_attn.o_proj"),
        ("ffn_gate", "mlp.gate_proj"), ("ffn_up", "mlp.up_proj"), ("ffn_down", "mlp.down_proj"),
    ];

    private static readonly (string Gguf, string Peft)[] Experts = [("ffn_gate_exps", "w1"), ("ffn_up_exps", "w3"), ("ffn_down_exps", "w2")];

    /// <summary>The two files of a PEFT adapter folder: its config and its weights.</summary>
    public static IReadOnlyList<string> Files(string folder) =>
        [Path.Combine(folder, ConfigFile), Path.Combine(folder, ModelFile)];

    /// <summary>Writes the GGUF adapter <paramref name="adapterPath"/> (for <paramref name="basePath"/>) as a PEFT folder.</summary>
    public static void Export(string basePath, string adapterPath, string folder)
    {
        var hp = HyperParameters(basePath);
        using var adapter = GgufFile.Open(adapterPath);
        CheckAdapter(adapter);
        foreach (var t in adapter.Tensors) ParseGguf(t.Name, adapter.Path);
        // q/k rows are reordered by the base's head counts: an adapter of another model would come out scrambled.
        LoraFit.Check(hp, adapter.Tensors.Select(t => new LoraTensor(t.Name, t.Shape, t.Name)).ToList(), adapter.Path);
        float alpha = adapter.Metadata.TryGetValue("adapter.lora.alpha", out var a) ? a.AsFloat32() : 0;
        var tensors = new List<SafetensorsTensor>();
        int rank = 0;
        var modules = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var t in adapter.Tensors)
        {
            var (layer, weight, part) = ParseGguf(t.Name, adapter.Path);
            var values = adapter.ReadTensorAsFloat32(t);
            long[] shape = t.Shape.Reverse().ToArray();
            if (part == "lora_a") rank = (int)shape[^2];
            if (Dense.FirstOrDefault(d => d.Gguf == weight) is { Gguf: not null } dense)
            {
                if (part == "lora_b" && weight is "attn_q" or "attn_k") values = Unpermute(values, shape, weight == "attn_q" ? hp.HeadCount : hp.HeadCountKv);
                tensors.Add(new SafetensorsTensor($"base_model.model.model.layers.{layer}.{dense.Peft}.lora_{(part == "lora_a" ? "A" : "B")}.weight", shape, values));
                modules.Add(dense.Peft.Split('.')[1]);
            }
            else if (Experts.FirstOrDefault(x => x.Gguf == weight) is { Gguf: not null } expert)
            {
                long perExpert = values.Length / shape[0];
                for (int e = 0; e < shape[0]; e++)
                    tensors.Add(new SafetensorsTensor($"base_model.model.model.layers.{layer}.block_sparse_moe.experts.{e}.{expert.Peft}.lora_{(part == "lora_a" ? "A" : "B")}.weight",
                        shape[1..], values.AsSpan((int)(e * perExpert), (int)perExpert).ToArray()));
                modules.Add(expert.Peft);
            }
            else throw new GgufFormatException($"{adapter.Path}: tensor '{t.Name}' is not a weight PEFT's Mistral/Mixtral layout names");
        }
        Directory.CreateDirectory(folder);
        Safetensors.Write(Path.Combine(folder, ModelFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = rank,
            // llama.cpp reads alpha 0 as "scale 1", which PEFT writes as alpha = r.
            ["lora_alpha"] = alpha == 0 ? rank : alpha,
            ["lora_dropout"] = 0.0,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["target_modules"] = new JsonArray(modules.Select(m => (JsonNode)m).ToArray()),
            ["base_model_name_or_path"] = Path.GetFileName(basePath),
        };
        string configPath = Path.Combine(folder, ConfigFile);
        string json = config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        File.WriteAllText(configPath + ".partial", json);
        File.Move(configPath + ".partial", configPath, overwrite: true);
    }

    /// <summary>Reads a PEFT folder (for <paramref name="basePath"/>) and writes it as a llama.cpp GGUF adapter.</summary>
    public static void Import(string basePath, string folder, string adapterPath)
    {
        var hp = HyperParameters(basePath);
        string configPath = Path.Combine(folder, ConfigFile), modelPath = Path.Combine(folder, ModelFile);
        if (!File.Exists(configPath) || !File.Exists(modelPath))
            throw new GgufFormatException($"{folder}: a PEFT adapter folder holds {ConfigFile} and {ModelFile}");
        var config = PeftConfig.Read(configPath);

        var writer = new GgufWriter();
        writer.AddString("general.architecture", "llama");
        writer.AddString("general.type", "adapter");
        writer.AddString("adapter.type", "lora");
        writer.AddFloat32("adapter.lora.alpha", config.Alpha);
        var tensors = Safetensors.Read(modelPath);
        var dense = new List<(string Name, SafetensorsTensor Tensor)>(); // in PEFT name order, as written
        var experts = new Dictionary<string, SortedDictionary<int, SafetensorsTensor>>(StringComparer.Ordinal);
        foreach (var t in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var (layer, module, expert, part) = ParsePeft(t.Name, modelPath);
            if (expert is int e)
            {
                string key = $"blk.{layer}.{Experts.First(x => x.Peft == module).Gguf}.weight.{part}";
                (experts.TryGetValue(key, out var list) ? list : experts[key] = [])[e] = t;
                continue;
            }
            var weight = Dense.FirstOrDefault(d => d.Peft == module);
            if (weight.Gguf is null)
                throw new GgufFormatException(
                    $"{modelPath}: tensor '{t.Name}' is not a module llama.cpp's Mistral layout has");
            dense.Add(($"blk.{layer}.{weight.Gguf}.weight.{part}", t));
        }
        foreach (var (name, byExpert) in experts)
        {
            if (byExpert.Keys.First() != 0 || byExpert.Keys.Last() != byExpert.Count - 1)
                throw new GgufFormatException($"{modelPath}: the experts of {name} are not numbered 0..{byExpert.Count - 1}");
            if (byExpert.Values.FirstOrDefault(t => !t.Shape.AsSpan().SequenceEqual(byExpert[0].Shape)) is { } odd)
                throw new GgufFormatException($"{modelPath}: tensor {odd.Name} is [{string.Join(", ", odd.Shape)}], " +
                    $"but expert 0's is [{string.Join(", ", byExpert[0].Shape)}]");
        }
        // Every tensor is checked against the base before any values are reordered or written.
        LoraFit.Check(hp, [
            .. dense.Select(d => new LoraTensor(d.Name, d.Tensor.Shape.Reverse().ToArray(), d.Tensor.Name)),
            .. experts.Select(kv => new LoraTensor(kv.Key, [.. kv.Value[0].Shape.Reverse(), kv.Value.Count],
                kv.Value[0].Name.Replace(".experts.0.", $".experts.0..{kv.Value.Count - 1}.", StringComparison.Ordinal))),
        ], modelPath, torchOrder: true);
        foreach (var (name, t) in dense)
        {
            string weight = name.Split('.')[2];
            var values = name.EndsWith(".lora_b", StringComparison.Ordinal) && weight is "attn_q" or "attn_k"
                ? Permute(t.Values, t.Shape, weight == "attn_q" ? hp.HeadCount : hp.HeadCountKv) : t.Values;
            writer.AddTensor(name, t.Shape.Reverse().ToArray(), GgmlType.F32, values);
        }
        foreach (var (name, byExpert) in experts)
            writer.AddTensor(name, [.. byExpert[0].Shape.Reverse(), byExpert.Count], GgmlType.F32,
                byExpert.Values.SelectMany(t => t.Values).ToArray());
        writer.Write(adapterPath);
    }

    /// <summary>GGUF rows (pairs per head) → HF rows (halves per head), for B [n_out, r] of q or k.</summary>
    public static float[] Unpermute(float[] b, long[] shape, int heads) => Reorder(b, shape, heads, toGguf: false);

    /// <summary>HF rows → GGUF rows: what llama.cpp's converter does to q_proj and k_proj.</summary>
    public static float[] Permute(float[] b, long[] shape, int heads) => Reorder(b, shape, heads, toGguf: true);

    private static float[] Reorder(float[] b, long[] shape, int heads, bool toGguf)
    {
        int rows = (int)shape[0], cols = (int)shape[1], headDim = rows / heads, half = headDim / 2;
        var result = new float[b.Length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int p = 0; p < 2; p++)
                {
                    int gguf = h * headDim + 2 * i + p, hf = h * headDim + p * half + i;
                    int from = toGguf ? hf : gguf, to = toGguf ? gguf : hf;
                    Array.Copy(b, (long)from * cols, result, (long)to * cols, cols);
                }
        return result;
    }

    private static LlamaHyperParameters HyperParameters(string basePath)
    {
        using var model = GgufFile.Open(basePath);
        return LlamaHyperParameters.FromGguf(model);
    }

    private static void CheckAdapter(GgufFile adapter)
    {
        if (adapter.Metadata.GetStringOrDefault("general.type") != "adapter" || adapter.Metadata.GetStringOrDefault("adapter.type") != "lora")
            throw new GgufFormatException($"{adapter.Path}: not a LoRA adapter (general.type = adapter and adapter.type = lora expected)");
    }

    private static (int Layer, string Weight, string Part) ParseGguf(string name, string where)
    {
        // blk.L.W.weight.lora_a
        var parts = name.Split('.');
        if (parts.Length != 5 || parts[0] != "blk" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int layer)
            || parts[3] != "weight" || parts[4] is not ("lora_a" or "lora_b"))
            throw new GgufFormatException($"{where}: tensor '{name}' is not named blk.L.WEIGHT.weight.lora_a|lora_b");
        return (layer, parts[2], parts[4]);
    }

    private static (int Layer, string Module, int? Expert, string Part) ParsePeft(string name, string where)
    {
        const string prefix = "base_model.model.model.layers.";
        string Fail() => throw new GgufFormatException($"{where}: tensor '{name}' is not a LoRA weight in PEFT's Mistral/Mixtral layout");
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(".weight", StringComparison.Ordinal)) Fail();
        var parts = name[prefix.Length..^".weight".Length].Split('.');
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int layer)) Fail();
        string part = parts[^1] switch { "lora_A" => "lora_a", "lora_B" => "lora_b", _ => Fail() };
        if (parts.Length == 4) return (layer, $"{parts[1]}.{parts[2]}", null, part);
        if (parts.Length == 6 && parts[1] == "block_sparse_moe" && parts[2] == "experts" && int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out int e))
            return (layer, parts[4], e, part);
        Fail();
        return default;
    }
}

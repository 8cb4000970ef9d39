namespace Merlinite.Gguf.Tests;

/// <summary>Shared sample data.</summary>
internal static class Samples
{
    /// <summary>Deterministic pseudo-random floats in [-scale, scale], with a few exact specials mixed in.</summary>
    public static float[] Floats(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        if (n > 4)
        {
            values[0] = 0f;
            values[1] = -0f;
            values[2] = scale;
            values[3] = -scale;
        }
        return values;
    }

    /// <summary>A writer with one entry of every metadata type (arrays of every element type, nested arrays) and a few tensors.</summary>
    public static GgufWriter SmallModel()
    {
        var w = new GgufWriter();
        w.AddString("general.architecture", "llama");
        w.AddString("general.name", "tiny \"test\" model\nwith newline");
        w.AddUInt32("llama.block_count", 2);
        w.AddFloat32("llama.rope.freq_base", 10000f);
        w.AddBool("tokenizer.ggml.add_bos_token", true);
        w.AddStringArray("tokenizer.ggml.tokens", Enumerable.Range(0, 40).Select(i => i switch { 0 => "<unk>", 1 => "<s>", 2 => "</s>", _ => $"tok{i}" }));
        w.AddFloat32Array("tokenizer.ggml.scores", Enumerable.Range(0, 40).Select(i => -i * 0.5f).ToArray());
        w.AddInt32Array("tokenizer.ggml.token_type", Enumerable.Range(0, 40).Select(i => i < 3 ? 3 : 1).ToArray());
        w.AddTensor("token_embd.weight", [64, 40], GgmlType.F16, Floats(64 * 40, 1));
        w.AddTensor("output_norm.weight", [64], GgmlType.F32, Floats(64, 2));
        w.AddTensor("blk.0.attn_q.weight", [64, 64], GgmlType.Q8_0, Floats(64 * 64, 3));
        w.AddTensor("blk.0.ffn_up.weight", [64, 8, 2], GgmlType.BF16, Floats(64 * 16, 4));
        return w;
    }

    public static byte[] ToBytes(GgufWriter writer)
    {
        var ms = new MemoryStream();
        writer.WriteTo(ms);
        return ms.ToArray();
    }
}

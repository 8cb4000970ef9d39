using System.Text.RegularExpressions;
using Merlinite.Engine.Data;
using Merlinite.Gguf;

namespace Merlinite.Engine.Placement;

/// <summary>One block's weights: the dense part (attention, norms, router or a dense FFN) and the MoE experts apart,
/// because experts are what overflows to the CPU first.</summary>
public readonly record struct BlockBytes(long Dense, long Experts)
{
    public long Total => Dense + Experts;
}

/// <summary>
/// A model's bytes as llama.cpp places them, read from the GGUF's tensor table alone (no weights are read, so a
/// 26 GB Mixtral plans in milliseconds and a shape-only file plans like the real one): the input layer (token
/// embeddings, which llama.cpp always keeps in host memory), one entry per block, and the output layer (final norm and
/// LM head; without an LM head the embeddings are used again, and llama.cpp loads them a second time for it).
/// </summary>
public sealed partial record ModelWeights(
    string Path, ModelDims Dims, long Input, long Output, IReadOnlyList<BlockBytes> Blocks)
{
    public long Total => Input + Output + Blocks.Sum(b => b.Total);
    public long Experts => Blocks.Sum(b => b.Experts);
    public bool HasExperts => Experts > 0;

    /// <summary>Weight bytes one token's forward pass reads: every block's dense part, the experts it routes to
    /// (n_expert_used of n_expert), the LM head; one embedding row (negligible).</summary>
    public double ActiveBytesPerToken(long? experts = null) =>
        Output + Blocks.Sum(b => b.Dense) + (double)(experts ?? Experts) * Dims.ExpertFraction;

    /// <summary>Reads the tensor table of <paramref name="path"/>; a file that is not a GGUF model gets one
    /// line.</summary>
    public static ModelWeights Read(string path)
    {
        try
        {
            using var gguf = GgufFile.Open(path);
            var dims = ModelDims.FromGguf(gguf.Metadata, path);
            var blocks = new (long Dense, long Experts)[dims.Layers];
            long input = 0, output = 0;
            bool head = false;
            foreach (var t in gguf.Tensors)
            {
                var m = BlockTensor().Match(t.Name);
                if (m.Success && int.TryParse(m.Groups[1].ValueSpan, out int layer) && layer < dims.Layers)
                {
                    if (m.Groups[2].Success) blocks[layer].Experts += t.ByteSize;
                    else blocks[layer].Dense += t.ByteSize;
                }
                else if (t.Name.StartsWith("token_embd", StringComparison.Ordinal)) input += t.ByteSize;
                else
                {
                    head |= t.Name == "output.weight";
                    output += t.ByteSize;
                }
            }
            if (!head && gguf.TryGetTensor("token_embd.weight", out var tied)) output += tied.ByteSize;
            var perBlock = blocks.Select(b => new BlockBytes(b.Dense, b.Experts)).ToArray();
            return new ModelWeights(path, dims, input, output, perBlock);
        }
        catch (GgufFormatException e) { throw new InputFormatException(e.Message); }
        catch (IOException e) { throw new InputFormatException($"{path}: cannot be read ({e.Message})"); }
    }

    /// <summary>blk.N.*, with group 2 set for the expert tensors the overrides move
    /// (<see cref="Llama.LlamaTensorPatterns.ExpertLayers"/>: up, down, gate, fused gate_up, chunked).</summary>
    [GeneratedRegex(@"^blk\.(\d+)\.(ffn_(?:up|down|gate_up|gate)_(?:ch)?exps\.)?")]
    private static partial Regex BlockTensor();
}

/// <summary>The dimensions memory depends on, from the GGUF's <c>{arch}.*</c> keys as llama.cpp reads them.</summary>
public sealed record ModelDims(string Architecture, int Layers, int EmbeddingLength, int HeadCount, int HeadCountKv,
    int KeyLength, int ValueLength, int VocabSize, int FeedForwardLength, int ExpertCount, int ExpertUsedCount,
    int TrainedContext)
{
    /// <summary>K and V of one cell in one block: n_head_kv × (key + value length), F32 (the engine's exact default)
    /// or F16 (fast attention). Head sizes as llama.cpp takes them: attention.key_length / value_length where the GGUF
    /// gives them, else n_embd / n_head.</summary>
    public long KvBytesPerBlockCell(bool f16) => (long)HeadCountKv * (KeyLength + ValueLength) * (f16 ? 2 : 4);

    /// <summary>Bytes one token takes in the KV cache of every block.</summary>
    public long KvBytesPerCell(bool f16) => Layers * KvBytesPerBlockCell(f16);

    /// <summary>The share of expert weights one token reads (n_expert_used / n_expert; 0 for a dense model).</summary>
    public double ExpertFraction => ExpertCount > 0 ? (double)ExpertUsedCount / ExpertCount : 0;

    public static ModelDims FromGguf(GgufMetadata meta, string path)
    {
        string arch = meta.GetStringOrDefault("general.architecture")
            ?? throw new InputFormatException($"{path}: no general.architecture (not a GGUF model)");
        int Get(string key, int? fallback = null) =>
            meta.TryGetValue(arch + "." + key, out var v) ? checked((int)v.AsInt64())
            : fallback ?? throw new InputFormatException($"{path}: the {arch} model has no {arch}.{key}");
        int heads = Get("attention.head_count");
        int embd = Get("embedding_length");
        int headK = Get("attention.key_length", heads > 0 ? embd / heads : 0);
        int vocab = meta.TryGetValue("tokenizer.ggml.tokens", out var tokens) ? tokens.ArrayLength
            : Get("vocab_size", 0);
        return new ModelDims(arch, Get("block_count"), embd, heads, Get("attention.head_count_kv", heads), headK,
            Get("attention.value_length", headK), vocab, Get("feed_forward_length", 0), Get("expert_count", 0),
            Get("expert_used_count", 0), Get("context_length", 0));
    }
}

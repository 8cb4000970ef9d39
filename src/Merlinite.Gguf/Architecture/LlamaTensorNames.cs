using System.Globalization;

namespace Merlinite.Gguf.Architecture;

/// <summary>What a tensor of a llama-architecture model is for.</summary>
public enum LlamaTensorRole
{
    /// <summary><c>token_embd.weight</c> [n_embd, n_vocab]: row t is the embedding of token t.</summary>
    TokenEmbedding,
    /// <summary><c>output_norm.weight</c> [n_embd]: RMSNorm gain before the output projection.</summary>
    OutputNorm,
    /// <summary><c>output.weight</c> [n_embd, n_vocab]: the LM head, row t gives the logit of token t.</summary>
    Output,
    /// <summary><c>blk.i.attn_norm.weight</c> [n_embd].</summary>
    AttentionNorm,
    /// <summary><c>blk.i.attn_q.weight</c> [n_embd, n_head*head_dim].</summary>
    AttentionQuery,
    /// <summary><c>blk.i.attn_k.weight</c> [n_embd, n_head_kv*head_dim].</summary>
    AttentionKey,
    /// <summary><c>blk.i.attn_v.weight</c> [n_embd, n_head_kv*head_dim].</summary>
    AttentionValue,
    /// <summary><c>blk.i.attn_output.weight</c> [n_head*head_dim, n_embd].</summary>
    AttentionOutput,
    /// <summary><c>blk.i.ffn_norm.weight</c> [n_embd].</summary>
    FeedForwardNorm,
    /// <summary><c>blk.i.ffn_gate.weight</c> [n_embd, n_ff] (dense only).</summary>
    FeedForwardGate,
    /// <summary><c>blk.i.ffn_up.weight</c> [n_embd, n_ff] (dense only).</summary>
    FeedForwardUp,
    /// <summary><c>blk.i.ffn_down.weight</c> [n_ff, n_embd] (dense only).</summary>
    FeedForwardDown,
    /// <summary><c>blk.i.ffn_gate_inp.weight</c> [n_embd, n_expert]: the MoE router.</summary>
    ExpertRouter,
    /// <summary><c>blk.i.ffn_gate_exps.weight</c> [n_embd, n_ff, n_expert].</summary>
    ExpertGate,
    /// <summary><c>blk.i.ffn_up_exps.weight</c> [n_embd, n_ff, n_expert].</summary>
    ExpertUp,
    /// <summary><c>blk.i.ffn_down_exps.weight</c> [n_ff, n_embd, n_expert].</summary>
    ExpertDown,
}

/// <summary>
/// One tensor a llama-architecture model must contain.
/// <para><see cref="Shape"/> is in ggml order (ne0 first): ne0 is the contiguous row length. For a projection
/// y = W·x, ne0 is the input width and ne1 the output width, so row r holds the weights of output r. The 3-D expert
/// stacks add ne2 = n_expert: expert e's matrix is rows [e·ne1, (e+1)·ne1).</para>
/// </summary>
/// <param name="Name">GGUF tensor name, e.g. <c>blk.0.attn_q.weight</c>.</param>
/// <param name="Role">What the tensor is for.</param>
/// <param name="Layer">Block index, or -1 for the global tensors.</param>
/// <param name="Shape">ggml dimensions, ne0 first.</param>
public sealed record LlamaTensorSpec(string Name, LlamaTensorRole Role, int Layer, long[] Shape)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Row length (ne0).</summary>
    public long RowLength => Shape[0];

    /// <summary>Number of rows: the product of all dimensions after ne0 (1 for a vector).</summary>
    public long RowCount => Shape.Skip(1).Aggregate(1L, (a, b) => a * b);

    /// <summary>True for the 1-D RMSNorm gains.</summary>
    public bool IsNorm => Role is LlamaTensorRole.AttentionNorm or LlamaTensorRole.FeedForwardNorm or LlamaTensorRole.OutputNorm;

    /// <summary>True for the 3-D expert stacks (<c>ffn_*_exps</c>).</summary>
    public bool IsExpertStack => Role is LlamaTensorRole.ExpertGate or LlamaTensorRole.ExpertUp or LlamaTensorRole.ExpertDown;

    /// <summary>Input width of the projection (ne0), for matrices.</summary>
    public long FanIn => Shape[0];

    public bool Equals(LlamaTensorSpec? other) =>
        other is not null && Name == other.Name && Role == other.Role && Layer == other.Layer && Shape.AsSpan().SequenceEqual(other.Shape);

    public override int GetHashCode() => HashCode.Combine(Name, Role, Layer, Shape.Length);

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}

/// <summary>
/// Tensor names of llama.cpp's <c>LLM_ARCH_LLAMA</c> (src/llama-arch.cpp) and the shapes its loader expects
/// (src/models/llama.cpp). Only the weights every Mistral/Mixtral GGUF carries are listed; optional tensors
/// (biases, rope_freqs, fused attn_qkv) are not produced or expected.
/// </summary>
public static class LlamaTensorNames
{
    public const string TokenEmbedding = "token_embd.weight";
    public const string OutputNorm = "output_norm.weight";
    public const string Output = "output.weight";

    public static string AttentionNorm(int layer) => Block(layer, "attn_norm");
    public static string AttentionQuery(int layer) => Block(layer, "attn_q");
    public static string AttentionKey(int layer) => Block(layer, "attn_k");
    public static string AttentionValue(int layer) => Block(layer, "attn_v");
    public static string AttentionOutput(int layer) => Block(layer, "attn_output");
    public static string FeedForwardNorm(int layer) => Block(layer, "ffn_norm");
    public static string FeedForwardGate(int layer) => Block(layer, "ffn_gate");
    public static string FeedForwardUp(int layer) => Block(layer, "ffn_up");
    public static string FeedForwardDown(int layer) => Block(layer, "ffn_down");
    public static string ExpertRouter(int layer) => Block(layer, "ffn_gate_inp");
    public static string ExpertGate(int layer) => Block(layer, "ffn_gate_exps");
    public static string ExpertUp(int layer) => Block(layer, "ffn_up_exps");
    public static string ExpertDown(int layer) => Block(layer, "ffn_down_exps");

    private static string Block(int layer, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        return string.Create(CultureInfo.InvariantCulture, $"blk.{layer}.{name}.weight");
    }

    /// <summary>The name of the tensor with <paramref name="role"/> in block <paramref name="layer"/> (ignored for global tensors).</summary>
    public static string NameOf(LlamaTensorRole role, int layer = -1) => role switch
    {
        LlamaTensorRole.TokenEmbedding => TokenEmbedding,
        LlamaTensorRole.OutputNorm => OutputNorm,
        LlamaTensorRole.Output => Output,
        LlamaTensorRole.AttentionNorm => AttentionNorm(layer),
        LlamaTensorRole.AttentionQuery => AttentionQuery(layer),
        LlamaTensorRole.AttentionKey => AttentionKey(layer),
        LlamaTensorRole.AttentionValue => AttentionValue(layer),
        LlamaTensorRole.AttentionOutput => AttentionOutput(layer),
        LlamaTensorRole.FeedForwardNorm => FeedForwardNorm(layer),
        LlamaTensorRole.FeedForwardGate => FeedForwardGate(layer),
        LlamaTensorRole.FeedForwardUp => FeedForwardUp(layer),
        LlamaTensorRole.FeedForwardDown => FeedForwardDown(layer),
        LlamaTensorRole.ExpertRouter => ExpertRouter(layer),
        LlamaTensorRole.ExpertGate => ExpertGate(layer),
        LlamaTensorRole.ExpertUp => ExpertUp(layer),
        LlamaTensorRole.ExpertDown => ExpertDown(layer),
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>The ggml shape (ne0 first) llama.cpp expects for <paramref name="role"/> under <paramref name="hp"/>.</summary>
    public static long[] ShapeOf(LlamaTensorRole role, LlamaHyperParameters hp)
    {
        long embd = hp.EmbeddingLength, vocab = hp.VocabSize, ff = hp.FeedForwardLength;
        long q = hp.QueryLength, kv = hp.KeyValueLength, experts = hp.ExpertCount;
        return role switch
        {
            LlamaTensorRole.TokenEmbedding => [embd, vocab],
            LlamaTensorRole.OutputNorm => [embd],
            LlamaTensorRole.Output => [embd, vocab],
            LlamaTensorRole.AttentionNorm => [embd],
            LlamaTensorRole.AttentionQuery => [embd, q],
            LlamaTensorRole.AttentionKey => [embd, kv],
            LlamaTensorRole.AttentionValue => [embd, kv],
            LlamaTensorRole.AttentionOutput => [q, embd],
            LlamaTensorRole.FeedForwardNorm => [embd],
            LlamaTensorRole.FeedForwardGate => [embd, ff],
            LlamaTensorRole.FeedForwardUp => [embd, ff],
            LlamaTensorRole.FeedForwardDown => [ff, embd],
            LlamaTensorRole.ExpertRouter => [embd, experts],
            LlamaTensorRole.ExpertGate => [embd, ff, experts],
            LlamaTensorRole.ExpertUp => [embd, ff, experts],
            LlamaTensorRole.ExpertDown => [ff, embd, experts],
            _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
        };
    }

    /// <summary>The roles of one block, in file order: dense FFN or (for MoE) router + expert stacks.</summary>
    public static IReadOnlyList<LlamaTensorRole> BlockRoles(LlamaHyperParameters hp) => hp.IsMixtureOfExperts
        ?
        [
            LlamaTensorRole.AttentionNorm, LlamaTensorRole.AttentionQuery, LlamaTensorRole.AttentionKey,
            LlamaTensorRole.AttentionValue, LlamaTensorRole.AttentionOutput, LlamaTensorRole.FeedForwardNorm,
            LlamaTensorRole.ExpertRouter, LlamaTensorRole.ExpertGate, LlamaTensorRole.ExpertUp, LlamaTensorRole.ExpertDown,
        ]
        :
        [
            LlamaTensorRole.AttentionNorm, LlamaTensorRole.AttentionQuery, LlamaTensorRole.AttentionKey,
            LlamaTensorRole.AttentionValue, LlamaTensorRole.AttentionOutput, LlamaTensorRole.FeedForwardNorm,
            LlamaTensorRole.FeedForwardGate, LlamaTensorRole.FeedForwardUp, LlamaTensorRole.FeedForwardDown,
        ];

    /// <summary>
    /// Every tensor of the model in file order: <c>token_embd</c>, the blocks 0..n_layer-1, <c>output_norm</c>, <c>output</c>.
    /// </summary>
    public static IReadOnlyList<LlamaTensorSpec> Expected(LlamaHyperParameters hp)
    {
        var list = new List<LlamaTensorSpec>
        {
            Spec(LlamaTensorRole.TokenEmbedding, -1, hp),
        };
        var blockRoles = BlockRoles(hp);
        for (int layer = 0; layer < hp.BlockCount; layer++)
            foreach (var role in blockRoles)
                list.Add(Spec(role, layer, hp));
        list.Add(Spec(LlamaTensorRole.OutputNorm, -1, hp));
        list.Add(Spec(LlamaTensorRole.Output, -1, hp));
        return list;
    }

    private static LlamaTensorSpec Spec(LlamaTensorRole role, int layer, LlamaHyperParameters hp) =>
        new(NameOf(role, layer), role, layer, ShapeOf(role, hp));
}

namespace Merlinite.Gguf.Architecture;

/// <summary>
/// Hyperparameters of a llama.cpp <c>general.architecture = "llama"</c> model: Llama, Mistral (dense) and Mixtral
/// (sparse mixture of experts) all use this architecture in GGUF. Names follow the GGUF keys; the llama.cpp names are
/// given in the remarks of each property.
/// <para>The forward pass these describe (llama.cpp <c>llama_model_llama</c>): token embedding; per block
/// x += Wo·Attn(RoPE(Wq·n), RoPE(Wk·n), Wv·n) with n = RMSNorm(x)·attn_norm, then
/// x += FFN(RMSNorm(x)·ffn_norm) where FFN = Wdown·(SiLU(Wgate·h) ⊙ Wup·h) (dense), or for MoE the softmax router
/// <c>ffn_gate_inp</c> picks the top <see cref="ExpertUsedCount"/> experts, whose outputs are summed weighted by their
/// router probabilities renormalized over the chosen experts; finally logits = Woutput·(RMSNorm(x)·output_norm).
/// Attention is causal with grouped-query heads (query head h uses KV head h / (HeadCount / HeadCountKv)), scaled by
/// 1/sqrt(HeadDim); RoPE is llama.cpp's "normal" type: it rotates consecutive pairs (2i, 2i+1) of each head with
/// angle pos·RopeFreqBase^(-2i/HeadDim).</para>
/// </summary>
public sealed partial record LlamaHyperParameters
{
    /// <summary>The value of <c>general.architecture</c> for these models.</summary>
    public const string ArchitectureName = LlamaGgufKeys.ArchitectureName;

    /// <summary>n_vocab: <c>llama.vocab_size</c>, or the length of <c>tokenizer.ggml.tokens</c>.</summary>
    public required int VocabSize { get; init; }

    /// <summary>n_ctx_train: <c>llama.context_length</c>.</summary>
    public required int ContextLength { get; init; }

    /// <summary>n_embd: <c>llama.embedding_length</c>, the width of the residual stream.</summary>
    public required int EmbeddingLength { get; init; }

    /// <summary>n_layer: <c>llama.block_count</c>.</summary>
    public required int BlockCount { get; init; }

    /// <summary>n_head: <c>llama.attention.head_count</c>, the number of query heads.</summary>
    public required int HeadCount { get; init; }

    /// <summary>n_head_kv: <c>llama.attention.head_count_kv</c> (defaults to <see cref="HeadCount"/> in llama.cpp).</summary>
    public required int HeadCountKv { get; init; }

    /// <summary>
    /// head_dim (n_embd_head_k = n_embd_head_v = n_rot): <c>llama.attention.key_length</c> /
    /// <c>llama.rope.dimension_count</c>; llama.cpp defaults it to n_embd / n_head.
    /// </summary>
    public required int HeadDim { get; init; }

    /// <summary>n_ff: <c>llama.feed_forward_length</c>; for MoE models the hidden width of each expert.</summary>
    public required int FeedForwardLength { get; init; }

    /// <summary>f_norm_rms_eps: <c>llama.attention.layer_norm_rms_epsilon</c>.</summary>
    public required float RmsNormEpsilon { get; init; }

    /// <summary>rope freq_base (theta): <c>llama.rope.freq_base</c> (llama.cpp default 10000).</summary>
    public required float RopeFreqBase { get; init; }

    /// <summary>n_expert: <c>llama.expert_count</c>; 0 for a dense model.</summary>
    public int ExpertCount { get; init; }

    /// <summary>n_expert_used: <c>llama.expert_used_count</c>, experts per token (top-k); 0 for a dense model.</summary>
    public int ExpertUsedCount { get; init; }

    /// <summary>True for a sparse mixture-of-experts model (Mixtral).</summary>
    public bool IsMixtureOfExperts => ExpertCount > 0;

    /// <summary>Width of all query heads together: n_head * head_dim.</summary>
    public int QueryLength => HeadCount * HeadDim;

    /// <summary>Width of all key (or value) heads together: n_embd_k_gqa = n_head_kv * head_dim.</summary>
    public int KeyValueLength => HeadCountKv * HeadDim;

    /// <summary>Query heads per KV head (grouped-query attention).</summary>
    public int GroupSize => HeadCount / HeadCountKv;

    /// <summary>Throws <see cref="ArgumentException"/> unless llama.cpp would accept these values.</summary>
    public void Validate()
    {
        void Positive(int v, string name)
        {
            if (v <= 0) throw new ArgumentException($"{name} must be positive (got {v})");
        }
        Positive(VocabSize, "n_vocab");
        Positive(ContextLength, "n_ctx");
        Positive(EmbeddingLength, "n_embd");
        Positive(BlockCount, "n_layer");
        Positive(HeadCount, "n_head");
        Positive(HeadCountKv, "n_head_kv");
        Positive(HeadDim, "head_dim");
        Positive(FeedForwardLength, "n_ff");
        if (BlockCount > 512) throw new ArgumentException($"n_layer must be at most 512 (LLAMA_MAX_LAYERS), got {BlockCount}");
        if (HeadCount % HeadCountKv != 0)
            throw new ArgumentException($"n_head ({HeadCount}) must be a multiple of n_head_kv ({HeadCountKv})");
        if (HeadDim % 2 != 0) throw new ArgumentException($"head_dim ({HeadDim}) must be even (RoPE rotates pairs)");
        if (!(RmsNormEpsilon > 0) || !float.IsFinite(RmsNormEpsilon))
            throw new ArgumentException($"rms epsilon must be a positive finite number (got {RmsNormEpsilon})");
        if (!(RopeFreqBase > 0) || !float.IsFinite(RopeFreqBase))
            throw new ArgumentException($"rope theta must be a positive finite number (got {RopeFreqBase})");
        if (ExpertCount < 0 || ExpertUsedCount < 0) throw new ArgumentException("expert counts must not be negative");
        if (ExpertCount == 0 && ExpertUsedCount != 0)
            throw new ArgumentException($"n_expert_used ({ExpertUsedCount}) requires n_expert > 0");
        if (ExpertCount > 0 && (ExpertUsedCount < 1 || ExpertUsedCount > ExpertCount))
            throw new ArgumentException($"n_expert_used must be between 1 and n_expert ({ExpertCount}), got {ExpertUsedCount}");
        if (ExpertCount > 1024) throw new ArgumentException($"n_expert must be at most 1024 (LLAMA_MAX_EXPERTS), got {ExpertCount}");
    }

    /// <summary>
    /// Number of weights (all tensors of <see cref="LlamaTensorNames.Expected"/>, untied output included).
    /// </summary>
    public long ParameterCount => LlamaTensorNames.Expected(this).Sum(t => t.ElementCount);

    /// <summary>Weights used per token: as <see cref="ParameterCount"/>, counting only <see cref="ExpertUsedCount"/> experts.</summary>
    public long ActiveParameterCount => LlamaTensorNames.Expected(this)
        .Sum(t => t.IsExpertStack ? t.ElementCount / ExpertCount * ExpertUsedCount : t.ElementCount);
}

/// <summary>GGUF metadata keys of the llama architecture (gguf-py <c>Keys</c> with arch = "llama").</summary>
public static class LlamaGgufKeys
{
    /// <summary>The value of <c>general.architecture</c> for llama/Mistral/Mixtral models.</summary>
    public const string ArchitectureName = "llama";

    public const string Architecture = "general.architecture";
    public const string VocabSize = "llama.vocab_size";
    public const string ContextLength = "llama.context_length";
    public const string EmbeddingLength = "llama.embedding_length";
    public const string BlockCount = "llama.block_count";
    public const string FeedForwardLength = "llama.feed_forward_length";
    public const string HeadCount = "llama.attention.head_count";
    public const string HeadCountKv = "llama.attention.head_count_kv";
    public const string KeyLength = "llama.attention.key_length";
    public const string ValueLength = "llama.attention.value_length";
    public const string RmsEpsilon = "llama.attention.layer_norm_rms_epsilon";
    public const string RopeFreqBase = "llama.rope.freq_base";
    public const string RopeDimensionCount = "llama.rope.dimension_count";
    public const string ExpertCount = "llama.expert_count";
    public const string ExpertUsedCount = "llama.expert_used_count";
    public const string TokenizerTokens = "tokenizer.ggml.tokens";
}

namespace Merlinite.Gguf.Architecture;

public sealed partial record LlamaHyperParameters
{
    /// <summary>
    /// Reads the hyperparameters of a llama-architecture file the way llama.cpp does: required
    /// <c>llama.context_length</c>, <c>embedding_length</c>, <c>block_count</c>, <c>feed_forward_length</c>,
    /// <c>attention.head_count</c>, <c>attention.layer_norm_rms_epsilon</c>; optional <c>attention.head_count_kv</c>
    /// (default n_head), <c>attention.key_length</c> (default n_embd / n_head), <c>rope.freq_base</c> (default 10000),
    /// <c>expert_count</c>/<c>expert_used_count</c> (default 0), <c>vocab_size</c> (default: the length of
    /// <c>tokenizer.ggml.tokens</c>).
    /// Throws <see cref="GgufFormatException"/> naming the file and key when the architecture is not "llama", a required
    /// key is missing, a value has the wrong type, or the values are inconsistent (e.g. rope.dimension_count ≠ head_dim).
    /// Per-layer array values (used by some other architectures) are not supported.
    /// </summary>
    public static LlamaHyperParameters FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var md = file.Metadata;
        string Where(string key) => $"{file.Path}: {key}";

        if (!md.TryGetValue(LlamaGgufKeys.Architecture, out var archValue))
            throw new GgufFormatException($"{Where(LlamaGgufKeys.Architecture)} is missing: not a model file?", file.Path, null);
        string arch = archValue.AsString();
        if (arch != LlamaGgufKeys.ArchitectureName)
            throw new GgufFormatException(
                $"{file.Path}: general.architecture is '{arch}', expected 'llama' (Llama/Mistral/Mixtral models)", file.Path, null);

        int Required(string key)
        {
            if (!md.TryGetValue(key, out var v))
                throw new GgufFormatException($"{Where(key)}: required key is missing", file.Path, null);
            return ToInt(key, v);
        }
        int? Optional(string key) => md.TryGetValue(key, out var v) ? ToInt(key, v) : null;
        int ToInt(string key, GgufValue v)
        {
            if (v.IsArray)
                throw new GgufFormatException($"{Where(key)}: per-layer arrays are not supported here (got {v.TypeName})", file.Path, null);
            uint u;
            try { u = v.AsUInt32(); }
            catch (GgufFormatException e) { throw new GgufFormatException($"{Where(key)}: {e.Message}", file.Path, null, e); }
            if (u > int.MaxValue) throw new GgufFormatException($"{Where(key)}: value {u} is too large", file.Path, null);
            return (int)u;
        }
        float? OptionalFloat(string key)
        {
            if (!md.TryGetValue(key, out var v)) return null;
            try { return v.AsFloat32(); }
            catch (GgufFormatException e) { throw new GgufFormatException($"{Where(key)}: {e.Message}", file.Path, null, e); }
        }

        int embd = Required(LlamaGgufKeys.EmbeddingLength);
        int heads = Required(LlamaGgufKeys.HeadCount);
        if (heads == 0) throw new GgufFormatException($"{Where(LlamaGgufKeys.HeadCount)}: must be positive", file.Path, null);
        int headDim = Optional(LlamaGgufKeys.KeyLength) ?? embd / heads;
        int? valueLength = Optional(LlamaGgufKeys.ValueLength);
        if (valueLength is int vl && vl != headDim)
            throw new GgufFormatException($"{Where(LlamaGgufKeys.ValueLength)}: {vl} differs from the key length {headDim}", file.Path, null);
        int? rot = Optional(LlamaGgufKeys.RopeDimensionCount);
        if (rot is int r && r != headDim)
            throw new GgufFormatException($"{Where(LlamaGgufKeys.RopeDimensionCount)}: {r} differs from head_dim {headDim} (llama.cpp rejects this as invalid n_rot)", file.Path, null);
        float eps = OptionalFloat(LlamaGgufKeys.RmsEpsilon)
            ?? throw new GgufFormatException($"{Where(LlamaGgufKeys.RmsEpsilon)}: required key is missing", file.Path, null);

        int vocab;
        if (Optional(LlamaGgufKeys.VocabSize) is int v) vocab = v;
        else if (md.TryGetValue(LlamaGgufKeys.TokenizerTokens, out var tokens) && tokens.IsArray) vocab = tokens.ArrayLength;
        else throw new GgufFormatException($"{file.Path}: neither {LlamaGgufKeys.VocabSize} nor {LlamaGgufKeys.TokenizerTokens} gives the vocabulary size", file.Path, null);

        var hp = new LlamaHyperParameters
        {
            VocabSize = vocab,
            ContextLength = Required(LlamaGgufKeys.ContextLength),
            EmbeddingLength = embd,
            BlockCount = Required(LlamaGgufKeys.BlockCount),
            HeadCount = heads,
            HeadCountKv = Optional(LlamaGgufKeys.HeadCountKv) ?? heads,
            HeadDim = headDim,
            FeedForwardLength = Required(LlamaGgufKeys.FeedForwardLength),
            RmsNormEpsilon = eps,
            RopeFreqBase = OptionalFloat(LlamaGgufKeys.RopeFreqBase) ?? 10000f,
            ExpertCount = Optional(LlamaGgufKeys.ExpertCount) ?? 0,
            ExpertUsedCount = Optional(LlamaGgufKeys.ExpertUsedCount) ?? 0,
        };
        try
        {
            hp.Validate();
        }
        catch (ArgumentException e)
        {
            throw new GgufFormatException($"{file.Path}: invalid llama hyperparameters: {e.Message}", file.Path, null, e);
        }
        return hp;
    }

    /// <summary>
    /// Writes the <c>llama.*</c> hyperparameter keys (not <c>general.architecture</c>): context/embedding/feed-forward
    /// lengths, block count, head counts, key/value length and rope dimension count (= head_dim), RMS epsilon, rope
    /// freq_base, vocab size, and for MoE models the expert counts.
    /// </summary>
    public void WriteTo(GgufWriter writer)
    {
        Validate();
        writer.AddUInt32(LlamaGgufKeys.VocabSize, (uint)VocabSize);
        writer.AddUInt32(LlamaGgufKeys.ContextLength, (uint)ContextLength);
        writer.AddUInt32(LlamaGgufKeys.EmbeddingLength, (uint)EmbeddingLength);
        writer.AddUInt32(LlamaGgufKeys.BlockCount, (uint)BlockCount);
        writer.AddUInt32(LlamaGgufKeys.FeedForwardLength, (uint)FeedForwardLength);
        writer.AddUInt32(LlamaGgufKeys.HeadCount, (uint)HeadCount);
        writer.AddUInt32(LlamaGgufKeys.HeadCountKv, (uint)HeadCountKv);
        writer.AddUInt32(LlamaGgufKeys.KeyLength, (uint)HeadDim);
        writer.AddUInt32(LlamaGgufKeys.ValueLength, (uint)HeadDim);
        writer.AddUInt32(LlamaGgufKeys.RopeDimensionCount, (uint)HeadDim);
        writer.AddFloat32(LlamaGgufKeys.RopeFreqBase, RopeFreqBase);
        writer.AddFloat32(LlamaGgufKeys.RmsEpsilon, RmsNormEpsilon);
        if (IsMixtureOfExperts)
        {
            writer.AddUInt32(LlamaGgufKeys.ExpertCount, (uint)ExpertCount);
            writer.AddUInt32(LlamaGgufKeys.ExpertUsedCount, (uint)ExpertUsedCount);
        }
    }
}

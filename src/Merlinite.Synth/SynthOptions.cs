using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;

namespace Merlinite.Synth;

/// <summary>Model family. Both are written as llama.cpp <c>general.architecture = "llama"</c>, as llama.cpp's converter does.</summary>
public enum SynthArch
{
    /// <summary>Dense (Mistral-7B-v0.1 style: grouped-query attention, SwiGLU FFN).</summary>
    Mistral,
    /// <summary>Sparse mixture of experts (Mixtral style: router + 3-D expert stacks, top-k of n_expert).</summary>
    Mixtral,
}

/// <summary>Size preset. Dimensions per preset and arch: <see cref="SynthPresets"/>.</summary>
public enum SynthPreset
{
    /// <summary>A few hundred thousand parameters: unit and integration tests.</summary>
    Tiny,
    /// <summary>About 55–60M parameters: CPU benchmarks.</summary>
    Small,
    /// <summary>The real Mistral-7B-v0.1 shapes (dense).</summary>
    Mistral7B,
    /// <summary>The real Mixtral-8x7B shapes (MoE).</summary>
    Mixtral8x7B,
}

/// <summary>Per-run overrides of the preset's dimensions (null: keep the preset's value).</summary>
public sealed record SynthDimensions
{
    public int? VocabSize { get; init; }
    public int? EmbeddingLength { get; init; }
    public int? BlockCount { get; init; }
    public int? HeadCount { get; init; }
    public int? HeadCountKv { get; init; }
    /// <summary>Per-head width; default n_embd / n_head.</summary>
    public int? HeadDim { get; init; }
    public int? FeedForwardLength { get; init; }
    public int? ContextLength { get; init; }
    public int? ExpertCount { get; init; }
    public int? ExpertUsedCount { get; init; }
    public float? RopeFreqBase { get; init; }
    public float? RmsNormEpsilon { get; init; }

    public static SynthDimensions None { get; } = new();
}

/// <summary>Progress of <see cref="ModelSynthesizer.Synthesize"/>, reported after each written chunk of a tensor.</summary>
/// <param name="TensorName">The tensor being written.</param>
/// <param name="TensorIndex">Its index in file order (0-based).</param>
/// <param name="TensorCount">Number of tensors.</param>
/// <param name="ElementsDone">Elements of all tensors generated so far.</param>
/// <param name="ElementsTotal">Elements of all tensors.</param>
public readonly record struct SynthProgress(string TensorName, int TensorIndex, int TensorCount, long ElementsDone, long ElementsTotal)
{
    public double Fraction => ElementsTotal == 0 ? 1.0 : (double)ElementsDone / ElementsTotal;
}

/// <summary>What <see cref="ModelSynthesizer.Synthesize"/> builds.</summary>
public sealed record SynthOptions
{
    /// <summary>The family; null: the preset's (Mistral for Tiny/Small/Mistral7B, Mixtral for Mixtral8x7B).</summary>
    public SynthArch? Arch { get; init; }

    public SynthPreset Preset { get; init; } = SynthPreset.Tiny;

    public SynthDimensions Dimensions { get; init; } = SynthDimensions.None;

    /// <summary>Weight seed. The same options give a byte-identical file. The vocabulary does not depend on it.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Storage type of the 2-D/3-D weights: F32, F16, BF16 or Q8_0; null: F32 for Tiny/Small, F16 for the 7B presets.
    /// Norm gains and the MoE router are always F32 (as llama.cpp's converter writes them).
    /// </summary>
    public GgmlType? StoredType { get; init; }

    /// <summary><c>general.name</c>; null: derived from preset and arch, e.g. "merlinite-synth-tiny-mistral".</summary>
    public string? Name { get; init; }

    /// <summary>Called on the writing thread after each chunk; keep it cheap.</summary>
    public Action<SynthProgress>? Progress { get; init; }

    /// <summary>The arch actually used (explicit, or the preset's).</summary>
    public SynthArch ResolveArch()
    {
        var presetArch = Preset == SynthPreset.Mixtral8x7B ? SynthArch.Mixtral : SynthArch.Mistral;
        if (Arch is not SynthArch arch) return presetArch;
        if (Preset == SynthPreset.Mistral7B && arch != SynthArch.Mistral)
            throw new ArgumentException("preset mistral-7b is dense: use arch mistral (or mixtral-8x7b for the MoE shapes)");
        if (Preset == SynthPreset.Mixtral8x7B && arch != SynthArch.Mixtral)
            throw new ArgumentException("preset mixtral-8x7b is a mixture of experts: use arch mixtral (or mistral-7b for the dense shapes)");
        return arch;
    }

    /// <summary>The storage type actually used (explicit, or the preset's default), validated.</summary>
    public GgmlType ResolveStoredType()
    {
        var type = StoredType ?? (Preset is SynthPreset.Mistral7B or SynthPreset.Mixtral8x7B ? GgmlType.F16 : GgmlType.F32);
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0))
            throw new ArgumentException($"stored type {type} is not supported for synthesis: use F32, F16, BF16 or Q8_0");
        return type;
    }

    /// <summary>The preset's dimensions with <see cref="Dimensions"/> applied, validated.</summary>
    public LlamaHyperParameters ResolveHyperParameters()
    {
        var arch = ResolveArch();
        var p = SynthPresets.Get(Preset, arch);
        var d = Dimensions;
        if (arch == SynthArch.Mistral && (d.ExpertCount is > 0 || d.ExpertUsedCount is > 0))
            throw new ArgumentException("n_expert/n_expert_used apply to arch mixtral only");
        if (arch == SynthArch.Mixtral && d.ExpertCount is <= 0)
            throw new ArgumentException("arch mixtral needs n_expert > 0 (use arch mistral for a dense model)");

        int embd = d.EmbeddingLength ?? p.EmbeddingLength;
        int heads = d.HeadCount ?? p.HeadCount;
        int headDim;
        if (d.HeadDim is int hd) headDim = hd;
        else if (d.EmbeddingLength is null && d.HeadCount is null) headDim = p.HeadDim;
        else
        {
            if (heads <= 0 || embd % heads != 0)
                throw new ArgumentException($"n_embd ({embd}) must be a multiple of n_head ({heads}) unless head_dim is given");
            headDim = embd / heads;
        }

        var hp = p with
        {
            VocabSize = d.VocabSize ?? p.VocabSize,
            ContextLength = d.ContextLength ?? p.ContextLength,
            EmbeddingLength = embd,
            BlockCount = d.BlockCount ?? p.BlockCount,
            HeadCount = heads,
            HeadCountKv = d.HeadCountKv ?? p.HeadCountKv,
            HeadDim = headDim,
            FeedForwardLength = d.FeedForwardLength ?? p.FeedForwardLength,
            RmsNormEpsilon = d.RmsNormEpsilon ?? p.RmsNormEpsilon,
            RopeFreqBase = d.RopeFreqBase ?? p.RopeFreqBase,
            ExpertCount = d.ExpertCount ?? p.ExpertCount,
            ExpertUsedCount = d.ExpertUsedCount ?? p.ExpertUsedCount,
        };
        hp.Validate();
        if (hp.VocabSize < SentencePieceVocabulary.BaseSize)
            throw new ArgumentException($"n_vocab must be at least {SentencePieceVocabulary.BaseSize} (the base vocabulary), got {hp.VocabSize}");

        if (ResolveStoredType() == GgmlType.Q8_0)
        {
            foreach (var (name, value) in new[] { ("n_embd", hp.EmbeddingLength), ("n_ff", hp.FeedForwardLength), ("n_head*head_dim", hp.QueryLength) })
                if (value % 32 != 0)
                    throw new ArgumentException($"Q8_0 stores rows in blocks of 32: {name} ({value}) must be a multiple of 32");
        }
        return hp;
    }

    /// <summary>The <c>general.name</c> written.</summary>
    public string ResolveName() => Name ?? $"merlinite-synth-{SynthParsing.FormatPreset(Preset)}-{SynthParsing.FormatArch(ResolveArch())}";
}

/// <summary>The preset dimensions.</summary>
public static class SynthPresets
{
    /// <summary>The hyperparameters of <paramref name="preset"/> for <paramref name="arch"/> (not yet overridden).</summary>
    public static LlamaHyperParameters Get(SynthPreset preset, SynthArch arch)
    {
        bool moe = arch == SynthArch.Mixtral;
        return preset switch
        {
            SynthPreset.Tiny => new LlamaHyperParameters
            {
                VocabSize = SentencePieceVocabulary.BaseSize,
                ContextLength = 1024,
                EmbeddingLength = 64,
                BlockCount = 2,
                HeadCount = 4,
                HeadCountKv = 2,
                HeadDim = 16,
                FeedForwardLength = moe ? 128 : 192,
                RmsNormEpsilon = 1e-5f,
                RopeFreqBase = moe ? 1_000_000f : 10_000f,
                ExpertCount = moe ? 8 : 0,
                ExpertUsedCount = moe ? 2 : 0,
            },
            SynthPreset.Small => new LlamaHyperParameters
            {
                VocabSize = 4096,
                ContextLength = 2048,
                EmbeddingLength = 512,
                BlockCount = moe ? 8 : 16,
                HeadCount = 8,
                HeadCountKv = 4,
                HeadDim = 64,
                FeedForwardLength = moe ? 512 : 1536,
                RmsNormEpsilon = 1e-5f,
                RopeFreqBase = moe ? 1_000_000f : 10_000f,
                ExpertCount = moe ? 8 : 0,
                ExpertUsedCount = moe ? 2 : 0,
            },
            SynthPreset.Mistral7B or SynthPreset.Mixtral8x7B => new LlamaHyperParameters
            {
                VocabSize = 32000,
                ContextLength = 32768,
                EmbeddingLength = 4096,
                BlockCount = 32,
                HeadCount = 32,
                HeadCountKv = 8,
                HeadDim = 128,
                FeedForwardLength = 14336,
                RmsNormEpsilon = 1e-5f,
                RopeFreqBase = moe ? 1_000_000f : 10_000f,
                ExpertCount = moe ? 8 : 0,
                ExpertUsedCount = moe ? 2 : 0,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, null),
        };
    }
}

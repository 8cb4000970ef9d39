namespace Merlinite.Llama.Native;

// Enums of llama.h / ggml*.h (llama.cpp release v0.5.0), values as in the header. C enums are int-sized.
// Member names are the header's enumerator names without their prefix, in PascalCase
// (LLAMA_FTYPE_MOSTLY_Q4_K_M -> LlamaFtype.MostlyQ4_K_M); the layout tests check every value against the header.

/// <summary><c>enum llama_vocab_type</c></summary>
public enum LlamaVocabType
{
    None = 0, Spm = 1, Bpe = 2, Wpm = 3, Ugm = 4, Rwkv = 5, Plamo2 = 6, Test = 7,
}

/// <summary><c>enum llama_rope_type</c></summary>
public enum LlamaRopeType
{
    None = -1, Norm = 0, Neox = 2, Mrope = 8, Imrope = 40, Vision = 24,
}

/// <summary><c>enum llama_token_type</c> (legacy; prefer <see cref="LlamaTokenAttr"/>).</summary>
public enum LlamaTokenType
{
    Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6,
}

/// <summary><c>enum llama_token_attr</c> (flags).</summary>
[Flags]
public enum LlamaTokenAttr
{
    Undefined = 0,
    Unknown = 1 << 0,
    Unused = 1 << 1,
    Normal = 1 << 2,
    Control = 1 << 3,
    UserDefined = 1 << 4,
    Byte = 1 << 5,
    Normalized = 1 << 6,
    Lstrip = 1 << 7,
    Rstrip = 1 << 8,
    SingleWord = 1 << 9,
}

/// <summary><c>enum llama_ftype</c>: model file types (quantization).</summary>
public enum LlamaFtype
{
    AllF32 = 0,
    MostlyF16 = 1,
    MostlyQ4_0 = 2,
    MostlyQ4_1 = 3,
    MostlyQ8_0 = 7,
    MostlyQ5_0 = 8,
    MostlyQ5_1 = 9,
    MostlyQ2_K = 10,
    MostlyQ3_K_S = 11,
    MostlyQ3_K_M = 12,
    MostlyQ3_K_L = 13,
    MostlyQ4_K_S = 14,
    MostlyQ4_K_M = 15,
    MostlyQ5_K_S = 16,
    MostlyQ5_K_M = 17,
    MostlyQ6_K = 18,
    MostlyIQ2_XXS = 19,
    MostlyIQ2_XS = 20,
    MostlyQ2_K_S = 21,
    MostlyIQ3_XS = 22,
    MostlyIQ3_XXS = 23,
    MostlyIQ1_S = 24,
    MostlyIQ4_NL = 25,
    MostlyIQ3_S = 26,
    MostlyIQ3_M = 27,
    MostlyIQ2_S = 28,
    MostlyIQ2_M = 29,
    MostlyIQ4_XS = 30,
    MostlyIQ1_M = 31,
    MostlyBF16 = 32,
    MostlyTQ1_0 = 36,
    MostlyTQ2_0 = 37,
    MostlyMXFP4_MOE = 38,
    MostlyNVFP4 = 39,
    MostlyQ1_0 = 40,
    MostlyQ2_0 = 41,
    Guessed = 1024,
}

/// <summary><c>enum llama_rope_scaling_type</c></summary>
public enum LlamaRopeScalingType
{
    Unspecified = -1, None = 0, Linear = 1, Yarn = 2, Longrope = 3, MaxValue = Longrope,
}

/// <summary><c>enum llama_pooling_type</c></summary>
public enum LlamaPoolingType
{
    Unspecified = -1, None = 0, Mean = 1, Cls = 2, Last = 3, Rank = 4,
}

/// <summary><c>enum llama_attention_type</c></summary>
public enum LlamaAttentionType
{
    Unspecified = -1, Causal = 0, NonCausal = 1,
}

/// <summary><c>enum llama_flash_attn_type</c></summary>
public enum LlamaFlashAttnType
{
    Auto = -1, Disabled = 0, Enabled = 1,
}

/// <summary><c>enum llama_split_mode</c></summary>
public enum LlamaSplitMode
{
    None = 0, Layer = 1, Row = 2, Tensor = 3,
}

/// <summary><c>enum llama_load_mode</c></summary>
public enum LlamaLoadMode
{
    Auto = -1, None = 0, Mmap = 1, Mlock = 2, MmapMlock = 3, DirectIo = 4,
}

/// <summary><c>enum llama_lazy_mode</c></summary>
public enum LlamaLazyMode
{
    Off = 0, Auto = 1, On = 2,
}

/// <summary><c>enum llama_context_type</c></summary>
public enum LlamaContextType
{
    Default = 0, Mtp = 1,
}

/// <summary><c>enum llama_model_kv_override_type</c></summary>
public enum LlamaModelKvOverrideType
{
    Int = 0, Float = 1, Bool = 2, Str = 3,
}

/// <summary><c>enum llama_model_meta_key</c>: sampling keys of a model's GGUF metadata.</summary>
public enum LlamaModelMetaKey
{
    SamplingSequence = 0,
    SamplingTopK,
    SamplingTopP,
    SamplingMinP,
    SamplingXtcProbability,
    SamplingXtcThreshold,
    SamplingTemp,
    SamplingPenaltyLastN,
    SamplingPenaltyRepeat,
    SamplingMirostat,
    SamplingMirostatTau,
    SamplingMirostatEta,
}

/// <summary><c>enum ggml_type</c> (ggml.h): tensor data types.</summary>
public enum GgmlType
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
    NVFP4 = 40,
    Q1_0 = 41,
    Q2_0 = 42,
    Count = 43,
}

/// <summary><c>enum ggml_log_level</c> (ggml.h).</summary>
public enum GgmlLogLevel
{
    None = 0, Debug = 1, Info = 2, Warn = 3, Error = 4,
    /// <summary>Continues the previous message (same level).</summary>
    Cont = 5,
}

/// <summary><c>enum ggml_numa_strategy</c> (ggml-cpu.h).</summary>
public enum GgmlNumaStrategy
{
    Disabled = 0, Distribute = 1, Isolate = 2, Numactl = 3, Mirror = 4, Count = 5,
}

/// <summary><c>enum ggml_backend_dev_type</c> (ggml-backend.h).</summary>
public enum GgmlBackendDevType
{
    /// <summary>CPU device using system memory.</summary>
    Cpu = 0,
    /// <summary>GPU device using dedicated memory.</summary>
    Gpu = 1,
    /// <summary>Integrated GPU device using host memory.</summary>
    Igpu = 2,
    /// <summary>Accelerator used together with the CPU backend (e.g. BLAS or AMX).</summary>
    Accel = 3,
    /// <summary>"Meta" device wrapping multiple other devices for tensor parallelism.</summary>
    Meta = 4,
}

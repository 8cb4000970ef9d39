using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary><c>llama_model_quantize</c>: rewrites a GGUF model with another tensor type.</summary>
public static unsafe class LlamaQuantizer
{
    /// <summary>The target types by the names llama.cpp's quantize tool takes (lower case), with llama.cpp's ftype.</summary>
    private static readonly Dictionary<string, LlamaFtype> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        ["f32"] = LlamaFtype.AllF32, ["f16"] = LlamaFtype.MostlyF16, ["bf16"] = LlamaFtype.MostlyBF16,
        ["q8_0"] = LlamaFtype.MostlyQ8_0, ["q6_k"] = LlamaFtype.MostlyQ6_K,
        ["q5_k_m"] = LlamaFtype.MostlyQ5_K_M, ["q5_k_s"] = LlamaFtype.MostlyQ5_K_S, ["q5_0"] = LlamaFtype.MostlyQ5_0,
        ["q5_1"] = LlamaFtype.MostlyQ5_1, ["q4_k_m"] = LlamaFtype.MostlyQ4_K_M, ["q4_k_s"] = LlamaFtype.MostlyQ4_K_S,
        ["q4_0"] = LlamaFtype.MostlyQ4_0, ["q4_1"] = LlamaFtype.MostlyQ4_1, ["q3_k_l"] = LlamaFtype.MostlyQ3_K_L,
        ["q3_k_m"] = LlamaFtype.MostlyQ3_K_M, ["q3_k_s"] = LlamaFtype.MostlyQ3_K_S, ["q2_k"] = LlamaFtype.MostlyQ2_K,
    };

    /// <summary>The type names <see cref="Quantize(string, string, string, int)"/> accepts, in table order.</summary>
    public static IReadOnlyList<string> TypeNames { get; } = [.. Types.Keys];

    /// <summary>llama.cpp's description of a type name ("q4_k_m" → "Q4_K - Medium").</summary>
    public static string Describe(string typeName) => FtypeName(Types[typeName]);

    /// <summary>Quantizes to the named type (one of <see cref="TypeNames"/>) with <paramref name="threads"/> threads
    /// (0: one per core).</summary>
    public static void Quantize(string inputPath, string outputPath, string typeName, int threads)
    {
        if (!Types.TryGetValue(typeName, out var ftype))
            throw new ArgumentException($"'{typeName}' is not one of {string.Join(", ", TypeNames)}");
        var parameters = DefaultParams();
        parameters.ftype = ftype;
        parameters.nthread = threads;
        Quantize(inputPath, outputPath, parameters);
    }

    /// <summary><c>llama_model_quantize_default_params()</c> (ftype Q8_0).</summary>
    internal static llama_model_quantize_params DefaultParams()
    {
        LlamaRuntime.EnsureInitialized();
        return LlamaNative.llama_model_quantize_default_params();
    }

    /// <summary>Quantizes <paramref name="inputPath"/> into <paramref name="outputPath"/> with <c>parameters.ftype</c>.
    /// Throws <see cref="LlamaModelLoadException"/> if the input is missing, <see cref="LlamaException"/> if llama.cpp fails.</summary>
    internal static void Quantize(string inputPath, string outputPath, llama_model_quantize_params parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        LlamaRuntime.EnsureInitialized();
        string input = Path.GetFullPath(inputPath), output = Path.GetFullPath(outputPath);
        if (!File.Exists(input))
            throw new LlamaModelLoadException(input, $"model file not found: {inputPath}", new FileNotFoundException("model file not found", input));
        LlamaRuntime.DrainRecentLogErrors();
        uint rc = LlamaNative.llama_model_quantize(input, output, &parameters);
        if (rc != 0)
            throw new LlamaException($"llama_model_quantize({input} -> {output}, {parameters.ftype}) failed ({rc}){LlamaRuntime.RecentErrorsSuffix()}");
    }

    /// <summary>The name of a GGUF's general.file_type value ("Q4_K_M"), from the binding's enum: no library
    /// load.</summary>
    public static string? FileTypeName(uint value) =>
        Enum.IsDefined((LlamaFtype)value)
            ? ((LlamaFtype)value).ToString().Replace("Mostly", "", StringComparison.Ordinal)
                .Replace("AllF32", "F32", StringComparison.Ordinal)
            : null;

    /// <summary><c>llama_ftype_name</c>, e.g. "Q4_K - Medium".</summary>
    internal static string FtypeName(LlamaFtype ftype)
    {
        LlamaRuntime.EnsureInitialized();
        return LlamaRuntime.Utf8(LlamaNative.llama_ftype_name(ftype)) ?? ftype.ToString();
    }

    /// <summary><c>ggml_type_name</c>, e.g. "q4_K".</summary>
    public static string GgmlTypeName(GgmlType type)
    {
        LlamaRuntime.EnsureInitialized();
        return LlamaRuntime.Utf8(GgmlNative.ggml_type_name(type)) ?? type.ToString();
    }
}

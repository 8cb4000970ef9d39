using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary><c>llama_model_quantize</c>: rewrites a GGUF model with another tensor type.</summary>
public static unsafe class LlamaQuantizer
{
    /// <summary><c>llama_model_quantize_default_params()</c> (ftype Q8_0).</summary>
    public static llama_model_quantize_params DefaultParams()
    {
        LlamaRuntime.EnsureInitialized();
        return LlamaNative.llama_model_quantize_default_params();
    }

    /// <summary>Quantizes <paramref name="inputPath"/> into <paramref name="outputPath"/> with <c>parameters.ftype</c>.
    /// Throws <see cref="LlamaModelLoadException"/> if the input is missing, <see cref="LlamaException"/> if llama.cpp fails.</summary>
    public static void Quantize(string inputPath, string outputPath, llama_model_quantize_params parameters)
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
    public static string FtypeName(LlamaFtype ftype)
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

using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>A tensor pattern llama.cpp could not use; <see cref="Pattern"/> is the pattern as given.</summary>
public sealed class LlamaTensorPatternException : LlamaException
{
    public string Pattern { get; }
    public LlamaTensorPatternException(string pattern, string message, Exception? inner = null)
        : base(message, inner) => Pattern = pattern;
}

/// <summary>
/// Patterns for <c>llama_model_params.tensor_buft_overrides</c>: tensors whose names match one (C++
/// <c>std::regex_search</c>, ECMAScript grammar, on names such as <c>blk.3.ffn_up_exps.weight</c>) are kept in CPU
/// memory whatever <c>n_gpu_layers</c> says.
/// </summary>
public static class LlamaTensorPatterns
{
    /// <summary>
    /// One pattern for the MoE expert tensors of <paramref name="layers"/>, e.g.
    /// <c>blk\.(3|4|7)\.ffn_(up|down|gate_up|gate)_(ch)?exps</c>. The tensor kinds are those llama.cpp's own --fit
    /// moves (common/fit.cpp): separate and fused up/gate, down, and their chunked variants. Null for no layers.
    /// </summary>
    public static string? ExpertLayers(IEnumerable<int> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var sorted = layers.Distinct().Order().ToList();
        if (sorted.Count == 0) return null;
        if (sorted[0] < 0) throw new ArgumentOutOfRangeException(nameof(layers), sorted[0], "layer indices start at 0");
        return $@"blk\.({string.Join('|', sorted)})\.ffn_(up|down|gate_up|gate)_(ch)?exps";
    }

    /// <summary>
    /// Refuses a pattern llama.cpp could not compile, before any file is read, with a message naming it. .NET's
    /// ECMAScript mode stands in for std::regex; it also accepts <c>(?&lt;name&gt;…)</c>, lookbehind and inline
    /// options, which std::regex rejects, so any <c>(?</c> other than <c>(?:</c>, <c>(?=</c>, <c>(?!</c> is refused here too.
    /// What still slips through is caught by llama.cpp (v0.5.0 turns a regex_error into a failed load, measured).
    /// </summary>
    public static void Validate(IReadOnlyList<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        int max = MaxCount;
        if (patterns.Count > max)
            throw new LlamaTensorPatternException(patterns[max],
                $"{patterns.Count} tensor patterns, llama.cpp takes at most {max} (llama_max_tensor_buft_overrides)");
        foreach (string? p in patterns)
        {
            if (string.IsNullOrEmpty(p))
                throw new LlamaTensorPatternException(p ?? "",
                    "an empty tensor pattern would match every tensor; name the tensors (e.g. ffn_up_exps)");
            try
            {
                _ = new Regex(p, RegexOptions.ECMAScript);
            }
            catch (ArgumentException e)
            {
                throw new LlamaTensorPatternException(p, $"invalid tensor pattern \"{p}\": {e.Message}", e);
            }
            if (UnsupportedGroup(p) is int at)
                throw new LlamaTensorPatternException(p,
                    $"invalid tensor pattern \"{p}\": \"{p.Substring(at, Math.Min(3, p.Length - at))}\" at {at} is not "
                    + "ECMAScript (llama.cpp's std::regex knows only the groups (?:, (?= and (?!)");
        }
    }

    private static int MaxCount
    {
        get { LlamaRuntime.EnsureInitialized(); return (int)LlamaNative.llama_max_tensor_buft_overrides(); }
    }

    /// <summary>Index of the first "(?" outside a character class and not escaped that std::regex rejects.</summary>
    private static int? UnsupportedGroup(string p)
    {
        bool inClass = false;
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '\\') { i++; continue; }
            if (inClass) { if (c == ']') inClass = false; continue; }
            if (c == '[') inClass = true;
            else if (c == '(' && i + 1 < p.Length && p[i + 1] == '?'
                     && (i + 2 >= p.Length || p[i + 2] is not (':' or '=' or '!')))
                return i;
        }
        return null;
    }
}

/// <summary>
/// The native <c>tensor_buft_overrides</c> array (NULL-pattern terminated) with its UTF-8 strings, all in unmanaged
/// memory that stays put for the whole load: llama.cpp reads the patterns while it creates the tensors. Freed on
/// Dispose; llama.cpp keeps no pointer into it after <c>llama_model_load_from_file</c> returns (it records only
/// whether there were overrides).
/// </summary>
internal sealed unsafe class NativeTensorOverrides : IDisposable
{
    private llama_model_tensor_buft_override* _array;
    private readonly int _count;

    /// <summary>Null for no patterns (the parameters then keep their own overrides).</summary>
    public static NativeTensorOverrides? ToCpu(IReadOnlyList<string>? patterns)
    {
        if (patterns is null || patterns.Count == 0) return null;
        LlamaTensorPatterns.Validate(patterns);
        LlamaRuntime.EnsureInitialized();
        ggml_backend_device* cpu = GgmlNative.ggml_backend_dev_by_type(GgmlBackendDevType.Cpu);
        if (cpu == null) throw new LlamaException("no CPU backend is loaded, so tensors cannot be kept in CPU memory");
        // llama.cpp compares with ggml_backend_cpu_buffer_type(), which is what the CPU device hands out.
        ggml_backend_buffer_type* buft = GgmlNative.ggml_backend_dev_buffer_type(cpu);
        return new NativeTensorOverrides(patterns, buft);
    }

    private NativeTensorOverrides(IReadOnlyList<string> patterns, ggml_backend_buffer_type* buft)
    {
        _count = patterns.Count;
        _array = (llama_model_tensor_buft_override*)NativeMemory.AllocZeroed(
            (nuint)(_count + 1), (nuint)sizeof(llama_model_tensor_buft_override));
        for (int i = 0; i < _count; i++)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(patterns[i]);
            byte* s = (byte*)NativeMemory.Alloc((nuint)utf8.Length + 1);
            utf8.CopyTo(new Span<byte>(s, utf8.Length));
            s[utf8.Length] = 0;
            _array[i].pattern = s;
            _array[i].buft = buft;
        }
    }

    public llama_model_tensor_buft_override* Pointer => _array;

    public void Dispose()
    {
        if (_array == null) return;
        for (int i = 0; i < _count; i++) NativeMemory.Free(_array[i].pattern);
        NativeMemory.Free(_array);
        _array = null;
    }
}

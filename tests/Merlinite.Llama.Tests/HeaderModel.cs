using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Merlinite.Llama.Native;

namespace Merlinite.Llama.Tests;

/// <summary>
/// A small reader of the llama.cpp C headers (struct fields, enumerators, function prototypes, callback typedefs) and a
/// canonical spelling of C and C# types so that the binding can be compared with the header mechanically.
/// </summary>
internal static partial class HeaderModel
{
    public static readonly string[] HeaderFiles = ["llama.h", "ggml.h", "ggml-backend.h", "ggml-cpu.h"];

    private static readonly Lazy<string> CleanText = new(() =>
    {
        TestEnvironment.RequireHeaders();
        string t = TestEnvironment.HeaderText(HeaderFiles);
        t = BlockComment().Replace(t, " ");
        t = LineComment().Replace(t, "");
        t = Preprocessor().Replace(t, "");
        return t;
    });

    /// <summary>Header text without comments and preprocessor lines.</summary>
    public static string Text => CleanText.Value;

    // ------------------------------------------------------------------ C# <-> C names

    /// <summary>C# enum type → (C enum name, enumerator prefix).</summary>
    public static readonly IReadOnlyDictionary<Type, (string CName, string Prefix)> Enums = new Dictionary<Type, (string, string)>
    {
        [typeof(LlamaVocabType)] = ("llama_vocab_type", "LLAMA_VOCAB_TYPE_"),
        [typeof(LlamaRopeType)] = ("llama_rope_type", "LLAMA_ROPE_TYPE_"),
        [typeof(LlamaTokenType)] = ("llama_token_type", "LLAMA_TOKEN_TYPE_"),
        [typeof(LlamaTokenAttr)] = ("llama_token_attr", "LLAMA_TOKEN_ATTR_"),
        [typeof(LlamaFtype)] = ("llama_ftype", "LLAMA_FTYPE_"),
        [typeof(LlamaRopeScalingType)] = ("llama_rope_scaling_type", "LLAMA_ROPE_SCALING_TYPE_"),
        [typeof(LlamaPoolingType)] = ("llama_pooling_type", "LLAMA_POOLING_TYPE_"),
        [typeof(LlamaAttentionType)] = ("llama_attention_type", "LLAMA_ATTENTION_TYPE_"),
        [typeof(LlamaFlashAttnType)] = ("llama_flash_attn_type", "LLAMA_FLASH_ATTN_TYPE_"),
        [typeof(LlamaSplitMode)] = ("llama_split_mode", "LLAMA_SPLIT_MODE_"),
        [typeof(LlamaLoadMode)] = ("llama_load_mode", "LLAMA_LOAD_MODE_"),
        [typeof(LlamaLazyMode)] = ("llama_lazy_mode", "LLAMA_LAZY_MODE_"),
        [typeof(LlamaContextType)] = ("llama_context_type", "LLAMA_CONTEXT_TYPE_"),
        [typeof(LlamaModelKvOverrideType)] = ("llama_model_kv_override_type", "LLAMA_KV_OVERRIDE_TYPE_"),
        [typeof(LlamaModelMetaKey)] = ("llama_model_meta_key", "LLAMA_MODEL_META_KEY_"),
        [typeof(GgmlType)] = ("ggml_type", "GGML_TYPE_"),
        [typeof(GgmlLogLevel)] = ("ggml_log_level", "GGML_LOG_LEVEL_"),
        [typeof(GgmlNumaStrategy)] = ("ggml_numa_strategy", "GGML_NUMA_STRATEGY_"),
        [typeof(GgmlBackendDevType)] = ("ggml_backend_dev_type", "GGML_BACKEND_DEVICE_TYPE_"),
    };

    /// <summary>C# enum member → C enumerator (MostlyQ4_K_M → LLAMA_FTYPE_MOSTLY_Q4_K_M).</summary>
    public static string Enumerator(Type enumType, string member) =>
        Enums[enumType].Prefix + CamelBoundary().Replace(member, "_").ToUpperInvariant();

    /// <summary>The structs mirrored field by field (public value types with fields in Merlinite.Llama.Native).</summary>
    public static IReadOnlyList<Type> MirroredStructs { get; } = typeof(llama_model_params).Assembly.GetTypes()
        .Where(t => t.IsValueType && !t.IsEnum && t.IsPublic && t.Namespace == typeof(llama_model_params).Namespace
                    && t.GetFields(BindingFlags.Instance | BindingFlags.Public).Length > 0)
        .OrderBy(t => t.Name, StringComparer.Ordinal).ToList();

    /// <summary>Instance fields in declaration order.</summary>
    public static FieldInfo[] Fields(Type t) =>
        t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).OrderBy(f => f.MetadataToken).ToArray();

    // ------------------------------------------------------------------ canonical types

    private static readonly Dictionary<string, string> ScalarTypedefs = new()
    {
        ["int"] = "int32_t", ["llama_token"] = "int32_t", ["llama_pos"] = "int32_t", ["llama_seq_id"] = "int32_t",
        ["llama_state_seq_flags"] = "uint32_t", ["llama_sampler_context_t"] = "void*",
        ["llama_memory_t"] = "llama_memory_i*", ["ggml_backend_dev_t"] = "ggml_backend_device*",
        ["ggml_backend_reg_t"] = "ggml_backend_reg*", ["ggml_backend_buffer_type_t"] = "ggml_backend_buffer_type*",
        ["ggml_backend_t"] = "ggml_backend*", ["ggml_threadpool_t"] = "ggml_threadpool*",
    };

    [ThreadStatic] private static bool _buildingCallbacks;

    private static readonly Lazy<Dictionary<string, string>> CallbackTypedefs = new(() =>
    {
        _buildingCallbacks = true;
        try
        {
            return BuildCallbackTypedefs();
        }
        finally
        {
            _buildingCallbacks = false;
        }
    });

    private static Dictionary<string, string> BuildCallbackTypedefs()
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in FnTypedef().Matches(Text))
            d[m.Groups["name"].Value] = "fn(" + string.Join(",", SplitParams(m.Groups["params"].Value).Select(p => SplitDecl(p).Type)) + ")->" + CanonicalC(m.Groups["ret"].Value);
        return d;
    }

    /// <summary>Canonical spelling of a C type: no const/struct/enum, typedefs expanded, byte pointers as char*.</summary>
    public static string CanonicalC(string type)
    {
        string t = Keywords().Replace(type, " ");
        t = Whitespace().Replace(t, "");
        string arr = "";
        var am = ArraySuffix().Match(t);
        if (am.Success) { arr = am.Value; t = t[..am.Index]; }
        int stars = t.Length - t.TrimEnd('*').Length;
        string b = t.TrimEnd('*');
        if (ScalarTypedefs.TryGetValue(b, out var e))
        {
            stars += e.Length - e.TrimEnd('*').Length;
            b = e.TrimEnd('*');
        }
        else if (!_buildingCallbacks && CallbackTypedefs.Value.TryGetValue(b, out var fn))
        {
            b = fn;
        }
        if (b == "uint8_t" && (stars > 0 || arr.Length > 0)) b = "char"; // byte buffers: char* and uint8_t* alike
        return b + new string('*', stars) + arr;
    }

    /// <summary>Canonical spelling of a C# type of the binding (fnPtr: inside a function-pointer signature, where
    /// C <c>bool</c> is declared as byte).</summary>
    public static string CanonicalCs(Type t, bool fnPtr = false)
    {
        if (t.IsFunctionPointer)
            return "fn(" + string.Join(",", t.GetFunctionPointerParameterTypes().Select(p => CanonicalCs(p, true))) + ")->" + CanonicalCs(t.GetFunctionPointerReturnType(), true);
        if (t.IsPointer)
        {
            string inner = CanonicalCs(t.GetElementType()!); // byte* is a char buffer even inside a callback
            return CanonicalC(inner == "uint8_t" ? "char*" : inner + "*");
        }
        if (t.IsEnum) return Enums.TryGetValue(t, out var e) ? e.CName : "?enum " + t.Name;
        if (t == typeof(void)) return "void";
        if (t == typeof(bool)) return "bool";
        if (t == typeof(byte)) return fnPtr ? "bool" : "uint8_t";
        if (t == typeof(sbyte)) return "int8_t";
        if (t == typeof(short)) return "int16_t";
        if (t == typeof(ushort)) return "uint16_t";
        if (t == typeof(int)) return "int32_t";
        if (t == typeof(uint)) return "uint32_t";
        if (t == typeof(long)) return "int64_t";
        if (t == typeof(ulong)) return "uint64_t";
        if (t == typeof(float)) return "float";
        if (t == typeof(double)) return "double";
        if (t == typeof(nuint)) return "size_t";
        if (t == typeof(nint)) return "intptr_t";
        if (t == typeof(string)) return "char*";
        if (t.IsValueType && t.Namespace == typeof(llama_model_params).Namespace) return t.Name;
        return "?" + t.FullName;
    }

    /// <summary>Canonical type of a C# struct field (fixed buffers as T[n]).</summary>
    public static string CanonicalCsField(FieldInfo f)
    {
        var fb = f.GetCustomAttribute<FixedBufferAttribute>();
        if (fb is not null) return CanonicalC(CanonicalCs(fb.ElementType) + $"[{fb.Length}]");
        return CanonicalCs(f.FieldType);
    }

    // ------------------------------------------------------------------ structs

    /// <summary>Fields (canonical type, name) of <c>struct name { ... }</c>, anonymous unions flattened; null if absent.</summary>
    public static List<(string Type, string Name)>? StructFields(string name)
    {
        var m = Regex.Match(Text, @"\bstruct\s+" + Regex.Escape(name) + @"\s*\{");
        if (!m.Success) return null;
        int start = m.Index + m.Length, depth = 1, i = start;
        for (; i < Text.Length && depth > 0; i++)
        {
            if (Text[i] == '{') depth++;
            else if (Text[i] == '}') depth--;
        }
        string body = Text[start..(i - 1)];
        body = Regex.Replace(body, @"\bunion\s*\{", " ");
        body = body.Replace("}", " ");
        var fields = new List<(string, string)>();
        foreach (string decl in body.Split(';'))
        {
            if (string.IsNullOrWhiteSpace(decl)) continue;
            fields.Add(SplitDecl(decl));
        }
        return fields;
    }

    /// <summary>"const struct llama_model * model" → ("llama_model*", "model"); "char key[128]" → ("char[128]", "key").</summary>
    public static (string Type, string Name) SplitDecl(string decl)
    {
        string d = decl.Trim();
        string arr = "";
        var am = Regex.Match(d, @"(\[[^\]]*\]\s*)+$");
        if (am.Success) { arr = Whitespace().Replace(am.Value, ""); d = d[..am.Index].TrimEnd(); }
        var nm = Regex.Match(d, @"(\w+)$");
        string name = nm.Groups[1].Value;
        string type = d[..nm.Index];
        if (Whitespace().Replace(Keywords().Replace(type, " "), "").Length == 0) { type = d; name = ""; } // unnamed ("void")
        return (CanonicalC(type + arr), name);
    }

    // ------------------------------------------------------------------ enums

    /// <summary>Enumerator names of <c>enum name { ... }</c> in order; null if absent.</summary>
    public static List<string>? EnumNames(string name)
    {
        var m = Regex.Match(Text, @"\benum\s+" + Regex.Escape(name) + @"\s*\{(?<body>[^}]*)\}");
        if (!m.Success) return null;
        return m.Groups["body"].Value.Split(',').Select(s => s.Split('=')[0].Trim()).Where(s => s.Length > 0).ToList();
    }

    // ------------------------------------------------------------------ functions

    public sealed record Prototype(string Name, string Return, IReadOnlyList<(string Type, string Name)> Params, bool Deprecated);

    /// <summary>The prototype of an API function (LLAMA_API/GGML_API/GGML_BACKEND_API), null if not declared.</summary>
    public static Prototype? Function(string name)
    {
        foreach (Match m in Regex.Matches(Text, @"\b" + Regex.Escape(name) + @"\s*\("))
        {
            int s = m.Index;
            while (s > 0 && Text[s - 1] is not (';' or '{' or '}')) s--;
            string prefix = Text[s..m.Index];
            if (!ApiMacro().IsMatch(prefix)) continue;
            bool deprecated = prefix.Contains("DEPRECATED", StringComparison.Ordinal);
            string ret = ApiMacro().Replace(prefix.Replace("DEPRECATED(", " ", StringComparison.Ordinal), " ");
            int open = m.Index + m.Length, depth = 1, i = open;
            for (; i < Text.Length && depth > 0; i++)
            {
                if (Text[i] == '(') depth++;
                else if (Text[i] == ')') depth--;
            }
            var ps = SplitParams(Text[open..(i - 1)]).Select(SplitDecl).Where(p => !(p.Type == "void" && p.Name == "")).ToList();
            return new Prototype(name, CanonicalC(ret), ps, deprecated);
        }
        return null;
    }

    private static IEnumerable<string> SplitParams(string s)
    {
        int depth = 0, last = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '(') depth++;
            else if (s[i] == ')') depth--;
            else if (s[i] == ',' && depth == 0) { yield return s[last..i]; last = i + 1; }
        }
        if (!string.IsNullOrWhiteSpace(s[last..])) yield return s[last..];
    }

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)] private static partial Regex BlockComment();
    [GeneratedRegex(@"//[^\n]*")] private static partial Regex LineComment();
    [GeneratedRegex(@"^\s*#[^\n]*(\\\n[^\n]*)*", RegexOptions.Multiline)] private static partial Regex Preprocessor();
    [GeneratedRegex(@"\b(const|struct|enum|volatile|extern)\b")] private static partial Regex Keywords();
    [GeneratedRegex(@"\s+")] private static partial Regex Whitespace();
    [GeneratedRegex(@"(\[[^\]]*\])+$")] private static partial Regex ArraySuffix();
    [GeneratedRegex(@"(?<=[a-z])(?=[A-Z])")] private static partial Regex CamelBoundary();
    [GeneratedRegex(@"\b(LLAMA_API|GGML_API|GGML_BACKEND_API)\b")] private static partial Regex ApiMacro();
    [GeneratedRegex(@"typedef\s+(?<ret>[\w\s\*]+?)\s*\(\s*\*\s*(?<name>\w+)\s*\)\s*\((?<params>[^;]*)\)\s*;")] private static partial Regex FnTypedef();
}

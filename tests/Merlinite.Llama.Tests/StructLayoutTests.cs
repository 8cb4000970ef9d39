using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Merlinite.Llama.Native;

namespace Merlinite.Llama.Tests;

/// <summary>Every mirrored struct against the real llama.h: field names/types in order (parsed from the header) and
/// sizeof/offsetof of every field (printed by a C program compiled with gcc against the header).</summary>
public sealed class StructLayoutTests
{
    /// <summary>The structs the brief requires to be mirrored (the discovered set must contain them).</summary>
    private static readonly string[] Required =
    [
        "llama_model_params", "llama_context_params", "llama_batch", "llama_token_data", "llama_token_data_array",
        "llama_chat_message", "llama_sampler_chain_params", "llama_model_quantize_params", "llama_logit_bias",
        "llama_model_kv_override", "llama_perf_context_data", "llama_perf_sampler_data", "ggml_backend_dev_props",
    ];

    public static TheoryData<string> StructNames()
    {
        var d = new TheoryData<string>();
        foreach (var t in HeaderModel.MirroredStructs) d.Add(t.Name);
        return d;
    }

    private static Type StructType(string name) => HeaderModel.MirroredStructs.Single(t => t.Name == name);

    [Fact]
    public void All_required_structs_are_mirrored()
    {
        var names = HeaderModel.MirroredStructs.Select(t => t.Name).ToHashSet();
        var missing = Required.Where(r => !names.Contains(r)).ToList();
        Assert.True(missing.Count == 0, "not mirrored: " + string.Join(", ", missing));
    }

    [Theory]
    [MemberData(nameof(StructNames))]
    public void Fields_match_the_header_in_order_name_and_type(string name)
    {
        var header = HeaderModel.StructFields(name);
        Assert.True(header is not null, $"struct {name} is not declared in the llama.cpp headers");
        var ours = HeaderModel.Fields(StructType(name)).Select(f => (Type: HeaderModel.CanonicalCsField(f), f.Name)).ToList();
        string Show(IEnumerable<(string Type, string Name)> fs) => string.Join("\n", fs.Select(f => $"  {f.Type} {f.Name}"));
        Assert.True(header!.SequenceEqual(ours), $"struct {name} differs from the header.\nheader:\n{Show(header!)}\nbinding:\n{Show(ours)}");
    }

    private sealed record CLayout(long Size, long Align, Dictionary<string, (long Offset, long Size)> Fields);

    private static readonly Lazy<Dictionary<string, CLayout>> Probe = new(RunLayoutProbe);

    private static Dictionary<string, CLayout> RunLayoutProbe()
    {
        var src = new StringBuilder();
        src.AppendLine("#include <stddef.h>\n#include <stdio.h>\n#include \"llama.h\"\n#include \"ggml-backend.h\"");
        src.AppendLine("#define F(S, f) printf(\"F %s %s %zu %zu\\n\", #S, #f, offsetof(struct S, f), sizeof(((struct S *)0)->f));");
        src.AppendLine("int main(void) {");
        foreach (var t in HeaderModel.MirroredStructs)
        {
            var header = HeaderModel.StructFields(t.Name);
            if (header is null) continue; // reported by the field test
            src.AppendLine($"  printf(\"S {t.Name} %zu %zu\\n\", sizeof(struct {t.Name}), _Alignof(struct {t.Name}));");
            foreach (var (_, field) in header) src.AppendLine($"  F({t.Name}, {field})");
        }
        src.AppendLine("  return 0;\n}");
        string output = TestEnvironment.CompileAndRun(src.ToString(), link: false, "layout_probe");

        var result = new Dictionary<string, CLayout>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] p = line.Split(' ');
            if (p[0] == "S") result[p[1]] = new CLayout(long.Parse(p[2], CultureInfo.InvariantCulture), long.Parse(p[3], CultureInfo.InvariantCulture), []);
            else result[p[1]].Fields[p[2]] = (long.Parse(p[3], CultureInfo.InvariantCulture), long.Parse(p[4], CultureInfo.InvariantCulture));
        }
        return result;
    }

    [Theory]
    [MemberData(nameof(StructNames))]
    public void Size_and_every_field_offset_match_gcc(string name)
    {
        Type t = StructType(name);
        var c = Probe.Value;
        Assert.True(c.ContainsKey(name), $"struct {name} was not measured (not in the header?)");
        var layout = c[name];
        var errors = new List<string>();
        long ourSize = ManagedSize(t);
        if (ourSize != layout.Size) errors.Add($"sizeof: C {layout.Size}, C# {ourSize}");
        // Note: Marshal.SizeOf/OffsetOf describe the *marshalled* layout (bool as 4-byte BOOL) and are wrong for these
        // structs; with runtime marshalling disabled the managed layout measured here is what crosses the boundary.
        foreach (var f in HeaderModel.Fields(t))
        {
            if (!layout.Fields.TryGetValue(f.Name, out var cf)) { errors.Add($"{f.Name}: not in the C struct"); continue; }
            long off = ManagedOffset(t, f);
            long size = FieldSize(f);
            if (off != cf.Offset) errors.Add($"offsetof({f.Name}): C {cf.Offset}, C# {off}");
            if (size != cf.Size) errors.Add($"sizeof({f.Name}): C {cf.Size}, C# {size}");
        }
        Assert.True(errors.Count == 0, $"struct {name}:\n  " + string.Join("\n  ", errors));
    }

    [Fact]
    public void Known_sizes_on_x64()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        Assert.Equal(80, Unsafe.SizeOf<llama_model_params>());
        Assert.Equal(160, Unsafe.SizeOf<llama_context_params>());
        Assert.Equal(64, Unsafe.SizeOf<llama_model_quantize_params>());
        Assert.Equal(56, Unsafe.SizeOf<llama_batch>());
        Assert.Equal(264, Unsafe.SizeOf<llama_model_kv_override>());
    }

    // ------------------------------------------------------------------ managed layout

    internal static long ManagedSize(Type t) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;

    /// <summary>The real offset in managed memory (what crosses the boundary with runtime marshalling disabled): set a
    /// marker through reflection in a zeroed boxed instance and find it. Fixed buffers fall back to Marshal.OffsetOf.</summary>
    internal static unsafe long ManagedOffset(Type t, FieldInfo f)
    {
        if (f.GetCustomAttribute<FixedBufferAttribute>() is not null) return Marshal.OffsetOf(t, f.Name);
        long size = ManagedSize(t);
        object box = Activator.CreateInstance(t)!;
        object marker = Marker(f.FieldType);
        f.SetValue(box, marker);
        byte[] bytes = new byte[size];
        fixed (byte* dst = bytes)
        {
            var h = GCHandle.Alloc(box, GCHandleType.Pinned);
            try
            {
                // a pinned boxed struct: the data starts at the address GCHandle reports
                Buffer.MemoryCopy((void*)h.AddrOfPinnedObject(), dst, size, size);
            }
            finally
            {
                h.Free();
            }
        }
        int first = Array.FindIndex(bytes, b => b != 0);
        return first < 0 ? -1 : first;
    }

    private static unsafe object Marker(Type ft)
    {
        if (ft.IsPointer) return Pointer.Box((void*)1, ft);
        if (ft.IsFunctionPointer) return (nint)1;
        if (ft.IsEnum) return Enum.ToObject(ft, 1);
        if (ft == typeof(bool)) return true;
        if (ft == typeof(float)) return BitConverter.Int32BitsToSingle(0x3F800001); // lowest byte non-zero
        if (ft == typeof(double)) return BitConverter.Int64BitsToDouble(0x3FF0000000000001);
        if (ft == typeof(nuint)) return (nuint)1;
        if (ft == typeof(nint)) return (nint)1;
        if (ft.IsPrimitive) return Convert.ChangeType(1, ft, CultureInfo.InvariantCulture);
        if (ft.IsValueType)
        {
            // nested struct: mark its first field
            object inner = Activator.CreateInstance(ft)!;
            var f0 = HeaderModel.Fields(ft)[0];
            f0.SetValue(inner, Marker(f0.FieldType));
            return inner;
        }
        throw new NotSupportedException(ft.FullName);
    }

    internal static long FieldSize(FieldInfo f)
    {
        var fb = f.GetCustomAttribute<FixedBufferAttribute>();
        if (fb is not null) return fb.Length * ManagedSize(fb.ElementType);
        Type t = f.FieldType;
        if (t.IsPointer || t.IsFunctionPointer) return IntPtr.Size;
        return ManagedSize(t);
    }
}

using System.Globalization;
using System.Text;

namespace Merlinite.Llama.Tests;

/// <summary>Every C# enum of the binding against the header: same enumerators, same values (printed by gcc).</summary>
public sealed class EnumTests
{
    public static TheoryData<string> EnumNames()
    {
        var d = new TheoryData<string>();
        foreach (var t in HeaderModel.Enums.Keys) d.Add(t.Name);
        return d;
    }

    private static Type EnumType(string name) => HeaderModel.Enums.Keys.Single(t => t.Name == name);

    [Fact]
    public void Every_enum_of_the_binding_is_mapped()
    {
        var all = typeof(LlamaRuntime).Assembly.GetTypes().Where(t => t.IsEnum && t.IsPublic && t.Namespace == "Merlinite.Llama.Native");
        Assert.Empty(all.Where(t => !HeaderModel.Enums.ContainsKey(t)).Select(t => t.Name));
    }

    [Theory]
    [MemberData(nameof(EnumNames))]
    public void Enumerators_match_the_header(string name)
    {
        Type t = EnumType(name);
        var (cName, _) = HeaderModel.Enums[t];
        var header = HeaderModel.EnumNames(cName);
        Assert.True(header is not null, $"enum {cName} is not declared in the llama.cpp headers");
        var ours = Enum.GetNames(t).Select(m => HeaderModel.Enumerator(t, m)).ToList();
        Assert.True(header!.Order().SequenceEqual(ours.Order()),
            $"enum {cName}: missing in C#: [{string.Join(", ", header!.Except(ours))}]; not in the header: [{string.Join(", ", ours.Except(header!))}]");
    }

    private static readonly Lazy<Dictionary<string, long>> Values = new(() =>
    {
        var src = new StringBuilder("#include <stdio.h>\n#include \"llama.h\"\n#include \"ggml-backend.h\"\n#include \"ggml-cpu.h\"\nint main(void) {\n");
        foreach (var (t, (cName, _)) in HeaderModel.Enums)
        {
            var header = HeaderModel.EnumNames(cName) ?? [];
            foreach (string e in header) src.AppendLine($"  printf(\"{e} %lld\\n\", (long long){e});");
        }
        src.AppendLine("  return 0;\n}");
        return TestEnvironment.CompileAndRun(src.ToString(), link: false, "enum_probe")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
    });

    [Theory]
    [MemberData(nameof(EnumNames))]
    public void Values_match_gcc(string name)
    {
        Type t = EnumType(name);
        var errors = new List<string>();
        foreach (string m in Enum.GetNames(t))
        {
            string c = HeaderModel.Enumerator(t, m);
            long ours = Convert.ToInt64(Enum.Parse(t, m), CultureInfo.InvariantCulture);
            if (!Values.Value.TryGetValue(c, out long v)) errors.Add($"{c}: not in the header");
            else if (v != ours) errors.Add($"{c}: C {v}, C# {ours}");
        }
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}

using Merlinite.Gguf;

namespace Merlinite.Synth.Tests;

/// <summary>Metadata lookups used by the tests.</summary>
internal static class GgufTestAccess
{
    public static string String(GgufFile file, string key) => file.Metadata.GetString(key);
    public static ulong UInt64(GgufFile file, string key) => file.Metadata.GetUInt64(key);
    public static IReadOnlyList<string> Strings(GgufFile file, string key) => file.Metadata.Get(key).AsStringArray();
}

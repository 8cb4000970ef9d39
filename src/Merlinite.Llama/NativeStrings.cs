using System.Buffers;
using System.Text;

namespace Merlinite.Llama;

/// <summary>Helpers for llama.cpp's string protocols.</summary>
internal static unsafe class NativeStrings
{
    /// <summary>Functions that write into <c>buf</c> snprintf-style and return the full length (or -1 on failure).</summary>
    internal delegate int SnprintfCall(byte* buf, nuint size);

    internal static string? ReadSnprintf(SnprintfCall call)
    {
        Span<byte> small = stackalloc byte[256];
        int n;
        fixed (byte* p = small) n = call(p, (nuint)small.Length);
        if (n < 0) return null;
        if (n < small.Length) return Encoding.UTF8.GetString(small[..n]);
        byte[] big = ArrayPool<byte>.Shared.Rent(n + 1);
        try
        {
            fixed (byte* p = big) n = call(p, (nuint)(n + 1));
            return n < 0 ? null : Encoding.UTF8.GetString(big, 0, Math.Min(n, big.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(big);
        }
    }

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="s"/> (kept alive by the caller).</summary>
    internal static byte[] ToUtf8Z(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    /// <summary>Key/value metadata read by index (models and adapters expose the same triple of calls).</summary>
    internal static IReadOnlyDictionary<string, string> CollectMetadata(int count, Func<int, string?> key, Func<int, string?> value)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
            if (key(i) is { } k) d[k] = value(i) ?? "";
        return d;
    }
}

using System.Security.Cryptography;

namespace Merlinite.Engine.Packing;

/// <summary>The one loop that moves a chat binary's bytes (packing, unpacking, hashing the engine): LENGTH bytes from
/// the source's position, into the target if there is one, through SHA-256, with progress.</summary>
internal static class PartCopy
{
    /// <param name="cutShort">The message when the source ends before LENGTH bytes.</param>
    /// <param name="progress">Called with the bytes done so far.</param>
    /// <returns>The SHA-256 of the bytes, as lower-case hex.</returns>
    public static string Copy(Stream source, Stream? target, long length, Func<Exception> cutShort,
        Action<long>? progress = null, CancellationToken ct = default)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[4 << 20];
        for (long done = 0; done < length;)
        {
            ct.ThrowIfCancellationRequested();
            int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, length - done));
            if (n == 0) throw cutShort();
            target?.Write(buffer, 0, n);
            sha.AppendData(buffer, 0, n);
            done += n;
            progress?.Invoke(done);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

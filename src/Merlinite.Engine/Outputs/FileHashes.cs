using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Merlinite.Engine.Outputs;

/// <summary>
/// SHA-256 of input files. Large files (models) are hashed once and the result is cached by full path, size and
/// modification time under the user's cache folder, so a 26 GB GGUF is not re-read by every phase of every round.
/// Small files (prompts, samples, adapters) are always hashed: that costs milliseconds and can never be stale.
/// </summary>
public static class FileHashes
{
    /// <summary>Files smaller than this are not worth a cache entry.</summary>
    private const long CacheFrom = 64L << 20;

    /// <summary>A file modified this recently may still change within the clock's resolution without its size or
    /// time changing (git's "racy" case), so its hash is not cached until it is older.</summary>
    private static readonly TimeSpan Settled = TimeSpan.FromSeconds(2);

    public static string Sha256(string path)
    {
        var info = new FileInfo(Path.GetFullPath(path));
        if (!info.Exists) throw new FileNotFoundException($"file not found: {info.FullName}", info.FullName);
        if (info.Length < CacheFrom) return Compute(info.FullName);

        string stamp = string.Create(CultureInfo.InvariantCulture, $"{info.Length} {info.LastWriteTimeUtc.Ticks}");
        string? entry = EntryPath(info.FullName);
        if (entry is not null && TryRead(entry) is { } cached && cached.Stamp == stamp) return cached.Sha;

        string sha = Compute(info.FullName);
        if (entry is not null && DateTime.UtcNow - info.LastWriteTimeUtc > Settled)
        {
            try { AtomicFile.WriteAllText(entry, $"{stamp}\n{sha}\n{info.FullName}\n"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a cache that cannot be written only costs time
        }
        return sha;
    }

    /// <summary>The first 12 hex digits, for messages.</summary>
    public static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;

    private static string Compute(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static (string Stamp, string Sha)? TryRead(string entry)
    {
        try
        {
            var lines = File.ReadAllLines(entry);
            return lines.Length >= 2 ? (lines[0], lines[1]) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static string? EntryPath(string fullPath)
    {
        if (CacheFolder.Root() is not { } root) return null;
        string name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fullPath)))[..32];
        return Path.Combine(root, "file-hashes", name);
    }
}

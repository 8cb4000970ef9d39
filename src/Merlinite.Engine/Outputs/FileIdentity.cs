using System.Runtime.InteropServices;

namespace Merlinite.Engine.Outputs;

/// <summary>
/// Whether two paths name one file, however they are spelled: through symbolic links (a linked folder, a linked file),
/// or as two hard links of one file. Paths are compared after resolving every link (libc's realpath where there is
/// one), and on Linux two existing files also by device and inode, which is what makes two hard links the same file.
/// </summary>
public static partial class FileIdentity
{
    /// <summary>The absolute path with every symbolic link resolved. A path that does not exist (yet) keeps its missing
    /// part as written, under its nearest existing folder's real path.</summary>
    public static string RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        var missing = new Stack<string>();
        string? existing = full;
        while (existing is not null && !Path.Exists(existing))
        {
            missing.Push(Path.GetFileName(existing));
            existing = Path.GetDirectoryName(existing);
        }
        if (existing is null) return full;
        string real = Resolve(existing);
        while (missing.TryPop(out var part)) real = Path.Combine(real, part);
        return real;
    }

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> are the same file (or folder).</summary>
    public static bool Same(string a, string b)
    {
        var comparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        if (string.Equals(RealPath(a), RealPath(b), comparison)) return true;
        return Inode(a) is { } x && Inode(b) is { } y && x == y;
    }

    private static string Resolve(string existing)
    {
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                nint resolved = RealPathNative(existing, 0);
                if (resolved != 0)
                {
                    try { return Marshal.PtrToStringUTF8(resolved) ?? existing; }
                    finally { Free(resolved); }
                }
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
        // Without realpath only the last link is resolved (enough for a linked file next to its target).
        try { return (Directory.Exists(existing) ? new DirectoryInfo(existing).ResolveLinkTarget(true)?.FullName
                : new FileInfo(existing).ResolveLinkTarget(true)?.FullName) ?? existing; }
        catch (IOException) { return existing; }
    }

    /// <summary>The (device, inode) of an existing file on Linux; null elsewhere or when stat fails. struct stat starts
    /// with st_dev (8 bytes) and st_ino (8 bytes) on every 64-bit Linux ABI .NET runs on (x64, arm64), so the two
    /// fields are read from a buffer larger than the whole struct without depending on the rest of its
    /// layout.</summary>
    private static unsafe (ulong Device, ulong Inode)? Inode(string path)
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess || !File.Exists(path)) return null;
        byte* buffer = stackalloc byte[512];
        try
        {
            if (Stat(path, buffer) != 0) return null;
            return (*(ulong*)buffer, *(ulong*)(buffer + 8));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);
}

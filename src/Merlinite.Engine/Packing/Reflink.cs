using System.Runtime.InteropServices;

namespace Merlinite.Engine.Packing;

/// <summary>Linux's FICLONERANGE: the target shares the source's blocks (copy on write) instead of copying them.
/// Filesystems without it (ext4, tmpfs) refuse, and the caller copies.</summary>
internal static partial class Reflink
{
    // _IOW(0x94, 13, struct file_clone_range): the struct is 32 bytes.
    private const ulong FiCloneRange = 0x4020940D;

    [StructLayout(LayoutKind.Sequential)]
    private struct FileCloneRange
    {
        public long SourceFd;
        public ulong SourceOffset;
        public ulong Length;
        public ulong TargetOffset;
    }

    /// <summary>Clones <paramref name="length"/> bytes (a multiple of the filesystem's block size, which
    /// <see cref="PackLayout.Alignment"/> is) at <paramref name="offset"/> to the start of the empty target.</summary>
    public static bool TryCloneRange(FileStream source, FileStream target, long offset, long length)
    {
        if (!OperatingSystem.IsLinux()) return false;
        var range = new FileCloneRange
        {
            SourceFd = source.SafeFileHandle.DangerousGetHandle(),
            SourceOffset = (ulong)offset,
            Length = (ulong)length,
        };
        try { return Ioctl((int)target.SafeFileHandle.DangerousGetHandle(), FiCloneRange, ref range) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    [LibraryImport("libc", EntryPoint = "ioctl")]
    private static partial int Ioctl(int fd, ulong request, ref FileCloneRange range);
}

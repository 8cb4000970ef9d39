using Microsoft.Win32.SafeHandles;

namespace Merlinite.Gguf;

/// <summary>
/// Positional byte access to a GGUF image. Reads are positional (no shared cursor), so tensors can be read from
/// several threads at once.
/// </summary>
internal abstract class GgufSource : IDisposable
{
    public abstract long Length { get; }

    /// <summary>Reads up to <paramref name="destination"/>.Length bytes at <paramref name="offset"/>; returns how many were read (fewer only at the end).</summary>
    protected abstract int ReadAt(long offset, Span<byte> destination);

    /// <summary>Fills <paramref name="destination"/> completely; returns false if the source ended first (e.g. the file shrank).</summary>
    public bool TryReadExactly(long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int n = ReadAt(offset, destination);
            if (n <= 0) return false;
            offset += n;
            destination = destination[n..];
        }
        return true;
    }

    public virtual void Dispose() { }
}

internal sealed class FileSource : GgufSource
{
    private readonly SafeFileHandle _handle;

    public FileSource(string path)
    {
        // RandomAccess hint: tensor reads jump around; sequential read-ahead of a 14 GB file would only evict cache.
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            Length = RandomAccess.GetLength(_handle);
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
    }

    public override long Length { get; }

    protected override int ReadAt(long offset, Span<byte> destination) => RandomAccess.Read(_handle, destination, offset);

    public override void Dispose() => _handle.Dispose();
}

internal sealed class MemorySource(ReadOnlyMemory<byte> data) : GgufSource
{
    public override long Length => data.Length;

    protected override int ReadAt(long offset, Span<byte> destination)
    {
        if (offset >= data.Length) return 0;
        var available = data.Span[(int)offset..];
        int n = Math.Min(available.Length, destination.Length);
        available[..n].CopyTo(destination);
        return n;
    }
}

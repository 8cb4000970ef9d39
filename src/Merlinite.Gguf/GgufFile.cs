using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace Merlinite.Gguf;

/// <summary>
/// An open GGUF file (version 2 or 3): its metadata and tensor table are parsed and validated on open; tensor data
/// is read on demand with positional reads, so a 14 GB model costs only its header in memory. Reads are thread-safe.
/// </summary>
public sealed class GgufFile : IDisposable
{
    // Dequantization works through a bounded staging buffer so row ranges of any size stream through small memory.
    private const int StagingBytes = 1 << 20;

    private readonly GgufSource _source;
    private readonly Dictionary<string, int> _tensorIndex;
    private readonly GgufTensorInfo[] _tensors;
    private bool _disposed;

    private GgufFile(GgufSource source, string path)
    {
        _source = source;
        Path = path;
        FileLength = source.Length;
        var parsed = GgufParser.Parse(source, path);
        Version = parsed.Version;
        Alignment = parsed.Alignment;
        DataOffset = parsed.DataOffset;
        Metadata = parsed.Metadata;
        _tensors = parsed.Tensors;
        _tensorIndex = parsed.TensorIndex;
    }

    /// <summary>Opens and validates <paramref name="path"/>; throws <see cref="GgufFormatException"/> if it is not a well-formed GGUF file.</summary>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var source = new FileSource(path);
        try
        {
            return new GgufFile(source, path);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Parses a GGUF image held in memory; <paramref name="displayName"/> is used in error messages.</summary>
    public static GgufFile FromMemory(ReadOnlyMemory<byte> data, string displayName = "(memory)") =>
        new(new MemorySource(data), displayName);

    /// <summary>The path the file was opened with (or the display name of an in-memory image).</summary>
    public string Path { get; }

    /// <summary>GGUF format version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>Data alignment: <c>general.alignment</c>, or 32.</summary>
    public uint Alignment { get; }

    /// <summary>Absolute offset of the tensor data section (tensor offsets are relative to it).</summary>
    public long DataOffset { get; }

    public long FileLength { get; }

    public GgufMetadata Metadata { get; }

    public IReadOnlyList<GgufTensorInfo> Tensors => _tensors;

    /// <summary>Sum of the tensors' data sizes (excluding alignment padding).</summary>
    public long TensorDataBytes => _tensors.Sum(t => t.ByteSize);

    public bool TryGetTensor(string name, [NotNullWhen(true)] out GgufTensorInfo? tensor)
    {
        tensor = _tensorIndex.TryGetValue(name, out int i) ? _tensors[i] : null;
        return tensor is not null;
    }

    /// <summary>The tensor called <paramref name="name"/>; throws <see cref="GgufFormatException"/> if the file has none.</summary>
    public GgufTensorInfo GetTensor(string name) =>
        TryGetTensor(name, out var t) ? t : throw new GgufFormatException($"{Path}: there is no tensor named '{name}'", Path, null);

    // ---- raw bytes ----

    public byte[] ReadTensorBytes(string name) => ReadTensorBytes(GetTensor(name));

    /// <summary>The tensor's stored bytes, exactly as in the file.</summary>
    public byte[] ReadTensorBytes(GgufTensorInfo tensor)
    {
        Check(tensor);
        if (tensor.ByteSize > Array.MaxLength)
            throw new NotSupportedException($"tensor '{tensor.Name}' is {tensor.ByteSize} bytes, too large for one array; read it in pieces with ReadTensorBytes(tensor, offset, destination)");
        var bytes = new byte[tensor.ByteSize];
        ReadTensorBytes(tensor, 0, bytes);
        return bytes;
    }

    /// <summary>Reads <paramref name="destination"/>.Length bytes of the tensor's data starting <paramref name="byteOffset"/> bytes into it.</summary>
    public void ReadTensorBytes(GgufTensorInfo tensor, long byteOffset, Span<byte> destination)
    {
        Check(tensor);
        if (byteOffset < 0 || byteOffset > tensor.ByteSize || destination.Length > tensor.ByteSize - byteOffset)
            throw new ArgumentOutOfRangeException(nameof(byteOffset),
                $"bytes [{byteOffset}, {byteOffset + destination.Length}) are outside tensor '{tensor.Name}' ({tensor.ByteSize} bytes)");
        long at = tensor.FileOffset + byteOffset;
        if (!_source.TryReadExactly(at, destination))
            throw new GgufFormatException($"{Path}: the file ended while reading tensor '{tensor.Name}' at offset 0x{at:X} (was it truncated after opening?)", Path, at);
    }

    /// <summary>Reads the stored bytes of rows [<paramref name="firstRow"/>, +<paramref name="rowCount"/>) (a row is ne0 elements).</summary>
    public void ReadRows(GgufTensorInfo tensor, long firstRow, int rowCount, Span<byte> destination)
    {
        CheckRows(tensor, firstRow, rowCount);
        long bytes = rowCount * tensor.RowByteSize;
        if (destination.Length < bytes)
            throw new ArgumentException($"destination holds {destination.Length} bytes, {rowCount} rows of '{tensor.Name}' need {bytes}", nameof(destination));
        ReadTensorBytes(tensor, firstRow * tensor.RowByteSize, destination[..(int)bytes]);
    }

    // ---- floats ----

    public float[] ReadTensorAsFloat32(string name) => ReadTensorAsFloat32(GetTensor(name));

    /// <summary>The whole tensor dequantized to float, in ggml element order (ne0 fastest).</summary>
    public float[] ReadTensorAsFloat32(GgufTensorInfo tensor)
    {
        Check(tensor);
        RequireDequantizable(tensor);
        if (tensor.ElementCount > Array.MaxLength)
            throw new NotSupportedException($"tensor '{tensor.Name}' has {tensor.ElementCount} elements, too many for one array; use ReadRowsAsFloat32");
        var result = new float[tensor.ElementCount];
        DequantizeBlocks(tensor, 0, tensor.ElementCount / tensor.TypeInfo.BlockSize, result);
        return result;
    }

    /// <summary>
    /// Dequantizes rows [<paramref name="firstRow"/>, +<paramref name="rowCount"/>) into <paramref name="destination"/>
    /// (rowCount·ne0 floats), staging at most about a megabyte of file data at a time.
    /// </summary>
    public void ReadRowsAsFloat32(GgufTensorInfo tensor, long firstRow, int rowCount, Span<float> destination)
    {
        CheckRows(tensor, firstRow, rowCount);
        RequireDequantizable(tensor);
        long count = rowCount * tensor.RowLength;
        if (destination.Length < count)
            throw new ArgumentException($"destination holds {destination.Length} floats, {rowCount} rows of '{tensor.Name}' need {count}", nameof(destination));
        int blockSize = tensor.TypeInfo.BlockSize;
        // Rows are whole blocks (checked on open), so a row range is a block range.
        DequantizeBlocks(tensor, firstRow * (tensor.RowLength / blockSize), count / blockSize, destination[..(int)count]);
    }

    private void DequantizeBlocks(GgufTensorInfo tensor, long firstBlock, long blockCount, Span<float> destination)
    {
        var info = tensor.TypeInfo;
        long blocksPerChunk = Math.Max(1, StagingBytes / info.BytesPerBlock);
        var staging = ArrayPool<byte>.Shared.Rent((int)(Math.Min(blocksPerChunk, Math.Max(blockCount, 1)) * info.BytesPerBlock));
        try
        {
            long done = 0;
            while (done < blockCount)
            {
                int blocks = (int)Math.Min(blocksPerChunk, blockCount - done);
                var src = staging.AsSpan(0, blocks * info.BytesPerBlock);
                ReadTensorBytes(tensor, (firstBlock + done) * info.BytesPerBlock, src);
                GgmlDequantizer.Dequantize(info.Type, src, destination.Slice((int)(done * info.BlockSize), blocks * info.BlockSize));
                done += blocks;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }
    }

    private static void RequireDequantizable(GgufTensorInfo tensor)
    {
        if (!GgmlDequantizer.IsSupported(tensor.Type))
            throw new NotSupportedException($"tensor '{tensor.Name}' is {tensor.TypeInfo.Name}, which this library cannot dequantize");
    }

    private void CheckRows(GgufTensorInfo tensor, long firstRow, int rowCount)
    {
        Check(tensor);
        if (firstRow < 0 || rowCount < 0 || firstRow > tensor.RowCount - rowCount)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"rows [{firstRow}, {firstRow + rowCount}) are outside tensor '{tensor.Name}' ({tensor.RowCount} rows)");
    }

    private void Check(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)tensor.Index >= (uint)_tensors.Length || !ReferenceEquals(_tensors[tensor.Index], tensor))
            throw new ArgumentException($"tensor '{tensor.Name}' does not belong to {Path}", nameof(tensor));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _source.Dispose();
    }
}

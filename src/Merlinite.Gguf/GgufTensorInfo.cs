using System.Globalization;

namespace Merlinite.Gguf;

/// <summary>
/// A tensor's entry in a GGUF file. <see cref="Shape"/> is in ggml order: ne0 (the contiguous row length) first, so a
/// [ne0, ne1] matrix has ne1 rows of ne0 elements. Every size here was validated against the file when it was opened.
/// </summary>
public sealed class GgufTensorInfo
{
    private readonly long[] _shape;

    internal GgufTensorInfo(int index, string name, long[] shape, GgmlTypeInfo typeInfo, long offset, long dataOffset,
        long elementCount, long byteSize, long infoOffset)
    {
        Index = index;
        Name = name;
        _shape = shape;
        TypeInfo = typeInfo;
        Offset = offset;
        FileOffset = dataOffset + offset;
        ElementCount = elementCount;
        ByteSize = byteSize;
        InfoOffset = infoOffset;
        RowLength = shape[0];
        RowCount = elementCount / shape[0];
        RowByteSize = typeInfo.RowByteSize(shape[0]);
    }

    /// <summary>Position in the file's tensor list.</summary>
    public int Index { get; }

    public string Name { get; }

    /// <summary>Dimensions ne0..ne(n-1), ne0 first (a copy; the info itself is immutable).</summary>
    public long[] Shape => (long[])_shape.Clone();

    public int DimensionCount => _shape.Length;

    /// <summary>ne[i], or 1 beyond the stored dimensions (as ggml pads shapes to 4-D).</summary>
    public long Dimension(int i) => i < _shape.Length ? _shape[i] : 1;

    public GgmlType Type => TypeInfo.Type;

    public GgmlTypeInfo TypeInfo { get; }

    /// <summary>Offset of the data from the start of the data section, as stored in the file.</summary>
    public long Offset { get; }

    /// <summary>Absolute offset of the data in the file.</summary>
    public long FileOffset { get; }

    /// <summary>Where this tensor's info record starts in the header (for diagnostics).</summary>
    public long InfoOffset { get; }

    public long ElementCount { get; }

    public long ByteSize { get; }

    /// <summary>ne0: elements per row.</summary>
    public long RowLength { get; }

    /// <summary>Rows over all higher dimensions (ne1·ne2·ne3).</summary>
    public long RowCount { get; }

    public long RowByteSize { get; }

    public override string ToString() =>
        $"{Name} [{string.Join(", ", _shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))}] {TypeInfo.Name}";
}

namespace Merlinite.Gguf;

public sealed partial class GgufWriter
{
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <summary>A tensor queued for writing; exactly one of the four sources is set, or none for a zero tensor.</summary>
    private sealed class PendingTensor
    {
        public required string Name { get; init; }
        public required long[] Shape { get; init; }
        public required GgmlTypeInfo Type { get; init; }
        public required long Elements { get; init; }
        public required long Bytes { get; init; }
        public long RowLength => Shape[0];
        public long RowCount => Elements / Shape[0];
        public long RowBytes => Type.RowByteSize(Shape[0]);
        public ReadOnlyMemory<float> Floats { get; init; }
        public RowFiller? Filler { get; init; }
        public ReadOnlyMemory<byte> Raw { get; init; }
        public RawRowFiller? RawFiller { get; init; }
        /// <summary>All bytes zero, written as a hole (see <see cref="AddZeroTensor"/>).</summary>
        public bool Zero { get; init; }
    }

    public int TensorCount => _tensors.Count;

    /// <summary>Adds a tensor stored as <paramref name="storedType"/> (F32, F16, BF16 or Q8_0) from floats in ggml order (ne0 fastest).</summary>
    public void AddTensor(string name, long[] shape, GgmlType storedType, ReadOnlyMemory<float> data)
    {
        var (type, elements, bytes) = Validate(name, shape, storedType, encodeFromFloat: true);
        if (data.Length != elements)
            throw new ArgumentException($"tensor '{name}' has {elements} elements but {data.Length} values were given", nameof(data));
        Queue(new PendingTensor { Name = name, Shape = (long[])shape.Clone(), Type = type, Elements = elements, Bytes = bytes, Floats = data });
    }

    /// <summary>
    /// Adds a tensor stored as <paramref name="storedType"/> whose rows <paramref name="fill"/> produces during
    /// <see cref="Write"/> (see <see cref="RowFiller"/>), so the tensor is never held in memory whole.
    /// </summary>
    public void AddTensor(string name, long[] shape, GgmlType storedType, RowFiller fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        var (type, elements, bytes) = Validate(name, shape, storedType, encodeFromFloat: true);
        Queue(new PendingTensor { Name = name, Shape = (long[])shape.Clone(), Type = type, Elements = elements, Bytes = bytes, Filler = fill });
    }

    /// <summary>
    /// Adds a tensor of any type whose bytes are all zero, written as a hole: the file is sparse and takes no disk for
    /// it. A model's shape without its weights (what memory planning reads); llama.cpp loads it as zero weights.
    /// </summary>
    public void AddZeroTensor(string name, long[] shape, GgmlType type)
    {
        var (info, elements, bytes) = Validate(name, shape, type, encodeFromFloat: false);
        Queue(new PendingTensor { Name = name, Shape = (long[])shape.Clone(), Type = info, Elements = elements, Bytes = bytes, Zero = true });
    }

    /// <summary>Adds already-encoded data of any type (e.g. a Q4_K tensor copied from another file), written as is.</summary>
    public void AddRawTensor(string name, long[] shape, GgmlType type, ReadOnlyMemory<byte> data)
    {
        var (info, elements, bytes) = Validate(name, shape, type, encodeFromFloat: false);
        if (data.Length != bytes)
            throw new ArgumentException($"tensor '{name}' of type {info.Name} needs {bytes} bytes but {data.Length} were given", nameof(data));
        Queue(new PendingTensor { Name = name, Shape = (long[])shape.Clone(), Type = info, Elements = elements, Bytes = bytes, Raw = data });
    }

    /// <summary>Adds already-encoded data of any type, produced row chunk by row chunk during <see cref="Write"/>.</summary>
    public void AddRawTensor(string name, long[] shape, GgmlType type, RawRowFiller fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        var (info, elements, bytes) = Validate(name, shape, type, encodeFromFloat: false);
        Queue(new PendingTensor { Name = name, Shape = (long[])shape.Clone(), Type = info, Elements = elements, Bytes = bytes, RawFiller = fill });
    }

    /// <summary>
    /// Copies a tensor's stored bytes from <paramref name="source"/> (which must stay open until <see cref="Write"/>
    /// returns), optionally under a new name.
    /// </summary>
    public void CopyTensor(GgufFile source, GgufTensorInfo tensor, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(tensor);
        AddRawTensor(name ?? tensor.Name, tensor.Shape, tensor.Type, (first, count, dest) => source.ReadRows(tensor, first, count, dest));
    }

    private void Queue(PendingTensor tensor)
    {
        _tensorNames.Add(tensor.Name);
        _tensors.Add(tensor);
    }

    private (GgmlTypeInfo Type, long Elements, long Bytes) Validate(string name, long[] shape, GgmlType type, bool encodeFromFloat)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        int nameBytes = Utf8Length(name);
        if (nameBytes >= GgufParser.MaxTensorNameBytes)
            throw new ArgumentException($"tensor name '{name}' is {nameBytes} bytes; ggml allows at most {GgufParser.MaxTensorNameBytes - 1}", nameof(name));
        if (_tensorNames.Contains(name))
            throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        if (!GgmlTypeInfo.TryGet((uint)type, out var info))
            throw new ArgumentException($"tensor '{name}': {(uint)type} is not a ggml type", nameof(type));
        if (encodeFromFloat && !GgmlEncoder.IsSupported(type))
            throw new ArgumentException($"tensor '{name}': cannot encode floats as {info.Name}; the writer produces F32, F16, BF16 and Q8_0 (use AddRawTensor for pre-encoded data)", nameof(type));
        if (shape.Length is 0 or > GgufParser.MaxDimensions)
            throw new ArgumentException($"tensor '{name}' has {shape.Length} dimensions; ggml supports 1 to {GgufParser.MaxDimensions}", nameof(shape));

        long elements = 1;
        foreach (long d in shape)
        {
            if (d < 1) throw new ArgumentException($"tensor '{name}' shape [{string.Join(", ", shape)}] has a dimension below 1", nameof(shape));
            if (elements > long.MaxValue / d) throw new ArgumentException($"tensor '{name}' shape [{string.Join(", ", shape)}] has too many elements", nameof(shape));
            elements *= d;
        }
        if (shape[0] % info.BlockSize != 0)
            throw new ArgumentException($"tensor '{name}' row length {shape[0]} is not a multiple of the {info.Name} block size {info.BlockSize}", nameof(shape));
        long rowBytes = info.RowByteSize(shape[0]);
        // Streaming works in whole rows, so one row (as floats and as bytes) must fit in an array.
        if (shape[0] > Array.MaxLength / sizeof(float) || rowBytes > Array.MaxLength)
            throw new ArgumentException($"tensor '{name}' rows of {shape[0]} elements are too long to write", nameof(shape));
        return (info, elements, rowBytes * (elements / shape[0]));
    }
}

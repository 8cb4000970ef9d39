namespace Merlinite.Gguf;

/// <summary>
/// Supplies rows [<paramref name="firstRow"/>, firstRow + <paramref name="rowCount"/>) of a tensor being written:
/// <paramref name="destination"/> holds rowCount·ne0 floats (zeroed) to fill, ne0 fastest. Called in row order, a
/// chunk at a time, so a tensor never needs to exist in memory as a whole.
/// </summary>
public delegate void RowFiller(long firstRow, int rowCount, Span<float> destination);

/// <summary>As <see cref="RowFiller"/>, for tensors supplied already encoded: fill rowCount rows of stored bytes.</summary>
public delegate void RawRowFiller(long firstRow, int rowCount, Span<byte> destination);

namespace Merlinite.Engine.Placement;

/// <summary>
/// The compute buffer llama.cpp reserves for one micro-batch: its graph allocator reuses memory, so the buffer is
/// about the largest set of intermediate tensors alive at once. PROVISIONAL: to be fitted to llama.cpp's figures.
/// </summary>
public static class ComputeBuffer
{
    public static long Bytes(ModelDims d, ContextShape c)
    {
        long ub = c.MicroBatch;
        long cells = MemoryProjection.KvCells(c);
        int streams = c.Unified ? 1 : Math.Max(1, c.Sequences);
        long attention = c.FastAttention ? ub * d.HeadCount * d.ValueLength * 4L
            : cells / streams * ub * d.HeadCount * 4L;
        long logits = ub * d.VocabSize * 4L;
        int ff = d.FeedForwardLength * Math.Max(1, d.ExpertUsedCount);
        long ffn = ub * ff * 4L * 2;
        return Math.Max(attention, Math.Max(logits, ffn)) + ub * d.EmbeddingLength * 4L * 4;
    }

    /// <summary>The host's share when every layer is on the GPU: the input embeddings of one micro-batch.</summary>
    public static long HostInputBytes(ModelDims d, ContextShape c) => (long)c.MicroBatch * d.EmbeddingLength * 4L * 2;
}

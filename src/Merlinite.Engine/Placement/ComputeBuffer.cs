namespace Merlinite.Engine.Placement;

/// <summary>
/// The compute buffer llama.cpp reserves for one micro-batch. Its graph allocator reuses memory, so the buffer is the
/// largest set of intermediate tensors alive at once: around attention (the KQ mask and, without flash attention, the
/// n_kv × n_head score matrix of each token), around the feed-forward (SwiGLU's three n_ff-wide rows, n_expert_used of
/// them for a mixture of experts) or at the output (a row of logits). Fitted to llama.cpp's own figures (its no_alloc
/// reservation, tests/Merlinite.Llama.Tests/MemoryCalibration.cs) on 216 shapes from 0.2M parameters to Mixtral-8x7B:
/// within −3.4 % .. +0.3 %; the low end is a 7B without flash attention at short contexts, where llama.cpp keeps
/// 8 KiB more per token than these terms.
/// </summary>
public static class ComputeBuffer
{
    public static long Bytes(ModelDims d, ContextShape c)
    {
        long cellsPerStream = MemoryProjection.KvCells(c) / (c.Unified ? 1 : Math.Max(1, c.Sequences));
        long mask = cellsPerStream * (c.FastAttention ? 2 : 4);
        long gqa = (long)d.HeadCountKv * d.KeyLength;
        long scores = c.FastAttention ? 0 : 4 * cellsPerStream * d.HeadCount;
        long attention = mask + 4 * (5L * d.EmbeddingLength + 2 * gqa) + scores;
        long ffWidth = (long)d.FeedForwardLength * Math.Max(1, d.ExpertUsedCount);
        long feedForward = mask + 4 * (3 * ffWidth + 4L * d.EmbeddingLength);
        long output = 4 * ((long)d.VocabSize + 2L * d.EmbeddingLength);
        return c.MicroBatch * Math.Max(attention, Math.Max(feedForward, output));
    }

    /// <summary>The host's share when every layer is on the GPU: the input embeddings of one micro-batch.</summary>
    public static long HostInputBytes(ModelDims d, ContextShape c) => (long)c.MicroBatch * d.EmbeddingLength * 4L * 2;

    /// <summary>llama.cpp's output buffer (host memory): a row of logits for each output one decode returns.</summary>
    public static long OutputBytes(ModelDims d, ContextShape c) =>
        (long)Math.Max(c.Outputs, c.Sequences) * d.VocabSize * 4;
}

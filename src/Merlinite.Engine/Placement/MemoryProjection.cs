namespace Merlinite.Engine.Placement;

/// <summary>Projected bytes of one loaded model and its context, on the GPU and in host memory.</summary>
public sealed record MemoryUse(
    long GpuWeights, long GpuKv, long GpuCompute, long HostWeights, long HostKv, long HostCompute)
{
    public bool UsesGpu => GpuWeights + GpuKv > 0;
    /// <summary>Everything on the GPU, with the CUDA runtime's own share when the GPU is used at all.</summary>
    public long Gpu => GpuWeights + GpuKv + GpuCompute + (UsesGpu ? MemoryProjection.GpuRuntimeBytes : 0);
    /// <summary>The process's resident memory: what it holds in RAM plus the process itself.</summary>
    public long Host => HostWeights + HostKv + HostCompute + MemoryProjection.ProcessBytes;
}

/// <summary>
/// What a model needs where, projected from its tensor table (<see cref="ModelWeights"/>) and the context a job
/// creates (<see cref="ContextShape"/>), following llama.cpp's placement: an offloaded layer keeps its weights and its
/// KV cells on the GPU, token embeddings stay in host memory, and each backend that runs part of the graph holds a
/// compute buffer for the largest intermediate tensors of one micro-batch.
/// <para>Why our own projection and not llama.cpp's (<c>no_alloc</c>): the plan must be made for a GPU this machine
/// may not have (a dry run on a laptop for a 24 GB card) and before any file is loaded, and llama.cpp projects only
/// for the devices it sees. Its CPU figures under no_alloc are what the formulas here are checked against
/// (tests/…/MemoryProjectionTests).</para>
/// </summary>
public static class MemoryProjection
{
    /// <summary>The merlinite process without a model: .NET runtime, llama.cpp's libraries and thread pool.
    /// Measured: peak RSS of the AOT `merlinite score` on the tiny model, whose weights, KV and buffers are under
    /// 2 MiB, was 36.5 MB.</summary>
    public const long ProcessBytes = 35L << 20;

    /// <summary>The CUDA context, cuBLAS workspace and llama.cpp's graph state on the GPU. Not measured here (no GPU
    /// was lent for issue 29); llama.cpp's --fit keeps a 1 GiB margin for the same reason, so the default budget does
    /// too (<see cref="VramBudget.Margin"/>).</summary>
    public const long GpuRuntimeBytes = 512L << 20;

    public static MemoryUse Project(ModelWeights w, GpuPlacement p, ContextShape c)
    {
        var d = w.Dims;
        long kvPerBlock = KvBytesPerBlock(d, c);
        long gpuWeights = 0, hostWeights = w.Input, gpuKv = 0, hostKv = 0;
        bool anyHostCompute = false;
        for (int b = 0; b < d.Layers; b++)
        {
            var block = w.Blocks[b];
            if (p.BlockOnGpu(b, d))
            {
                gpuWeights += block.Dense;
                gpuKv += kvPerBlock;
                if (p.ExpertsOnGpu(b, d)) gpuWeights += block.Experts;
                else { hostWeights += block.Experts; anyHostCompute = true; }
            }
            else
            {
                hostWeights += block.Total;
                hostKv += kvPerBlock;
                anyHostCompute = true;
            }
        }
        if (p.HeadOnGpu) gpuWeights += w.Output;
        else { hostWeights += w.Output; anyHostCompute = true; }

        long graph = ComputeBuffer.Bytes(d, c);
        bool anyGpu = p.GpuLayers > 0;
        return new MemoryUse(gpuWeights, gpuKv, anyGpu ? graph : 0, hostWeights, hostKv,
            (anyHostCompute || !anyGpu ? graph : ComputeBuffer.HostInputBytes(d, c)) + ComputeBuffer.OutputBytes(d, c));
    }

    /// <summary>One block's K and V for every cell llama.cpp allocates.</summary>
    public static long KvBytesPerBlock(ModelDims d, ContextShape c) =>
        KvCells(c) * d.KvBytesPerBlockCell(c.FastAttention);

    /// <summary>The cells llama.cpp allocates: the context rounded up to 256, and with a buffer per sequence each
    /// sequence's share rounded up to 256 again (llama_context's constructor).</summary>
    public static long KvCells(ContextShape c)
    {
        long cells = Pad256(c.Cells);
        return c.Unified || c.Sequences <= 1 ? cells : Pad256(cells / c.Sequences) * c.Sequences;
    }

    private static long Pad256(long n) => (n + 255) / 256 * 256;
}

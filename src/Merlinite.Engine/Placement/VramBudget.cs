using Merlinite.Llama;

namespace Merlinite.Engine.Placement;

/// <summary>The GPU memory a model may take: the `vram` setting, or the GPUs' free memory minus a margin.</summary>
public static class VramBudget
{
    /// <summary>What the default budget leaves free: llama.cpp's --fit default target (1024 MiB), room for the
    /// CUDA runtime's growth and whatever else shares the card.</summary>
    public const long Margin = 1L << 30;

    public const double Gib = 1 << 30;

    /// <summary>Bytes to plan for: <paramref name="vramGib"/> when given (above 0), else the free memory of the GPUs
    /// llama.cpp sees minus <see cref="Margin"/>; null when there is no GPU and no budget was given (CPU
    /// only).</summary>
    public static long? Resolve(double vramGib)
    {
        if (vramGib > 0) return (long)(vramGib * Gib);
        long free = FreeGpuBytes();
        return free > 0 ? Math.Max(0, free - Margin) : null;
    }

    /// <summary>The free memory of the GPUs this build of llama.cpp can use (0 without a GPU backend, or without
    /// llama.cpp's libraries: a plan is still made then, for the CPU, and the load that needs them says what is
    /// missing).</summary>
    public static long FreeGpuBytes()
    {
        try
        {
            return LlamaRuntime.SupportsGpuOffload
                ? LlamaRuntime.GetDevices().Where(d => d.IsGpu).Sum(d => (long)d.MemoryFree)
                : 0;
        }
        catch (LlamaLibraryException) { return 0; }
    }
}

namespace Merlinite.Engine.Placement;

/// <summary>A model placed and projected: where its tensors go and what that costs where.</summary>
public sealed record FittedModel(ModelWeights Weights, GpuPlacement Placement, MemoryUse Memory, long? Budget)
{
    public bool FitsGpu => Budget is not long b || Memory.Gpu <= b || !Memory.UsesGpu;
    public string Describe() => Placement.Describe(Weights.Dims);
}

/// <summary>
/// <c>gpu_layers: auto</c>: the placement that fits a VRAM budget, in llama.cpp's --fit order. Everything on the GPU
/// if it fits; else, for a mixture of experts, every layer stays on the GPU and the experts of as few blocks as
/// needed (the last first) overflow to host memory, since a token reads only 2 of 8 experts but all of attention;
/// only then whole layers leave the GPU (their KV cells with them), the first layers first.
/// </summary>
public static class PlacementFit
{
    /// <param name="budget">GPU bytes the model may take; null: no GPU (everything in host memory).</param>
    public static FittedModel Fit(ModelWeights w, ContextShape c, long? budget)
    {
        if (budget is not long b) return Fitted(w, c, GpuPlacement.CpuOnly, null);
        var d = w.Dims;
        var all = GpuPlacement.All(d);
        if (Fits(w, all, c, b)) return Fitted(w, c, all, b);
        if (w.HasExperts)
            for (int k = 1; k <= d.Layers; k++)
            {
                var overflow = new GpuPlacement(d.Layers + 1, Enumerable.Range(d.Layers - k, k).ToArray());
                if (Fits(w, overflow, c, b)) return Fitted(w, c, overflow, b);
            }
        var expertsInRam = w.HasExperts ? Enumerable.Range(0, d.Layers).ToArray() : [];
        for (int layers = d.Layers; layers >= 1; layers--)
        {
            var partial = new GpuPlacement(layers, expertsInRam.Where(x => x >= d.Layers + 1 - layers).ToArray());
            if (Fits(w, partial, c, b)) return Fitted(w, c, partial, b);
        }
        return Fitted(w, c, GpuPlacement.CpuOnly, b);
    }

    /// <summary>A placement given by hand (gpu_layers: N), projected.</summary>
    public static FittedModel Manual(ModelWeights w, ContextShape c, int gpuLayers, long? budget)
    {
        int layers = gpuLayers < 0 ? w.Dims.Layers + 1 : Math.Min(gpuLayers, w.Dims.Layers + 1);
        return Fitted(w, c, budget is null ? GpuPlacement.CpuOnly : new GpuPlacement(layers, []), budget);
    }

    private static bool Fits(ModelWeights w, GpuPlacement p, ContextShape c, long budget) =>
        MemoryProjection.Project(w, p, c).Gpu <= budget;

    private static FittedModel Fitted(ModelWeights w, ContextShape c, GpuPlacement p, long? budget) =>
        new(w, p, MemoryProjection.Project(w, p, c), budget);
}

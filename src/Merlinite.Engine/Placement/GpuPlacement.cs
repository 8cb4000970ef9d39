using System.Globalization;

namespace Merlinite.Engine.Placement;

/// <summary>
/// Where a model's tensors go, in llama.cpp's terms: <see cref="GpuLayers"/> is its n_gpu_layers, the last N of the
/// n_layer + 1 layers (the LM head counts as the last, so 1 offloads only the head), and <see cref="ExpertsOnCpu"/>
/// lists offloaded blocks whose MoE expert tensors stay in host memory (tensor buffer-type overrides), so attention
/// and the dense weights run on the GPU while the experts, most of a Mixtral's bytes, are read from RAM.
/// </summary>
public sealed record GpuPlacement(int GpuLayers, IReadOnlyList<int> ExpertsOnCpu)
{
    public static readonly GpuPlacement CpuOnly = new(0, []);

    /// <summary>Every layer and the head on the GPU.</summary>
    public static GpuPlacement All(ModelDims dims) => new(dims.Layers + 1, []);

    public bool BlockOnGpu(int block, ModelDims dims) => block >= dims.Layers + 1 - GpuLayers;
    public bool HeadOnGpu => GpuLayers >= 1;
    public bool ExpertsOnGpu(int block, ModelDims dims) => BlockOnGpu(block, dims) && !ExpertsOnCpu.Contains(block);

    /// <summary>The tensor-name patterns llama.cpp keeps in host memory (regex_search on names like
    /// blk.20.ffn_up_exps.weight): one for all the overflowing blocks.</summary>
    public IReadOnlyList<string> CpuTensorPatterns =>
        Llama.LlamaTensorPatterns.ExpertLayers(ExpertsOnCpu) is { } pattern ? [pattern] : [];

    /// <summary>"all 33 layers on the GPU", "all 33 layers on the GPU, experts of 7 blocks (25-31) in RAM",
    /// "20/33 layers on the GPU", "CPU only".</summary>
    public string Describe(ModelDims dims)
    {
        int total = dims.Layers + 1;
        if (GpuLayers <= 0) return "CPU only";
        string layers = GpuLayers >= total ? $"all {total} layers on the GPU"
            : $"{GpuLayers}/{total} layers on the GPU";
        return ExpertsOnCpu.Count == 0 ? layers : $"{layers}, experts of {Blocks(ExpertsOnCpu, dims)} in RAM";
    }

    private static string Blocks(IReadOnlyList<int> blocks, ModelDims dims)
    {
        var sorted = blocks.Order().ToArray();
        if (sorted.Length == dims.Layers) return "every block";
        bool run = sorted[^1] - sorted[0] == sorted.Length - 1;
        string what = run ? $"{sorted[0]}-{sorted[^1]}" : string.Join(",", sorted);
        return string.Create(CultureInfo.InvariantCulture, $"{sorted.Length} blocks ({what})");
    }
}

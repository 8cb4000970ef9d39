using Merlinite.Engine.Placement;
using Merlinite.Llama;
using Merlinite.Synth;

namespace Merlinite.Engine.Tests.Placement;

/// <summary>The memory projection against llama.cpp's own (its no_alloc reservation on this CPU build), and the
/// placement `gpu_layers: auto` makes for the recipe's real shapes (shape-only files: the tensor table of the real
/// model, its bytes a hole).</summary>
public sealed class PlacementTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-placement-").FullName;

    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string Shape(SynthPreset preset, SynthArch arch, string type, string dims = "")
    {
        string path = Path.Combine(_dir, $"{preset}-{arch}-{type}-{dims.Replace(',', '_').Replace('=', '-')}.gguf");
        if (!File.Exists(path))
            ModelSynthesizer.SynthesizeShape(new SynthOptions
            {
                Preset = preset, Arch = arch, Dimensions = SynthParsing.ParseDimensions(dims),
            }, type, path);
        return path;
    }

    [Theory]
    [InlineData(SynthPreset.Small, SynthArch.Mistral, "f16", 4096, 1, false, 512)]
    [InlineData(SynthPreset.Small, SynthArch.Mixtral, "q8_0", 2048, 16, false, 512)]
    [InlineData(SynthPreset.Small, SynthArch.Mistral, "q4_k_m", 8192, 17, true, 512)]
    [InlineData(SynthPreset.Mistral7B, SynthArch.Mistral, "q4_k_m", 16384, 33, true, 512)]
    [InlineData(SynthPreset.Mixtral8x7B, SynthArch.Mixtral, "q4_k_m", 8192, 16, false, 512)]
    [InlineData(SynthPreset.Mistral7B, SynthArch.Mistral, "q4_k_m", 4096, 1, false, 128, true)]
    public void All_on_the_CPU_the_projection_matches_llama_cpps_own(SynthPreset preset, SynthArch arch, string type,
        int cells, int sequences, bool unified, int microBatch, bool fastAttention = false)
    {
        string path = Shape(preset, arch, type);
        var shape = new ContextShape(cells, sequences, unified, microBatch, fastAttention);
        var weights = ModelWeights.Read(path);
        var ours = MemoryProjection.Project(weights, GpuPlacement.CpuOnly, shape);

        var theirs = LlamaModel.ProjectMemory(path, new LlamaModelOptions { GpuLayers = 0 }, new LlamaContextOptions
        {
            ContextSize = cells, BatchSize = microBatch, MicroBatchSize = microBatch, Sequences = sequences,
            UnifiedKv = unified, ExactAttention = !fastAttention, Threads = 1,
        });

        // Weights: every tensor's bytes, exactly (llama_model_size).
        Assert.Equal(theirs.ModelBytes, weights.Total);
        // KV: exact up to the log's rounding to 0.01 MiB.
        Assert.InRange(ours.HostKv, theirs.KvBytes - LlamaMemoryProjection.LogRoundingBytes,
            theirs.KvBytes + LlamaMemoryProjection.LogRoundingBytes);
        // Compute: the fitted formula was within -3.4 % .. +0.3 % of llama.cpp on 216 shapes (ComputeBuffer); 4 %.
        long compute = theirs.Total(LlamaMemoryKind.Compute);
        Assert.InRange(ours.HostCompute - ComputeBuffer.OutputBytes(weights.Dims, shape), compute * 0.96, compute * 1.04);
    }

    [Fact]
    public void A_Mixtral_8x7B_on_24_GiB_keeps_every_layer_on_the_GPU_and_overflows_experts_the_7B_fits_whole()
    {
        long budget = 24L << 30;
        var scoring = new ContextShape(8192, 16, false, 512, false, 2048);
        var mixtral = ModelWeights.Read(Shape(SynthPreset.Mixtral8x7B, SynthArch.Mixtral, "q4_k_m"));
        var fitted = PlacementFit.Fit(mixtral, scoring, budget);
        Assert.Equal(33, fitted.Placement.GpuLayers);
        Assert.InRange(fitted.Placement.ExpertsOnCpu.Count, 1, 31);
        Assert.True(fitted.Memory.Gpu <= budget);
        // As few blocks as needed: one block fewer would not fit.
        var fewer = fitted.Placement with { ExpertsOnCpu = fitted.Placement.ExpertsOnCpu.Skip(1).ToArray() };
        Assert.True(MemoryProjection.Project(mixtral, fewer, scoring).Gpu > budget);
        Assert.Contains("experts of", fitted.Describe());
        Assert.Single(fitted.Placement.CpuTensorPatterns);

        var mistral = ModelWeights.Read(Shape(SynthPreset.Mistral7B, SynthArch.Mistral, "q4_k_m"));
        var sample = PlacementFit.Fit(mistral, new ContextShape(16384, 33, true, 512, false), budget);
        Assert.Equal(GpuPlacement.All(mistral.Dims), sample.Placement with { ExpertsOnCpu = [] });
        Assert.Empty(sample.Placement.ExpertsOnCpu);
    }

    [Fact]
    public void A_small_budget_gives_up_whole_layers_and_a_budget_below_everything_keeps_the_model_in_RAM()
    {
        var mistral = ModelWeights.Read(Shape(SynthPreset.Mistral7B, SynthArch.Mistral, "q4_k_m"));
        var shape = new ContextShape(4096, 1, true, 512, false);
        var partial = PlacementFit.Fit(mistral, shape, 3L << 30);
        Assert.InRange(partial.Placement.GpuLayers, 1, 32);
        Assert.True(partial.Memory.Gpu <= 3L << 30);
        Assert.True(MemoryProjection.Project(mistral, partial.Placement with { GpuLayers = partial.Placement.GpuLayers + 1 },
            shape).Gpu > 3L << 30);
        Assert.Equal(0, PlacementFit.Fit(mistral, shape, 100L << 20).Placement.GpuLayers);
        Assert.Null(PlacementFit.Fit(mistral, shape, null).Budget);

        // gpu_layers: N by hand wins, even when it does not fit (the plan then says so).
        var manual = PlacementFit.Manual(mistral, shape, -1, 3L << 30);
        Assert.Equal(33, manual.Placement.GpuLayers);
        Assert.False(manual.FitsGpu);
    }

    [Fact]
    public void The_Q4_K_M_shape_has_the_size_of_the_published_conversion()
    {
        // TheBloke's mistral-7b-instruct-v0.1.Q4_K_M.gguf is listed at 4.37 GB (its model card, two decimals); its
        // metadata (a 32,000-token vocabulary) is under 1 MB, so the tensors are 4.36-4.38 GB.
        var w = ModelWeights.Read(Shape(SynthPreset.Mistral7B, SynthArch.Mistral, "q4_k_m"));
        Assert.InRange(w.Total, 4.36e9, 4.38e9);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;
using Merlinite.Synth;

namespace Merlinite.Llama.Tests;

/// <summary>llama.cpp's own memory projection (no_alloc) read through the binding.</summary>
[Collection(NativeCollection.Name)]
public sealed class MemoryProjectionTests(TinyGgufFiles files) : IClassFixture<TinyGgufFiles>
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Projection_of_the_tiny_model_agrees_with_a_real_load_and_the_KV_formula()
    {
        var cp = TinyGgufFiles.EngineContext(nCtx: 512);
        var projected = LlamaModel.ProjectMemory(files.Mistral, LlamaModel.DefaultParams(), cp);
        var (real, modelSize) = RealLoad(files.Mistral, cp);
        int tensors = files.MistralFile.TensorCount;

        // Model: llama_model_size is exact; the real (mmapped) buffer spans the file's tensor data, where GGUF pads
        // every tensor to 32 bytes, and the log rounds it to 0.01 MiB.
        Assert.Equal((long)modelSize, projected.ModelBytes);
        long mapped = real.Single(r => r.Kind == "model").Bytes;
        Assert.InRange(mapped - projected.ModelBytes, -LlamaMemoryProjection.LogRoundingBytes,
            LlamaMemoryProjection.LogRoundingBytes + 32L * tensors);
        Assert.Equal(projected.ModelBytes, projected.Buffers.Single(b => b.Kind == LlamaMemoryKind.Model).Bytes);

        // KV: n_ctx × n_layer × n_head_kv × (head_k + head_v) × 4 bytes (F32 cache); tiny: 512 × 2 × 2 × 32 × 4.
        long formula = 512L * 2 * 2 * (16 + 16) * 4;
        Assert.Equal(512, projected.ContextSize);
        Assert.Equal(512, projected.KvCellsPerStream);
        Assert.InRange(projected.KvBytes - formula, -LlamaMemoryProjection.LogRoundingBytes,
            LlamaMemoryProjection.LogRoundingBytes);
        Assert.Equal(real.Single(r => r.Kind == "KV").Bytes, projected.KvBytes);

        // Compute: the worst-case graph reserved on paper is what a real context allocates (same printed figure).
        Assert.Equal(real.Single(r => r.Kind == "compute").Bytes, projected.Total(LlamaMemoryKind.Compute));
        Assert.True(projected.Total(LlamaMemoryKind.Compute) > 0);
        Assert.Equal(real.Single(r => r.Kind == "output").Bytes, projected.Total(LlamaMemoryKind.Output));
        Assert.Equal(projected.TotalBytes, projected.BufferBytes("CPU"));
        Assert.Empty(projected.TensorOverrides);
    }

    [Fact]
    public void Projection_lists_the_tensors_that_patterns_keep_on_the_CPU()
    {
        var projected = LlamaModel.ProjectMemory(files.Mixtral, LlamaModel.DefaultParams(),
            TinyGgufFiles.EngineContext(256), [LlamaTensorPatterns.ExpertLayers([1])!]);
        Assert.Equal(["blk.1.ffn_down_exps.weight", "blk.1.ffn_gate_exps.weight", "blk.1.ffn_up_exps.weight"],
            projected.TensorOverrides.Select(t => t.Tensor).Order());
        Assert.All(projected.TensorOverrides, t => Assert.Equal("CPU", t.Buffer));
    }

    [Fact]
    public void Projection_reads_no_weights_a_Mixtral_8x7B_layout_with_its_data_a_hole()
    {
        string path = Path.Combine(files.Folder, "mixtral-8x7b-layout.gguf");
        var written = ModelSynthesizer.SynthesizeShape(new SynthOptions { Preset = SynthPreset.Mixtral8x7B }, "f16", path);
        try
        {
            Assert.True(written.FileBytes > 90_000_000_000L, $"{written.FileBytes} bytes");
            var cp = TinyGgufFiles.EngineContext(nCtx: 4096);
            var watch = Stopwatch.StartNew();
            var projected = LlamaModel.ProjectMemory(path, LlamaModel.DefaultParams(), cp);
            watch.Stop();

            // llama_model_size is the exact sum of the tensors' bytes (F16 weights, F32 norms and routers).
            var hp = written.HyperParameters;
            long tensorBytes = LlamaTensorNames.Expected(hp).Sum(t => GgmlTypeInfo.Of(
                ModelSynthesizer.StoredTypeOf(t, written.StoredType)).RowByteSize(t.RowLength) * t.RowCount);
            Assert.Equal(tensorBytes, projected.ModelBytes);
            long kv = 4096L * hp.BlockCount * hp.HeadCountKv * (hp.HeadDim + hp.HeadDim) * 4;
            Assert.InRange(projected.KvBytes - kv, -LlamaMemoryProjection.LogRoundingBytes,
                LlamaMemoryProjection.LogRoundingBytes);
            // Reading 87 GiB, even of a hole, takes tens of seconds here (page-cache zero fill at a few GB/s); the
            // projection itself takes well under a second, so 5 s leaves room for a busy 2-core machine.
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"projection took {watch.Elapsed}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Log_lines_are_parsed_per_buffer_and_kind()
    {
        string[] log =
        [
            "load_tensors:        CUDA0 model buffer size =     0.00 MiB",
            "load_tensors:          CPU model buffer size =     0.00 MiB",
            "llama_context:  CUDA_Host  output buffer size =     0.12 MiB",
            "llama_kv_cache:      CUDA0 KV buffer size =     0.00 MiB",
            "llama_kv_cache: size =  512.00 MiB (  4096 cells,  32 layers,  1/1 seqs), K (f16):  256.00 MiB, ...",
            "tensor blk.31.ffn_up_exps.weight (448 MiB f16) buffer type overridden to CPU",
            "sched_reserve:      CUDA0 compute buffer size =   296.01 MiB",
            "sched_reserve:  CUDA_Host compute buffer size =    16.01 MiB",
            "~llama_context:        CPU compute buffer size is   5.7598 MiB, matches expectation of   5.7598 MiB",
        ];
        var p = LlamaMemoryProjection.Parse(log, modelBytes: 7 * 1024 * MiB, contextSize: 4096);
        // Two model buffers: llama.cpp says only the total under no_alloc, so neither gets a share.
        Assert.Null(p.Buffers.Single(b => b is { Buffer: "CUDA0", Kind: LlamaMemoryKind.Model }).Bytes);
        Assert.Null(p.BufferBytes("CUDA0"));
        Assert.Equal(7 * 1024 * MiB, p.Total(LlamaMemoryKind.Model));
        Assert.Equal(512 * MiB, p.Buffers.Single(b => b.Kind == LlamaMemoryKind.Kv).Bytes);
        Assert.Equal(4096, p.KvCellsPerStream);
        Assert.Equal(Mib("296.01") + Mib("16.01"), p.Total(LlamaMemoryKind.Compute));
        Assert.Equal(Mib("0.12") + Mib("16.01"), p.BufferBytes("CUDA_Host"));
        Assert.Equal([("blk.31.ffn_up_exps.weight", "CPU")], p.TensorOverrides);
    }

    private static long Mib(string s) => (long)Math.Round(double.Parse(s, CultureInfo.InvariantCulture) * MiB);

    /// <summary>A real load and context with the same parameters: llama.cpp's per-buffer lines and the model
    /// size.</summary>
    private static (List<(string Kind, long Bytes)> Lines, ulong ModelSize) RealLoad(
        string path, Llama.Native.llama_context_params cp)
    {
        using var capture = LlamaRuntime.CaptureLog();
        using var model = LlamaModel.Load(path);
        using (model.CreateContext(cp)) { }
        var lines = capture.Lines()
            .Select(l => Regex.Match(l, @"^\w+: +\S+ +(model|KV|output|compute) buffer size = +([0-9.]+) MiB"))
            .Where(m => m.Success).Select(m => (m.Groups[1].Value, Mib(m.Groups[2].Value))).ToList();
        return (lines, model.SizeBytes);
    }
}

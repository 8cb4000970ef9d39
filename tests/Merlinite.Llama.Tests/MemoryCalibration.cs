using System.Globalization;
using System.Text;
using Merlinite.Llama.Native;
using Merlinite.Synth;

namespace Merlinite.Llama.Tests;

/// <summary>Runs only when MERLINITE_CALIBRATE names a CSV file to write.</summary>
public sealed class CalibrationFactAttribute : FactAttribute
{
    public const string EnvVar = "MERLINITE_CALIBRATE";

    public CalibrationFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(EnvVar)))
            Skip = $"a measurement, not a test: set {EnvVar}=FILE.csv to write the table";
    }
}

/// <summary>
/// The table the engine's own memory plan is fitted to: llama.cpp's projected model, KV, output and compute buffers
/// on the CPU for a grid of shapes and context settings. Every model is a layout (header and tensor table, data a
/// hole), so the 7B shapes cost nothing. Run:
/// <c>MERLINITE_CALIBRATE=/tmp/calibration.csv dotnet test tests/Merlinite.Llama.Tests -c Release
/// --filter MemoryCalibration</c>
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class MemoryCalibration
{
    [CalibrationFact]
    public void Write_the_table()
    {
        string csv = Environment.GetEnvironmentVariable(CalibrationFactAttribute.EnvVar)!;
        string dir = Directory.CreateTempSubdirectory("merlinite-calibration-").FullName;
        var models = new (string Name, SynthPreset Preset, SynthArch Arch)[]
        {
            ("tiny", SynthPreset.Tiny, SynthArch.Mistral),
            ("tiny-moe", SynthPreset.Tiny, SynthArch.Mixtral),
            ("small", SynthPreset.Small, SynthArch.Mistral),
            ("small-moe", SynthPreset.Small, SynthArch.Mixtral),
            ("mistral-7b", SynthPreset.Mistral7B, SynthArch.Mistral),
            ("mixtral-8x7b", SynthPreset.Mixtral8x7B, SynthArch.Mixtral),
        };
        var sb = new StringBuilder("model,n_embd,n_head,n_head_kv,head_dim,n_ff,n_vocab,n_layer,n_expert,n_expert_used,"
            + "n_ctx,n_ubatch,n_seq,kv_unified,flash_attn,kv_type,ctx_actual,kv_cells_per_stream,model_bytes,kv_bytes,"
            + "output_bytes,compute_bytes,compute_formula\n");
        try
        {
            foreach (var (name, preset, arch) in models)
            {
                string path = Path.Combine(dir, name + ".gguf");
                var hp = ModelSynthesizer.SynthesizeShape(new SynthOptions { Preset = preset, Arch = arch }, "f16", path)
                    .HyperParameters;
                foreach (int nCtx in new[] { 512, 4096, 16384 })
                foreach (int nUbatch in new[] { 128, 512 })
                foreach (int nSeq in new[] { 1, 16 })
                foreach (bool unified in new[] { true, false })
                foreach (bool fa in new[] { false, true })
                {
                    if (nSeq == 1 && !unified) continue;  // one sequence: one stream either way
                    var cp = LlamaContext.DefaultParams();
                    cp.n_ctx = (uint)nCtx;
                    cp.n_batch = cp.n_ubatch = (uint)nUbatch;
                    cp.n_seq_max = (uint)nSeq;
                    cp.kv_unified = unified;
                    cp.flash_attn_type = fa ? LlamaFlashAttnType.Enabled : LlamaFlashAttnType.Disabled;
                    cp.type_k = cp.type_v = fa ? GgmlType.F16 : GgmlType.F32;
                    cp.n_threads = cp.n_threads_batch = 1;
                    string row = string.Join(',', name, hp.EmbeddingLength, hp.HeadCount, hp.HeadCountKv, hp.HeadDim,
                        hp.FeedForwardLength, hp.VocabSize, hp.BlockCount, hp.ExpertCount, hp.ExpertUsedCount,
                        nCtx, nUbatch, nSeq, unified ? 1 : 0, fa ? 1 : 0, fa ? "f16" : "f32") + ",";
                    try
                    {
                        var p = LlamaModel.ProjectMemory(path, LlamaModel.DefaultParams(), cp);
                        sb.Append(row).Append(CultureInfo.InvariantCulture, $"{p.ContextSize},{p.KvCellsPerStream},")
                            .Append(CultureInfo.InvariantCulture, $"{p.ModelBytes},{p.KvBytes},")
                            .Append(CultureInfo.InvariantCulture, $"{p.Total(LlamaMemoryKind.Output)},")
                            .Append(CultureInfo.InvariantCulture, $"{p.Total(LlamaMemoryKind.Compute)},")
                            .Append(CultureInfo.InvariantCulture,
                                $"{ComputeFormula(hp, p.KvCellsPerStream, nUbatch, fa)}\n");
                    }
                    catch (LlamaException e)
                    {
                        sb.Append(row).Append("failed: ").Append(e.Message.Replace(',', ';').ReplaceLineEndings(" "))
                            .Append('\n');
                    }
                }
                File.Delete(path);
            }
        }
        finally
        {
            File.WriteAllText(csv, sb.ToString());
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// The CPU compute buffer fitted to this table (216 rows: -3.3 % to +0.3 %, the low end on 7B shapes without flash
    /// attention and at most 1,024 KV cells). Per token of the ubatch, the largest of three moments of the graph:
    /// attention (the F32 mask, n_kv × 4 bytes, or F16 with flash attention, n_kv × 2; without flash attention the
    /// score matrix n_kv × n_head × 4; the residual stream, Q and the current K and V), the feed-forward (the mask
    /// still alive, gate, up and their product for every expert used, four n_embd rows), and the output (logits and
    /// two n_embd rows, after the mask is freed). n_kv is the KV cells of one stream.
    /// </summary>
    public static long ComputeFormula(Gguf.Architecture.LlamaHyperParameters hp, int nKv, int nUbatch, bool flash)
    {
        long embd = hp.EmbeddingLength, gqa = (long)hp.HeadCountKv * hp.HeadDim;
        long ff = (long)hp.FeedForwardLength * Math.Max(1, hp.ExpertUsedCount);
        long mask = (flash ? 2L : 4L) * nKv;
        long attention = mask + 4 * (5 * embd + 2 * gqa) + (flash ? 0 : 4L * nKv * hp.HeadCount);
        long feedForward = mask + 4 * (3 * ff + 4 * embd);
        long output = 4 * (hp.VocabSize + 2 * embd);
        return nUbatch * Math.Max(attention, Math.Max(feedForward, output));
    }
}

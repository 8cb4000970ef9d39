using Merlinite.Llama.Native;
using Merlinite.Synth;

namespace Merlinite.Llama.Tests;

/// <summary>The tiny synthesized models (F32), written once per test class into a temporary folder.</summary>
public sealed class TinyGgufFiles : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-llama-").FullName;

    public TinyGgufFiles()
    {
        Mistral = Path.Combine(_dir, "tiny-mistral.gguf");
        Mixtral = Path.Combine(_dir, "tiny-mixtral.gguf");
        MistralFile = ModelSynthesizer.Synthesize(
            new SynthOptions { Arch = SynthArch.Mistral, Preset = SynthPreset.Tiny, Seed = 1 }, Mistral);
        ModelSynthesizer.Synthesize(
            new SynthOptions { Arch = SynthArch.Mixtral, Preset = SynthPreset.Tiny, Seed = 2 }, Mixtral);
    }

    public string Mistral { get; }
    public string Mixtral { get; }
    public SynthResult MistralFile { get; }
    public string Folder => _dir;

    /// <summary>The engine's context without --fast-attn (Engine/Models/LoadedModel.cs): F32 KV cache, no flash
    /// attention, one sequence, n_ubatch = min(n_batch, 512); one thread, so runs are comparable bit for bit.</summary>
    public static llama_context_params EngineContext(int nCtx, int nBatch = 512)
    {
        var p = LlamaContext.DefaultParams();
        p.n_ctx = (uint)nCtx;
        p.n_batch = (uint)nBatch;
        p.n_ubatch = (uint)Math.Min(nBatch, 512);
        p.n_seq_max = 1;
        p.kv_unified = false;
        p.type_k = p.type_v = GgmlType.F32;
        p.flash_attn_type = LlamaFlashAttnType.Disabled;
        p.n_threads = p.n_threads_batch = 1;
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}

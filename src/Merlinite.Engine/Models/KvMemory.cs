using Merlinite.Llama;
using Merlinite.Llama.Native;

namespace Merlinite.Engine.Models;

/// <summary>What a KV cache costs a model and where its memory comes from: the figures a server sizes its context
/// by.</summary>
public static class KvMemory
{
    /// <summary>Bytes one token takes in the KV cache: a key and a value of every KV head of every layer, F32 (the
    /// default) or F16 (--fast-attn). Head sizes come from the GGUF (attention.key_length / value_length) where given,
    /// else n_embd / n_head, as llama.cpp takes them.</summary>
    public static long BytesPerToken(LlamaModel model, bool f16)
    {
        string arch = model.GetMetadata("general.architecture") ?? "";
        int headK = Int(model.GetMetadata(arch + ".attention.key_length")) ?? model.EmbeddingLength / model.HeadCount;
        int headV = Int(model.GetMetadata(arch + ".attention.value_length")) ?? headK;
        return (long)model.LayerCount * model.HeadCountKv * (headK + headV) * (f16 ? 2 : 4);
    }

    /// <summary>Free bytes where the KV cache goes: the GPUs' free memory when layers are offloaded to one (llama.cpp
    /// keeps an offloaded layer's KV beside its weights), else the host's MemAvailable.</summary>
    public static long Available(int? gpuLayers)
    {
        var gpus = LlamaRuntime.GetDevices().Where(d => d.Type == GgmlBackendDevType.Gpu).ToList();
        if (gpuLayers != 0 && gpus.Count > 0) return gpus.Sum(d => (long)d.MemoryFree);
        return HostAvailable();
    }

    private static long HostAvailable() => Placement.HostMemory.Available;

    private static int? Int(string? text) =>
        int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out int v) && v > 0 ? v : null;
}

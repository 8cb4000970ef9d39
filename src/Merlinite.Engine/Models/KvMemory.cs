using Merlinite.Engine.Placement;
using Merlinite.Llama;

namespace Merlinite.Engine.Models;

/// <summary>What a KV cache costs a model and where its memory comes from: the figures a server sizes its context
/// by.</summary>
public static class KvMemory
{
    /// <summary>Bytes one token takes in the KV cache of every layer (<see cref="ModelDims.KvBytesPerCell"/>), read
    /// from the model's GGUF.</summary>
    public static long BytesPerToken(LlamaModel model, bool f16) => ModelWeights.Read(model.Path).Dims.KvBytesPerCell(f16);

    /// <summary>Free bytes where the KV cache goes: the GPUs' free memory when layers are offloaded to one (llama.cpp
    /// keeps an offloaded layer's KV beside its weights), else the host's MemAvailable.</summary>
    public static long Available(int? gpuLayers) =>
        gpuLayers != 0 && VramBudget.FreeGpuBytes() is > 0 and long free ? free : HostMemory.Available;
}

using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>A LoRA adapter (<c>llama_adapter_lora</c>) loaded for one model. Set it on a context with
/// <see cref="LlamaContext.SetLoraAdapters"/>. Freed before its model whatever the order of disposal.</summary>
public sealed unsafe class LlamaLoraAdapter : IDisposable
{
    public SafeLlamaAdapterHandle Handle { get; }
    public LlamaModel Model { get; }
    /// <summary>Full path of the adapter file.</summary>
    public string Path { get; }

    private LlamaLoraAdapter(SafeLlamaAdapterHandle handle, LlamaModel model, string path)
    {
        Handle = handle;
        Model = model;
        Path = path;
    }

    /// <summary><c>llama_adapter_lora_init</c>; throws <see cref="LlamaModelLoadException"/> naming the path on failure.</summary>
    public static LlamaLoraAdapter Load(LlamaModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        string shown = full == path ? path : $"{path} ({full})";
        if (!File.Exists(full))
            throw new LlamaModelLoadException(full, $"LoRA adapter file not found: {shown}", new FileNotFoundException("adapter file not found", full));
        LlamaRuntime.DrainRecentLogErrors();
        var h = SafeLlamaAdapterHandle.Create(model.Handle, full)
            ?? throw new LlamaModelLoadException(full, $"llama.cpp could not load the LoRA adapter {shown} for {model.Path}{LlamaRuntime.RecentErrorsSuffix()}");
        return new LlamaLoraAdapter(h, model, full);
    }

    private llama_adapter_lora* Ptr => Handle.Pointer;

    public string? GetMetadata(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return NativeStrings.ReadSnprintf((b, n) => LlamaNative.llama_adapter_meta_val_str(Ptr, key, b, n));
    }

    public int MetadataCount => LlamaNative.llama_adapter_meta_count(Ptr);
    public string? GetMetadataKey(int index) => NativeStrings.ReadSnprintf((b, n) => LlamaNative.llama_adapter_meta_key_by_index(Ptr, index, b, n));
    public string? GetMetadataValue(int index) => NativeStrings.ReadSnprintf((b, n) => LlamaNative.llama_adapter_meta_val_str_by_index(Ptr, index, b, n));

    public IReadOnlyDictionary<string, string> GetAllMetadata() => NativeStrings.CollectMetadata(MetadataCount, GetMetadataKey, GetMetadataValue);

    /// <summary>Invocation tokens of an aLoRA (activated LoRA); empty for a plain LoRA.</summary>
    public int[] GetAloraInvocationTokens()
    {
        ulong n = LlamaNative.llama_adapter_get_alora_n_invocation_tokens(Ptr);
        int* p = LlamaNative.llama_adapter_get_alora_invocation_tokens(Ptr);
        return n == 0 || p == null ? [] : new ReadOnlySpan<int>(p, checked((int)n)).ToArray();
    }

    public void Dispose() => Handle.Dispose();
}

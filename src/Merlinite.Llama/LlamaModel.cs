using System.Runtime.InteropServices;
using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>A loaded model (<c>llama_model</c>). Dispose frees it once the contexts and adapters made from it are gone.</summary>
public sealed unsafe class LlamaModel : IDisposable
{
    /// <summary>The owning handle.</summary>
    public SafeLlamaModelHandle Handle { get; }
    /// <summary>The path the model was loaded from (full path).</summary>
    public string Path { get; }
    /// <summary>The model's vocabulary.</summary>
    public LlamaVocab Vocab { get; }

    private LlamaModel(SafeLlamaModelHandle handle, string path)
    {
        Handle = handle;
        Path = path;
        Vocab = new LlamaVocab(this, LlamaNative.llama_model_get_vocab(handle.Pointer));
    }

    internal llama_model* Ptr => Handle.Pointer;

    /// <summary><c>llama_model_default_params()</c> (initializes llama.cpp first).</summary>
    internal static llama_model_params DefaultParams()
    {
        LlamaRuntime.EnsureInitialized();
        return LlamaNative.llama_model_default_params();
    }

    /// <summary>Loads a GGUF model with the default parameters.</summary>
    public static LlamaModel Load(string path) => Load(path, DefaultParams());

    /// <summary>Loads a GGUF model as <paramref name="options"/> say (see the overload below for what is
    /// thrown).</summary>
    public static LlamaModel Load(string path, LlamaModelOptions options, Func<float, bool>? progress = null) =>
        Load(path, options.ToNative(), progress, options.CpuTensorPatterns);

    /// <summary>
    /// Loads a GGUF model (<c>llama_model_load_from_file</c>). <paramref name="progress"/> receives 0..1 and returns false to
    /// cancel (then <see cref="OperationCanceledException"/>); it replaces <c>progress_callback</c> of <paramref name="parameters"/>.
    /// Tensors whose names match one of <paramref name="cpuTensorPatterns"/> stay in CPU memory (replaces
    /// <c>tensor_buft_overrides</c>; see <see cref="LlamaTensorPatterns"/>); a pattern llama.cpp cannot compile throws
    /// <see cref="LlamaTensorPatternException"/> before the file is read.
    /// Throws <see cref="LlamaModelLoadException"/> naming the path when the file is missing or llama.cpp rejects it.
    /// </summary>
    internal static LlamaModel Load(string path, llama_model_params parameters, Func<float, bool>? progress = null,
        IReadOnlyList<string>? cpuTensorPatterns = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        LlamaRuntime.EnsureInitialized();
        string full = System.IO.Path.GetFullPath(path);
        string shown = full == path ? path : $"{path} ({full})";
        using var overrides = NativeTensorOverrides.ToCpu(cpuTensorPatterns);
        if (!File.Exists(full))
            throw new LlamaModelLoadException(full, $"model file not found: {shown}", new FileNotFoundException("model file not found", full));
        if (overrides is not null) parameters.tensor_buft_overrides = overrides.Pointer;

        LlamaRuntime.DrainRecentLogErrors();
        ProgressState? state = null;
        GCHandle gch = default;
        if (progress is not null)
        {
            state = new ProgressState(progress);
            gch = GCHandle.Alloc(state);
            parameters.progress_callback = &OnProgress;
            parameters.progress_callback_user_data = (void*)GCHandle.ToIntPtr(gch);
        }
        llama_model* model;
        try
        {
            model = LlamaNative.llama_model_load_from_file(full, parameters);
        }
        finally
        {
            if (gch.IsAllocated) gch.Free();
        }

        if (state?.Error is not null)
        {
            if (model != null) LlamaNative.llama_model_free(model);
            throw new LlamaModelLoadException(full, $"loading {shown} failed in the progress callback: {state.Error.Message}", state.Error);
        }
        if (model == null)
        {
            if (state is { Cancelled: true }) throw new OperationCanceledException($"loading {shown} was cancelled");
            throw new LlamaModelLoadException(full, $"llama.cpp could not load the model {shown}{LlamaRuntime.RecentErrorsSuffix()}");
        }
        return new LlamaModel(new SafeLlamaModelHandle(model), full);
    }

    /// <summary>
    /// llama.cpp's own projection of the memory a model and context need, without allocating them or reading a
    /// weight (<c>no_alloc</c> with <c>LLAMA_LOAD_MODE_NONE</c>, as llama.cpp's --fit measures): loads the metadata,
    /// creates the context (which reserves the worst-case compute graph on paper), frees both. Milliseconds even for
    /// a file of many gigabytes. The figures are read from llama.cpp's log (its per-buffer C++ API is not callable
    /// from C); what each one is, and how exact, is on <see cref="LlamaMemoryProjection"/>.
    /// </summary>
    public static LlamaMemoryProjection ProjectMemory(string path, LlamaModelOptions model,
        LlamaContextOptions context) =>
        ProjectMemory(path, model.ToNative(), context.ToNative(), model.CpuTensorPatterns);

    internal static LlamaMemoryProjection ProjectMemory(string path, llama_model_params modelParams,
        llama_context_params contextParams, IReadOnlyList<string>? cpuTensorPatterns = null)
    {
        modelParams.no_alloc = true;
        modelParams.load_mode = LlamaLoadMode.None;
        LlamaTensorPatterns.Validate(cpuTensorPatterns ?? []);  // before waiting for the log
        using var capture = LlamaRuntime.CaptureLog();
        using var model = Load(path, modelParams, cpuTensorPatterns: cpuTensorPatterns);
        int contextSize;
        using (var context = LlamaContext.Create(model, contextParams)) contextSize = context.ContextSize;
        return LlamaMemoryProjection.Parse(capture.Lines(), (long)model.SizeBytes, contextSize);
    }

    private sealed class ProgressState(Func<float, bool> callback)
    {
        public readonly Func<float, bool> Callback = callback;
        public Exception? Error;
        public bool Cancelled;
    }

    [UnmanagedCallersOnly]
    private static byte OnProgress(float progress, void* userData)
    {
        var state = (ProgressState)GCHandle.FromIntPtr((nint)userData).Target!;
        try
        {
            if (state.Callback(progress)) return 1;
            state.Cancelled = true;
            return 0;
        }
        catch (Exception e)
        {
            state.Error = e;
            return 0;
        }
    }

    // ------------------------------------------------------------------ properties

    public int ContextLengthTrain => LlamaNative.llama_model_n_ctx_train(Ptr);
    public int EmbeddingLength => LlamaNative.llama_model_n_embd(Ptr);
    public int EmbeddingLengthInput => LlamaNative.llama_model_n_embd_inp(Ptr);
    public int EmbeddingLengthOutput => LlamaNative.llama_model_n_embd_out(Ptr);
    public int LayerCount => LlamaNative.llama_model_n_layer(Ptr);
    public int HeadCount => LlamaNative.llama_model_n_head(Ptr);
    public int HeadCountKv => LlamaNative.llama_model_n_head_kv(Ptr);
    /// <summary>Sliding-window size (0 = none).</summary>
    public int SlidingWindow => LlamaNative.llama_model_n_swa(Ptr);
    public ulong ParameterCount => LlamaNative.llama_model_n_params(Ptr);
    /// <summary>Total size of all tensors in bytes.</summary>
    public ulong SizeBytes => LlamaNative.llama_model_size(Ptr);
    public LlamaFtype FileType => LlamaNative.llama_model_ftype(Ptr);
    public LlamaRopeType RopeType => LlamaNative.llama_model_rope_type(Ptr);
    public float RopeFreqScaleTrain => LlamaNative.llama_model_rope_freq_scale_train(Ptr);
    public bool HasEncoder => LlamaNative.llama_model_has_encoder(Ptr);
    public bool HasDecoder => LlamaNative.llama_model_has_decoder(Ptr);
    public int DecoderStartToken => LlamaNative.llama_model_decoder_start_token(Ptr);
    public bool IsRecurrent => LlamaNative.llama_model_is_recurrent(Ptr);
    public bool IsHybrid => LlamaNative.llama_model_is_hybrid(Ptr);
    public bool IsDiffusion => LlamaNative.llama_model_is_diffusion(Ptr);

    /// <summary><c>llama_model_desc</c>, e.g. "llama 7B Q4_K - Medium".</summary>
    public string Description => NativeStrings.ReadSnprintf((b, n) => LlamaNative.llama_model_desc(Ptr, b, n)) ?? "";

    /// <summary>The model's chat template (<c>tokenizer.chat_template</c>, or a named one), null if none.</summary>
    public string? GetChatTemplate(string? name = null)
    {
        if (name is null) return LlamaRuntime.Utf8(LlamaNative.llama_model_chat_template(Ptr, null));
        fixed (byte* n = NativeStrings.ToUtf8Z(name)) return LlamaRuntime.Utf8(LlamaNative.llama_model_chat_template(Ptr, n));
    }

    // ------------------------------------------------------------------ metadata

    /// <summary>A GGUF metadata value as a string (arrays are not supported), null if absent.</summary>
    public string? GetMetadata(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return NativeStrings.ReadSnprintf((b, n) => LlamaNative.llama_model_meta_val_str(Ptr, key, b, n));
    }

    public int MetadataCount => LlamaNative.llama_model_meta_count(Ptr);

    public string? GetMetadataKey(int index) => NativeStrings.ReadSnprintf((b, n) => LlamaNative.llama_model_meta_key_by_index(Ptr, index, b, n));
    public string? GetMetadataValue(int index) => NativeStrings.ReadSnprintf((b, n) => LlamaNative.llama_model_meta_val_str_by_index(Ptr, index, b, n));

    /// <summary>All scalar metadata (key → value as string).</summary>
    public IReadOnlyDictionary<string, string> GetAllMetadata() => NativeStrings.CollectMetadata(MetadataCount, GetMetadataKey, GetMetadataValue);

    /// <summary>The GGUF key of a sampling metadata entry (e.g. "general.sampling.top_k").</summary>
    public static string? GetMetaKeyName(LlamaModelMetaKey key)
    {
        LlamaRuntime.EnsureInitialized();
        return LlamaRuntime.Utf8(LlamaNative.llama_model_meta_key_str(key));
    }

    // ------------------------------------------------------------------ operations

    /// <summary><c>llama_model_save_to_file</c></summary>
    public void SaveToFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        LlamaNative.llama_model_save_to_file(Ptr, path);
    }

    /// <summary>Creates a context (<see cref="LlamaContext.Create"/>).</summary>
    internal LlamaContext CreateContext(llama_context_params parameters) => LlamaContext.Create(this, parameters);

    /// <summary>A context for this model shaped by <paramref name="options"/>.</summary>
    public LlamaContext CreateContext(LlamaContextOptions options) => LlamaContext.Create(this, options.ToNative());

    /// <summary>Loads a LoRA adapter for this model (<see cref="LlamaLoraAdapter.Load"/>).</summary>
    public LlamaLoraAdapter LoadLoraAdapter(string path) => LlamaLoraAdapter.Load(this, path);

    public void Dispose() => Handle.Dispose();

    public override string ToString() => $"LlamaModel({Path})";
}

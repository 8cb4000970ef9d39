using System.Runtime.InteropServices;
using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>Owns a <c>llama_model*</c>; frees it with <c>llama_model_free</c>. Contexts and adapters created from the
/// model hold a reference on this handle, so the native model outlives them whatever the order of disposal.</summary>
public sealed unsafe class SafeLlamaModelHandle : SafeHandle
{
    public SafeLlamaModelHandle() : base(0, ownsHandle: true) { }
    internal SafeLlamaModelHandle(llama_model* model) : this() => SetHandle((nint)model);

    public override bool IsInvalid => handle == 0;

    /// <summary>The native pointer (throws once disposed). Do not free it.</summary>
    public llama_model* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed || IsInvalid, this);
            return (llama_model*)handle;
        }
    }

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_model_free((llama_model*)handle);
        return true;
    }
}

/// <summary>Owns a <c>llama_context*</c>; frees it with <c>llama_free</c>, then releases its references on the model and on
/// the LoRA adapters set on it.</summary>
public sealed unsafe class SafeLlamaContextHandle : SafeHandle
{
    private SafeLlamaModelHandle? _model;
    private SafeLlamaAdapterHandle[] _adapters = [];
    private readonly object _adapterGate = new();

    public SafeLlamaContextHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    /// <summary>The native pointer (throws once disposed). Do not free it.</summary>
    public llama_context* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed || IsInvalid, this);
            return (llama_context*)handle;
        }
    }

    /// <summary>Creates a context with <c>llama_init_from_model</c>; null when llama.cpp returns NULL.</summary>
    internal static SafeLlamaContextHandle? Create(SafeLlamaModelHandle model, in llama_context_params p)
    {
        bool added = false;
        model.DangerousAddRef(ref added);
        try
        {
            llama_context* ctx = LlamaNative.llama_init_from_model(model.Pointer, p);
            if (ctx == null) return null;
            var h = new SafeLlamaContextHandle();
            h.SetHandle((nint)ctx);
            h._model = model;
            added = false; // the reference now belongs to the context handle
            return h;
        }
        finally
        {
            if (added) model.DangerousRelease();
        }
    }

    /// <summary>Keeps <paramref name="adapters"/> alive while set on this context (releases the previous set).</summary>
    internal void RetainAdapters(SafeLlamaAdapterHandle[] adapters)
    {
        var added = new List<SafeLlamaAdapterHandle>(adapters.Length);
        try
        {
            foreach (var a in adapters)
            {
                bool ok = false;
                a.DangerousAddRef(ref ok);
                if (ok) added.Add(a);
            }
        }
        catch
        {
            foreach (var a in added) a.DangerousRelease();
            throw;
        }
        SafeLlamaAdapterHandle[] old;
        lock (_adapterGate) { old = _adapters; _adapters = [.. added]; }
        foreach (var a in old) a.DangerousRelease();
    }

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_free((llama_context*)handle);
        SafeLlamaAdapterHandle[] old;
        lock (_adapterGate) { old = _adapters; _adapters = []; }
        foreach (var a in old) a.DangerousRelease();
        _model?.DangerousRelease();
        _model = null;
        return true;
    }
}

/// <summary>Owns a <c>llama_sampler*</c> (a single sampler or a chain); frees it with <c>llama_sampler_free</c> unless its
/// ownership moved into a chain.</summary>
public sealed unsafe class SafeLlamaSamplerHandle : SafeHandle
{
    public SafeLlamaSamplerHandle() : base(0, ownsHandle: true) { }
    internal SafeLlamaSamplerHandle(llama_sampler* smpl) : this() => SetHandle((nint)smpl);

    public override bool IsInvalid => handle == 0;

    /// <summary>The native pointer (throws once disposed or moved into a chain). Do not free it.</summary>
    public llama_sampler* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed || IsInvalid, this);
            return (llama_sampler*)handle;
        }
    }

    /// <summary>Gives up ownership (the chain frees it now); the handle becomes unusable.</summary>
    internal llama_sampler* Release()
    {
        llama_sampler* p = Pointer;
        SetHandleAsInvalid();
        return p;
    }

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_sampler_free((llama_sampler*)handle);
        return true;
    }
}

/// <summary>Owns a <c>llama_adapter_lora*</c>. llama.cpp frees adapters left over when the model is freed, and
/// <c>llama_adapter_lora_free</c> touches the model, so an adapter must be freed BEFORE its model: this handle holds a
/// reference on the model handle and releases it only after freeing the adapter.</summary>
public sealed unsafe class SafeLlamaAdapterHandle : SafeHandle
{
    private SafeLlamaModelHandle? _model;

    public SafeLlamaAdapterHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    /// <summary>The native pointer (throws once disposed). Do not free it.</summary>
    public llama_adapter_lora* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed || IsInvalid, this);
            return (llama_adapter_lora*)handle;
        }
    }

    /// <summary>Loads with <c>llama_adapter_lora_init</c>; null when llama.cpp returns NULL.</summary>
    internal static SafeLlamaAdapterHandle? Create(SafeLlamaModelHandle model, string path)
    {
        bool added = false;
        model.DangerousAddRef(ref added);
        try
        {
            llama_adapter_lora* a = LlamaNative.llama_adapter_lora_init(model.Pointer, path);
            if (a == null) return null;
            var h = new SafeLlamaAdapterHandle();
            h.SetHandle((nint)a);
            h._model = model;
            added = false;
            return h;
        }
        finally
        {
            if (added) model.DangerousRelease();
        }
    }

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_adapter_lora_free((llama_adapter_lora*)handle);
        _model?.DangerousRelease();
        _model = null;
        return true;
    }
}

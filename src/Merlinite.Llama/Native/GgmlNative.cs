using System.Runtime.InteropServices;

namespace Merlinite.Llama.Native;

#pragma warning disable IDE1006 // naming: the header's names on purpose

/// <summary>
/// Raw bindings of the ggml functions the engine needs (ggml.h, ggml-backend.h of llama.cpp release v0.5.0).
/// The backend registry (load/enumerate) lives in libggml.v0.5.0.so; device and log functions in libggml-base.so.
/// </summary>
public static unsafe partial class GgmlNative
{
    /// <summary>Short name resolved to libggml.v0.5.0.so (or libggml.cuda.v0.5.0.so / libggml.so).</summary>
    public const string LibGgml = "ggml";
    /// <summary>Short name resolved to libggml-base.so.</summary>
    public const string LibGgmlBase = "ggml-base";

    static GgmlNative() => LlamaRuntime.RegisterResolver();

    // ---------------------------------------------------------------- libggml: backend registry

    /// <summary>Loads every backend library (libggml-cpu-*.so, libggml-cuda.so, ...) found in <paramref name="dir_path"/>;
    /// for the CPU the best variant for this machine. Must run before llama_backend_init.</summary>
    [LibraryImport(LibGgml, StringMarshalling = StringMarshalling.Utf8)] public static partial void ggml_backend_load_all_from_path(string dir_path);
    [LibraryImport(LibGgml)] public static partial void ggml_backend_load_all();
    [LibraryImport(LibGgml, StringMarshalling = StringMarshalling.Utf8)] public static partial ggml_backend_reg* ggml_backend_load(string path);

    [LibraryImport(LibGgml)] public static partial nuint ggml_backend_reg_count();
    [LibraryImport(LibGgml)] public static partial ggml_backend_reg* ggml_backend_reg_get(nuint index);
    [LibraryImport(LibGgml, StringMarshalling = StringMarshalling.Utf8)] public static partial ggml_backend_reg* ggml_backend_reg_by_name(string name);

    [LibraryImport(LibGgml)] public static partial nuint ggml_backend_dev_count();
    [LibraryImport(LibGgml)] public static partial ggml_backend_device* ggml_backend_dev_get(nuint index);
    [LibraryImport(LibGgml, StringMarshalling = StringMarshalling.Utf8)] public static partial ggml_backend_device* ggml_backend_dev_by_name(string name);
    [LibraryImport(LibGgml)] public static partial ggml_backend_device* ggml_backend_dev_by_type(GgmlBackendDevType type);

    // ---------------------------------------------------------------- libggml-base: devices, registries, log, types

    [LibraryImport(LibGgmlBase)] public static partial byte* ggml_backend_dev_name(ggml_backend_device* device);
    [LibraryImport(LibGgmlBase)] public static partial byte* ggml_backend_dev_description(ggml_backend_device* device);
    [LibraryImport(LibGgmlBase)] public static partial void ggml_backend_dev_memory(ggml_backend_device* device, nuint* free, nuint* total);
    [LibraryImport(LibGgmlBase)] public static partial GgmlBackendDevType ggml_backend_dev_type(ggml_backend_device* device);
    [LibraryImport(LibGgmlBase)] public static partial void ggml_backend_dev_get_props(ggml_backend_device* device, ggml_backend_dev_props* props);
    [LibraryImport(LibGgmlBase)] public static partial ggml_backend_reg* ggml_backend_dev_backend_reg(ggml_backend_device* device);
    /// <summary>The device's default buffer type (for the CPU device: the one llama.cpp's tensor overrides compare
    /// with).</summary>
    [LibraryImport(LibGgmlBase)]
    public static partial ggml_backend_buffer_type* ggml_backend_dev_buffer_type(ggml_backend_device* device);
    [LibraryImport(LibGgmlBase)] public static partial byte* ggml_backend_buft_name(ggml_backend_buffer_type* buft);

    [LibraryImport(LibGgmlBase)] public static partial byte* ggml_backend_reg_name(ggml_backend_reg* reg);
    [LibraryImport(LibGgmlBase)] public static partial nuint ggml_backend_reg_dev_count(ggml_backend_reg* reg);
    [LibraryImport(LibGgmlBase)] public static partial ggml_backend_device* ggml_backend_reg_dev_get(ggml_backend_reg* reg, nuint index);

    [LibraryImport(LibGgmlBase)] public static partial void ggml_log_set(delegate* unmanaged<GgmlLogLevel, byte*, void*, void> log_callback, void* user_data);
    [LibraryImport(LibGgmlBase)] public static partial byte* ggml_type_name(GgmlType type);
    [LibraryImport(LibGgmlBase)] public static partial byte* ggml_version();
    [LibraryImport(LibGgmlBase)] public static partial byte* ggml_commit();
}

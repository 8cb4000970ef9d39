using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>Receives llama.cpp/ggml log text (a message may arrive in several pieces; <see cref="GgmlLogLevel.Cont"/>
/// is resolved to the level of the piece before).</summary>
public delegate void LlamaLogHandler(GgmlLogLevel level, string text);

/// <summary>A ggml backend device (for <c>merlinite info</c>).</summary>
/// <param name="Kind">ggml's device type: Cpu, Gpu, Igpu (integrated), Accel, Meta.</param>
public sealed record LlamaBackendDevice(
    int Index, string Name, string Description, string Kind,
    ulong MemoryFree, ulong MemoryTotal, string? DeviceId, string? BackendName)
{
    /// <summary>A GPU with memory of its own (what the VRAM budget counts).</summary>
    public bool IsGpu => Kind == nameof(GgmlBackendDevType.Gpu);
}

/// <summary>
/// Loads llama.cpp (release v0.5.0) once per process: resolves the short library names of <see cref="LlamaNative"/> and
/// <see cref="GgmlNative"/> to the files of one folder, checks the ABI, routes the log, loads the backends
/// (<c>ggml_backend_load_all_from_path</c>) and calls <c>llama_backend_init</c>.
/// </summary>
public static unsafe class LlamaRuntime
{
    /// <summary>The llama.cpp release this binding mirrors.</summary>
    public const string LlamaCppRelease = "v0.5.0";
    /// <summary>Environment variable naming the folder that holds the llama.cpp libraries.</summary>
    public const string LibDirEnvVar = "MERLINITE_LIB_DIR";
    /// <summary>The canonical file name of libllama (as shipped by npm @node-llama-cpp).</summary>
    public static string LlamaLibraryFileName => FileName("llama", ".v0.5.0");

    private static readonly object Gate = new();
    private static int _resolverRegistered;
    private static bool _initialized;
    private static bool _initializing;
    private static string? _libDir;
    private static nint _hLlama, _hGgml, _hGgmlBase;
    private static readonly Dictionary<string, string> LoadedPaths = new(StringComparer.Ordinal);
    private static LlamaLibraryException? _stickyFailure;

    // ------------------------------------------------------------------ public surface

    /// <summary>
    /// True in the single-file build: llama.cpp and ggml (the x86-64-v3 build) are linked into the executable and
    /// called directly, so no library folder is read and <c>$MERLINITE_LIB_DIR</c> is ignored. The publish that links
    /// them sets the switch (src/Merlinite.Cli/Merlinite.Cli.csproj); test hosts and the CUDA build load libraries.
    /// </summary>
    public static bool IsStaticallyLinked =>
        AppContext.TryGetSwitch("Merlinite.Llama.StaticallyLinked", out bool on) && on;

    /// <summary>True once <see cref="EnsureInitialized"/> has succeeded.</summary>
    public static bool IsInitialized { get { lock (Gate) return _initialized; } }

    /// <summary>The folder the libraries were loaded from (null before).</summary>
    public static string? LibraryDirectory { get { lock (Gate) return _libDir; } }

    /// <summary>Full paths of the loaded libraries by short name ("llama", "ggml", "ggml-base").</summary>
    public static IReadOnlyDictionary<string, string> LibraryPaths { get { lock (Gate) return new Dictionary<string, string>(LoadedPaths); } }

    /// <summary>Called for every log message of llama.cpp/ggml. When null, the log is silent unless <see cref="Verbose"/>.</summary>
    public static LlamaLogHandler? LogHandler { get; set; }

    /// <summary>When no <see cref="LogHandler"/> is set: true writes llama.cpp's log to stderr, false keeps it silent.</summary>
    public static bool Verbose { get; set; }

    /// <summary>The folder <see cref="EnsureInitialized"/> would use: <paramref name="libDir"/>, else
    /// <c>$MERLINITE_LIB_DIR</c>, else <see cref="AppContext.BaseDirectory"/>; as a full path.</summary>
    public static string ResolveLibraryDirectory(string? libDir = null)
    {
        string? dir = libDir;
        if (string.IsNullOrWhiteSpace(dir)) dir = Environment.GetEnvironmentVariable(LibDirEnvVar);
        if (string.IsNullOrWhiteSpace(dir)) dir = AppContext.BaseDirectory;
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
    }

    /// <summary>
    /// Loads and initializes llama.cpp once (thread-safe; later calls are cheap). Throws <see cref="LlamaLibraryException"/>
    /// when the libraries are missing, fail to load, or do not match the v0.5.0 ABI. Passing a folder other than the
    /// one already loaded throws too (one llama.cpp per process).
    /// </summary>
    public static void EnsureInitialized(string? libDir = null)
    {
        if (IsStaticallyLinked)
        {
            lock (Gate) InitializeLinked();
            return;
        }
        string dir = ResolveLibraryDirectory(libDir);
        lock (Gate)
        {
            if (_initialized)
            {
                if (libDir is null || PathsEqual(dir, _libDir!)) return;
                FindLibraries(dir, fromEnv: false); // a missing folder/file is reported as such
                throw new LlamaLibraryException($"llama.cpp is already loaded from {_libDir}; cannot switch to {dir} in the same process");
            }
            InitializeCore(dir, fromEnv: string.IsNullOrWhiteSpace(libDir) && !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(LibDirEnvVar)));
        }
    }

    /// <summary><c>llama_print_system_info()</c>, e.g. "CPU : SSE3 = 1 | AVX = 1 | ...".</summary>
    public static string SystemInfo { get { EnsureInitialized(); return Utf8(LlamaNative.llama_print_system_info()) ?? ""; } }

    /// <summary><c>llama_version()</c>, e.g. "0.5.0-dev".</summary>
    public static string Version { get { EnsureInitialized(); return Utf8(LlamaNative.llama_version()) ?? ""; } }

    /// <summary><c>ggml_version()</c> and <c>ggml_commit()</c>.</summary>
    public static (string Version, string Commit) GgmlVersion
    {
        get { EnsureInitialized(); return (Utf8(GgmlNative.ggml_version()) ?? "", Utf8(GgmlNative.ggml_commit()) ?? ""); }
    }

    public static bool SupportsGpuOffload { get { EnsureInitialized(); return LlamaNative.llama_supports_gpu_offload(); } }
    public static bool SupportsMmap { get { EnsureInitialized(); return LlamaNative.llama_supports_mmap(); } }
    public static bool SupportsMlock { get { EnsureInitialized(); return LlamaNative.llama_supports_mlock(); } }
    public static int MaxDevices { get { EnsureInitialized(); return (int)LlamaNative.llama_max_devices(); } }
    public static int MaxParallelSequences { get { EnsureInitialized(); return (int)LlamaNative.llama_max_parallel_sequences(); } }

    /// <summary><c>llama_time_us()</c></summary>
    public static long TimeMicroseconds { get { EnsureInitialized(); return LlamaNative.llama_time_us(); } }

    /// <summary>The ggml backend devices (CPU, GPUs, ...) that were loaded.</summary>
    public static IReadOnlyList<LlamaBackendDevice> GetDevices()
    {
        EnsureInitialized();
        var list = new List<LlamaBackendDevice>();
        nuint n = GgmlNative.ggml_backend_dev_count();
        for (nuint i = 0; i < n; i++)
        {
            ggml_backend_device* dev = GgmlNative.ggml_backend_dev_get(i);
            if (dev == null) continue;
            ggml_backend_dev_props props = default;
            GgmlNative.ggml_backend_dev_get_props(dev, &props);
            ggml_backend_reg* reg = GgmlNative.ggml_backend_dev_backend_reg(dev);
            list.Add(new LlamaBackendDevice(
                (int)i,
                Utf8(props.name) ?? Utf8(GgmlNative.ggml_backend_dev_name(dev)) ?? "",
                Utf8(props.description) ?? Utf8(GgmlNative.ggml_backend_dev_description(dev)) ?? "",
                props.type.ToString(), props.memory_free, props.memory_total,
                Utf8(props.device_id),
                reg == null ? null : Utf8(GgmlNative.ggml_backend_reg_name(reg))));
        }
        return list;
    }

    /// <summary>Names of the registered ggml backends (e.g. "CPU", "CUDA").</summary>
    public static IReadOnlyList<string> GetBackendNames()
    {
        EnsureInitialized();
        var list = new List<string>();
        nuint n = GgmlNative.ggml_backend_reg_count();
        for (nuint i = 0; i < n; i++) list.Add(Utf8(GgmlNative.ggml_backend_reg_name(GgmlNative.ggml_backend_reg_get(i))) ?? "");
        return list;
    }

    /// <summary>Returns and clears the warnings/errors llama.cpp logged recently (kept even when the log is silent),
    /// so that a failure can say why.</summary>
    public static IReadOnlyList<string> DrainRecentLogErrors()
    {
        lock (RecentGate)
        {
            var copy = Recent.Select(e => e.Trim()).Where(e => e.Length > 0).ToArray();
            Recent.Clear();
            return copy;
        }
    }

    // ------------------------------------------------------------------ library resolution

    /// <summary>Registers the DllImport resolver for this assembly (idempotent; runs from the static constructors of the
    /// native classes, so a raw call loads the libraries from the default folder).</summary>
    internal static void RegisterResolver()
    {
        if (Interlocked.Exchange(ref _resolverRegistered, 1) != 0) return;
        try { NativeLibrary.SetDllImportResolver(typeof(LlamaRuntime).Assembly, Resolve); }
        catch (InvalidOperationException) { /* already set */ }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name is not (LlamaNative.LibLlama or GgmlNative.LibGgml or GgmlNative.LibGgmlBase)) return 0;
        lock (Gate)
        {
            if (!_initialized && !_initializing)
            {
                try { InitializeCore(ResolveLibraryDirectory(null), fromEnv: false); }
                catch (LlamaLibraryException) { return 0; } // the runtime then throws DllNotFoundException
            }
            return name switch
            {
                LlamaNative.LibLlama => _hLlama,
                GgmlNative.LibGgml => _hGgml,
                _ => _hGgmlBase,
            };
        }
    }

    private static string FileName(string stem, string infix) =>
        OperatingSystem.IsWindows() ? $"{stem}{infix}.dll"
        : OperatingSystem.IsMacOS() ? $"lib{stem}{infix}.dylib"
        : $"lib{stem}{infix}.so";

    // npm @node-llama-cpp names: libllama.v0.5.0.so (CPU), libllama.cuda.v0.5.0.so (CUDA); a CMake build: libllama.so.
    private static readonly string[] VariantInfixes = [".v0.5.0", ".cuda.v0.5.0", ""];

    private readonly record struct LibraryFiles(string Llama, string Ggml, string GgmlBase);

    private static LibraryFiles FindLibraries(string dir, bool fromEnv)
    {
        string origin = fromEnv ? $" (from {LibDirEnvVar})" : "";
        if (!Directory.Exists(dir))
            throw new LlamaLibraryException(
                $"{LlamaLibraryFileName} not found in {dir}: the folder does not exist{origin}; run ./build.sh, or set {LibDirEnvVar} to the folder that holds the llama.cpp libraries");

        string? llama = null, infix = null;
        foreach (string v in VariantInfixes)
        {
            string p = Path.Combine(dir, FileName("llama", v));
            if (File.Exists(p)) { llama = p; infix = v; break; }
        }
        if (llama is null)
            throw new LlamaLibraryException(
                $"{LlamaLibraryFileName} not found in {dir}{origin} (also looked for {string.Join(", ", VariantInfixes.Skip(1).Select(v => FileName("llama", v)))}); " +
                $"run ./build.sh, or set {LibDirEnvVar} to the folder that holds the llama.cpp libraries");

        // Prefer ggml of the same variant as llama (libllama.cuda.v0.5.0.so needs libggml.cuda.v0.5.0.so).
        string? ggml = new[] { infix! }.Concat(VariantInfixes).Select(v => Path.Combine(dir, FileName("ggml", v))).FirstOrDefault(File.Exists);
        if (ggml is null)
            throw new LlamaLibraryException($"{FileName("ggml", infix!)} not found in {dir}{origin} (it must sit next to {Path.GetFileName(llama)}); run ./build.sh");
        string ggmlBase = Path.Combine(dir, FileName("ggml-base", ""));
        if (!File.Exists(ggmlBase))
            throw new LlamaLibraryException($"{FileName("ggml-base", "")} not found in {dir}{origin} (it must sit next to {Path.GetFileName(llama)}); run ./build.sh");
        return new LibraryFiles(llama, ggml, ggmlBase);
    }

    // ------------------------------------------------------------------ initialization

    private static void InitializeCore(string dir, bool fromEnv)
    {
        // Caller holds Gate.
        if (_initialized || _initializing) return; // re-entered from the resolver while initializing: handles are already set
        LibraryFiles files = FindLibraries(dir, fromEnv); // a missing folder/file is always reported as such
        if (_stickyFailure is not null)
        {
            if (PathsEqual(dir, _libDir!)) throw _stickyFailure;
            throw new LlamaLibraryException($"llama.cpp from {_libDir} failed to initialize earlier ({_stickyFailure.Message}); cannot load another copy from {dir} in the same process", _stickyFailure);
        }
        _initializing = true;
        try
        {
            _libDir = dir;
            _hGgmlBase = Load(files.GgmlBase);
            _hGgml = Load(files.Ggml);
            _hLlama = Load(files.Llama);
            LoadedPaths[GgmlNative.LibGgmlBase] = files.GgmlBase;
            LoadedPaths[GgmlNative.LibGgml] = files.Ggml;
            LoadedPaths[LlamaNative.LibLlama] = files.Llama;

            LlamaAbi.Check(_hLlama, _hGgml, _hGgmlBase, files.Llama);

            // Route the log before the backends load (they log which CPU variant they picked).
            LlamaNative.llama_log_set(&OnLog, null);
            GgmlNative.ggml_backend_load_all_from_path(dir);
            LlamaNative.llama_backend_init();

            if (GgmlNative.ggml_backend_dev_count() == 0)
                throw new LlamaLibraryException($"no ggml backend could be loaded from {dir} (no libggml-cpu-*.so there, or none runs on this CPU)" + RecentErrorsSuffix());
            string info = Utf8(LlamaNative.llama_print_system_info()) ?? "";
            if (string.IsNullOrWhiteSpace(info))
                throw new LlamaLibraryException($"loaded llama.cpp does not match the {LlamaCppRelease} ABI: llama_print_system_info() returned nothing ({files.Llama})");
            _initialized = true;
        }
        catch (LlamaLibraryException e)
        {
            if (_hGgmlBase != 0 || _hGgml != 0 || _hLlama != 0) _stickyFailure = e; // something is loaded: no retry elsewhere
            else _libDir = null;
            throw;
        }
        finally
        {
            _initializing = false;
        }
    }

    /// <summary>The single-file build: the code is already here; what is left is the CPU check (the build uses AVX2
    /// from its first call, so an older CPU must be told so rather than meet an illegal instruction), the log and
    /// the backend's start.</summary>
    private static void InitializeLinked()
    {
        // Caller holds Gate.
        if (_initialized) return;
        if (_stickyFailure is not null) throw _stickyFailure;
        if (CpuLevel.MissingForX86_64_V3() is { Length: > 0 } missing)
            throw _stickyFailure = new LlamaLibraryException(
                $"this merlinite is built for x86-64-v3 CPUs (AVX2, FMA, F16C, BMI2) and this CPU lacks " +
                $"{string.Join(", ", missing)}; build it here with ./build.sh --native-cpu");
        LlamaAbi.CheckDefaults(LinkedName);
        LlamaNative.llama_log_set(&OnLog, null);
        LlamaNative.llama_backend_init();
        _initialized = true;
    }

    /// <summary>What <see cref="LibraryDirectory"/>'s callers show for the single-file build.</summary>
    public const string LinkedName = "linked into this executable (x86-64-v3)";

    private static nint Load(string path)
    {
        try { return NativeLibrary.Load(path); }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            throw new LlamaLibraryException($"could not load {path}: {e.Message}", e);
        }
    }

    private static bool PathsEqual(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(a), Path.TrimEndingDirectorySeparator(b),
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    // ------------------------------------------------------------------ logging

    private static readonly object RecentGate = new();
    private static readonly List<string> Recent = [];
    private const int RecentMax = 32;
    private static GgmlLogLevel _lastLevel = GgmlLogLevel.Info;

    [UnmanagedCallersOnly]
    private static void OnLog(GgmlLogLevel level, byte* text, void* userData)
    {
        try
        {
            bool cont = level == GgmlLogLevel.Cont;
            if (cont) level = _lastLevel; else _lastLevel = level;
            LlamaLogHandler? handler = LogHandler;
            LogCapture? capture = _capture;
            bool keep = level >= GgmlLogLevel.Warn;
            if (!keep && handler is null && !Verbose && capture is null) return;
            string s = Utf8(text) ?? "";
            // Only the capturing thread's lines: models loaded meanwhile on other threads log the same kinds of
            // lines (a KV size from a parallel test's load once replaced the projected one).
            if (capture is not null && capture.Thread == Environment.CurrentManagedThreadId) capture.Append(s);
            if (keep)
            {
                lock (RecentGate)
                {
                    if (cont && Recent.Count > 0) Recent[^1] += s;
                    else
                    {
                        if (Recent.Count == RecentMax) Recent.RemoveAt(0);
                        Recent.Add(s);
                    }
                }
            }
            if (handler is not null) handler(level, s);
            else if (Verbose) Console.Error.Write(s);
        }
        catch
        {
            // never let an exception cross into native code
        }
    }

    private static readonly SemaphoreSlim CaptureGate = new(1, 1);
    private static volatile LogCapture? _capture;

    /// <summary>
    /// Collects every log line, at every level, until disposed, whatever <see cref="LogHandler"/> and
    /// <see cref="Verbose"/> say (they still see the lines as before; a capture alone prints nothing). Some figures
    /// llama.cpp only logs (buffer sizes); one capture at a time, so callers wait for each other. Lines logged by other
    /// threads meanwhile are left out (llama.cpp logs a load and a context's creation on the thread that calls it).
    /// </summary>
    internal static LogCapture CaptureLog()
    {
        EnsureInitialized();
        CaptureGate.Wait();
        var capture = new LogCapture();
        _capture = capture;
        return capture;
    }

    internal sealed class LogCapture : IDisposable
    {
        private readonly System.Text.StringBuilder _text = new();
        private bool _disposed;

        /// <summary>The thread whose llama.cpp calls are captured.</summary>
        internal int Thread { get; } = Environment.CurrentManagedThreadId;

        internal void Append(string s)
        {
            lock (_text) _text.Append(s);
        }

        /// <summary>The text so far, split into lines (a message may arrive in pieces, so lines are cut
        /// here).</summary>
        public IReadOnlyList<string> Lines()
        {
            lock (_text) return _text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _capture = null;
            CaptureGate.Release();
        }
    }

    internal static string RecentErrorsSuffix()
    {
        var errors = DrainRecentLogErrors();
        return errors.Count == 0 ? "" : ": " + string.Join(" | ", errors.TakeLast(4));
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Reads a NUL-terminated UTF-8 string owned by native code (null for NULL).</summary>
    internal static string? Utf8(byte* p) => p == null ? null : Marshal.PtrToStringUTF8((nint)p);
}

using Merlinite.Llama.Native;

namespace Merlinite.Llama.Tests;

[Collection(NativeCollection.Name)]
public sealed class RuntimeTests
{
    [Fact]
    public void Initializes_from_the_test_output_folder()
    {
        LlamaRuntime.EnsureInitialized();
        LlamaRuntime.EnsureInitialized(); // idempotent
        Assert.True(LlamaRuntime.IsInitialized);
        Assert.Equal(LlamaRuntime.ResolveLibraryDirectory(), LlamaRuntime.LibraryDirectory);
        Assert.StartsWith("libllama", Path.GetFileName(LlamaRuntime.LibraryPaths["llama"])); // .v0.5.0 / .cuda.v0.5.0 / plain
        // the same folder named explicitly is fine
        LlamaRuntime.EnsureInitialized(AppContext.BaseDirectory);
    }

    [Fact]
    public void System_info_and_version()
    {
        Assert.False(string.IsNullOrWhiteSpace(LlamaRuntime.SystemInfo));
        Assert.Contains("CPU", LlamaRuntime.SystemInfo);
        Assert.StartsWith("0.5.0", LlamaRuntime.Version);
        Assert.False(string.IsNullOrEmpty(LlamaRuntime.GgmlVersion.Version));
        Assert.True(LlamaRuntime.TimeMicroseconds > 0);
        Assert.True(LlamaRuntime.MaxDevices >= 1);
        Assert.True(LlamaRuntime.SupportsMmap);
    }

    [Fact]
    public void Backends_and_devices_are_loaded()
    {
        Assert.Contains("CPU", LlamaRuntime.GetBackendNames());
        var devices = LlamaRuntime.GetDevices();
        var cpu = Assert.Single(devices, d => d.Kind == "Cpu");
        Assert.False(string.IsNullOrEmpty(cpu.Name));
        Assert.True(cpu.MemoryTotal > 0);
        Assert.Equal("CPU", cpu.BackendName);
    }

    [Fact]
    public void Missing_library_folder_gives_a_clear_exception_with_the_path()
    {
        string dir = Path.Combine(Path.GetTempPath(), "merlinite-no-such-lib-dir-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<LlamaLibraryException>(() => LlamaRuntime.EnsureInitialized(dir));
        Assert.Contains(dir, e.Message);
        Assert.Contains("libllama.v0.5.0.so not found", e.Message);
        Assert.Contains("./build.sh", e.Message);
    }

    [Fact]
    public void Folder_without_libllama_gives_a_clear_exception_with_the_path()
    {
        string dir = Directory.CreateTempSubdirectory("merlinite-empty-lib-dir-").FullName;
        try
        {
            var e = Assert.Throws<LlamaLibraryException>(() => LlamaRuntime.EnsureInitialized(dir));
            Assert.Contains($"libllama.v0.5.0.so not found in {dir}", e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
        // the runtime is still usable afterwards
        LlamaRuntime.EnsureInitialized();
        Assert.True(LlamaRuntime.IsInitialized);
    }

    [Fact]
    public void Library_folder_comes_from_the_argument_then_MERLINITE_LIB_DIR_then_the_app_folder()
    {
        string? saved = Environment.GetEnvironmentVariable(LlamaRuntime.LibDirEnvVar);
        try
        {
            Environment.SetEnvironmentVariable(LlamaRuntime.LibDirEnvVar, null);
            Assert.Equal(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), LlamaRuntime.ResolveLibraryDirectory());
            Environment.SetEnvironmentVariable(LlamaRuntime.LibDirEnvVar, "/opt/llama-cuda/lib/");
            Assert.Equal("/opt/llama-cuda/lib", LlamaRuntime.ResolveLibraryDirectory());
            Assert.Equal("/x/y", LlamaRuntime.ResolveLibraryDirectory("/x/y"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(LlamaRuntime.LibDirEnvVar, saved);
        }
    }

    [Fact]
    public void Log_is_routed_to_the_managed_handler()
    {
        LlamaRuntime.EnsureInitialized();
        var seen = new List<(GgmlLogLevel, string)>();
        LlamaRuntime.LogHandler = (level, text) => { lock (seen) seen.Add((level, text)); };
        string bad = Path.GetTempFileName();
        try
        {
            File.WriteAllText(bad, "this is not a GGUF file");
            Assert.Throws<LlamaModelLoadException>(() => LlamaModel.Load(bad));
        }
        finally
        {
            LlamaRuntime.LogHandler = null;
            File.Delete(bad);
        }
        lock (seen) Assert.Contains(seen, s => s.Item1 == GgmlLogLevel.Error);
    }

    [Fact]
    public void Names_of_types()
    {
        Assert.Equal("Q4_K - Medium", LlamaQuantizer.FtypeName(LlamaFtype.MostlyQ4_K_M));
        Assert.Equal("q4_K", LlamaQuantizer.GgmlTypeName(GgmlType.Q4_K));
        Assert.Equal("general.sampling.top_k", LlamaModel.GetMetaKeyName(LlamaModelMetaKey.SamplingTopK));
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Runtime;

/// <summary>
/// Which libtorch the trainer runs on and which device it computes on (--device cpu|cuda[:N]|auto).
/// <para>A default build bundles NuGet's CPU libtorch and trains on the CPU only: a second libtorch cannot be loaded
/// beside it safely. A build with <c>MerliniteLibTorch=external</c> (<c>TRAINER_LIBTORCH=external ./build.sh</c>)
/// bundles none and loads an installed PyTorch's ($MERLINITE_LIBTORCH, or the lib folder of
/// <c>python3 -c 'import torch'</c>) before TorchSharp looks for one, in the order their dependencies need (measured
/// on the GPU machine with torch 2.11+cu130): libc10, libtorch_cpu, libc10_cuda, libtorch_cuda, libtorch.
/// TorchSharp's own libLibTorchSharp then binds to those already loaded.</para>
/// </summary>
public static class Devices
{
    public const string LibTorchVariable = "MERLINITE_LIBTORCH";
    private static readonly string[] LoadOrder = ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];

#if EXTERNAL_LIBTORCH
    public static readonly bool BundlesLibTorch = false;
#else
    public static readonly bool BundlesLibTorch = true;
#endif

    /// <summary>The folder of the installed PyTorch libtorch in use (null: the bundled CPU build, or none loaded yet).</summary>
    public static string? ExternalLibTorch { get; private set; }

    /// <summary>Resolves --device to a torch device. Loads the external libtorch first where the build has none, and
    /// fails with one clear line when the asked-for device cannot be had.</summary>
    public static Device Resolve(string spec)
    {
        bool cpu = spec == "cpu", auto = spec == "auto";
        if (!cpu && !auto && !IsCudaSpec(spec)) throw new TrainerException($"--device: '{spec}' is not cpu, cuda, cuda:N or auto");
        if (!BundlesLibTorch && ExternalLibTorch is null && !TryLoadExternalLibTorch())
            throw new TrainerException($"no libtorch found: this trainer was built without one (TRAINER_LIBTORCH=external); set {LibTorchVariable} " +
                                       "to the lib folder of an installed PyTorch, install PyTorch so that python3 -c 'import torch' finds it, " +
                                       "or rebuild with ./build.sh to bundle the CPU libtorch");
        if (cpu) return CPU;
        bool cuda = !BundlesLibTorch && File.Exists(Path.Combine(ExternalLibTorch!, "libtorch_cuda.so")) && TryInitializeCuda();
        if (auto) return cuda ? CUDA : CPU;
        if (BundlesLibTorch)
            throw new TrainerException($"--device {spec}: this trainer bundles the CPU libtorch only; rebuild it with TRAINER_LIBTORCH=external ./build.sh " +
                                       "to train on CUDA with an installed PyTorch's libtorch");
        if (!cuda) throw new TrainerException($"--device {spec}: the PyTorch in {ExternalLibTorch} has no CUDA, or no CUDA device is visible");
        int index = spec.Length > 5 ? int.Parse(spec.AsSpan(5)) : 0;
        if (index >= cuda_device_count()) throw new TrainerException($"--device {spec}: only {cuda_device_count()} CUDA device(s) are visible");
        return new Device(DeviceType.CUDA, index);
    }

    private static bool IsCudaSpec(string spec) =>
        spec == "cuda" || (spec.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(spec.AsSpan(5), out int i) && i >= 0);

    private static int cuda_device_count() => torch.cuda.device_count();

    private static bool TryInitializeCuda()
    {
        try
        {
            InitializeDeviceType(DeviceType.CUDA);
            return torch.cuda.is_available();
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or DllNotFoundException or TypeInitializationException)
        {
            return false;
        }
    }

    /// <summary>Loads an installed PyTorch's libtorch by absolute path, so that TorchSharp's later lookups by name
    /// find it already loaded. The CUDA libraries are loaded where that PyTorch has them.</summary>
    private static bool TryLoadExternalLibTorch()
    {
        string? dir = Environment.GetEnvironmentVariable(LibTorchVariable);
        if (string.IsNullOrEmpty(dir)) dir = PythonTorchLibFolder();
        if (dir is null || !File.Exists(Path.Combine(dir, "libtorch_cpu.so"))) return false;
        foreach (var lib in LoadOrder)
        {
            string path = Path.Combine(dir, lib);
            if (File.Exists(path) && !NativeLibrary.TryLoad(path, out _)) return false;
        }
        ExternalLibTorch = dir;
        return true;
    }

    private static string? PythonTorchLibFolder()
    {
        try
        {
            var psi = new ProcessStartInfo("python3", ["-c", "import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            using var p = Process.Start(psi);
            if (p is null) return null;
            string output = p.StandardOutput.ReadToEnd().Trim();
            if (!p.WaitForExit(20_000) || p.ExitCode != 0) return null;
            return Directory.Exists(output) ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; } // no python3
    }

    /// <summary>Bytes a device can still give: MemAvailable for the CPU; for CUDA the free memory the driver reports
    /// (nvidia-smi), or long.MaxValue when it cannot be asked (then nothing is refused).</summary>
    public static long FreeBytes(Device device) =>
        device.type == DeviceType.CPU ? ProcessMemory.AvailableBytes() : QueryGpuMebibytes(device, "memory.free") ?? long.MaxValue;

    /// <summary>GPU memory in use on the device (all processes), or null for the CPU or when nvidia-smi cannot say.
    /// PyTorch's caching allocator keeps what it reserved, so the growth over a run is its peak reservation.</summary>
    public static long? UsedBytes(Device device) =>
        device.type == DeviceType.CUDA ? QueryGpuMebibytes(device, "memory.used") : null;

    private static long? QueryGpuMebibytes(Device device, string field)
    {
        try
        {
            var psi = new ProcessStartInfo("nvidia-smi", [$"--query-gpu={field}", "--format=csv,noheader,nounits", $"--id={device.index}"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            using var p = Process.Start(psi)!;
            string text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return long.TryParse(text, out long mib) ? mib << 20 : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; } // no nvidia-smi
    }
}

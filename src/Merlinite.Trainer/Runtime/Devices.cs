using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Runtime;

/// <summary>
/// Which libtorch the trainer runs on and which device it computes on (--device cpu|cuda[:N]|auto).
/// <para>The CPU libtorch comes with the trainer (NuGet's libtorch-cpu). For CUDA the trainer loads an installed
/// PyTorch's libraries ($MERLINITE_LIBTORCH, or the lib folder of <c>python3 -c 'import torch'</c>) before TorchSharp
/// looks for them, in the order their dependencies need (measured on the GPU machine with torch 2.11+cu130):
/// libc10, libtorch_cpu, libc10_cuda, libtorch_cuda, libtorch; TorchSharp's own libLibTorchSharp then binds to them.</para>
/// </summary>
public static class Devices
{
    public const string LibTorchVariable = "MERLINITE_LIBTORCH";
    private static readonly string[] CudaLoadOrder = ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];

    /// <summary>The folder of the libtorch in use when it is not the trainer's own (null: the bundled CPU build).</summary>
    public static string? ExternalLibTorch { get; private set; }

    /// <summary>Resolves --device to a torch device, loading a CUDA libtorch first when CUDA is asked for or possible.</summary>
    public static Device Resolve(string spec)
    {
        if (spec == "cpu") return CPU;
        bool want = spec == "auto" || spec.StartsWith("cuda", StringComparison.Ordinal);
        if (!want) throw new TrainerException($"--device: '{spec}' is not cpu, cuda, cuda:N or auto");
        bool cuda = TryLoadCudaLibTorch() && TryInitializeCuda();
        if (spec == "auto") return cuda ? CUDA : CPU;
        if (!cuda)
            throw new TrainerException($"--device {spec}: no CUDA libtorch found (set {LibTorchVariable} to the lib folder of a CUDA PyTorch, " +
                                       "or install PyTorch with CUDA so that python3 -c 'import torch' finds it), or no CUDA device is visible");
        int index = spec.Length > 5 && int.TryParse(spec.AsSpan(5), out int i) ? i : 0;
        if (index >= cuda_device_count()) throw new TrainerException($"--device {spec}: only {cuda_device_count()} CUDA device(s) are visible");
        return new Device(DeviceType.CUDA, index);
    }

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

    /// <summary>Loads an installed CUDA libtorch by absolute path so that TorchSharp's later lookups by name find it.</summary>
    private static bool TryLoadCudaLibTorch()
    {
        string? dir = Environment.GetEnvironmentVariable(LibTorchVariable);
        if (string.IsNullOrEmpty(dir)) dir = PythonTorchLibFolder();
        if (dir is null || !File.Exists(Path.Combine(dir, "libtorch_cuda.so"))) return false;
        foreach (var lib in CudaLoadOrder)
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

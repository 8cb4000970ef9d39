using System.Runtime.InteropServices;

namespace Merlinite.Trainer.Runtime;

/// <summary>
/// The trainer's part of merlinite's reproducible mode (--reproducible): the same adapter bytes on every x86-64 CPU
/// with AVX2, FMA and F16C, whatever else it has. libtorch picks its kernels by the CPU it runs on; each of these
/// settings pins one choice (measured with CPUs emulated without AVX-512, Intel and AMD: docs/reproducibility.md):
/// <list type="bullet">
/// <item>ATEN_CPU_CAPABILITY=avx2: ATen's vectorized kernels (softmax, log-softmax, reductions) would take their
/// AVX-512 versions where the CPU has it.</item>
/// <item>MKL_CBWR=COMPATIBLE: MKL's sgemm dispatches by CPU model and vendor (its AVX2 branch is reserved to Intel
/// CPUs, and gave other bytes on AMD); its one branch that is the same everywhere is SSE2 without approximate
/// reciprocals.</item>
/// <item>DNNL_MAX_CPU_ISA=AVX2: oneDNN, which computes the bf16 matmuls, would use AVX-512 BF16 instructions.</item>
/// <item>One thread: MKL's gemm and ATen's reductions split their sums by thread count.</item>
/// </list>
/// Nothing here changes what is computed, only which of libtorch's equivalent kernels computes it.
/// </summary>
public static class ReproducibleNumerics
{
    public const int Threads = 1;

    public static readonly IReadOnlyList<(string Name, string Value)> Environment =
        [("ATEN_CPU_CAPABILITY", "avx2"), ("MKL_CBWR", "COMPATIBLE"), ("DNNL_MAX_CPU_ISA", "AVX2")];

    /// <summary>Sets the environment above before libtorch loads (it reads it on first use). .NET's
    /// Environment.SetEnvironmentVariable does not reach the C library's environment on Unix, hence setenv.</summary>
    public static void Apply(string device)
    {
        if (device is not ("cpu" or "auto"))
            throw new TrainerException($"--reproducible trains on the CPU, not --device {device}");
        foreach (var (name, value) in Environment)
            if (setenv(name, value, 1) != 0) throw new TrainerException($"could not set {name} for libtorch");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}

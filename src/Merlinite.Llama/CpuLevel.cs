using System.Runtime.Intrinsics.X86;

namespace Merlinite.Llama;

/// <summary>Which x86-64-v3 features this CPU lacks, from CPUID. (Native AOT compiles for the x86-64 baseline, so
/// <c>Avx2.IsSupported</c> answers for the binary, not for the CPU.)</summary>
public static class CpuLevel
{
    public static string[] MissingForX86_64_V3()
    {
        if (!X86Base.IsSupported) return ["x86-64"];
        var (_, _, ecx1, _) = X86Base.CpuId(1, 0);
        var (_, ebx7, _, _) = X86Base.CpuId(7, 0);
        var missing = new List<string>();
        void Need(int register, int bit, string name) { if ((register & (1 << bit)) == 0) missing.Add(name); }
        Need(ecx1, 28, "AVX");
        Need(ecx1, 12, "FMA");
        Need(ecx1, 29, "F16C");
        Need(ecx1, 27, "OSXSAVE"); // the OS saves the AVX registers
        Need(ebx7, 5, "AVX2");
        Need(ebx7, 8, "BMI2");
        return [.. missing];
    }
}

using System.Runtime.InteropServices;

namespace Merlinite.Trainer.Runtime;

/// <summary>
/// How freed host memory goes back to the system, chosen from the memory plan. glibc's heap keeps freed buffers for
/// reuse and raises its mmap threshold as it meets big ones, so the process can hold up to twice what is live
/// (measured on the 54.5M model). Giving every buffer over 64 KiB its own mapping, returned when freed, keeps the
/// process at what the plan counts, but every fresh buffer then faults its pages in: measured on the CPU, training
/// took about twice as long (40 steps of the tiny world's teacher: 12.4 s against 6.8 s; the 54.5M model's step
/// 0.96 s against 0.43 s: docs/benchmarks.md). So memory goes back at once only when the plan needs more than half of
/// what is free, where holding twice the live memory could run out of it; otherwise glibc's heap is kept. Results do
/// not change.
/// </summary>
public static class HostHeap
{
    private const int M_MMAP_THRESHOLD = -3; // malloc.h
    private const int MapEveryBufferAbove = 64 << 10;

    // Also when the environment already asked for it (MALLOC_MMAP_THRESHOLD_, as bench/train-memory.sh does).
    private static bool _returnsFreedMemoryAtOnce =
        Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is { Length: > 0 };

    /// <summary>Chooses before anything big is allocated; <paramref name="planBytes"/> and <paramref name="freeBytes"/>
    /// are host memory (a GPU run's host side is small: the heap is left as it is).</summary>
    public static void Choose(long planBytes, long freeBytes)
    {
        if (_returnsFreedMemoryAtOnce || planBytes * 2 <= freeBytes) return;
        _returnsFreedMemoryAtOnce = mallopt(M_MMAP_THRESHOLD, MapEveryBufferAbove) == 1;
    }

    [DllImport("libc")]
    private static extern int mallopt(int param, int value);
}

using System.Runtime.InteropServices;

namespace Merlinite.Trainer.Runtime;

/// <summary>
/// How freed host memory goes back to the system, chosen from the memory plan. glibc's heap keeps freed buffers for
/// reuse and raises its mmap threshold as it meets big ones, so the process can hold up to twice what is live
/// (measured on the 54.5M model). Giving every buffer over 64 KiB its own mapping, returned when freed, keeps the
/// process at what the plan counts, but every fresh buffer then faults its pages in: measured on the CPU, training
/// took 2 to 2.5 times as long (the tiny world's teacher: 5 min 25 s against 2 min 9 s; the 54.5M model's step
/// 1.01 s against 0.49 s). So memory goes back at once only when the plan needs more than half of what is free,
/// where holding twice the live memory could run out of it; otherwise glibc's heap is kept. Results do not change.
/// </summary>
public static class HostHeap
{
    private const int M_MMAP_THRESHOLD = -3; // malloc.h
    private const int MapEveryBufferAbove = 64 << 10;

    /// <summary>Whether this process returns freed buffers at once (also when its environment already asked for it
    /// with MALLOC_MMAP_THRESHOLD_, as bench/train-memory.sh does).</summary>
    public static bool ReturnsFreedMemoryAtOnce { get; private set; } =
        Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is { Length: > 0 };

    /// <summary>Chooses before anything big is allocated; <paramref name="planBytes"/> and <paramref name="freeBytes"/>
    /// are host memory (a GPU run's host side is small: the heap is left as it is).</summary>
    public static void Choose(long planBytes, long freeBytes)
    {
        if (ReturnsFreedMemoryAtOnce || planBytes * 2 <= freeBytes) return;
        if (mallopt(M_MMAP_THRESHOLD, MapEveryBufferAbove) == 1) ReturnsFreedMemoryAtOnce = true;
    }

    [DllImport("libc")]
    private static extern int mallopt(int param, int value);
}

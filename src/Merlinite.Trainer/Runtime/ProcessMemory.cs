namespace Merlinite.Trainer.Runtime;

/// <summary>What the kernel says about memory (Linux /proc): the process's resident and peak resident sizes, and how
/// much the machine still has available.</summary>
public static class ProcessMemory
{
    /// <summary>VmHWM: the most resident memory the process has had.</summary>
    public static long PeakResidentBytes() => StatusKilobytes("VmHWM:") * 1024;

    /// <summary>VmRSS: resident memory now.</summary>
    public static long ResidentBytes() => StatusKilobytes("VmRSS:") * 1024;

    /// <summary>MemAvailable from /proc/meminfo (long.MaxValue where there is none).</summary>
    public static long AvailableBytes()
    {
        foreach (var line in SafeLines("/proc/meminfo"))
            if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)) return Kilobytes(line) * 1024;
        return long.MaxValue;
    }

    private static long StatusKilobytes(string key)
    {
        foreach (var line in SafeLines("/proc/self/status"))
            if (line.StartsWith(key, StringComparison.Ordinal)) return Kilobytes(line);
        return 0;
    }

    /// <summary>"VmHWM:\t15623456 kB" (a tab, then spaces only when the number is short).</summary>
    private static long Kilobytes(string line) =>
        line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries) is [_, var number, ..] && long.TryParse(number, out long kb) ? kb : 0;

    private static IEnumerable<string> SafeLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}

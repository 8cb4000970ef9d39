using System.Globalization;

namespace Merlinite.Engine.Placement;

/// <summary>This machine's memory from /proc/meminfo, or what .NET sees as the machine's (or the container's) memory
/// where there is no /proc.</summary>
public static class HostMemory
{
    /// <summary>MemTotal, at most the container's limit: what a plan may count on.</summary>
    public static long Total =>
        Math.Min(Read("MemTotal:") ?? long.MaxValue, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary>MemAvailable: what can be taken now without swapping.</summary>
    public static long Available => Read("MemAvailable:") ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private static long? Read(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith(key, StringComparison.Ordinal))
                    return 1024 * long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
                        CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
